scenario {
  id = "sl-deterministic-naptr-shuffled",
  covers = { "SL-DETERMINISTIC" },
  role = "stateless-proxy",
  needs = { "udp" },
  summary = [[
Two NAPTR records of example.test have the same order and preference and lead to two
different SRV names, each with one server. With TTL 0 and a new record order in every
DNS answer, a stateless proxy that follows the NAPTR records in wire order sends the
retransmissions of one OPTIONS to either server. RFC 3263 4.4 asks for a deterministic
order for NAPTR records too: all copies must reach one server.]],
}

zone([[
$ORIGIN example.test.
$TTL 0
@          IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.east.example.test.
@          IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.west.example.test.
_sip._udp.east IN SRV 10 50 5060 sip1.example.test.
_sip._udp.west IN SRV 10 50 5060 sip2.example.test.
sip1       IN A     127.0.0.2
sip2       IN A     127.0.0.3
]], { shuffle = true })

peer("127.0.0.2:5060/udp", silence())
peer("127.0.0.3:5060/udp", silence())

local r = inject{ from = "127.0.0.5:5070/udp", method = "OPTIONS", uri = "sip:bob@example.test",
                  retransmit = { count = 30, interval = 0.2 }, timeout = 7 }

expect_status(r, "timeout", { covers = {} })
expect_one_server{ method = "OPTIONS" }
