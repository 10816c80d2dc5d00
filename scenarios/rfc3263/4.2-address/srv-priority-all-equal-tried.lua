scenario {
  id = "srv-priority-all-equal-tried",
  covers = { "SRV-PRIORITY" },
  role = "client",
  needs = { "udp" },
  summary = [[
Two SRV targets share priority 10 and a third has priority 20. Both priority-10
targets resolve to the same server (127.0.0.2:5060), which answers 503, so the order
the client picks between them does not matter. RFC 2782: the priority-20 target is
used only when every priority-10 target failed, so the server at 127.0.0.2 must get
two attempts (one per SRV record, each a new transaction) before 127.0.0.3 is tried.
A stack that keeps one server per priority (pjsip#1719) skips the second record.]],
}

zone [[
$ORIGIN example.test.
$TTL 300
@          IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.example.test.
_sip._udp  IN SRV   10 50 5060 a.example.test.
_sip._udp  IN SRV   10 50 5060 b.example.test.
_sip._udp  IN SRV   20 0  5060 c.example.test.
a          IN A     127.0.0.2
b          IN A     127.0.0.2
c          IN A     127.0.0.3
]]

peer("127.0.0.2:5060/udp", reply(503))
peer("127.0.0.3:5060/udp", reply(200))

local r = send{ method = "INVITE", uri = "sip:alice@example.test" }

expect_status(r, 200)
expect_route({ "127.0.0.2:5060/udp", "127.0.0.2:5060/udp", "127.0.0.3:5060/udp" },
             { method = "INVITE" })
