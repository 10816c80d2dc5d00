scenario {
  id = "naptr-next-record-when-srv-empty",
  covers = { "TP-NAPTR-ORDER", "AD-SRV" },
  role = "client",
  needs = { "udp" },
  summary = [[
Two SIP+D2U NAPTR records: the preferred one (order 10) names an SRV owner that has no
records; the next one (order 20) names _sip._udp.b.example.test, whose target is
127.0.0.3. NAPTR processing (RFC 3403, RFC 3263 section 4.1) goes on with the next
record when one leads nowhere, so the client must query both SRV names in order and
reach 127.0.0.3. A stack that uses only the first NAPTR record (kamailio PR #2290)
falls back to the domain's A record (127.0.0.9) instead.]],
}

zone [[
$ORIGIN example.test.
$TTL 300
@          IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.a.example.test.
@          IN NAPTR 20 50 "s" "SIP+D2U" "" _sip._udp.b.example.test.
_sip._udp.b IN SRV  10 0 5060 sip2.example.test.
@          IN A     127.0.0.9
sip2       IN A     127.0.0.3
]]

peer("127.0.0.3:5060/udp", reply(200))
peer("127.0.0.9:5060/udp", reply(200))

local r = send{ method = "INVITE", uri = "sip:alice@example.test" }

expect_status(r, 200)
expect_dns({ "NAPTR example.test", "SRV _sip._udp.a.example.test",
             "SRV _sip._udp.b.example.test", "A sip2.example.test" },
           { covers = { "TP-NAPTR-ORDER", "AD-SRV" } })
expect_route({ "127.0.0.3:5060/udp" }, { method = "INVITE" })
