scenario {
  id = "sv-tcp-name-srv-backup",
  covers = { "SV-NAME-SRV" },
  role = "server",
  needs = { "tcp" },
  summary = [[
The TCP shape of sv-name-srv-backup. The Via is "SIP/2.0/TCP client.example.test": a
name without a port. The client sends an INVITE over TCP and closes the connection with
it; the new connection to the source address on the default port (RFC 3261 18.2.2) is
refused. RFC 3263 section 5 queries SRV with "_sip" and "the transport from the topmost
Via header": _sip._tcp.client.example.test, in RFC 2782 order. The priority 10 target
refuses the connection (its A query shows it was tried), the priority 20 backup gets the
response on its SRV port. The _sip._udp records and the name's own A record lead to
decoys.]],
}

zone [[
$ORIGIN example.test.
$TTL 300
_sip._tcp.client IN SRV 10 0 5070 c1.example.test.
_sip._tcp.client IN SRV 20 0 5080 c2.example.test.
_sip._udp.client IN SRV 10 0 5090 decoy.example.test.
client          IN A   127.0.0.9
c1              IN A   127.0.0.7
c2              IN A   127.0.0.8
decoy           IN A   127.0.0.9
]]

unreachable("127.0.0.7:5070/tcp")
peer("127.0.0.8:5080/tcp")
peer("127.0.0.9:5060/tcp")
peer("127.0.0.9:5090/tcp")

local r = inject{ from = "127.0.0.5:5070/tcp", method = "INVITE", uri = "sip:server@127.0.0.1",
                  via = "client.example.test", gone = true,
                  headers = { ["X-Siploc-Reply"] = 486 } }

expect_status(r, 486)
expect_dns({ "SRV _sip._tcp.client.example.test", "A c1.example.test", "A c2.example.test" })
expect_response_route({ "127.0.0.8:5080/tcp" }, { status = 486 })
