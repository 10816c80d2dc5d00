scenario {
  id = "txn-retransmissions-same-server",
  covers = { "TXN-ONCE", "FO-TIMEOUT" },
  role = "client",
  needs = { "udp", "timers" },
  t1 = 0.25,
  summary = [[
Three SRV targets of equal priority and weight, and none of them ever answers. The
client retransmits the INVITE to the first server it picked (timer A) until timer B
(64*T1, 16 s here with T1 = 0.25 s) fires, then fails over to the next, and so on.
RFC 3263 section 4: the procedures run once per transaction and every retransmission
goes to the server that got the request, with its branch. A stack that resolves
again while the transaction runs (sofia-sip#279) spreads the retransmissions over the
three servers. The DNS answers of the first resolution are used throughout.]],
}

zone [[
$ORIGIN example.test.
$TTL 300
@          IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.example.test.
_sip._udp  IN SRV   10 10 5060 sip1.example.test.
_sip._udp  IN SRV   10 10 5060 sip2.example.test.
_sip._udp  IN SRV   10 10 5060 sip3.example.test.
sip1       IN A     127.0.0.2
sip2       IN A     127.0.0.3
sip3       IN A     127.0.0.4
]]

peer("127.0.0.2:5060/udp", silence())
peer("127.0.0.3:5060/udp", silence())
peer("127.0.0.4:5060/udp", silence())

local r = send{ method = "INVITE", uri = "sip:alice@example.test" }

expect_status(r, "timeout", { covers = { "FO-TIMEOUT" } })
expect_dns({ "NAPTR example.test", "SRV _sip._udp.example.test" }, { mode = "prefix" })
