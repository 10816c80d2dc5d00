scenario {
  id = "numeric-sips-tls-5061",
  covers = { "TP-NUMERIC", "AD-NUMERIC", "TP-SIPS-ONLY" },
  role = "client",
  needs = { "tls" },
  summary = [[
sips:alice@127.0.0.2: a numeric host, no port, no transport parameter. RFC 3263 section
4.1: the client SHOULD use TCP for a SIPS URI (TLS over TCP), and section 4.2 uses the
address itself with the default port of the transport, 5061, with no DNS query at all.
The server's certificate names the address (an iPAddress entry). Plain servers on 5060
see whether anything went unencrypted.]],
}

peer("127.0.0.2:5061/tls", reply(200))
peer("127.0.0.2:5060/udp", reply(200))
peer("127.0.0.2:5060/tcp", reply(200))

local r = send{ method = "INVITE", uri = "sips:alice@127.0.0.2" }

expect_status(r, 200, { covers = { "TP-NUMERIC" } })
expect_dns({}, { covers = { "TP-NUMERIC", "AD-NUMERIC" } })
expect_route({ "127.0.0.2:5061/tls" }, { method = "INVITE",
             covers = { "TP-NUMERIC", "AD-NUMERIC", "TP-SIPS-ONLY" } })
