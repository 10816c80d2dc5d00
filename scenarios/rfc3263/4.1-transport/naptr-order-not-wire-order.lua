scenario {
  id = "naptr-order-not-wire-order",
  covers = { "TP-NAPTR-ORDER" },
  role = "client",
  needs = { "udp" },
  summary = [[
Three SIP+D2U NAPTR records are served out of order: order 20 first, then order 10
with preference 60, then order 10 with preference 40. RFC 3403 (RFC 2915), which RFC
3263 section 4.1 relies on, processes records by ascending order, then preference,
whatever their place in the answer. The client must follow the order 10 / preference
40 record, whose SRV name leads to 127.0.0.2, and query no other SRV name.]],
}

zone [[
$ORIGIN example.test.
$TTL 300
@          IN NAPTR 20 50 "s" "SIP+D2U" "" _sip._udp.late.example.test.
@          IN NAPTR 10 60 "s" "SIP+D2U" "" _sip._udp.second.example.test.
@          IN NAPTR 10 40 "s" "SIP+D2U" "" _sip._udp.best.example.test.
_sip._udp.late    IN SRV 10 0 5060 sip3.example.test.
_sip._udp.second  IN SRV 10 0 5060 sip2.example.test.
_sip._udp.best    IN SRV 10 0 5060 sip1.example.test.
sip1       IN A     127.0.0.2
sip2       IN A     127.0.0.3
sip3       IN A     127.0.0.4
]]

peer("127.0.0.2:5060/udp", reply(200))
peer("127.0.0.3:5060/udp", reply(200))
peer("127.0.0.4:5060/udp", reply(200))

local r = send{ method = "INVITE", uri = "sip:alice@example.test" }

expect_status(r, 200)
expect_dns({ "NAPTR example.test", "SRV _sip._udp.best.example.test", "A sip1.example.test" })
expect_route({ "127.0.0.2:5060/udp" }, { method = "INVITE" })
