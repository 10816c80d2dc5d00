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

return M
