scenario {
  id = "fo-timeout-timer-b",
  covers = { "FO-TIMEOUT", "FO-NEWBRANCH" },
  role = "client",
  needs = { "udp", "timers" },
  summary = [[
Two SRV targets of priority 10 and 20. The first never answers the INVITE: the client
retransmits it (timer A) and, when timer B (64*T1 = 32 s) fires with no response at
all, RFC 3263 section 4.3 counts that as a failure and the client must move on to the
next target with a new transaction. At the default rate the 32 s of SUT time pass in
well under a second of wall time.]],
}

zone [[
$ORIGIN example.test.
$TTL 300
@          IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.example.test.
_sip._udp  IN SRV   10 0 5060 sip1.example.test.
_sip._udp  IN SRV   20 0 5060 sip2.example.test.
sip1       IN A     127.0.0.2
sip2       IN A     127.0.0.3
]]

peer("127.0.0.2:5060/udp", silence())
peer("127.0.0.3:5060/udp", reply(200))

local r = send{ method = "INVITE", uri = "sip:bob@example.test" }

expect_status(r, 200, { covers = { "FO-TIMEOUT" } })
expect_route({ "127.0.0.2:5060/udp", "127.0.0.3:5060/udp" },
             { method = "INVITE", covers = { "FO-TIMEOUT" } })
-- The failover comes when timer B fires, 64*T1 after the first INVITE left, not before
-- (a premature give-up) nor much later; the window's tolerance grows with --rate.
expect_gap{ from = { method = "INVITE", at = "127.0.0.2:5060/udp" },
            to = { method = "INVITE", at = "127.0.0.3:5060/udp" },
            min = timer_b(), max = timer_b(), covers = { "FO-TIMEOUT" } }
