scenario {
  id = "sec-biddown-sips-vanishes",
  covers = { "SEC-BIDDOWN" },
  role = "client",
  needs = { "udp", "tls", "alarm" },
  summary = [[
example.test offers SIPS+D2T (order 10) and SIP+D2U (order 20); a TLS-capable client
reaching sip:alice@example.test takes the TLS server. Later the SIPS record is gone from
the zone, as an attacker editing DNS would make it (the NAPTR TTL is 60 s, the clock
moves 61 s on). RFC 3263 section 7: a client that contacts a domain often SHOULD cache
whether its NAPTR records contain SIPS, and when they cease to appear SHOULD generate
an alert or alarm (it MAY reject the request). The SUT must raise an alarm for the second
request and none for the first; the scenario needs a SUT that reports alarms through
the adapter (sut_config.alarm), else it is not run.]],
}

zone [[
$ORIGIN example.test.
$TTL 60
@          IN NAPTR 10 50 "s" "SIPS+D2T" "" _sips._tcp.example.test.
@          IN NAPTR 20 50 "s" "SIP+D2U"  "" _sip._udp.example.test.
_sips._tcp IN SRV   10 0 5061 tls1.example.test.
_sip._udp  IN SRV   10 0 5060 udp1.example.test.
tls1       IN A     127.0.0.2
udp1       IN A     127.0.0.3
]]

-- The attacker's zone: everything but the SIPS service.
zone_at(30, [[
$ORIGIN example.test.
$TTL 60
@          IN NAPTR 20 50 "s" "SIP+D2U"  "" _sip._udp.example.test.
_sip._udp  IN SRV   10 0 5060 udp1.example.test.
udp1       IN A     127.0.0.3
]], { replace = true })

peer("127.0.0.2:5061/tls", reply(200))
peer("127.0.0.3:5060/udp", reply(200))

local r1 = send{ method = "OPTIONS", uri = "sip:alice@example.test" }
expect_status(r1, 200)
expect_route({ "127.0.0.2:5061/tls" }, { method = "OPTIONS" })
expect_alarm{ none = true, covers = { "SEC-BIDDOWN" } }

advance(61)
local r2 = send{ method = "OPTIONS", uri = "sip:alice@example.test" }
expect_status(r2, "success")
expect_alarm{ after = 30, contains = "example.test", covers = { "SEC-BIDDOWN" } }
