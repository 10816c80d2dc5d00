scenario {
  id = "dual-stack-ipv6-fails-ipv4-next",
  covers = { "AD-PORT-NEXT", "AD-AAAA" },
  role = "client",
  needs = { "udp", "ipv6" },
  summary = [[
sip:alice@dual.example.test:5060: an explicit port, so RFC 3263 section 4.2 looks up A and
AAAA only. The name has both: fd00::2, where nothing listens (ICMPv6 port unreachable),
and 127.0.0.2, which answers. The RFC leaves the order of the two families open, but the
addresses form one list: when one fails, the next SHOULD be tried. A client that tries
IPv6 first must fall back to IPv4 after the IPv6 failure (baresip#168 did not); one that
tries IPv4 first reaches it at once. Either way the call succeeds at 127.0.0.2, with no
attempt anywhere else.]],
}

zone [[
$ORIGIN example.test.
$TTL 300
dual       IN AAAA  fd00::2
dual       IN A     127.0.0.2
]]

local v6_first = false
peer("[fd00::2]:5060/udp", { on_request = function(req) v6_first = true; return nil end,
                             default = icmp("port") })
peer("127.0.0.2:5060/udp", reply(200))

local r = send{ method = "INVITE", uri = "sip:alice@dual.example.test:5060" }

expect_status(r, 200, { covers = { "AD-PORT-NEXT", "AD-AAAA" } })
-- Both families asked for, in whichever order the client likes.
expect_dns({ "AAAA dual.example.test" }, { mode = "subsequence", covers = { "AD-AAAA" } })
expect_dns({ "A dual.example.test" }, { mode = "subsequence", covers = { "AD-AAAA" } })
if v6_first then
  expect_route({ "[fd00::2]:5060/udp", "127.0.0.2:5060/udp" },
               { method = "INVITE", covers = { "AD-PORT-NEXT" } })
else
  expect_route({ "127.0.0.2:5060/udp" }, { method = "INVITE", covers = { "AD-PORT-NEXT" } })
end
