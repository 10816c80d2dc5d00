scenario {
  id = "srv-weights-distribution",
  covers = { "SRV-WEIGHT" },
  role = "client",
  needs = { "udp" },
  summary = [[
Three SRV targets of equal priority with weights 10, 30 and 60. RFC 2782 (followed by
RFC 3263 section 4.2) picks among equal-priority records at random, each with a
probability proportional to its weight. The check itself sends 60 fresh requests
(new transactions, new Call-IDs; at least 5 expected per target, enough to tell the
weights from a uniform or first-record choice); the first target each one tries is
counted and compared with the 10/30/60 split by a chi-square test (2 degrees of
freedom, pass when p > 0.001, so a correct stack fails one seed in a thousand:
tests/e2e/test_weights_seeds.sh measures it over 200 seeds). The SUT's randomness is
seeded, so the verdict is reproducible. A stack that ignores weights, sorts by weight
or always takes the first record fails.]],
}

zone [[
$ORIGIN example.test.
$TTL 3600
@          IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.example.test.
_sip._udp  IN SRV   10 10 5060 sip1.example.test.
_sip._udp  IN SRV   10 30 5060 sip2.example.test.
_sip._udp  IN SRV   10 60 5060 sip3.example.test.
sip1       IN A     127.0.0.2
sip2       IN A     127.0.0.3
sip3       IN A     127.0.0.4
]]

peer("127.0.0.2:5060/udp", reply(200))
peer("127.0.0.3:5060/udp", reply(200))
peer("127.0.0.4:5060/udp", reply(200))

expect_weights({ ["127.0.0.2:5060/udp"] = 10, ["127.0.0.3:5060/udp"] = 30,
                 ["127.0.0.4:5060/udp"] = 60 },
               { trials = 60, uri = "sip:pool@example.test", method = "OPTIONS" })
