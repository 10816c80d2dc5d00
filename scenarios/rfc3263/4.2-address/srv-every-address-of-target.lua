scenario {
  id = "srv-every-address-of-target",
  covers = { "SRV-ALL-ADDRS", "AD-PORT-NEXT" },
  role = "client",
  needs = { "udp" },
  summary = [[
The first SRV target, sip1, has two A records (127.0.0.2 and 127.0.0.3, served in that
order) and both answer 503; the second target, sip2 (priority 20), answers 200. RFC
3263 section 4.2 turns the SRV list into a list of addresses: every address of a
target is an element of the list, tried in turn before the next target. The INVITE
must reach 127.0.0.2, then 127.0.0.3, then 127.0.0.4.]],
}

zone [[
$ORIGIN example.test.
$TTL 300
@          IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.example.test.
_sip._udp  IN SRV   10 0 5060 sip1.example.test.
_sip._udp  IN SRV   20 0 5060 sip2.example.test.
sip1       IN A     127.0.0.2
sip1       IN A     127.0.0.3
sip2       IN A     127.0.0.4
]]

peer("127.0.0.2:5060/udp", reply(503))
peer("127.0.0.3:5060/udp", reply(503))
peer("127.0.0.4:5060/udp", reply(200))

local r = send{ method = "INVITE", uri = "sip:alice@example.test" }

expect_status(r, 200)
expect_route({ "127.0.0.2:5060/udp", "127.0.0.3:5060/udp", "127.0.0.4:5060/udp" },
             { method = "INVITE" })
