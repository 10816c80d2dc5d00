scenario {
  id = "transport-param-tcp-srv",
  covers = { "TP-PARAM", "AD-SRV" },
  role = "client",
  needs = { "udp", "tcp" },
  summary = [[
The URI says transport=tcp and names no port. RFC 3263 section 4.1: the given transport
SHOULD be used (no NAPTR selection; the domain's NAPTR prefers UDP elsewhere); section
4.2: with no port the client performs an SRV query "for that specific transport",
_sip._tcp.example.test, which leads to 127.0.0.2:5070. The domain's own A record
(127.0.0.9, with TCP and UDP servers on 5060) is what a stack that looks up A/AAAA before
the TCP SRV records reaches instead (linphone-desktop#57).]],
}

zone [[
$ORIGIN example.test.
$TTL 300
@          IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.example.test.
_sip._udp  IN SRV   10 0 5060 udp1.example.test.
_sip._tcp  IN SRV   10 0 5070 tcp1.example.test.
@          IN A     127.0.0.9
udp1       IN A     127.0.0.3
tcp1       IN A     127.0.0.2
]]

peer("127.0.0.2:5070/tcp", reply(200))
peer("127.0.0.3:5060/udp", reply(200))
peer("127.0.0.9:5060/tcp", reply(200))
peer("127.0.0.9:5060/udp", reply(200))

local r = send{ method = "INVITE", uri = "sip:alice@example.test;transport=tcp" }

expect_status(r, 200)
expect_dns({ "SRV _sip._tcp.example.test", "A tcp1.example.test" })
expect_route({ "127.0.0.2:5070/tcp" }, { method = "INVITE" })
