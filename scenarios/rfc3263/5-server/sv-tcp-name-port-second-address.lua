scenario {
  id = "sv-tcp-name-port-second-address",
  covers = { "SV-NAME-PORT" },
  role = "server",
  needs = { "tcp" },
  summary = [[
The TCP shape of sv-name-port-second-address. The client's Via sent-by is a name with a
port, client.example.test:5070 (A records 127.0.0.7 and 127.0.0.8); it sends an OPTIONS
over TCP from 127.0.0.5 and closes the connection with it. The new connection to the
source address on the sent-by port (RFC 3261 18.2.2) is refused; RFC 3263 section 5 then
queries A (no SRV: the port is given) and "tries to send the response to each element on
the resulting list of IP addresses, using the port from the Via, and the transport
protocol from the Via": 127.0.0.7 refuses the connection, 127.0.0.8 takes it. Refused
connections carry no message, so the response is seen only where it arrives.]],
}

zone [[
$ORIGIN example.test.
$TTL 300
client            IN A   127.0.0.7
client            IN A   127.0.0.8
_sip._tcp.client  IN SRV 10 0 5090 backup.example.test.
backup            IN A   127.0.0.9
]]

unreachable("127.0.0.7:5070/tcp")
peer("127.0.0.8:5070/tcp")
peer("127.0.0.9:5090/tcp") -- SRV is for a sent-by without a port

local r = inject{ from = "127.0.0.5:5070/tcp", method = "OPTIONS", uri = "sip:server@127.0.0.1",
                  via = "client.example.test:5070", gone = true }

expect_status(r, 200)
expect_dns({ "A client.example.test" })
expect_response_route({ "127.0.0.8:5070/tcp" }, { status = 200 })
