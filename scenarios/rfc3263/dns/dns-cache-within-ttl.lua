scenario {
  id = "dns-cache-within-ttl",
  covers = { "DNS-TTL-RESPECT" },
  role = "client",
  needs = { "udp" },
  summary = [[
Five calls to the same domain within a few seconds, every record with a TTL of 300 s.
Answers may be cached for their TTL, so a client that caches makes one NAPTR, one SRV
and one A query in all. The requirement is level Y (a MAY in the report): a stack
that queries for every request fails only this MAY, not a MUST or SHOULD.]],
}

zone [[
$ORIGIN example.test.
$TTL 300
@          IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.example.test.
_sip._udp  IN SRV   10 0 5060 sip1.example.test.
sip1       IN A     127.0.0.2
]]

peer("127.0.0.2:5060/udp", reply(200))

for i = 1, 5 do
  local r = send{ method = "OPTIONS", uri = "sip:alice@example.test" }
  if r.status ~= 200 then
    expect_status(r, 200)
  end
end

expect_dns({ "NAPTR example.test", "SRV _sip._udp.example.test", "A sip1.example.test" })
