scenario {
  id = "fo-timeout-timer-f-options",
  covers = { "FO-TIMEOUT", "FO-NEWBRANCH" },
  role = "client",
  needs = { "udp", "timers" },
  summary = [[
A non-INVITE request (OPTIONS) over UDP, two SRV targets of priority 10 and 20. The first
never answers: the client retransmits (timer E) and, when timer F (64*T1 = 32 s) fires
with no response at all, RFC 3263 section 4.3 counts the timeout as a failure, as it does
timer B for INVITE. The client must send the request to the next target as a new
transaction, 64*T1 after the first attempt began.]],
}

local zones = use("zones")
zone(zones.naptr_srv_udp("example.test", { { 10, 0, 5060, "127.0.0.2" },
                                           { 20, 0, 5060, "127.0.0.3" } }))

peer("127.0.0.2:5060/udp", silence())
peer("127.0.0.3:5060/udp", reply(200))

local r = send{ method = "OPTIONS", uri = "sip:alice@example.test" }

expect_status(r, 200, { covers = { "FO-TIMEOUT" } })
expect_route({ "127.0.0.2:5060/udp", "127.0.0.3:5060/udp" },
             { method = "OPTIONS", covers = { "FO-TIMEOUT" } })
expect_gap{ from = { method = "OPTIONS", at = "127.0.0.2:5060/udp" },
            to = { method = "OPTIONS", at = "127.0.0.3:5060/udp" },
            min = timer_b(), max = timer_b(), covers = { "FO-TIMEOUT" } }
