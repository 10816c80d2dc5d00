scenario {
  id = "naptr-unsupported-services-skipped",
  covers = { "TP-UNSUPPORTED" },
  role = "client",
  needs = { "udp" },
  summary = [[
The most preferred NAPTR records offer SIP over SCTP (SIP+D2S) and a service that is
not SIP at all (E2U+sip, an ENUM service); only the third is SIP+D2U. RFC 3263 section
4.1: a client discards services whose resolution service is not D2X for a transport
it supports. Without SCTP, the client must skip both and use SIP+D2U, reaching
127.0.0.2; a stack that follows the others reaches 127.0.0.9.]],
}

zone [[
$ORIGIN example.test.
$TTL 300
@          IN NAPTR 10 50 "s" "SIP+D2S" "" _sip._sctp.example.test.
@          IN NAPTR 15 50 "s" "E2U+sip" "" _sip._enum.example.test.
@          IN NAPTR 20 50 "s" "SIP+D2U" "" _sip._udp.example.test.
_sip._sctp IN SRV   10 0 5060 sip9.example.test.
_sip._enum IN SRV   10 0 5060 sip9.example.test.
_sip._udp  IN SRV   10 0 5060 sip1.example.test.
sip1       IN A     127.0.0.2
sip9       IN A     127.0.0.9
]]

peer("127.0.0.2:5060/udp", reply(200))
peer("127.0.0.9:5060/udp", reply(200))

local r = send{ method = "INVITE", uri = "sip:alice@example.test" }

expect_status(r, 200)
expect_dns({ "NAPTR example.test", "SRV _sip._udp.example.test", "A sip1.example.test" })
expect_route({ "127.0.0.2:5060/udp" }, { method = "INVITE" })
