scenario {
  id = "naptr-flags-non-s-skipped",
  covers = { "TP-NAPTR-FLAGS" },
  role = "client",
  needs = { "udp" },
  summary = [[
The two most preferred NAPTR records are not terminal "s" records: one has the "a"
flag (its replacement is a host for an address lookup, not an SRV name), the other
an empty flag (non-terminal: another NAPTR lookup). Only the third, an "s" record with
an empty regexp, leads straight to an SRV name (RFC 3263 section 4.1, RFC 3403). A
client that does not implement the other flags skips them; one that treats their
replacements as SRV names finds a server at 127.0.0.9 there. The INVITE must reach
127.0.0.2, through the "s" record, and only that server.]],
}

zone [[
$ORIGIN example.test.
$TTL 300
@          IN NAPTR 10 50 "a" "SIP+D2U" "" trap-a.example.test.
@          IN NAPTR 15 50 ""  "SIP+D2U" "" trap-n.example.test.
@          IN NAPTR 20 50 "s" "SIP+D2U" "" _sip._udp.example.test.
trap-a     IN SRV   10 0 5060 sip9.example.test.
trap-n     IN SRV   10 0 5060 sip9.example.test.
_sip._udp  IN SRV   10 0 5060 sip1.example.test.
sip1       IN A     127.0.0.2
sip9       IN A     127.0.0.9
]]

peer("127.0.0.2:5060/udp", reply(200))
peer("127.0.0.9:5060/udp", reply(200))

local r = send{ method = "INVITE", uri = "sip:alice@example.test" }

expect_status(r, 200)
expect_route({ "127.0.0.2:5060/udp" }, { method = "INVITE" })
