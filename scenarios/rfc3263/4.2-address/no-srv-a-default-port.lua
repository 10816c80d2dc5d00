scenario {
  id = "no-srv-a-default-port",
  covers = { "AD-A-FALLBACK", "TP-NO-SRV" },
  role = "client",
  needs = { "udp" },
  summary = [[
The domain has neither NAPTR nor SRV records, only an A record (127.0.0.2). RFC 3263
section 4.1: with no NAPTR the client asks SRV for the transports it supports (here
_sip._udp); with no SRV either, a sip: URI uses UDP, and section 4.2 looks up the A
record and uses the default port 5060.]],
}

zone [[
$ORIGIN example.test.
$TTL 300
@          IN A     127.0.0.2
]]

peer("127.0.0.2:5060/udp", reply(200))

local r = send{ method = "INVITE", uri = "sip:alice@example.test" }

expect_status(r, 200)
expect_dns({ "NAPTR example.test", "SRV _sip._udp.example.test", "A example.test" },
           { mode = "subsequence" })
expect_route({ "127.0.0.2:5060/udp" }, { method = "INVITE" })
