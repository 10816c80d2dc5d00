scenario {
  id = "sv-tls-numeric-sentby",
  covers = { "SV-NUMERIC" },
  role = "server",
  needs = { "tls" },
  summary = [[
A client at 127.0.0.5 sends an OPTIONS over TLS to the server (127.0.0.1:5061) with the
Via "SIP/2.0/TLS 127.0.0.6:5071" and closes the connection with the request (close_notify
and FIN in the same segment). The connection is gone, so the response needs a new one:
first to the source address on the sent-by port (RFC 3261 18.2.2, received), where
nothing listens; then RFC 3263 section 5 on the numeric sent-by: "The transport protocol
in the Via header can indicate TLS, which refers to TLS over TCP. When this value is
present, the server MUST use TLS over TCP to send the response", to 127.0.0.6:5071, whose
certificate names that address. Plain TCP there would reach a TLS server and fail.]],
}

peer("127.0.0.6:5071/tls") -- the client's other address, TLS

local r = inject{ from = "127.0.0.5:5071/tls", method = "OPTIONS", uri = "sip:server@127.0.0.1",
                  via = "127.0.0.6:5071", gone = true }

expect_status(r, 200)
expect_response_route({ "127.0.0.6:5071/tls" }, { status = 200 })
expect_dns({})
