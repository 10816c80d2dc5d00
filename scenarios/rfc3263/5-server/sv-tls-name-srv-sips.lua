scenario {
  id = "sv-tls-name-srv-sips",
  covers = { "SV-NAME-SRV" },
  role = "server",
  needs = { "tls" },
  summary = [[
The Via is "SIP/2.0/TLS client.example.test": a name without a port, over TLS. The
client sends an INVITE over TLS and closes the connection with it (close_notify and FIN
with the request); the new connection to the source address on the TLS default port,
5061, is refused. RFC 3263 section 5: "the server queries for SRV records at that domain
name using the service identifier _sips if the Via transport is TLS ... (TLS implies that
the transport protocol in the SRV query is TCP)": _sips._tcp.client.example.test. Its
priority 10 target aborts the TLS handshake, a transport failure, so the response goes
to the priority 20 target over TLS, whose certificate names client.example.test. A
server that asked _sip._tcp (or _sips._tls) would reach a decoy, or nothing.]],
}

zone [[
$ORIGIN example.test.
$TTL 300
_sips._tcp.client IN SRV 10 0 5071 c1.example.test.
_sips._tcp.client IN SRV 20 0 5081 c2.example.test.
_sip._tcp.client  IN SRV 10 0 5090 decoy.example.test.
c1                IN A   127.0.0.7
c2                IN A   127.0.0.8
decoy             IN A   127.0.0.9
]]

peer("127.0.0.7:5071/tls", nil, { handshake = "abort" })
peer("127.0.0.8:5081/tls")
peer("127.0.0.9:5090/tcp")

local r = inject{ from = "127.0.0.5:5071/tls", method = "INVITE", uri = "sip:server@127.0.0.1",
                  via = "client.example.test", gone = true,
                  headers = { ["X-Siploc-Reply"] = 486 } }

expect_status(r, 486)
expect_dns({ "SRV _sips._tcp.client.example.test", "A c1.example.test", "A c2.example.test" })
expect_response_route({ "127.0.0.8:5081/tls" }, { status = 486 })
