scenario {
  id = "fo-provisional-no-failover",
  covers = { "FO-PROVISIONAL" },
  role = "client",
  needs = { "udp", "timers" },
  summary = [[
Two SRV targets of priority 10 and 20. The first answers the INVITE with 180 Ringing at
once and with 200 OK only 40 s later, well after timer B (64*T1 = 32 s) would have fired
had no response come. RFC 3263 section 4.3 makes a transaction timeout a reason to try
the next element; a provisional response means the server was reached, and RFC 3261
17.1.1.2 stops timer B once the transaction is proceeding. The client must wait for the
final response from the first target and never send the INVITE to the second.
Then an OPTIONS: the first target answers 100 Trying and nothing more. Timer F (32 s)
ends the transaction as a timeout, and still nothing may go to the second target.]],
}

zone [[
$ORIGIN example.test.
$TTL 300
@          IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.example.test.
_sip._udp  IN SRV   10 0 5060 sip1.example.test.
_sip._udp  IN SRV   20 0 5060 sip2.example.test.
sip1       IN A     127.0.0.2
sip2       IN A     127.0.0.3
]]

peer("127.0.0.2:5060/udp", {
  INVITE = { provisional(180), reply(200, nil, { delay = 40 }) },
  OPTIONS = { provisional(100), silence() },
})
peer("127.0.0.3:5060/udp", reply(200))

local r = send{ method = "INVITE", uri = "sip:alice@example.test" }

expect_status(r, 200)
expect_route({ "127.0.0.2:5060/udp" }, { method = "INVITE" })

local r2 = send{ method = "OPTIONS", uri = "sip:alice@example.test" }
expect_status(r2, "timeout")
expect_route({ "127.0.0.2:5060/udp" }, { method = "OPTIONS" })
