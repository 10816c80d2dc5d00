scenario {
  id = "fo-icmp-next-target",
  covers = { "FO-TRANSPORT" },
  role = "client",
  needs = { "udp" },
  summary = [[
Two SRV targets of priority 10 and 20. Nothing listens on the first (127.0.0.2:5060),
so the INVITE draws an ICMP port unreachable. RFC 3263 section 4.3 counts a transport
failure ("generally, due to fatal ICMP errors in UDP") as a failure: the client must
try the next target with a new transaction, and the call succeeds there. A stack
that gives up on the transport error reports a failure instead.]],
}

local zones = use("zones")
zone(zones.naptr_srv_udp("example.test", { { 10, 0, 5060, "127.0.0.2" },
                                           { 20, 0, 5060, "127.0.0.3" } }))

peer("127.0.0.3:5060/udp", reply(200))

local r = send{ method = "INVITE", uri = "sip:alice@example.test" }

expect_status(r, 200, { covers = { "FO-TRANSPORT" } })
-- The INVITE to 127.0.0.2 reaches no peer (the port is closed), so the peers see one
-- attempt; the DNS log shows the client looked both targets up.
expect_dns({ "A sip1.example.test", "A sip2.example.test" },
           { mode = "subsequence", covers = { "FO-TRANSPORT" } })
expect_route({ "127.0.0.3:5060/udp" }, { method = "INVITE", covers = { "FO-TRANSPORT" } })
-- ICMP tells the client at once: the failover must not wait for timer B (a stack that
-- ignores ICMP reaches the second target only 32 s later, kamailio#2377).
expect_gap{ from = { qtype = "A", qname = "sip1.example.test" },
            to = { method = "INVITE", at = "127.0.0.3:5060/udp" },
            min = 0, max = 2, covers = { "FO-TRANSPORT" } }
