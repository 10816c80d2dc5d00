scenario {
  id = "dns-ttl-expiry-requery",
  covers = { "DNS-TTL-EXPIRY" },
  role = "client",
  needs = { "udp" },
  summary = [[
Every record has a TTL of 300 s. A first call resolves NAPTR, SRV and A. The SUT clock
is then moved 400 s ahead, past every TTL, and a second call is made: cached answers
must not be used past their TTL (RFC 1035, RFC 2181 section 8), so the client must
query NAPTR, SRV and A again. (The zone stays the same here; a run where the records
change after expiry needs zone_at.)]],
}

zone [[
$ORIGIN example.test.
$TTL 300
@          IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.example.test.
_sip._udp  IN SRV   10 0 5060 sip1.example.test.
sip1       IN A     127.0.0.2
]]

peer("127.0.0.2:5060/udp", reply(200))

local r1 = send{ method = "OPTIONS", uri = "sip:alice@example.test" }
advance(400)
local r2 = send{ method = "OPTIONS", uri = "sip:alice@example.test" }

expect_status(r1, 200)
expect_status(r2, 200)
expect_dns({ "NAPTR example.test", "SRV _sip._udp.example.test", "A sip1.example.test",
             "NAPTR example.test", "SRV _sip._udp.example.test", "A sip1.example.test" })
