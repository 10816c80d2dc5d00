scenario {
  id = "srv-port-used",
  covers = { "AD-SRV" },
  role = "client",
  needs = { "udp" },
  summary = [[
The SRV record names sip1.example.test on port 5070. RFC 3263 section 4.2 takes the
port from the SRV record (RFC 2782), not the transport's default. The server listens
on 127.0.0.2:5070 only; port 5060 there is closed. The INVITE must go to
127.0.0.2:5070 and succeed; a stack that discards the SRV port reaches a closed port.]],
}

zone [[
$ORIGIN example.test.
$TTL 300
@          IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.example.test.
_sip._udp  IN SRV   10 0 5070 sip1.example.test.
sip1       IN A     127.0.0.2
]]

peer("127.0.0.2:5070/udp", reply(200))

local r = send{ method = "INVITE", uri = "sip:alice@example.test" }

expect_status(r, 200)
expect_route({ "127.0.0.2:5070/udp" }, { method = "INVITE" })
