scenario {
  id = "no-naptr-sips-srv-name",
  covers = { "TP-NO-NAPTR", "AD-SRV", "TP-SIPS-ONLY" },
  role = "client",
  needs = { "tls" },
  summary = [[
A sips: URI, no NAPTR records, and the TLS service published where RFC 3263 puts it:
_sips._tcp.example.test, leading to 127.0.0.2:5061. Section 4.1: without NAPTR the client
queries SRV with the service identifier "_sips" for a SIPS URI, and TLS runs over TCP, so
the name is _sips._tcp (not _sips._tls, not _sip._tcp: sip-servlets#54, pjsip#4103,
livekit/sip#458). The domain has no A record of its own: a client that asks the wrong
name finds nothing to contact.]],
}

zone [[
$ORIGIN example.test.
$TTL 300
_sips._tcp IN SRV   10 0 5061 tls1.example.test.
tls1       IN A     127.0.0.2
]]

peer("127.0.0.2:5061/tls", reply(200))

local r = send{ method = "INVITE", uri = "sips:alice@example.test" }

expect_status(r, 200, { covers = { "AD-SRV" } })
expect_dns({ "NAPTR example.test", "SRV _sips._tcp.example.test", "A tls1.example.test" },
           { covers = { "TP-NO-NAPTR", "AD-SRV" } })
expect_route({ "127.0.0.2:5061/tls" }, { method = "INVITE", covers = { "TP-SIPS-ONLY", "AD-SRV" } })
