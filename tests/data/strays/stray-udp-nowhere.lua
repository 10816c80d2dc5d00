scenario {
  id = "stray-udp-nowhere",
  covers = { "AD-NUMERIC" },
  needs = { "udp" },
  summary = [[A numeric URI with a port nothing is declared on: the request reaches lo,
no peer takes it and the kernel answers ICMP port unreachable. Both are events.]],
}
local r = send{ method = "OPTIONS", uri = "sip:probe@127.0.0.9:5071" }
expect_status(r, "transport-error")
