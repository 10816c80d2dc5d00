scenario {
  id = "fo-tls-untrusted-expired",
  covers = { "FO-TRANSPORT" },
  role = "client",
  needs = { "tls" },
  summary = [[
A sips: URI; _sips._tcp has three targets of priorities 10, 20 and 30. The first presents
a certificate from a CA the client was not told to trust, the second one that expired a
day ago, both for the right name. Neither TLS handshake can authenticate the server, so
each is a transport failure (RFC 3263 section 4.3) and the client moves on; the third,
valid for the domain, gets the request.]],
}

local zones = use("zones")
zone(zones.naptr_services("example.test", {
  { 10, "SIPS+D2T", { { 10, 0, 5061, "127.0.0.2" }, { 20, 0, 5061, "127.0.0.3" },
                      { 30, 0, 5061, "127.0.0.4" } } },
}))

peer("127.0.0.2:5061/tls", reply(200), { cert = "untrusted" })
peer("127.0.0.3:5061/tls", reply(200), { cert = "expired" })
peer("127.0.0.4:5061/tls", reply(200))

local r = send{ method = "OPTIONS", uri = "sips:alice@example.test" }

expect_status(r, 200)
expect_route({ "127.0.0.4:5061/tls" }, { method = "OPTIONS" })
