scenario {
  id = "txn-cancel-after-failover",
  covers = { "TXN-CANCEL", "FO-503" },
  role = "client",
  needs = { "udp", "cancel" },
  summary = [[
Two SRV targets of priority 10 and 20. The first answers the INVITE with 503, so the
client fails over to the second, which rings (180) and holds. When the ringing arrives
the caller hangs up: the client cancels. RFC 3263 section 4.4 (and RFC 3261 9.1): the
CANCEL MUST go to the same server as the INVITE it cancels, the one that rang, not the
first element of the list resolved again. That server answers the CANCEL and ends the
INVITE with 487, which the client ACKs there too.]],
}

local zones = use("zones")
zone(zones.naptr_srv_udp("example.test", { { 10, 0, 5060, "127.0.0.2" },
                                           { 20, 0, 5060, "127.0.0.3" } }))

peer("127.0.0.2:5060/udp", reply(503))
peer("127.0.0.3:5060/udp", { provisional(180), silence() })

local r = send{ method = "INVITE", uri = "sip:alice@example.test", cancel_on = 180 }

expect_status(r, 487, { covers = { "TXN-CANCEL" } })
expect_route({ "127.0.0.2:5060/udp", "127.0.0.3:5060/udp" },
             { method = "INVITE", covers = { "FO-503" } })
expect_route({ "127.0.0.3:5060/udp" }, { method = "CANCEL", covers = { "TXN-CANCEL" } })
