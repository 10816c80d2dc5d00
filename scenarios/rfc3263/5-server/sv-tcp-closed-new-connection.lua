scenario {
  id = "sv-tcp-closed-new-connection",
  covers = { "SV-NUMERIC" },
  role = "server",
  needs = { "tcp" },
  summary = [[
SV-NUMERIC's main case. A client at 127.0.0.5 connects over TCP (from an ephemeral port,
as SIP clients do), sends an INVITE whose Via sent-by is its numeric address and
listening port, 127.0.0.5:5070, and closes the connection at once: the FIN travels in
the segment that carries the request. RFC 3261 18.2.2 would send the response on that
connection, but RFC 3263 section 5 counts "any closure of the transport connection the
request came in on before the response can be sent" as a failure: the server must open a
new connection to the numeric sent-by, on its port, over the Via's transport (TCP), where
the client listens. A server that answers only on the original connection loses the
response.]],
}

peer("127.0.0.5:5070/tcp") -- the client's own listening port

local r = inject{ from = "127.0.0.5:5070/tcp", method = "INVITE", uri = "sip:server@127.0.0.1",
                  gone = true, headers = { ["X-Siploc-Reply"] = 486 } }

expect_status(r, 486)
-- Nothing on the closed connection (r.source): it would show here as an attempt.
expect_response_route({ "127.0.0.5:5070/tcp" }, { status = 486 })
expect_dns({})
