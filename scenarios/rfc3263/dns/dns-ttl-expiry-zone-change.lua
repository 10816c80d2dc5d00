scenario {
  id = "dns-ttl-expiry-zone-change",
  covers = { "DNS-TTL-EXPIRY" },
  role = "client",
  needs = { "udp" },
  summary = [[
All records have TTL 300. The first INVITE resolves example.test to 127.0.0.2. At SUT
time 10 s the zone is replaced (zone_at): the same names now lead to 127.0.0.3. The clock
then jumps 301 s, past every TTL: cached answers may no longer be used, so the second
INVITE must query again and go to the new target.]],
}

zone [[
$ORIGIN example.test.
$TTL 300
@          IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.example.test.
_sip._udp  IN SRV   10 0 5060 sip1.example.test.
sip1       IN A     127.0.0.2
]]

zone_at(10, [[
$ORIGIN example.test.
$TTL 300
@          IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.example.test.
_sip._udp  IN SRV   10 0 5060 sip2.example.test.
sip2       IN A     127.0.0.3
]], { replace = true })

peer("127.0.0.2:5060/udp", reply(200))
peer("127.0.0.3:5060/udp", reply(200))

local r1 = send{ method = "INVITE", uri = "sip:alice@example.test" }
advance(301)
local r2 = send{ method = "INVITE", uri = "sip:alice@example.test" }

expect_status(r1, 200)
expect_status(r2, 200)
expect_route({ "127.0.0.2:5060/udp", "127.0.0.3:5060/udp" }, { method = "INVITE" })
expect_dns({ "NAPTR example.test", "SRV _sip._udp.example.test", "A sip1.example.test",
             "NAPTR example.test", "SRV _sip._udp.example.test", "A sip2.example.test" },
           { mode = "subsequence" })
