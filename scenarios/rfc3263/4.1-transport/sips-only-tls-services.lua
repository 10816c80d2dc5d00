scenario {
  id = "sips-only-tls-services",
  covers = { "TP-SIPS-ONLY", "TP-NAPTR-ORDER" },
  role = "client",
  needs = { "tls" },
  summary = [[
A sips: URI whose domain offers SIP+D2U first (order 10), SIP+D2T next (20) and SIPS+D2T
last (30), each service with its own server, all of them answering. RFC 3263 section 4.1:
a client resolving a SIPS URI MUST discard every service that does not contain "SIPS",
so whatever the order says, only _sips._tcp is looked up and the request goes over TLS
to the SIPS server. Nothing may reach the plain UDP or TCP servers: sips: never travels
unencrypted.]],
}

local zones = use("zones")
zone(zones.naptr_services("example.test", {
  { 10, "SIP+D2U",  { { 10, 0, 5060, "127.0.0.2" } } },
  { 20, "SIP+D2T",  { { 10, 0, 5060, "127.0.0.3" } } },
  { 30, "SIPS+D2T", { { 10, 0, 5061, "127.0.0.4" } } },
}))

peer("127.0.0.2:5060/udp", reply(200))
peer("127.0.0.3:5060/tcp", reply(200))
peer("127.0.0.4:5061/tls", reply(200))

local r = send{ method = "INVITE", uri = "sips:alice@example.test" }

expect_status(r, 200, { covers = { "TP-SIPS-ONLY" } })
expect_dns({ "NAPTR example.test", "SRV _sips._tcp.example.test", "A tls1.example.test" },
           { covers = { "TP-SIPS-ONLY", "TP-NAPTR-ORDER" } })
-- Every request of the transaction (INVITE and ACK) over TLS at the SIPS server only.
expect_route({ "127.0.0.4:5061/tls" }, { covers = { "TP-SIPS-ONLY" } })
expect_route({ "127.0.0.4:5061/tls" }, { method = "ACK", covers = { "TP-SIPS-ONLY" } })
