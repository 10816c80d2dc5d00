scenario {
  id = "dns-cname-srv-target",
  covers = { "DNS-CNAME" },
  role = "client",
  needs = { "udp" },
  summary = [[
The SRV records of _sip._udp.example.test name two targets, priority 10 and 20. The first,
sip1.example.test, is an alias (CNAME) of sip1.other.test, itself an alias of
host.other.test, and this server does not follow CNAMEs into other names: each answer
holds one CNAME and the client must ask again for its target. RFC 2782 says SRV targets
must not be aliases, and RFC 3263 says nothing more, so following them is the client's
choice (a MAY, reported, never failed): a client that follows the chain reaches
host.other.test (127.0.0.2); one that does not must treat the first target as having no
address and move on to the second (127.0.0.3), never send anywhere else.]],
}

zone([[
$ORIGIN example.test.
$TTL 300
@          IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.example.test.
_sip._udp  IN SRV   10 0 5060 sip1.example.test.
_sip._udp  IN SRV   20 0 5060 sip2.example.test.
sip1       IN CNAME sip1.other.test.
sip2       IN A     127.0.0.3
sip1.other.test. IN CNAME host.other.test.
host.other.test. IN A 127.0.0.2
]], { chase_cname = false })

local followed = false
peer("127.0.0.2:5060/udp", { on_request = function(req) followed = true; return nil end,
                             default = reply(200) })
peer("127.0.0.3:5060/udp", reply(200))

local r = send{ method = "INVITE", uri = "sip:alice@example.test" }

expect_status(r, 200)
if followed then
  log("the SUT followed the CNAME chain sip1.example.test -> sip1.other.test -> host.other.test")
  expect_dns({ "A sip1.example.test", "A sip1.other.test", "A host.other.test" },
             { mode = "subsequence" })
  expect_route({ "127.0.0.2:5060/udp" }, { method = "INVITE" })
else
  log("the SUT did not follow the CNAME chain: it used the second SRV target")
  expect_route({ "127.0.0.3:5060/udp" }, { method = "INVITE" })
end
