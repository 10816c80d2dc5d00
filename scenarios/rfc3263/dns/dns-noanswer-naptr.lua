scenario {
  id = "dns-noanswer-naptr",
  covers = { "DNS-SERVFAIL" },
  role = "client",
  needs = { "udp" },
  summary = [[
The fake DNS never answers a NAPTR query (dns_fault "drop"); SRV and A records behind it
work. A client may retry the query, but must end the request in bounded time with a
failure instead of waiting forever, and must not treat silence as "no NAPTR records".]],
}

zone [[
$ORIGIN example.test.
$TTL 300
@          IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.example.test.
_sip._udp  IN SRV   10 0 5060 sip1.example.test.
sip1       IN A     127.0.0.2
]]

dns_fault{ match = { type = "NAPTR" }, action = "drop" }

peer("127.0.0.2:5060/udp", reply(200))

local r = send{ method = "INVITE", uri = "sip:alice@example.test" }

expect_status(r, "failure")
expect_dns({ "NAPTR example.test" })
expect_route({})
