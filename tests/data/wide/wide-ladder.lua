scenario {
  id = "wide-ladder",
  covers = { "FO-503", "FO-TRANSPORT" },
  needs = { "udp" },
  summary = [[Seventeen SRV targets of rising priority: fifteen peers answer 503, two
addresses have no peer (the kernel answers ICMP port unreachable), the last peer
answers 200. The client walks the whole list; its ladder has nineteen columns, more than
a page is wide, and must stay readable (tests/e2e/test_report_browser.sh).]],
}

local rr = { 'example.test. 300 IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.example.test.' }
for i = 1, 17 do
  rr[#rr + 1] = string.format("_sip._udp.example.test. 300 IN SRV %d 0 5060 s%d.example.test.", i, i)
  rr[#rr + 1] = string.format("s%d.example.test. 300 IN A 127.0.0.%d", i, 20 + i)
end
zone(rr)
for i = 1, 17 do
  if i == 17 then
    peer(string.format("127.0.0.%d:5060/udp", 20 + i), reply(200))
  elseif i ~= 5 and i ~= 11 then
    peer(string.format("127.0.0.%d:5060/udp", 20 + i), reply(503))
  end
end

local r = send{ method = "OPTIONS", uri = "sip:wide@example.test" }
expect_status(r, 200, { covers = { "FO-503", "FO-TRANSPORT" } })
