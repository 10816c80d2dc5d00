scenario {
  id = "transport-param-udp-skips-naptr",
  covers = { "TP-PARAM", "AD-SRV" },
  role = "client",
  needs = { "udp" },
  summary = [[
The URI says transport=udp. RFC 3263 section 4.1: a transport given in the URI SHOULD
be used, so there is no NAPTR selection; section 4.2 then queries SRV for that
transport at the TARGET itself, _sip._udp.example.test, which leads to 127.0.0.2. The
domain's NAPTR record points UDP to another SRV name (a server at 127.0.0.9) that a
stack ignoring the parameter would follow.]],
}

zone [[
$ORIGIN example.test.
$TTL 300
@          IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.naptr.example.test.
_sip._udp.naptr IN SRV 10 0 5060 sip9.example.test.
_sip._udp  IN SRV   10 0 5060 sip1.example.test.
sip1       IN A     127.0.0.2
sip9       IN A     127.0.0.9
]]

peer("127.0.0.2:5060/udp", reply(200))
peer("127.0.0.9:5060/udp", reply(200))

local r = send{ method = "INVITE", uri = "sip:alice@example.test;transport=udp" }

expect_status(r, 200)
expect_dns({ "SRV _sip._udp.example.test", "A sip1.example.test" })
expect_route({ "127.0.0.2:5060/udp" }, { method = "INVITE" })
