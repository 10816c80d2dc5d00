scenario {
  id = "inject-tcp-stays-same-connection",
  covers = { "SV-NUMERIC" },
  role = "server",
  needs = { "tcp" },
  summary = [[
The control of sv-tcp-closed-new-connection: a TCP client that stays gets its response on
the connection its request came on (RFC 3261 18.2.2), ACKs it there, and its next
request reuses that connection; nothing goes to its listening port.]],
}

peer("127.0.0.5:5070/tcp")

local r = inject{ from = "127.0.0.5:5070/tcp", method = "INVITE", uri = "sip:server@127.0.0.1",
                  headers = { ["X-Siploc-Reply"] = 486 } }
expect_status(r, 486)
local r2 = inject{ from = "127.0.0.5:5070/tcp", method = "OPTIONS", uri = "sip:server@127.0.0.1" }
expect_status(r2, 200)
expect_response_route({ r.source, r.source }, { covers = {} })
