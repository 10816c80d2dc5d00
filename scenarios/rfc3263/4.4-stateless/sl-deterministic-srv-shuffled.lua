scenario {
  id = "sl-deterministic-srv-shuffled",
  covers = { "SL-DETERMINISTIC" },
  role = "stateless-proxy",
  needs = { "udp" },
  summary = [[
The SUT is a stateless proxy. A client sends it an INVITE for sip:bob@example.test and
retransmits it 50 times; the three servers of example.test share SRV priority 10 with
equal weights and stay silent. The records have TTL 0 and the DNS answers each query
with the records in a new order, so a proxy that keeps no state and orders equal
records at random, or in wire order, would spread the copies. RFC 3263 4.4: a stateless
proxy MUST order equal-priority records deterministically, so all 51 copies reach one
server.]],
}

zone([[
$ORIGIN example.test.
$TTL 0
@          IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.example.test.
_sip._udp  IN SRV   10 50 5060 sip1.example.test.
_sip._udp  IN SRV   10 50 5060 sip2.example.test.
_sip._udp  IN SRV   10 50 5060 sip3.example.test.
sip1       IN A     127.0.0.2
sip2       IN A     127.0.0.3
sip3       IN A     127.0.0.4
]], { shuffle = true })

peer("127.0.0.2:5060/udp", silence())
peer("127.0.0.3:5060/udp", silence())
peer("127.0.0.4:5060/udp", silence())

local r = inject{ from = "127.0.0.5:5070/udp", method = "INVITE", uri = "sip:bob@example.test",
                  retransmit = { count = 50, interval = 0.2 }, timeout = 11 }

expect_status(r, "timeout", { covers = {} })
expect_one_server{ method = "INVITE" }
