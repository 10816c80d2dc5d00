scenario {
  id = "fo-503-next-srv-target",
  covers = { "FO-503", "FO-NEWBRANCH" },
  role = "client",
  needs = { "udp" },
  summary = [[
The domain's NAPTR record leads to _sip._udp, whose SRV records name two targets of
priority 10 and 20. The first target answers the INVITE with 503 Service Unavailable.
RFC 3263 section 4.3: a 503 is a failure, so the client tries the next element of the
list. The INVITE must reach the second target as a new transaction (new Via branch,
same Call-ID, From tag and CSeq), and the call must succeed there.]],
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

peer("127.0.0.2:5060/udp", reply(503))
peer("127.0.0.3:5060/udp", reply(200))

local r = send{ method = "INVITE", uri = "sip:alice@example.test" }

expect_status(r, 200, { covers = { "FO-503" } })
expect_dns({ "NAPTR example.test", "SRV _sip._udp.example.test",
             "A sip1.example.test", "A sip2.example.test" }, { covers = { "FO-503" } })
expect_route({ "127.0.0.2:5060/udp", "127.0.0.3:5060/udp" },
             { method = "INVITE", covers = { "FO-503" } })
