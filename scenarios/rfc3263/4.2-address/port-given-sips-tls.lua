scenario {
  id = "port-given-sips-tls",
  covers = { "TP-PORT", "AD-PORT-A", "TP-SIPS-ONLY" },
  role = "client",
  needs = { "tls" },
  summary = [[
sips:alice@example.test:5071: a named host with an explicit port and no transport. RFC
3263 section 4.1: the client SHOULD use TCP for a SIPS URI (TLS over TCP); section 4.2:
with a port in the URI it looks up A/AAAA only (no NAPTR, no SRV, though the domain has
both) and uses that port. The NAPTR and SRV records point elsewhere, at a server that
answers too, so a client that uses them is seen doing it.]],
}

local zones = use("zones")
local rr = zones.naptr_services("example.test", {
  { 10, "SIPS+D2T", { { 10, 0, 5061, "127.0.0.3" } } },
})
rr[#rr + 1] = "example.test. 300 IN A 127.0.0.2"
zone(rr)

peer("127.0.0.2:5071/tls", reply(200))
peer("127.0.0.3:5061/tls", reply(200))

local r = send{ method = "INVITE", uri = "sips:alice@example.test:5071" }

expect_status(r, 200, { covers = { "TP-PORT" } })
expect_dns({ "A example.test" }, { covers = { "AD-PORT-A" } })
expect_route({ "127.0.0.2:5071/tls" }, { method = "INVITE",
             covers = { "TP-PORT", "AD-PORT-A", "TP-SIPS-ONLY" } })
