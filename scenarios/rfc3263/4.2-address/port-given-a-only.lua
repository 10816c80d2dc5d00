scenario {
  id = "port-given-a-only",
  covers = { "AD-PORT-A", "TP-PORT" },
  role = "client",
  needs = { "udp" },
  summary = [[
The URI names a host with an explicit port (sip:alice@example.test:5070) while the
domain also publishes NAPTR and SRV records pointing elsewhere. RFC 3263 section 4.1
picks UDP for a sip: URI with a port, and section 4.2 (a change from RFC 2543) looks up
only the A/AAAA records of the host and uses the URI's port: no NAPTR, no SRV query.
The INVITE must reach 127.0.0.2:5070.]],
}

zone [[
$ORIGIN example.test.
$TTL 300
@          IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.example.test.
_sip._udp  IN SRV   10 0 5080 sip1.example.test.
@          IN A     127.0.0.2
sip1       IN A     127.0.0.3
]]

peer("127.0.0.2:5070/udp", reply(200))
peer("127.0.0.3:5080/udp", reply(200))

local r = send{ method = "INVITE", uri = "sip:alice@example.test:5070" }

expect_status(r, 200)
expect_dns({ "A example.test" }, { covers = { "AD-PORT-A" } })
expect_route({ "127.0.0.2:5070/udp" }, { method = "INVITE", covers = { "AD-PORT-A", "TP-PORT" } })
