scenario {
  id = "txn-ack2xx-contact-elsewhere",
  covers = { "TXN-ACK2XX", "TXN-URI" },
  role = "client",
  needs = { "udp", "ack2xx" },
  summary = [[
The INVITE reaches sip1.example.test (SRV), whose 200 OK names another host as the
dialog's remote target: Contact <sip:bob@uas.example.test:5080>, which DNS resolves to
127.0.0.4, where a UAS listens. RFC 3263 section 4 lets the ACK of a 2xx be routed anew:
to the Contact (RFC 3261 12.2.1.1: the remote target is the Request-URI; an explicit port
means an A lookup, section 4.2) or to the server of the INVITE. Either is recorded; judged
are the ACK itself (a new branch, the dialog's tags) and that no Request-URI is one the
stack was not given: the INVITE keeps the URI sent, the ACK carries the sent URI or the
Contact.]],
}

zone [[
$ORIGIN example.test.
$TTL 300
@          IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.example.test.
_sip._udp  IN SRV   10 0 5060 sip1.example.test.
sip1       IN A     127.0.0.2
uas        IN A     127.0.0.4
]]

peer("127.0.0.2:5060/udp", reply(200, { Contact = "<sip:bob@uas.example.test:5080>" }))
peer("127.0.0.4:5080/udp", reply(200))

local r = send{ method = "INVITE", uri = "sip:bob@example.test" }

expect_status(r, 200)
expect_ack2xx{ covers = { "TXN-ACK2XX" } }
expect_route({ "127.0.0.2:5060/udp" }, { method = "INVITE" })
