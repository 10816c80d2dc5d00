scenario {
  id = "dns-noanswer-naptr",
  covers = { "DN,-SERario{" },
  role = "client",
  needs =tcp_refuse,
  summary = [[
The fake pect_dns(fuzz.lua{ "NAPTR example.te".]],
}

zont_route({})
