scenario {
  id = "srv-priority-lowest-first",
  covers = { "SRV-PRIORITY", "FO-503" },
  role = "client",
  needs = { "udp" },
  summary = [[
Three SRV targets with priorities 30, 10 and 20, listed in that order in the zone (the
fake DNS answers in file order). RFC 2782, which RFC 3263 section 4.2 follows: the
lowest priority value is tried first, a higher value only after every lower one
failed. The priority-10 and priority-20 targets answer 503, so the INVITE must visit
the targets in the order 10, 20, 30 and succeed at the last one.]],
}

zone [[
$ORIGIN example.test.
$TTL 300
@          IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.example.test.
_sip._udp  IN SRV   30 0 5060 sip3.example.test.
_sip._udp  IN SRV   10 0 5060 sip1.example.test.
_sip._udp  IN SRV   20 0 5060 sip2.example.test.
sip1       IN A     127.0.0.2
sip2       IN A     127.0.0.3
sip3       IN A     127.0.0.4
]]

peer("127.0.0.2:5060/udp", reply(503))
peer("127.0.0.3:5060/udp", reply(503))
peer("127.0.0.4:5060/udp", reply(200))

local r = send{ method = "INVITE", uri = "sip:alice@example.test" }

expect_status(r, 200, { covers = { "FO-503" } })
expect_route({ "127.0.0.2:5060/udp", "127.0.0.3:5060/udp", "127.0.0.4:5060/udp" },
             { method = "INVITE", covers = { "SRV-PRIORITY", "FO-503" } })
