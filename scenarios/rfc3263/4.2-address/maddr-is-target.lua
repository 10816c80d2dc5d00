scenario {
  id = "maddr-is-target",
  covers = { "TARGET-MADDR", "TXN-URI" },
  role = "client",
  needs = { "udp" },
  summary = [[
The URI sip:alice@example.test;maddr=other.test carries a maddr parameter. RFC 3263
section 4 defines TARGET as the maddr value when present, so every lookup is about
other.test (NAPTR, SRV, A) and none about example.test, although both domains publish
records. The request goes to other.test's server with the Request-URI unchanged,
maddr included.]],
}

zone [[
$ORIGIN example.test.
$TTL 300
@          IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.example.test.
_sip._udp  IN SRV   10 0 5060 sip1.example.test.
sip1       IN A     127.0.0.2
]]

zone [[
$ORIGIN other.test.
$TTL 300
@          IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.other.test.
_sip._udp  IN SRV   10 0 5060 proxy.other.test.
proxy      IN A     127.0.0.3
]]

peer("127.0.0.2:5060/udp", reply(200))
peer("127.0.0.3:5060/udp", reply(200))

local r = send{ method = "INVITE", uri = "sip:alice@example.test;maddr=other.test" }

expect_status(r, 200)
expect_dns({ "NAPTR other.test", "SRV _sip._udp.other.test", "A proxy.other.test" },
           { covers = { "TARGET-MADDR" } })
expect_route({ "127.0.0.3:5060/udp" }, { method = "INVITE", covers = { "TARGET-MADDR" } })
