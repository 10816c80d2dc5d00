scenario {
  id = "dns-ttl-expiry-one-hour",
  covers = { "DNS-TTL-EXPIRY" },
  role = "client",
  needs = { "udp" },
  summary = [[
Every record has a TTL of one hour (3600 s). A first call resolves NAPTR, SRV and A.
The SUT clock is moved 3000 s ahead, still within the TTL, and a second call is made;
then 700 s more, past the TTL (3700 s after the answers), and a third call: cached
answers must not be used past their TTL (RFC 1035, RFC 2181 section 8), so the third call
queries NAPTR, SRV and A again. Long TTLs are where stacks that cap or forget expiry
show it; the jumps cost no wall time.]],
}

zone [[
$ORIGIN example.test.
$TTL 3600
@          IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.example.test.
_sip._udp  IN SRV   10 0 5060 sip1.example.test.
sip1       IN A     127.0.0.2
]]

peer("127.0.0.2:5060/udp", reply(200))

local r1 = send{ method = "OPTIONS", uri = "sip:alice@example.test" }
advance(3000)
local r2 = send{ method = "OPTIONS", uri = "sip:alice@example.test" }
advance(700)
local r3 = send{ method = "OPTIONS", uri = "sip:alice@example.test" }

expect_status(r1, 200)
expect_status(r2, 200)
expect_status(r3, 200)
-- The second call may use the cache (DNS-TTL-RESPECT is informational, checked by
-- dns-cache-within-ttl); what matters here is that the last three queries came after
-- the expiry, so a prefix of any length is accepted before them.
expect_dns({ "NAPTR example.test", "SRV _sip._udp.example.test", "A sip1.example.test",
             "NAPTR example.test", "SRV _sip._udp.example.test", "A sip1.example.test" },
           { mode = "subsequence" })
expect_gap{ from = { kind = "request", nth = 3 }, to = { qtype = "NAPTR", nth = -1 },
            min = 0, max = 5, covers = { "DNS-TTL-EXPIRY" } }
