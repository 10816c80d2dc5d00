scenario {
  id = "fo-tcp-closed-before-response",
  covers = { "FO-TRANSPORT", "FO-NEWBRANCH" },
  role = "client",
  needs = { "tcp" },
  summary = [[
TCP only (SIP+D2T), two SRV targets of priority 10 and 20. The first reads the OPTIONS
request and closes the connection (FIN) without answering. Over a stream the responses
come back on the request's own connection (RFC 3261 18.1.2), so once it is closed no
final response can arrive: a transport failure before any response, which RFC 3263
section 4.3 makes a failure of that element. The client must try the next target with a
new transaction at once, not sit until timer F.]],
}

local zones = use("zones")
zone(zones.naptr_services("example.test", {
  { 10, "SIP+D2T", { { 10, 0, 5060, "127.0.0.2" }, { 20, 0, 5060, "127.0.0.3" } } },
}))

peer("127.0.0.2:5060/tcp", close_before_response())
peer("127.0.0.3:5060/tcp", reply(200))

local r = send{ method = "OPTIONS", uri = "sip:alice@example.test" }

expect_status(r, 200, { covers = { "FO-TRANSPORT" } })
expect_route({ "127.0.0.2:5060/tcp", "127.0.0.3:5060/tcp" },
             { method = "OPTIONS", covers = { "FO-TRANSPORT" } })
-- Not waiting for timer B is the point, not speed: a connection (and a TLS handshake)
-- costs real CPU time that the clock rate multiplies, so the bound is half of timer B.
expect_gap{ from = { method = "OPTIONS", at = "127.0.0.2:5060/tcp" },
            to = { method = "OPTIONS", at = "127.0.0.3:5060/tcp" },
            min = 0, max = timer_b() / 2, covers = { "FO-TRANSPORT" } }
