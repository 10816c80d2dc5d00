scenario {
  id = "fo-tcp-reset-after-request",
  covers = { "FO-TRANSPORT", "FO-NEWBRANCH" },
  role = "client",
  needs = { "tcp" },
  summary = [[
TCP only (SIP+D2T), two SRV targets of priority 10 and 20. The first accepts the
connection, reads the INVITE and then resets the connection (RST) without any response.
RFC 3261 17.1.1.2: a transport error is reported to the transaction user and ends the
transaction; RFC 3263 section 4.3: a transport failure before any response is a failure,
so the client must send the request again, as a new transaction with a new Via branch,
to the next target.]],
}

local zones = use("zones")
zone(zones.naptr_services("example.test", {
  { 10, "SIP+D2T", { { 10, 0, 5060, "127.0.0.2" }, { 20, 0, 5060, "127.0.0.3" } } },
}))

peer("127.0.0.2:5060/tcp", tcp_reset())
peer("127.0.0.3:5060/tcp", reply(200))

local r = send{ method = "INVITE", uri = "sip:alice@example.test" }

expect_status(r, 200, { covers = { "FO-TRANSPORT" } })
expect_route({ "127.0.0.2:5060/tcp", "127.0.0.3:5060/tcp" },
             { method = "INVITE", covers = { "FO-TRANSPORT" } })
-- Not waiting for timer B is the point, not speed: a connection (and a TLS handshake)
-- costs real CPU time that the clock rate multiplies, so the bound is half of timer B.
expect_gap{ from = { method = "INVITE", at = "127.0.0.2:5060/tcp" },
            to = { method = "INVITE", at = "127.0.0.3:5060/tcp" },
            min = 0, max = timer_b() / 2, covers = { "FO-TRANSPORT" } }
