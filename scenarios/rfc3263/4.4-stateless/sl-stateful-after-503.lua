scenario {
  id = "sl-stateful-after-503",
  covers = { "SL-STATEFUL-AFTER-FAIL" },
  role = "stateless-proxy",
  needs = { "udp" },
  summary = [[
The same farm as sl-stateful-after-icmp, but sip1 answers the forwarded OPTIONS with 503
Service Unavailable. The proxy must try sip2 instead (RFC 3263 4.3) and, having failed to
contact its first server, keep state for the transaction (4.4): sip2 answers 100 Trying
and then 200 after 3 s, and none of the client's retransmissions in between may go back
to sip1.]],
}

local zones = use("zones")
zone(zones.naptr_srv_udp("example.test", { { 10, 0, 5060, "127.0.0.2" },
                                           { 20, 0, 5060, "127.0.0.3" } }))

peer("127.0.0.2:5060/udp", reply(503))
peer("127.0.0.3:5060/udp", { provisional(100), reply(200, nil, { delay = 3 }) })

local r = inject{ from = "127.0.0.5:5070/udp", method = "OPTIONS", uri = "sip:bob@example.test",
                  retransmit = { count = 12, interval = 0.2 } }

expect_status(r, 200)
expect_one_server{ method = "OPTIONS", after = "answer" }
expect_route({ "127.0.0.2:5060/udp", "127.0.0.3:5060/udp" }, { method = "OPTIONS" })
