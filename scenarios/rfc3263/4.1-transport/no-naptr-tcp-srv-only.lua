scenario {
  id = "no-naptr-tcp-srv-only",
  covers = { "TP-NO-NAPTR", "AD-SRV" },
  role = "client",
  needs = { "udp", "tcp" },
  summary = [[
No NAPTR records, and SRV records only for TCP: _sip._tcp.example.test leads to
127.0.0.2:5070. The domain also has an A record of its own (127.0.0.9, where UDP and TCP
servers answer on 5060). RFC 3263 section 4.1: with no NAPTR the client queries SRV for
each transport it supports, and "a particular transport is supported if the query is
successful": the request must go over TCP to the SRV target's port, not to the domain's
A record (the shape linphone-desktop#57 got wrong by querying A/AAAA before TCP SRV).]],
}

zone [[
$ORIGIN example.test.
$TTL 300
_sip._tcp  IN SRV   10 0 5070 tcp1.example.test.
@          IN A     127.0.0.9
tcp1       IN A     127.0.0.2
]]

peer("127.0.0.2:5070/tcp", reply(200))
peer("127.0.0.9:5060/udp", reply(200))
peer("127.0.0.9:5060/tcp", reply(200))

local r = send{ method = "INVITE", uri = "sip:alice@example.test" }

expect_status(r, 200, { covers = { "TP-NO-NAPTR" } })
-- Which transports are probed, and in what order, is the client's choice; the TCP SRV
-- query and the SRV target's address are not.
expect_dns({ "NAPTR example.test", "SRV _sip._tcp.example.test", "A tcp1.example.test" },
           { mode = "subsequence" })
expect_route({ "127.0.0.2:5070/tcp" }, { method = "INVITE" })
