scenario {
  id = "ref-mtu-tcp-refused-udp-retry",
  covers = { "TP-MTU" },
  role = "client",
  needs = { "udp", "tcp" },
  summary = [[ref: a 2 kB INVITE where UDP was chosen goes over TCP (RFC 3261 18.1.1); the
TCP connection is refused (RST), so 18.1.1 says retry over UDP, to the same target.]],
}
zone [[
$ORIGIN example.test.
$TTL 300
@          IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.example.test.
_sip._udp  IN SRV   10 0 5060 udp1.example.test.
_sip._udp  IN SRV   20 0 5060 udp2.example.test.
udp1       IN A     127.0.0.2
udp2       IN A     127.0.0.3
]]
peer("127.0.0.2:5060/tcp", tcp_refuse())
peer("127.0.0.2:5060/udp", reply(200))
peer("127.0.0.3:5060/udp", reply(200))
local r = send{ method = "INVITE", uri = "sip:alice@example.test", body = 2000 }
expect_status(r, 200)
expect_route({ "127.0.0.2:5060/udp" }, { method = "INVITE" })
