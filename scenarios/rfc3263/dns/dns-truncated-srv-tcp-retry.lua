scenario {
  id = "dns-truncated-srv-tcp-retry",
  covers = { "DNS-TRUNCATED" },
  role = "client",
  needs = { "udp" },
  summary = [[
The SRV answer over UDP comes back truncated (TC=1, no records), as a large SRV set
would. RFC 2181 section 9 and RFC 7766: a truncated answer must not be used as if
complete; the client asks the same question again over TCP and gets both targets. The
first target answers 503, so the INVITE must reach 127.0.0.2 and then 127.0.0.3. A
stack that takes the empty truncated answer as final falls back to the domain's A
record (127.0.0.9) instead (sofia-sip#281, pjsip#2200).]],
}

zone [[
$ORIGIN example.test.
$TTL 300
@          IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.example.test.
_sip._udp  IN SRV   10 0 5060 sip1.example.test.
_sip._udp  IN SRV   20 0 5060 sip2.example.test.
@          IN A     127.0.0.9
sip1       IN A     127.0.0.2
sip2       IN A     127.0.0.3
]]

dns_fault{ match = { type = "SRV", transport = "udp" }, action = "truncate" }

peer("127.0.0.2:5060/udp", reply(503))
peer("127.0.0.3:5060/udp", reply(200))
peer("127.0.0.9:5060/udp", reply(200))

local r = send{ method = "INVITE", uri = "sip:alice@example.test" }

expect_status(r, 200)
expect_dns({ "NAPTR example.test", "SRV _sip._udp.example.test",
             "A sip1.example.test", "A sip2.example.test" })
expect_route({ "127.0.0.2:5060/udp", "127.0.0.3:5060/udp" }, { method = "INVITE" })
