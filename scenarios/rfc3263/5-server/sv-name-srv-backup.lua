scenario {
  id = "sv-name-srv-backup",
  covers = { "SV-NAME-SRV" },
  role = "server",
  needs = { "udp" },
  summary = [[
The client's Via sent-by is a name without a port, client.example.test, and the
transport is UDP. When the response to the request's source fails (the client is gone),
RFC 3263 section 5 looks up SRV _sip._udp.client.example.test and follows RFC 2782
order: the priority 10 target (port 5070) is unreachable, so the response goes to the
priority 20 backup on its SRV port 5080. The name also has an A record on 5060: a server
that used A instead of SRV would send the response there.]],
}

zone [[
$ORIGIN example.test.
$TTL 300
_sip._udp.client IN SRV 10 0 5070 c1.example.test.
_sip._udp.client IN SRV 20 0 5080 c2.example.test.
client          IN A   127.0.0.9
c1              IN A   127.0.0.7
c2              IN A   127.0.0.8
]]

unreachable("127.0.0.5:5060/udp") -- the source address on the default port: nobody there
unreachable("127.0.0.7:5070/udp")
peer("127.0.0.8:5080/udp")
peer("127.0.0.9:5060/udp")

local r = inject{ from = "127.0.0.5:5070/udp", method = "INVITE", uri = "sip:server@127.0.0.1",
                  via = "client.example.test", gone = true,
                  headers = { ["X-Siploc-Reply"] = 486 } }

expect_status(r, 486)
expect_dns({ "SRV _sip._udp.client.example.test", "A c1.example.test", "A c2.example.test" })
expect_response_route({ "127.0.0.5:5060/udp", "127.0.0.7:5070/udp", "127.0.0.8:5080/udp" },
                      { status = 486 })
