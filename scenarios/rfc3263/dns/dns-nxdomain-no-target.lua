scenario {
  id = "dns-nxdomain-no-target",
  covers = { "DNS-NODATA-VS-NX", "FO-EXHAUST" },
  role = "client",
  needs = { "udp" },
  summary = [[
The domain nowhere.test does not exist: every query gets NXDOMAIN. RFC 3263 section
4.1: NXDOMAIN for NAPTR means no NAPTR records, so the client goes on with SRV, then
(section 4.2) with the A record; all three fail, the list of servers is empty and the
client must report that no target exists. Reporting a 503 instead (pjsip#870) makes
an upstream element retry elsewhere as if a server had been overloaded.]],
}

zone [[
$ORIGIN example.test.
$TTL 300
@          IN A     127.0.0.9
]]

peer("127.0.0.9:5060/udp", reply(200))

local r = send{ method = "INVITE", uri = "sip:alice@nowhere.test" }

expect_status(r, "no-target", { covers = { "FO-EXHAUST" } })
expect_dns({ "NAPTR nowhere.test", "SRV _sip._udp.nowhere.test", "A nowhere.test" },
           { mode = "subsequence", covers = { "DNS-NODATA-VS-NX" } })
expect_route({})
