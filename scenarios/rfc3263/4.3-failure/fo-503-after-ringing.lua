scenario {
  id = "fo-503-after-ringing",
  covers = { "FO-503", "FO-NEWBRANCH" },
  role = "client",
  needs = { "udp" },
  summary = [[
Two SRV targets of priority 10 and 20. The first answers the INVITE with 180 Ringing,
then 503 Service Unavailable. RFC 3263 section 4.3 makes a 503 a failure whatever came
before it (only a timeout after a provisional response is not one), so the client
must ACK the 503 and send the INVITE to the second target as a new transaction, where
the call succeeds.]],
}

local zones = use("zones")
zone(zones.naptr_srv_udp("example.test", { { 10, 0, 5060, "127.0.0.2" },
                                           { 20, 0, 5060, "127.0.0.3" } }))

peer("127.0.0.2:5060/udp", { provisional(180), reply(503, nil, { delay = 1 }) })
peer("127.0.0.3:5060/udp", reply(200))

local r = send{ method = "INVITE", uri = "sip:alice@example.test" }

expect_status(r, 200, { covers = { "FO-503" } })
expect_route({ "127.0.0.2:5060/udp", "127.0.0.3:5060/udp" },
             { method = "INVITE", covers = { "FO-503" } })
