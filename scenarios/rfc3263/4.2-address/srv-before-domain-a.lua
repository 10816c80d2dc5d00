scenario {
  id = "srv-before-domain-a",
  covers = { "AD-SRV", "TP-NAPTR" },
  role = "client",
  needs = { "udp" },
  summary = [[
The domain has NAPTR and SRV records leading to sip1 (127.0.0.2) and also an A record
of its own (127.0.0.9). With no port in the URI, RFC 3263 sections 4.1 and 4.2 ask for
NAPTR first, then the SRV name NAPTR gave, then the target's address; the domain's A
record is only a fallback when no SRV record exists. A stack that looks up the A
record first and uses it (a bug seen in the field) sends the INVITE to 127.0.0.9.]],
}

zone [[
$ORIGIN example.test.
$TTL 300
@          IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.example.test.
_sip._udp  IN SRV   10 0 5060 sip1.example.test.
@          IN A     127.0.0.9
sip1       IN A     127.0.0.2
]]

peer("127.0.0.2:5060/udp", reply(200))
peer("127.0.0.9:5060/udp", reply(200))

local r = send{ method = "INVITE", uri = "sip:alice@example.test" }

expect_status(r, 200)
expect_dns({ "NAPTR example.test", "SRV _sip._udp.example.test", "A sip1.example.test" },
           { covers = { "AD-SRV", "TP-NAPTR" } })
expect_route({ "127.0.0.2:5060/udp" }, { method = "INVITE", covers = { "AD-SRV" } })
