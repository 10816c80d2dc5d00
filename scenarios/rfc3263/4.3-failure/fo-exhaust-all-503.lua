scenario {
  id = "fo-exhaust-all-503",
  covers = { "FO-EXHAUST", "FO-503" },
  role = "client",
  needs = { "udp" },
  summary = [[
Three SRV targets of priorities 10, 20 and 30, and every one answers the INVITE with
503. RFC 3263 section 4.3: each element of the list is tried once, in priority order;
when the list is exhausted the transaction fails and the failure is reported to the
user. The client must not loop back to the first target, nor fall back to the domain's
A record on the default port (a bug shipped stacks had).]],
}

zone [[
$ORIGIN example.test.
$TTL 300
@          IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.example.test.
_sip._udp  IN SRV   10 0 5060 sip1.example.test.
_sip._udp  IN SRV   20 0 5060 sip2.example.test.
_sip._udp  IN SRV   30 0 5060 sip3.example.test.
@          IN A     127.0.0.9
sip1       IN A     127.0.0.2
sip2       IN A     127.0.0.3
sip3       IN A     127.0.0.4
]]

peer("127.0.0.2:5060/udp", reply(503))
peer("127.0.0.3:5060/udp", reply(503))
peer("127.0.0.4:5060/udp", reply(503))
peer("127.0.0.9:5060/udp", reply(200))

local r = send{ method = "INVITE", uri = "sip:carol@example.test" }

expect_status(r, "failure", { covers = { "FO-EXHAUST" } })
expect_route({ "127.0.0.2:5060/udp", "127.0.0.3:5060/udp", "127.0.0.4:5060/udp" },
             { method = "INVITE", covers = { "FO-EXHAUST", "FO-503" } })
