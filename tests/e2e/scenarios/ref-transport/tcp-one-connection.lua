scenario {
  id = "ref-tcp-one-connection",
  covers = { "TXN-CANCEL" },
  role = "client",
  needs = { "tcp", "cancel" },
  summary = [[ref over TCP: INVITE, its CANCEL and the ACK for the 487, then an OPTIONS,
all on one connection (RFC 3261 18.1.1, 9.1).]],
}
zone [[
$ORIGIN example.test.
$TTL 300
_sip._tcp  IN SRV   10 0 5060 tcp1.example.test.
tcp1       IN A     127.0.0.2
]]
peer("127.0.0.2:5060/tcp", { INVITE = { provisional(180), silence() }, default = reply(200) })
local r = send{ method = "INVITE", uri = "sip:alice@example.test;transport=tcp", cancel_on = 180 }
expect_status(r, 487)
expect_route({ "127.0.0.2:5060/tcp" }, { method = "CANCEL" })
r = send{ method = "OPTIONS", uri = "sip:alice@example.test;transport=tcp" }
expect_status(r, 200)
