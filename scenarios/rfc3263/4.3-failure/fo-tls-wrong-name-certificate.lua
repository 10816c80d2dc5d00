scenario {
  id = "fo-tls-wrong-name-certificate",
  covers = { "FO-TRANSPORT", "TP-SIPS-ONLY" },
  role = "client",
  needs = { "tls" },
  summary = [[
A sips: URI for example.test; _sips._tcp has two targets of priority 10 and 20. Both
certificates chain to the trusted CA, but the first names only wrong-name.invalid, not
the SIP domain. RFC 5922 (section 7.2, updating RFC 3261 26.3.1): the client must check
that the certificate names the domain it resolved; a certificate for another name is no
proof of identity, so the connection fails (a transport failure, RFC 3263 section 4.3)
and the request goes to the next target. A client that skips the name check talks SIP
to the impostor.]],
}

local zones = use("zones")
zone(zones.naptr_services("example.test", {
  { 10, "SIPS+D2T", { { 10, 0, 5061, "127.0.0.2" }, { 20, 0, 5061, "127.0.0.3" } } },
}))

peer("127.0.0.2:5061/tls", reply(200), { cert = "wrong-name" })
peer("127.0.0.3:5061/tls", reply(200))

local r = send{ method = "INVITE", uri = "sips:alice@example.test" }

expect_status(r, 200, { covers = { "FO-TRANSPORT" } })
expect_route({ "127.0.0.3:5061/tls" }, { method = "INVITE",
             covers = { "FO-TRANSPORT", "TP-SIPS-ONLY" } })
