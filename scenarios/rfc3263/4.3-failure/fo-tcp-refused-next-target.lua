scenario {
  id = "fo-tcp-refused-next-target",
  covers = { "FO-TRANSPORT", "SRV-PRIORITY" },
  role = "client",
  needs = { "tcp" },
  summary = [[
The domain offers TCP only (SIP+D2T), with two SRV targets of priority 10 and 20. The
first refuses the connection (RST to the SYN: nothing listens). RFC 3263 section 4.3
counts a transport failure, "generally, due to ... connection failures in TCP", as a
failure of that element: the client must try the next target, at once, and the call
succeeds there. A stack that gives up on the refusal reports a failure instead, and one
that only notices when timer B fires reaches the second target 32 s late.]],
}

local zones = use("zones")
zone(zones.naptr_services("example.test", {
  { 10, "SIP+D2T", { { 10, 0, 5060, "127.0.0.2" }, { 20, 0, 5060, "127.0.0.3" } } },
}))

peer("127.0.0.2:5060/tcp", tcp_refuse())
peer("127.0.0.3:5060/tcp", reply(200))

local r = send{ method = "INVITE", uri = "sip:alice@example.test" }

expect_status(r, 200, { covers = { "FO-TRANSPORT" } })
expect_dns({ "NAPTR example.test", "SRV _sip._tcp.example.test", "A tcp1.example.test",
             "A tcp2.example.test" }, { covers = { "FO-TRANSPORT", "SRV-PRIORITY" } })
-- The refused connection carries no request: the peers see one attempt, at the second.
expect_route({ "127.0.0.3:5060/tcp" }, { method = "INVITE", covers = { "FO-TRANSPORT" } })
-- Not waiting for timer B is the point, not speed: a connection (and a TLS handshake)
-- costs real CPU time that the clock rate multiplies, so the bound is half of timer B.
expect_gap{ from = { qtype = "A", qname = "tcp1.example.test" },
            to = { method = "INVITE", at = "127.0.0.3:5060/tcp" },
            min = 0, max = timer_b() / 2, covers = { "FO-TRANSPORT" } }
