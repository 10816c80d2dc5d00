scenario {
  id = "sv-numeric-default-port",
  covers = { "SV-NUMERIC" },
  role = "server",
  needs = { "udp" },
  summary = [[
The client's Via sent-by is a numeric address without a port (127.0.0.6), the request
comes from 127.0.0.5:5070 and the client is gone at once. The response first goes to the
source address on the transport's default port (RFC 3261 18.2.2: received, port 5060 as
the sent-by has none) and bounces; RFC 3263 section 5 then sends it to the sent-by
address on the default port for UDP, 5060.]],
}

unreachable("127.0.0.5:5060/udp") -- the source address on the default port: nobody there
peer("127.0.0.6:5060/udp")

local r = inject{ from = "127.0.0.5:5070/udp", method = "OPTIONS", uri = "sip:server@127.0.0.1",
                  via = "127.0.0.6", gone = true }

expect_status(r, 200)
expect_response_route({ "127.0.0.5:5060/udp", "127.0.0.6:5060/udp" }, { status = 200 })
