scenario {
  id = "txn-ack-non2xx-same-branch",
  covers = { "TXN-ACK", "FO-NOT-OTHER" },
  role = "client",
  needs = { "udp" },
  summary = [[
The first SRV target answers the INVITE with 486 Busy Here. RFC 3263 section 4: the
ACK for a non-2xx final response belongs to the INVITE's transaction, so it must go
to the same server with the INVITE's Via branch (RFC 3261 17.1.1.3). A 486 is not a
failure in the sense of section 4.3: nothing may reach the second target.]],
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

peer("127.0.0.2:5060/udp", reply(486))
peer("127.0.0.3:5060/udp", reply(200))

local r = send{ method = "INVITE", uri = "sip:bob@example.test" }

expect_status(r, 486, { covers = { "FO-NOT-OTHER" } })
expect_route({ "127.0.0.2:5060/udp" }, { covers = { "FO-NOT-OTHER" } })
expect_route({ "127.0.0.2:5060/udp" }, { method = "ACK", covers = { "TXN-ACK" } })
