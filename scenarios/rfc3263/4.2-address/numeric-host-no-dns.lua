scenario {
  id = "numeric-host-no-dns",
  covers = { "AD-NUMERIC", "TP-NUMERIC" },
  role = "client",
  needs = { "udp" },
  summary = [[
Two requests to numeric hosts: sip:alice@127.0.0.2 and sip:bob@127.0.0.3:5070. RFC
3263 sections 4.1 and 4.2: a numeric TARGET is used as is, over UDP for a sip: URI,
on the URI's port or else the default 5060. No DNS query of any kind may be made.]],
}

peer("127.0.0.2:5060/udp", reply(200))
peer("127.0.0.3:5070/udp", reply(200))

local r1 = send{ method = "INVITE", uri = "sip:alice@127.0.0.2" }
local r2 = send{ method = "OPTIONS", uri = "sip:bob@127.0.0.3:5070" }

expect_status(r1, 200)
expect_status(r2, 200)
expect_dns({})
expect_route({ "127.0.0.2:5060/udp", "127.0.0.3:5070/udp" })
