scenario {
  id = "mtu-large-request-same-target",
  covers = { "TP-MTU" },
  role = "client",
  needs = { "udp", "tcp" },
  summary = [[
NAPTR leads to UDP only (SIP+D2U, one SRV target 127.0.0.2:5060), and the INVITE carries a
2 kB body. RFC 3261 18.1.1: a request larger than 1300 bytes, with the path MTU unknown,
goes over a congestion-controlled transport such as TCP, to the same target, with the
top Via naming the new transport; RFC 3263 section 4.1 allows that switch (a MAY). UDP and
TCP servers answer on the same address and port: whichever the client picks, the
request must be delivered once, to the target DNS gave, with a Via that tells the truth.
The MAY itself is reported (the log says which transport was used), never failed.]],
}

local zones = use("zones")
zone(zones.naptr_srv_udp("example.test", { { 10, 0, 5060, "127.0.0.2" } }))

-- A request whose top Via names another transport than the one it came over is refused,
-- so expect_status sees it: the one part of 18.1.1 that is a MUST, whatever was chosen.
local used
local function check_via(req)
  used = used or req.transport
  local via = (req.headers.via or ""):upper()
  local want = "SIP/2.0/" .. req.transport:upper()
  if via:sub(1, #want) ~= want then
    log("top Via '" .. (req.headers.via or "") .. "' does not name " .. req.transport)
    return reply(400)
  end
  return nil
end
peer("127.0.0.2:5060/udp", { on_request = check_via, default = reply(200) })
peer("127.0.0.2:5060/tcp", { on_request = check_via, default = reply(200) })

local r = send{ method = "INVITE", uri = "sip:alice@example.test", body = 2000 }

expect_status(r, 200)
log("the 2 kB INVITE went over " .. tostring(used) ..
    (used == "tcp" and " (RFC 3261 18.1.1 switch taken)" or " (the MAY not taken)"))
expect_route({ "127.0.0.2:5060/" .. tostring(used) }, { method = "INVITE" })
