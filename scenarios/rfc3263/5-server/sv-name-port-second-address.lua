scenario {
  id = "sv-name-port-second-address",
  covers = { "SV-NAME-PORT" },
  role = "server",
  needs = { "udp" },
  summary = [[
The client's Via sent-by is a name with a port, client.example.test:5070, whose A
records are 127.0.0.7 and 127.0.0.8. The response to the request's source bounces (the
client is gone), so RFC 3263 section 5 applies: an A query for the name (no SRV, since
the port is given), the first address on port 5070, which is unreachable, then the
second, where the response arrives.]],
}

zone [[
$ORIGIN example.test.
$TTL 300
client          IN A   127.0.0.7
client          IN A   127.0.0.8
_sip._udp.client IN SRV 10 0 5090 backup.example.test.
backup          IN A   127.0.0.9
]]

unreachable("127.0.0.7:5070/udp")
peer("127.0.0.8:5070/udp")
peer("127.0.0.9:5090/udp")

local r = inject{ from = "127.0.0.5:5070/udp", method = "OPTIONS", uri = "sip:server@127.0.0.1",
                  via = "client.example.test:5070", gone = true }

expect_status(r, 200)
expect_dns({ "A client.example.test" })
expect_response_route({ "127.0.0.5:5070/udp", "127.0.0.7:5070/udp", "127.0.0.8:5070/udp" },
                      { status = 200 })
