scenario {
  id = "sv-numeric-sentby-port",
  covers = { "SV-NUMERIC" },
  role = "server",
  needs = { "udp" },
  summary = [[
A client at 127.0.0.5:5070 sends an OPTIONS over UDP whose Via sent-by is another
numeric address with a port, 127.0.0.6:5070, and is gone right after sending. RFC 3261
18.2.2 sends the response to the source address (the received parameter) on the sent-by
port: that fails with ICMP port unreachable, a fatal transport error. RFC 3263 section 5
then sends it to the numeric sent-by itself, on its port, over the Via's transport (UDP),
where the client's other address gets it.]],
}

peer("127.0.0.6:5070/udp")

local r = inject{ from = "127.0.0.5:5070/udp", method = "OPTIONS", uri = "sip:server@127.0.0.1",
                  via = "127.0.0.6:5070", gone = true }

expect_status(r, 200)
expect_response_route({ "127.0.0.5:5070/udp", "127.0.0.6:5070/udp" }, { status = 200 })
expect_dns({})
