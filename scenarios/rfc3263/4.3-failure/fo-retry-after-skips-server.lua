scenario {
  id = "fo-retry-after-skips-server",
  covers = { "FO-RETRY-AFTER", "FO-503" },
  role = "client",
  needs = { "udp" },
  summary = [[
Two SRV targets of priority 10 and 20. The first answers every INVITE with 503 and
Retry-After: 60, the second with 200. The first call fails over from the first target
to the second. RFC 3261 section 21.5.4: Retry-After says how long the server is
unavailable, so a second call 10 s later must go straight to the second target. Once
the 60 s have passed (SUT clock advanced), a third call tries the first target again.]],
}

zone [[
$ORIGIN example.test.
$TTL 3600
@          IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.example.test.
_sip._udp  IN SRV   10 0 5060 sip1.example.test.
_sip._udp  IN SRV   20 0 5060 sip2.example.test.
sip1       IN A     127.0.0.2
sip2       IN A     127.0.0.3
]]

peer("127.0.0.2:5060/udp", reply(503, { ["Retry-After"] = 60 }))
peer("127.0.0.3:5060/udp", reply(200))

local r1 = send{ method = "INVITE", uri = "sip:alice@example.test" }
advance(10)
local r2 = send{ method = "INVITE", uri = "sip:alice@example.test" }
advance(60)
local r3 = send{ method = "INVITE", uri = "sip:alice@example.test" }

expect_status(r1, 200, { covers = { "FO-503" } })
expect_status(r2, 200, { covers = { "FO-503" } })
expect_status(r3, 200, { covers = { "FO-503" } })
expect_route({ "127.0.0.2:5060/udp", "127.0.0.3:5060/udp",
               "127.0.0.3:5060/udp",
               "127.0.0.2:5060/udp", "127.0.0.3:5060/udp" },
             { method = "INVITE", covers = { "FO-RETRY-AFTER" } })
