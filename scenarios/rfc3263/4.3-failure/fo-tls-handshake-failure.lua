scenario {
  id = "fo-tls-handshake-failure",
  covers = { "FO-TRANSPORT", "TP-SIPS-ONLY" },
  role = "client",
  needs = { "tls" },
  summary = [[
A sips: URI; _sips._tcp has two targets of priority 10 and 20. The first accepts the TCP
connection but aborts the TLS handshake (a handshake_failure alert at the ClientHello).
No secure connection means no way to send a sips: request there: a transport failure
(RFC 3263 section 4.3), so the client tries the next target, over TLS again, and never
sends the request in the clear to the server that refused TLS.]],
}

local zones = use("zones")
zone(zones.naptr_services("example.test", {
  { 10, "SIPS+D2T", { { 10, 0, 5061, "127.0.0.2" }, { 20, 0, 5061, "127.0.0.3" } } },
}))

peer("127.0.0.2:5061/tls", reply(200), { handshake = "abort" })
peer("127.0.0.3:5061/tls", reply(200))

local r = send{ method = "INVITE", uri = "sips:alice@example.test" }

expect_status(r, 200, { covers = { "FO-TRANSPORT" } })
expect_route({ "127.0.0.3:5061/tls" }, { method = "INVITE",
             covers = { "FO-TRANSPORT", "TP-SIPS-ONLY" } })
-- Not waiting for timer B is the point, not speed: a connection (and a TLS handshake)
-- costs real CPU time that the clock rate multiplies, so the bound is half of timer B.
expect_gap{ from = { qtype = "A", qname = "tls1.example.test" },
            to = { method = "INVITE", at = "127.0.0.3:5061/tls" },
            min = 0, max = timer_b() / 2, covers = { "FO-TRANSPORT" } }
