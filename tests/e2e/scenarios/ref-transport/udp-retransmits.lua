scenario {
  id = "ref-udp-retransmits",
  covers = { "FO-TIMEOUT" },
  role = "client",
  needs = { "udp", "timers" },
  summary = [[ref over UDP (the control): the first target accepts and never answers; no retransmission
on a reliable transport (RFC 3261 17.1.1.2), timer B still ends it, then the second.]],
}
zone [[
$ORIGIN example.test.
$TTL 300
@          IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.example.test.
_sip._udp  IN SRV   10 0 5060 tcp1.example.test.
_sip._udp  IN SRV   20 0 5060 tcp2.example.test.
tcp1       IN A     127.0.0.2
tcp2       IN A     127.0.0.3
]]
peer("127.0.0.2:5060/udp", silence())
peer("127.0.0.3:5060/udp", reply(200))
local r = send{ method = "INVITE", uri = "sip:alice@example.test" }
expect_status(r, 200)
expect_route({ "127.0.0.2:5060/udp", "127.0.0.3:5060/udp" }, { method = "INVITE" })
expect_gap{ from = { method = "INVITE", at = "127.0.0.2:5060/udp" },
            to = { method = "INVITE", at = "127.0.0.3:5060/udp" },
            min = timer_b(), max = timer_b() }
