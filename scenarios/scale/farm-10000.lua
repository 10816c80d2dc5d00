scenario {
  id = "farm-10000",
  covers = { "TP-NAPTR", "AD-SRV", "SRV-PRIORITY" },
  role = "client",
  needs = { "udp" },
  summary = [[
A proxy talking to many domains (RFC 3263 section 2): 10 000 domains, each with its own
NAPTR (SIP+D2U), an SRV set of two priorities and an A record per target, the targets
spread over 16 peer addresses. One OPTIONS per domain, 32 at a time. Every domain must
be resolved NAPTR, then the SRV set the NAPTR names, then the A of the priority-10
target, and its request must reach that target; every request must get its 200. The
fake DNS and the event log keep every query, so the check reads all 30 000 of them.
T1 is 2 s of SUT time (20 ms of wall time at rate 100): at this load a 5 ms T1 would
fill the network with retransmissions. Bench-sized: run by naming scenarios/scale
(bench/scale.sh); tests/e2e/test_scale.sh runs the 200-domain variant.]],
  t1 = 2,
  limits = { events = 400000 }, -- 22 events a domain; the flood cap is 20 000
}

local farm = zone_farm{ domains = 10000, srv = 2, peers = 16, plan = reply(200) }
local r = send_many{ farm = farm, method = "OPTIONS", concurrency = 32 }
if r.ok ~= r.sent then
  for i = 1, r.sent do
    if r[i].status ~= 200 then expect_status(r[i], 200) break end
  end
end
expect_farm(farm, { method = "OPTIONS" })
