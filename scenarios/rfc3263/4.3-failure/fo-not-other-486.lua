scenario {
  id = "fo-not-other-486",
  covers = { "FO-NOT-OTHER" },
  role = "client",
  needs = { "udp" },
  summary = [[
Two SRV targets of priority 10 and 20; the first answers every request with a final
failure that is not 503: 486 Busy Here to the first INVITE, 500 Server Internal Error
to the second, 603 Decline to the third (one peer, answers by request count). RFC 3263
section 4.3 fails over only on a transport error, a timeout or a 503: any other final
response ends the transaction, and the client reports it. Nothing may reach the second
target.]],
}

zone [[
$ORIGIN example.test.
$TTL 300
@          IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.example.test.
_sip._udp  IN SRV   10 0 5060 sip1.example.test.
_sip._udp  IN SRV   20 0 5060 sip2.example.test.
sip1       IN A     127.0.0.2
sip2       IN A     127.0.0.3
]]

peer("127.0.0.2:5060/udp", {
  nth = { [1] = reply(486), [2] = reply(500) },
  -- Asked first for every request; nil leaves it to the rules above.
  on_request = function(req)
    if req.nth == 3 and req.method == "INVITE" and req.headers["call-id"] then
      return reply(603)
    end
  end,
})
peer("127.0.0.3:5060/udp", reply(200))

local r1 = send{ method = "INVITE", uri = "sip:bob@example.test" }
expect_status(r1, 486)
local r2 = send{ method = "INVITE", uri = "sip:bob@example.test" }
expect_status(r2, 500)
local r3 = send{ method = "INVITE", uri = "sip:bob@example.test" }
expect_status(r3, 603)
expect_route({ "127.0.0.2:5060/udp", "127.0.0.2:5060/udp", "127.0.0.2:5060/udp" },
             { method = "INVITE" })
