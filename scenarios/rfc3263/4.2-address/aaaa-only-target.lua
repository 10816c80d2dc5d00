scenario {
  id = "aaaa-only-target",
  covers = { "AD-AAAA" },
  role = "client",
  needs = { "udp", "ipv6" },
  summary = [[
NAPTR leads to _sip._udp.example.test, whose one SRV target has only an AAAA record
(fd00::2, an IPv6 address inside the scenario's namespace; the client has fd00::1).
RFC 3263 section 4.2 looks up "A or AAAA" records: an IPv6 address is as good a result as
an IPv4 one, so the request must arrive at [fd00::2]:5060. A stack that asks only for A
records finds no address and gives up.]],
}

local zones = use("zones")
zone(zones.naptr_services("example.test", {
  { 10, "SIP+D2U", { { 10, 0, 5060, "fd00::2" } } },
}))

peer("[fd00::2]:5060/udp", reply(200))

local r = send{ method = "INVITE", uri = "sip:alice@example.test" }

expect_status(r, 200)
expect_dns({ "NAPTR example.test", "SRV _sip._udp.example.test", "AAAA udp1.example.test" },
           { mode = "subsequence" })
expect_route({ "[fd00::2]:5060/udp" }, { method = "INVITE" })
