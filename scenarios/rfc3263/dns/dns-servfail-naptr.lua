scenario {
  id = "dns-servfail-naptr",
  covers = { "DNS-SERVFAIL", "DNS-NODATA-VS-NX" },
  role = "client",
  needs = { "udp" },
  summary = [[
Every NAPTR query for example.test is answered SERVFAIL by the fake DNS (dns_fault). The
zone has working SRV and A records behind it, so a client that mistook SERVFAIL for "no
NAPTR records" would fall back to SRV and reach the peer, which answers 200. SERVFAIL is
not an answer: the client must end the request in bounded time with a failure (a DNS
error), and send no SIP request anywhere.]],
}

zone [[
$ORIGIN example.test.
$TTL 300
@          IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.example.test.
_sip._udp  IN SRV   10 0 5060 sip1.example.test.
sip1       IN A     127.0.0.2
]]

dns_fault{ match = { name = "example.test", type = "NAPTR" }, action = "servfail" }

peer("127.0.0.2:5060/udp", reply(200))

local r = send{ method = "INVITE", uri = "sip:alice@example.test" }

for _, q in ipairs(dns_queries()) do
  log(string.format("dns %.3f %s %s %s rcode=%d fault=%s", q.t, q.transport, q.type,
                    q.name, q.rcode, q.fault or "-"))
end

expect_status(r, "failure", { covers = { "DNS-SERVFAIL" } })
expect_dns({ "NAPTR example.test" }, { mode = "prefix", covers = { "DNS-SERVFAIL" } })
expect_route({}, { covers = { "DNS-NODATA-VS-NX" } })
