scenario {
  id = "no-naptr-srv-fallback",
  covers = { "TP-NO-NAPTR", "DNS-NODATA-VS-NX" },
  role = "client",
  needs = { "udp" },
  summary = [[
The domain exists but has no NAPTR records (the NAPTR answer is NODATA); it has SRV
records at _sip._udp.example.test leading to 127.0.0.2, and an A record of its own
(127.0.0.9). RFC 3263 section 4.1: with no NAPTR records the client queries SRV for
each transport it supports, and uses a transport whose query succeeds. The client
must ask SRV and follow it, not stop and not jump to the domain's A record.]],
}

zone [[
$ORIGIN example.test.
$TTL 300
_sip._udp  IN SRV   10 0 5060 sip1.example.test.
@          IN A     127.0.0.9
sip1       IN A     127.0.0.2
]]

peer("127.0.0.2:5060/udp", reply(200))
peer("127.0.0.9:5060/udp", reply(200))

local r = send{ method = "INVITE", uri = "sip:alice@example.test" }

expect_status(r, 200, { covers = { "DNS-NODATA-VS-NX" } })
expect_dns({ "NAPTR example.test", "SRV _sip._udp.example.test" }, { mode = "subsequence" })
expect_route({ "127.0.0.2:5060/udp" }, { method = "INVITE" })
