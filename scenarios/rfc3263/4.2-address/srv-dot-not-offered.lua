scenario {
  id = "srv-dot-not-offered",
  covers = { "SRV-DOT" },
  role = "client",
  needs = { "udp" },
  summary = [[
The NAPTR record leads to _sip._udp.example.test, whose only SRV record has the target
"." : RFC 2782 says the service is decidedly not available at this domain. The client
must report that no target exists, without looking up an address for "." and without
sending any SIP request (the domain's A record, 127.0.0.2, must not be used either).]],
}

zone [[
$ORIGIN example.test.
$TTL 300
@          IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.example.test.
_sip._udp  IN SRV   0 0 0 .
@          IN A     127.0.0.2
]]

peer("127.0.0.2:5060/udp", reply(200))

local r = send{ method = "INVITE", uri = "sip:alice@example.test" }

expect_status(r, "no-target")
expect_dns({ "NAPTR example.test", "SRV _sip._udp.example.test" })
expect_route({})
