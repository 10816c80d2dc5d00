scenario {
  id = "sip-uri-keeps-sips-service",
  covers = { "TP-SIP-KEEP-SIPS", "TP-NAPTR-ORDER" },
  role = "client",
  needs = { "tls" },
  summary = [[
A sip: URI (not sips:) whose domain lists SIPS+D2T first (order 10), then SIP+D2T (20) and
SIP+D2U (30), as RFC 3263 section 4.1 recommends for domains offering TLS. The converse of
the SIPS rule holds: a client resolving a SIP URI SHOULD retain the SIPS records when it
supports TLS, so a TLS-capable client follows the lowest order to _sips._tcp and sends the
request over TLS. A client that drops SIPS services for sip: URIs lands on TCP instead.]],
}

local zones = use("zones")
zone(zones.naptr_services("example.test", {
  { 10, "SIPS+D2T", { { 10, 0, 5061, "127.0.0.2" } } },
  { 20, "SIP+D2T",  { { 10, 0, 5060, "127.0.0.3" } } },
  { 30, "SIP+D2U",  { { 10, 0, 5060, "127.0.0.4" } } },
}))

peer("127.0.0.2:5061/tls", reply(200))
peer("127.0.0.3:5060/tcp", reply(200))
peer("127.0.0.4:5060/udp", reply(200))

local r = send{ method = "OPTIONS", uri = "sip:alice@example.test" }

expect_status(r, 200)
expect_dns({ "NAPTR example.test", "SRV _sips._tcp.example.test", "A tls1.example.test" })
expect_route({ "127.0.0.2:5061/tls" })
