/* fuzz_dns_query.c: libFuzzer target for the fake DNS: any bytes as a query against a
 * zone with every record type, over UDP limits and TCP; the fast path (precompiled
 * answers) must give the very bytes the ldns path gives. */
#include <ldns/ldns.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fdns.h"
#include "fdns_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fdns_zone *zone, *slow;

static const char ZONE[] =
	"$ORIGIN example.test.\n$TTL 300\n"
	"@ IN SOA ns hostmaster 1 3600 600 86400 60\n"
	"@ IN NAPTR 10 50 \"s\" \"SIP+D2U\" \"\" _sip._udp.example.test.\n"
	"@ IN NAPTR 20 50 \"s\" \"SIP+D2T\" \"\" _sip._tcp.example.test.\n"
	"_sip._udp IN SRV 10 60 5060 sip1\n_sip._udp IN SRV 10 40 5060 sip2\n"
	"_sip._tcp IN SRV 0 0 0 .\n"
	"sip1 IN A 127.0.0.2\nsip2 IN AAAA fd00::2\nalias IN CNAME sip1\n"
	"loop1 IN CNAME loop2\nloop2 IN CNAME loop1\n"
	"@ IN TXT \"hello\"\n@ IN NS ns\nns IN A 127.0.0.1\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!zone) {
		char err[256];
		if (fdns_zone_new(&zone) || fdns_zone_load_text(zone, ZONE, NULL, 300, "fuzz", 1,
								 err, sizeof(err)) ||
		    fdns_zone_new(&slow) || fdns_zone_load_text(slow, ZONE, NULL, 300, "fuzz", 1,
								 err, sizeof(err)))
			abort();
		fdns_cache_enable(fdns_zone_cache(slow), 0);
	}
	uint8_t *q = malloc(size ? size : 1);
	if (!q)
		return 0;
	memcpy(q, data, size);
	static const size_t limits[] = { 512, 1232, 0 };
	for (size_t i = 0; i < 3; i++) {
		uint8_t *resp = NULL, *sresp = NULL;
		size_t len = 0, slen = 0;
		int rc = fdns_answer(zone, q, size, limits[i], &resp, &len);
		if (rc != fdns_answer(slow, q, size, limits[i], &sresp, &slen) || len != slen ||
		    (len && memcmp(resp, sresp, len) != 0))
			abort();
		free(sresp);
		if (rc == 0) {
			ldns_pkt *p = NULL;
			/* Whatever the server says must be a well-formed DNS message, and fit. */
			if (ldns_wire2pkt(&p, resp, len) != LDNS_STATUS_OK)
				abort();
			if (limits[i] && len > 65535)
				abort();
			ldns_pkt_free(p);
		}
		free(resp);
	}
	free(q);
	return 0;
}
