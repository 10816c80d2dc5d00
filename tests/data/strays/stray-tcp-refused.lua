scenario {
  id = "stray-tcp-refused",
  covers = { "AD-NUMERIC" },
  needs = { "udp" },
  summary = [[A numeric URI over TCP to a peer declared with tcp_refuse(): the SYN gets
RST from the kernel. The SYN and the RST are events; the SYN is an attempt at that
destination.]],
}
peer("127.0.0.5:5072/tcp", tcp_refuse())
local r = send{ method = "OPTIONS", uri = "sip:probe@127.0.0.5:5072;transport=tcp" }
expect_status(r, "transport-error")
