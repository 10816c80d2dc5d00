scenario {
  id = "fo-timeout-tcp-drop-syn",
  covers = { "FO-TIMEOUT", "SRV-PRIORITY" },
  role = "client",
  needs = { "tcp", "timers" },
  summary = [[
TCP only (SIP+D2T), two SRV targets of priority 10 and 20. The first drops every SYN, as a
host behind a silent firewall does: the connection attempt hangs, no response of any kind
ever comes. Timer B runs on every transport (RFC 3261 17.1.1.2), and when it fires with no
response RFC 3263 section 4.3 counts a failure: the client must give up on the hung
connection and send the request, as a new transaction, to the next target, 64*T1 after it
started. A stack that waits for the kernel's own SYN retries stalls for minutes.]],
}

local zones = use("zones")
zone(zones.naptr_services("example.test", {
  { 10, "SIP+D2T", { { 10, 0, 5060, "127.0.0.2" }, { 20, 0, 5060, "127.0.0.3" } } },
}))

peer("127.0.0.2:5060/tcp", drop_syn())
peer("127.0.0.3:5060/tcp", reply(200))

local r = send{ method = "INVITE", uri = "sip:alice@example.test" }

expect_status(r, 200, { covers = { "FO-TIMEOUT" } })
expect_route({ "127.0.0.3:5060/tcp" }, { method = "INVITE", covers = { "FO-TIMEOUT" } })
expect_dns({ "NAPTR example.test", "SRV _sip._tcp.example.test", "A tcp1.example.test",
             "A tcp2.example.test" }, { covers = { "SRV-PRIORITY" } })
expect_gap{ from = { qtype = "A", qname = "tcp1.example.test" },
            to = { method = "INVITE", at = "127.0.0.3:5060/tcp" },
            min = timer_b(), max = timer_b() + 1, covers = { "FO-TIMEOUT" } }
