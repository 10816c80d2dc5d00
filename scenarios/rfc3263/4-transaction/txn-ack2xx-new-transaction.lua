scenario {
  id = "txn-ack2xx-new-transaction",
  covers = { "TXN-ACK2XX" },
  role = "client",
  needs = { "udp", "ack2xx" },
  summary = [[
The one SRV target answers the INVITE with 200 OK, with a Contact naming itself and an
SDP answer, as a real UAS does. RFC 3263 section 4: the ACK of a 2xx is a transaction of
its own and may be routed anew (RFC 3261 13.2.2.4: the UAC core builds it for the
dialog, to the remote target). Judged: the 2xx is ACKed, with a branch the INVITE never
used and the dialog's tags. Recorded, not judged: where the ACK went, its Request-URI and
whether DNS was asked again before it.]],
}

zone [[
$ORIGIN example.test.
$TTL 300
@          IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.example.test.
_sip._udp  IN SRV   10 0 5060 sip1.example.test.
sip1       IN A     127.0.0.2
]]

peer("127.0.0.2:5060/udp", reply(200))

local r = send{ method = "INVITE", uri = "sip:bob@example.test" }

expect_status(r, 200)
expect_ack2xx()
