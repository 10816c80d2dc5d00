scenario {
  id = "no-srv-sips-tls-5061",
  covers = { "TP-NO-SRV", "AD-A-FALLBACK", "TP-SIPS-ONLY" },
  role = "client",
  needs = { "tls" },
  summary = [[
A sips: URI whose domain has neither NAPTR nor SRV records, only an A record (127.0.0.2).
RFC 3263 section 4.1: with no SRV records the client SHOULD use TCP for a SIPS URI, which
for SIPS means TLS over TCP, and section 4.2 uses the A record with the default port of
that transport: 5061. Plain SIP servers answer on 5060 over UDP and TCP at the same
address, so a client that falls back to UDP (or to TCP without TLS) is seen doing it.]],
}

zone [[
$ORIGIN example.test.
$TTL 300
@          IN A     127.0.0.2
]]

peer("127.0.0.2:5061/tls", reply(200))
peer("127.0.0.2:5060/udp", reply(200))
peer("127.0.0.2:5060/tcp", reply(200))

local r = send{ method = "INVITE", uri = "sips:alice@example.test" }

expect_status(r, 200, { covers = { "TP-NO-SRV" } })
expect_dns({ "NAPTR example.test", "SRV _sips._tcp.example.test", "A example.test" },
           { covers = { "TP-NO-SRV", "AD-A-FALLBACK" } })
expect_route({ "127.0.0.2:5061/tls" }, { method = "INVITE",
             covers = { "TP-NO-SRV", "AD-A-FALLBACK", "TP-SIPS-ONLY" } })
