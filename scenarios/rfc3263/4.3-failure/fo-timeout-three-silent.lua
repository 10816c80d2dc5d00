scenario {
  id = "fo-timeout-three-silent",
  covers = { "FO-TIMEOUT", "FO-EXHAUST" },
  role = "client",
  needs = { "udp", "timers" },
  summary = [[
Three SRV targets of priorities 10, 20 and 30, and none of them ever answers the INVITE.
RFC 3263 section 4.3: timer B expiring with no response is a failure, so the client
moves to the next target each time timer B (64*T1 = 32 s) fires, and after the third
the list is exhausted and the transaction fails with a timeout. That is 96 s of SUT
time: at the default rate it passes in about a second of wall time. Each target must be
tried exactly once, each for a full timer B.]],
}

zone [[
$ORIGIN example.test.
$TTL 300
@          IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.example.test.
_sip._udp  IN SRV   10 0 5060 sip1.example.test.
_sip._udp  IN SRV   20 0 5060 sip2.example.test.
_sip._udp  IN SRV   30 0 5060 sip3.example.test.
sip1       IN A     127.0.0.2
sip2       IN A     127.0.0.3
sip3       IN A     127.0.0.4
]]

peer("127.0.0.2:5060/udp", silence())
peer("127.0.0.3:5060/udp", silence())
peer("127.0.0.4:5060/udp", silence())

local r = send{ method = "INVITE", uri = "sip:dave@example.test" }

expect_status(r, "timeout", { covers = { "FO-EXHAUST" } })
expect_route({ "127.0.0.2:5060/udp", "127.0.0.3:5060/udp", "127.0.0.4:5060/udp" },
             { method = "INVITE", covers = { "FO-TIMEOUT", "FO-EXHAUST" } })
expect_gap{ from = { method = "INVITE", at = "127.0.0.2:5060/udp" },
            to = { method = "INVITE", at = "127.0.0.3:5060/udp" },
            min = timer_b(), max = timer_b(), covers = { "FO-TIMEOUT" } }
expect_gap{ from = { method = "INVITE", at = "127.0.0.3:5060/udp" },
            to = { method = "INVITE", at = "127.0.0.4:5060/udp" },
            min = timer_b(), max = timer_b(), covers = { "FO-TIMEOUT" } }
