scenario {
  id = "sv-proxy-tcp-closed-new-connection",
  covers = { "SV-NUMERIC" },
  role = "stateless-proxy",
  needs = { "tcp" },
  summary = [[
Section 5 in a stateless proxy. A client at 127.0.0.5 sends an OPTIONS over TCP to the
proxy, Via sent-by 127.0.0.5:5070, and closes its connection with it. The proxy forwards
the request over UDP to sip1, which answers 200 a second later. By then the client's
connection is gone: the proxy, holding no state for the request, must still send the
response per the client's Via (RFC 3261 16.11, 18.2.2), over a new TCP connection to the
numeric sent-by (RFC 3263 section 5), where the client listens.]],
}

local zones = use("zones")
zone(zones.naptr_srv_udp("example.test", { { 10, 0, 5060, "127.0.0.2" } }))

peer("127.0.0.2:5060/udp", reply(200, nil, { delay = 1 }))
peer("127.0.0.5:5070/tcp") -- the client's own listening port

local r = inject{ from = "127.0.0.5:5070/tcp", method = "OPTIONS", uri = "sip:bob@example.test",
                  gone = true }

expect_status(r, 200)
expect_route({ "127.0.0.2:5060/udp" }, { method = "OPTIONS", covers = {} })
expect_response_route({ "127.0.0.5:5070/tcp" }, { status = 200 })
