scenario {
  id = "dns-nxdomain-naptr-srv-fallback",
  covers = { "DNS-NODATA-VS-NX", "TP-NO-NAPTR" },
  role = "client",
  needs = { "udp" },
  summary = [[
The NAPTR query for example.test is answered NXDOMAIN (a dns_fault, with the zone's SOA
in the authority section as RFC 2308 asks), while SRV records exist at
_sip._udp.example.test. The companion of no-naptr-srv-fallback (NODATA): RFC 3263
section 4.1 treats both negative answers alike, "no NAPTR records", so the client must
query SRV and reach 127.0.0.2, not give up.]],
}

zone [[
$ORIGIN example.test.
$TTL 300
@          IN SOA   ns1 hostmaster 1 3600 600 86400 60
_sip._udp  IN SRV   10 0 5060 sip1.example.test.
sip1       IN A     127.0.0.2
]]

dns_fault{ match = { type = "NAPTR" }, action = "nxdomain" }

peer("127.0.0.2:5060/udp", reply(200))

local r = send{ method = "INVITE", uri = "sip:alice@example.test" }

expect_status(r, 200)
expect_dns({ "NAPTR example.test", "SRV _sip._udp.example.test" }, { mode = "prefix" })
expect_route({ "127.0.0.2:5060/udp" }, { method = "INVITE" })
