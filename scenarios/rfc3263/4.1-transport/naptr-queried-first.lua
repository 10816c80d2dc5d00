scenario {
  id = "naptr-queried-first",
  covers = { "TP-NAPTR" },
  role = "client",
  needs = { "udp" },
  summary = [[
A name without port or transport: RFC 3263 section 4.1 says the client performs a
NAPTR query for the domain first. Here the NAPTR record prefers UDP at
_sip._udp.naptr.example.test (127.0.0.2), while the SRV records at the domain itself,
kept for RFC 2543 clients, lead to 127.0.0.9. The first query must be NAPTR and the
INVITE must follow it to 127.0.0.2.]],
}

zone [[
$ORIGIN example.test.
$TTL 300
@          IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.naptr.example.test.
_sip._udp.naptr IN SRV 10 0 5060 sip1.example.test.
_sip._udp  IN SRV   10 0 5060 sip9.example.test.
sip1       IN A     127.0.0.2
sip9       IN A     127.0.0.9
]]

peer("127.0.0.2:5060/udp", reply(200))
peer("127.0.0.9:5060/udp", reply(200))

local r = send{ method = "INVITE", uri = "sip:alice@example.test" }

expect_status(r, 200)
expect_dns({ "NAPTR example.test" }, { mode = "prefix" })
expect_route({ "127.0.0.2:5060/udp" }, { method = "INVITE" })
