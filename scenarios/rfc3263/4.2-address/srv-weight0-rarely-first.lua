scenario {
  id = "srv-weight0-rarely-first",
  covers = { "SRV-WEIGHT0" },
  role = "client",
  needs = { "udp" },
  summary = [[
Two SRV targets of equal priority, weights 0 and 100. RFC 2782: "in the presence of
records containing weights greater than 0, records with weight 0 should have a very
small chance of being selected"; its running-sum algorithm gives the weight-0 record the
first try only when the random draw is exactly 0, about 1 time in 101. The check sends
100 fresh requests and counts where each tries first: the weight-0 target may get at
most 5 % of them (a correct stack exceeds that about 3 times in 10 000). A stack that
tries weight-0 records first, or ignores weights, fails.]],
}

zone [[
$ORIGIN example.test.
$TTL 3600
@          IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.example.test.
_sip._udp  IN SRV   10 0   5060 sip1.example.test.
_sip._udp  IN SRV   10 100 5060 sip2.example.test.
sip1       IN A     127.0.0.2
sip2       IN A     127.0.0.3
]]

peer("127.0.0.2:5060/udp", reply(200))
peer("127.0.0.3:5060/udp", reply(200))

expect_weights({ ["127.0.0.2:5060/udp"] = 0, ["127.0.0.3:5060/udp"] = 100 },
               { trials = 100, uri = "sip:pool@example.test", method = "OPTIONS",
                 zero_share = 0.05 })
