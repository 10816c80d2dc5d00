scenario {
  id = "fo-exhaust-next-request-fresh",
  covers = { "FO-EXHAUST" },
  role = "client",
  needs = { "udp" },
  summary = [[
The domain has one SRV target; it answers INVITE with 503 (no Retry-After) and OPTIONS
with 200. The INVITE exhausts its list and fails: RFC 3263 section 4.3 reports that
failure for that transaction only. The OPTIONS that follows is a new transaction with
its own list, so it must reach the server and succeed. A stack that shares failover
state between requests (kamailio#4911) has nothing left to try.]],
}

zone [[
$ORIGIN example.test.
$TTL 300
@          IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.example.test.
_sip._udp  IN SRV   10 0 5060 sip1.example.test.
sip1       IN A     127.0.0.2
]]

peer("127.0.0.2:5060/udp", { INVITE = reply(503), default = reply(200) })

local r1 = send{ method = "INVITE", uri = "sip:alice@example.test" }
local r2 = send{ method = "OPTIONS", uri = "sip:alice@example.test" }

expect_status(r1, 503)
expect_status(r2, 200)
expect_route({ "127.0.0.2:5060/udp", "127.0.0.2:5060/udp" })
