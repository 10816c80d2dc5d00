scenario {
  id = "txn-cancel-same-server",
  covers = { "TXN-CANCEL" },
  role = "client",
  needs = { "udp", "cancel" },
  summary = [[
Two SRV targets. The first answers the INVITE with 180 Ringing and then holds it;
once the 180 is out the caller cancels. RFC 3263 section 4: a CANCEL belongs to the INVITE's
transaction and must go to the server the INVITE reached, with the INVITE's branch
(RFC 3261 9.1), not to a server found by resolving the URI again. The server answers
the CANCEL with 200 and the INVITE with 487, and nothing reaches the second target.]],
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

peer("127.0.0.2:5060/udp", { INVITE = { provisional(180), silence() } })
peer("127.0.0.3:5060/udp", reply(200))

local r = send{ method = "INVITE", uri = "sip:alice@example.test", cancel_on = 180 }

expect_status(r, 487, { covers = { "TXN-CANCEL" } })
expect_route({ "127.0.0.2:5060/udp" }, { method = "INVITE" })
expect_route({ "127.0.0.2:5060/udp" }, { method = "CANCEL", covers = { "TXN-CANCEL" } })
