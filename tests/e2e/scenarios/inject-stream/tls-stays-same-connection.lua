scenario {
  id = "inject-tls-stays-same-connection",
  covers = { "SV-NUMERIC" },
  role = "server",
  needs = { "tls" },
  summary = [[
The same over TLS: the server (127.0.0.1:5061, its own certificate from the scenario's
CA) answers on the TLS connection the request came on.]],
}

local r = inject{ from = "127.0.0.5:5071/tls", method = "OPTIONS", uri = "sip:server@127.0.0.1" }
expect_status(r, 200)
expect_response_route({ r.source }, { covers = {} })
