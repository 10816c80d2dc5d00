-- zones.lua: zone records that recur across scenarios, as lists for zone{...}.
-- Load with: local zones = use("zones")
local M = {}

-- One SIP+D2U NAPTR record at domain leading to _sip._udp.<domain>, one SRV record per
-- target and the targets' A records. targets: { { prio, weight, port, "127.0.0.N" }, ... };
-- target i is named sip<i>.<domain>. ttl defaults to 300.
function M.naptr_srv_udp(domain, targets, ttl)
  ttl = ttl or 300
  local rr = {
    string.format('%s. %d IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.%s.', domain, ttl, domain),
  }
  for i, t in ipairs(targets) do
    local host = string.format("sip%d.%s.", i, domain)
    rr[#rr + 1] = string.format("_sip._udp.%s. %d IN SRV %d %d %d %s", domain, ttl,
                                t[1], t[2], t[3], host)
    rr[#rr + 1] = string.format("%s %d IN A %s", host, ttl, t[4])
  end
  return rr
end

-- The SRV name RFC 3263 section 4.1 pairs with each NAPTR service (and a client without
-- NAPTR asks for): SIPS (TLS over TCP) is _sips._tcp, never _sips._tls or _sip._tcp.
M.srv_of = {
  ["SIP+D2U"] = "_sip._udp",
  ["SIP+D2T"] = "_sip._tcp",
  ["SIPS+D2T"] = "_sips._tcp",
}
-- The label of the SRV targets of each service, so services never share host names.
local label = { ["_sip._udp"] = "udp", ["_sip._tcp"] = "tcp", ["_sips._tcp"] = "tls" }

-- SRV records at <srv>.<domain> (srv one of "_sip._udp", "_sip._tcp", "_sips._tcp") and
-- their targets' address records. targets: { { prio, weight, port, "127.0.0.N" }, ... }
-- (an address with ':' gets an AAAA record); target i is named <udp|tcp|tls><i>.<domain>.
function M.srv(domain, srv, targets, ttl)
  ttl = ttl or 300
  local rr = {}
  for i, t in ipairs(targets) do
    local host = string.format("%s%d.%s.", label[srv] or "sip", i, domain)
    rr[#rr + 1] = string.format("%s.%s. %d IN SRV %d %d %d %s", srv, domain, ttl,
                                t[1], t[2], t[3], host)
    rr[#rr + 1] = string.format("%s %d IN %s %s", host, ttl,
                                t[4]:find(":") and "AAAA" or "A", t[4])
  end
  return rr
end

-- NAPTR records at domain, one per service, each with its SRV set (M.srv):
-- services: { { order, "SIPS+D2T", { { prio, weight, port, "127.0.0.N" }, ... } }, ... }
-- in the order given (the wire order); preference 50 throughout.
function M.naptr_services(domain, services, ttl)
  ttl = ttl or 300
  local rr = {}
  for _, s in ipairs(services) do
    local srv = assert(M.srv_of[s[2]], "zones.naptr_services: unknown service " .. s[2])
    rr[#rr + 1] = string.format('%s. %d IN NAPTR %d 50 "s" "%s" "" %s.%s.', domain, ttl,
                                s[1], s[2], srv, domain)
    for _, r in ipairs(M.srv(domain, srv, s[3], ttl)) do
      rr[#rr + 1] = r
    end
  end
  return rr
end

return M
