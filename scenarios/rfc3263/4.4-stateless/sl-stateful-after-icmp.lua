scenario {
  id = "sl-stateful-after-icmp",
  covers = { "SL-STATEFUL-AFTER-FAIL" },
  role = "stateless-proxy",
  needs = { "udp" },
  summary = [[
The SUT is a stateless proxy; example.test has sip1 (SRV priority 10) and sip2 (20).
sip1 bounces the first datagram it gets (ICMP port unreachable) and recovers right
after, when it would answer anything 486. The proxy must fail over to sip2, which rings
(180) and declines after 8 s. The client retransmits the INVITE every 0.25 s, starting
once the proxy's failover has reached sip2: every retransmission arrives after the
proxy showed it knew sip1 failed. RFC 3263 4.4: once the first server failed, the proxy
SHOULD be stateful for this transaction, so none of them may reach the recovered sip1
(a stateless proxy would send them there: a second call). A copy that reached sip1
before the failover is the unavoidable one 4.4 speaks of and is not judged.]],
}

local zones = use("zones")
zone(zones.naptr_srv_udp("example.test", { { 10, 0, 5060, "127.0.0.2" },
                                           { 20, 0, 5060, "127.0.0.3" } }))

peer("127.0.0.2:5060/udp", reply(486))                 -- what sip1 does once it is up
unreachable("127.0.0.2:5060/udp", { recover_after = 1 })  -- bounces the first INVITE only
peer("127.0.0.3:5060/udp", { provisional(180), reply(486, nil, { delay = 8 }) })

-- The schedule follows the proxy, not the clock: under load, copies sent before the
-- proxy read the ICMP would reach sip1 legitimately and judge nothing.
local r = inject{ from = "127.0.0.5:5070/udp", method = "INVITE", uri = "sip:bob@example.test",
                  retransmit = { count = 30, interval = 0.25, after = "127.0.0.3:5060/udp" } }

expect_status(r, 486)
expect_one_server{ method = "INVITE", after = "failover" }
expect_route({ "127.0.0.2:5060/udp", "127.0.0.3:5060/udp" }, { method = "INVITE" })
