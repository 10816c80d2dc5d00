/* test_fdns_fast.c: unit tests of the fake DNS's fast path: the zone's name index, the
 * answers precompiled per question against the ones the ldns path builds, their going
 * stale on every zone change, and a differential run of many odd queries through both. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "fdns.h"
#include "fdns_internal.h"

/* Every type the fake DNS is meant to serve, RFC 3597 generic data included, with the
 * shapes that make answers differ: CNAME chains and loops, empty non-terminals, RRsets of
 * several records, one too big for 512 bytes, SRV targets for the additional section,
 * owners in odd case, names with bytes that need escapes in the log. */
static const char ZONE[] =
	"$ORIGIN example.test.\n"
	"$TTL 300\n"
	"@       IN SOA ns1 hostmaster 7 3600 600 86400 60\n"
	"@       IN NS ns1\n"
	"@       IN NS ns2.other.test.\n"
	"ns1     IN A 192.0.2.53\n"
	"@       IN NAPTR 10 50 \"s\" \"SIP+D2U\" \"\" _sip._udp\n"
	"@       IN NAPTR 20 50 \"s\" \"SIP+D2T\" \"\" _sip._tcp\n"
	"@       IN MX 10 mail\n"
	"@       IN TXT \"v=spf1 -all\"\n"
	"_sip._udp IN SRV 10 60 5060 sip1\n"
	"_sip._udp 60 IN SRV 20 40 5060 Sip2\n"
	"_sip._tcp IN SRV 10 0 5060 sip1\n"
	"_sips._tcp IN SRV 0 0 0 .\n"
	"sip1    IN A 192.0.2.1\n"
	"sip1    IN A 192.0.2.3\n"
	"sip1    IN AAAA 2001:db8::1\n"
	"SIP2    IN A 192.0.2.2\n"
	"mail    IN A 192.0.2.25\n"
	"alias   IN CNAME sip1\n"
	"alias2  IN CNAME ALIAS\n"
	"dangling IN CNAME nowhere\n"
	"loop1   IN CNAME loop2\n"
	"loop2   IN CNAME loop1\n"
	"out     IN CNAME sip.other.test.\n"
	"txt     IN TXT \"hello world\" \"second\"\n"
	"gen     IN TYPE65534 \\# 4 0a000001\n"
	"gen     IN TYPE65534 \\# 0\n"
	"ptr     IN PTR sip1\n"
	"caa     IN CAA 0 issue \"ca.test\"\n"
	"a.b.c   IN A 192.0.2.9\n"
	"we\\.ird IN A 192.0.2.10\n"
	"sp\\032ace IN TXT \"x\"\n"
	"bin\\255\\000x IN A 192.0.2.11\n"
	"MiXeD.CaSe IN A 192.0.2.12\n"
	"multi   IN A 192.0.2.21\n"
	"multi   IN A 192.0.2.22\n"
	"multi   IN A 192.0.2.23\n"
	"multi   IN A 192.0.2.24\n"
	/* with the targets' addresses the answer passes 512 bytes, without it does not */
	"_sip._udp.many IN SRV 1 1 5060 t1.many\n"
	"_sip._udp.many IN SRV 2 1 5060 t2.many\n"
	"_sip._udp.many IN SRV 3 1 5060 t3.many\n"
	"_sip._udp.many IN SRV 4 1 5060 t4.many\n"
	"_sip._udp.many IN SRV 5 1 5060 t5.many\n"
	"_sip._udp.many IN SRV 6 1 5060 t6.many\n"
	"t1.many IN A 192.0.2.101\nt1.many IN AAAA 2001:db8::101\n"
	"t2.many IN A 192.0.2.102\nt2.many IN AAAA 2001:db8::102\n"
	"t3.many IN A 192.0.2.103\nt3.many IN AAAA 2001:db8::103\n"
	"t4.many IN A 192.0.2.104\nt4.many IN AAAA 2001:db8::104\n"
	"t5.many IN A 192.0.2.105\nt5.many IN AAAA 2001:db8::105\n"
	"t6.many IN A 192.0.2.106\nt6.many IN AAAA 2001:db8::106\n"
	"l63.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa IN A 192.0.2.63\n";

/* Names the differential asks for, wire form built by ldns from these. */
static const char *const NAMES[] = {
	"example.test.", "ns1.example.test.", "_sip._udp.example.test.",
	"_sip._tcp.example.test.", "_sips._tcp.example.test.", "sip1.example.test.",
	"sip2.example.test.", "mail.example.test.", "alias.example.test.",
	"alias2.example.test.", "dangling.example.test.", "loop1.example.test.",
	"out.example.test.", "txt.example.test.", "gen.example.test.", "ptr.example.test.",
	"caa.example.test.", "a.b.c.example.test.", "b.c.example.test.", "c.example.test.",
	"x.b.c.example.test.", "we\\.ird.example.test.", "sp\\032ace.example.test.",
	"bin\\255\\000x.example.test.", "mixed.case.example.test.", "case.example.test.",
	"multi.example.test.", "nope.example.test.", "sip1.sip1.example.test.", "test.",
	"other.test.", "nowhere.example.test.", "big.example.test.", "_sip._udp.big.example.test.",
	"l63.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example.test.",
	"*.example.test.", "-.example.test.", "_sip._udp.many.example.test.",
	"t1.many.example.test.", "chain0.example.test.",
};
#define NNAMES (sizeof(NAMES) / sizeof(NAMES[0]))

static const uint16_t TYPES[] = {
	LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA, LDNS_RR_TYPE_NAPTR, LDNS_RR_TYPE_SRV,
	LDNS_RR_TYPE_CNAME, LDNS_RR_TYPE_SOA, LDNS_RR_TYPE_NS, LDNS_RR_TYPE_TXT,
	LDNS_RR_TYPE_MX, LDNS_RR_TYPE_PTR, LDNS_RR_TYPE_CAA, 65534, 0, LDNS_RR_TYPE_OPT,
	LDNS_RR_TYPE_ANY, LDNS_RR_TYPE_AXFR, 4242,
};
#define NTYPES (sizeof(TYPES) / sizeof(TYPES[0]))

static struct fdns_zone *new_zone(int fast)
{
	struct fdns_zone *z = NULL;
	char err[256] = "";
	assert_int_equal(fdns_zone_new(&z), 0);
	if (fdns_zone_load_text(z, ZONE, NULL, 3600, "t.zone", 1, err, sizeof(err)) < 0)
		fail_msg("load: %s", err);
	/* 40 SRV: 1.3 kB, past 512 and within 4096 */
	for (int i = 0; i < 40; i++) {
		char rr[128];
		snprintf(rr, sizeof(rr), "_sip._udp.big.example.test. 300 IN SRV %d 10 5060 "
			 "host%02d.example.test.\n", i, i);
		assert_int_equal(fdns_zone_load_text(z, rr, NULL, 300, "big", 1, err, sizeof(err)),
				 0);
	}
	/* a CNAME chain of long names to a name that does not exist: an NXDOMAIN too big for
	 * 512 bytes, so its truncated form keeps rcode 3 */
	for (int i = 0; i < 8; i++) {
		char rr[300], pad[56];
		memset(pad, 'x', sizeof(pad) - 1);
		pad[sizeof(pad) - 1] = 0;
		snprintf(rr, sizeof(rr), "%s%d.example.test. 300 IN CNAME %s%d.example.test.\n",
			 i ? pad : "chain", i, pad, i + 1);
		assert_int_equal(fdns_zone_load_text(z, rr, NULL, 300, "chain", 1, err,
						     sizeof(err)), 0);
	}
	fdns_cache_enable(fdns_zone_cache(z), fast);
	return z;
}

/* The split-mix generator the tests draw from: the same runs every time. */
static uint64_t rng_state;
static uint32_t rnd(uint32_t n)
{
	uint64_t x = (rng_state += 0x9E3779B97F4A7C15ull);
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
	x ^= x >> 31;
	return n ? (uint32_t)(x % n) : 0;
}

/* A query built by hand, so that any field can be odd. */
struct qspec {
	uint16_t id;
	uint8_t f2, f3;         /* header bytes 2 and 3 */
	const uint8_t *name;    /* wire */
	size_t name_len;
	uint16_t qtype, qclass;
	int edns;               /* -1: no OPT; else its payload size */
	int dnssec_ok, version;
	size_t opt_data;        /* bytes of option data in the OPT */
	int qdcount2, ancount1, trailing, pointer;
};

static size_t put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return 2;
}

static size_t build(uint8_t *w, const struct qspec *s)
{
	size_t off = 0;
	off += put16(w + off, s->id);
	w[off++] = s->f2;
	w[off++] = s->f3;
	off += put16(w + off, s->qdcount2 ? 2 : 1);
	off += put16(w + off, s->ancount1 ? 1 : 0);
	off += put16(w + off, 0);
	off += put16(w + off, s->edns >= 0 ? 1 : 0);
	if (s->pointer && s->name_len > 1) {
		/* first label, then a pointer to the rest written once more after the header's
		 * question: ldns follows it, the fast path must not take it */
		size_t first = (size_t)s->name[0] + 1;
		memcpy(w + off, s->name, first);
		off += first;
		off += put16(w + off, (uint16_t)(0xC000 | (off + 2 + 4)));
	} else {
		memcpy(w + off, s->name, s->name_len);
		off += s->name_len;
	}
	off += put16(w + off, s->qtype);
	off += put16(w + off, s->qclass);
	if (s->pointer && s->name_len > 1) {
		size_t first = (size_t)s->name[0] + 1;
		memcpy(w + off, s->name + first, s->name_len - first);
		off += s->name_len - first;
	}
	if (s->qdcount2) {
		memcpy(w + off, s->name, s->name_len);
		off += s->name_len;
		off += put16(w + off, s->qtype);
		off += put16(w + off, s->qclass);
	}
	if (s->ancount1) {
		w[off++] = 0;
		off += put16(w + off, LDNS_RR_TYPE_A);
		off += put16(w + off, LDNS_RR_CLASS_IN);
		off += put16(w + off, 0);
		off += put16(w + off, 60);
		off += put16(w + off, 4);
		memcpy(w + off, "\x7f\0\0\1", 4);
		off += 4;
	}
	if (s->edns >= 0) {
		w[off++] = 0;
		off += put16(w + off, LDNS_RR_TYPE_OPT);
		off += put16(w + off, (uint16_t)s->edns);
		w[off++] = 0;
		w[off++] = (uint8_t)s->version;
		w[off++] = s->dnssec_ok ? 0x80 : 0;
		w[off++] = 0;
		off += put16(w + off, (uint16_t)s->opt_data);
		for (size_t i = 0; i < s->opt_data; i++)
			w[off++] = (uint8_t)(0xA0 + i);
	}
	if (s->trailing)
		w[off++] = 0x55;
	return off;
}

/* The wire form of name, its letters' case flipped at random when odd is set. */
static size_t wire_name(const char *name, int odd, uint8_t *out)
{
	ldns_rdf *d = NULL;
	assert_int_equal(ldns_str2rdf_dname(&d, name), LDNS_STATUS_OK);
	size_t len = ldns_rdf_size(d);
	memcpy(out, ldns_rdf_data(d), len);
	ldns_rdf_deep_free(d);
	for (size_t off = 0; odd && out[off] != 0; off += (size_t)out[off] + 1)
		for (size_t i = off + 1; i <= off + out[off]; i++)
			if (((out[i] | 0x20) >= 'a' && (out[i] | 0x20) <= 'z') && rnd(2))
				out[i] ^= 0x20;
	return len;
}

struct answer {
	int rc;
	uint8_t *resp;
	size_t len;
	struct fdns_query_log lg;
};

static void answer(struct fdns_zone *z, const uint8_t *q, size_t qlen, size_t udp_limit,
		   enum fdns_transport t, struct answer *a)
{
	memset(a, 0, sizeof(*a));
	a->rc = fdns_answer_log(z, q, qlen, udp_limit, t, &a->resp, &a->len, &a->lg);
}

static void same(const struct answer *f, const struct answer *s, const char *what)
{
	if (f->rc != s->rc || f->len != s->len || (f->resp == NULL) != (s->resp == NULL) ||
	    (f->resp && memcmp(f->resp, s->resp, f->len) != 0))
		fail_msg("%s: fast path rc %d, %zu bytes; ldns path rc %d, %zu bytes", what, f->rc,
			 f->len, s->rc, s->len);
	const struct fdns_query_log *a = &f->lg, *b = &s->lg;
	if (strcmp(a->qname, b->qname) || a->qtype != b->qtype || a->id != b->id ||
	    a->flags != b->flags || a->edns != b->edns || a->dnssec_ok != b->dnssec_ok ||
	    a->rcode != b->rcode || a->ancount != b->ancount || a->tc != b->tc ||
	    (a->error == NULL) != (b->error == NULL) || (a->error && strcmp(a->error, b->error)) ||
	    (a->fault == NULL) != (b->fault == NULL) || (a->fault && strcmp(a->fault, b->fault)) ||
	    a->delay_us != b->delay_us)
		fail_msg("%s: log differs: fast '%s' %u id %u rcode %d an %u tc %d; "
			 "ldns '%s' %u id %u rcode %d an %u tc %d",
			 what, a->qname, a->qtype, a->id, a->rcode, a->ancount, a->tc, b->qname,
			 b->qtype, b->id, b->rcode, b->ancount, b->tc);
}

static void answer_free(struct answer *a)
{
	free(a->resp);
	a->resp = NULL;
}

/* ---- the index ---- */

static void test_index_large_zone(void **state)
{
	(void)state;
	enum { N = 3000 };
	struct fdns_zone *z = NULL;
	char err[256] = "";
	size_t cap = N * 64, off = 0;
	char *text = malloc(cap);
	assert_non_null(text);
	off += (size_t)snprintf(text + off, cap - off, "$ORIGIN big.test.\n");
	for (int i = 0; i < N; i++)
		off += (size_t)snprintf(text + off, cap - off, "h%d.Zone%d IN A 10.%d.%d.%d\n", i,
					i % 7, i >> 16, (i >> 8) & 255, i & 255);
	/* one RRset spelled two ways in the file */
	off += (size_t)snprintf(text + off, cap - off, "Twice IN A 10.255.0.1\ntWICE IN A 10.255.0.2\n");
	/* another class: not the IN zone's, neither its records nor its names */
	off += (size_t)snprintf(text + off, cap - off, "v.chaos 60 CH A 10.255.0.3\n");
	assert_int_equal(fdns_zone_new(&z), 0);
	if (fdns_zone_load_text(z, text, NULL, 60, "big", 1, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	free(text);
	fdns_cache_enable(fdns_zone_cache(z), 0); /* the index alone, through the ldns path */
	for (int i = 0; i < N; i += 7) {
		char name[64], want[32];
		snprintf(name, sizeof(name), "H%d.zONE%d.BIG.test.", i, i % 7);
		snprintf(want, sizeof(want), "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
		uint8_t q[512], wn[256];
		struct qspec s = { .id = (uint16_t)i, .name = wn, .name_len = wire_name(name, 0, wn),
				   .qtype = LDNS_RR_TYPE_A, .qclass = LDNS_RR_CLASS_IN, .edns = -1 };
		struct answer a;
		answer(z, q, build(q, &s), 512, FDNS_UDP, &a);
		ldns_pkt *p = NULL;
		assert_int_equal(ldns_wire2pkt(&p, a.resp, a.len), LDNS_STATUS_OK);
		assert_int_equal(ldns_pkt_ancount(p), 1);
		char *addr = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_answer(p), 0), 0));
		assert_string_equal(addr, want);
		free(addr);
		ldns_pkt_free(p);
		answer_free(&a);
	}
	/* both spellings in one RRset; ancestors exist (NODATA), their siblings do not */
	static const struct { const char *name; int rcode; unsigned an; } cases[] = {
		{ "twice.big.test.", LDNS_RCODE_NOERROR, 2 },
		{ "zone3.big.test.", LDNS_RCODE_NOERROR, 0 },
		{ "big.test.", LDNS_RCODE_NOERROR, 0 },
		{ "test.", LDNS_RCODE_NOERROR, 0 },
		{ "zone7.big.test.", LDNS_RCODE_NXDOMAIN, 0 },
		{ "h1.zone2.big.test.", LDNS_RCODE_NXDOMAIN, 0 },
		{ "x.h1.zone1.big.test.", LDNS_RCODE_NXDOMAIN, 0 },
		{ "v.chaos.big.test.", LDNS_RCODE_NXDOMAIN, 0 },
		{ "chaos.big.test.", LDNS_RCODE_NXDOMAIN, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t q[512], wn[256];
		struct qspec s = { .name = wn, .name_len = wire_name(cases[i].name, 0, wn),
				   .qtype = LDNS_RR_TYPE_A, .qclass = LDNS_RR_CLASS_IN, .edns = -1 };
		struct answer a;
		answer(z, q, build(q, &s), 512, FDNS_UDP, &a);
		if (a.lg.rcode != cases[i].rcode || a.lg.ancount != cases[i].an)
			fail_msg("%s: rcode %d an %u", cases[i].name, a.lg.rcode, a.lg.ancount);
		answer_free(&a);
	}
	fdns_zone_free(z);
}

/* ---- precompiled answers ---- */

/* Every name and type of the zone through both paths, plain and with EDNS: the bytes the
 * fast path patches together are the bytes ldns builds. */
static void test_precompiled_equal_ldns(void **state)
{
	(void)state;
	for (int additional = 0; additional < 2; additional++) {
		struct fdns_zone *fz = new_zone(1), *sz = new_zone(0);
		fdns_zone_set_additional(fz, additional);
		fdns_zone_set_additional(sz, additional);
		size_t asked = 0;
		for (size_t n = 0; n < NNAMES; n++) {
			for (size_t t = 0; t < NTYPES; t++) {
				for (int e = 0; e < 3; e++) {
					uint8_t q[1024], wn[256];
					struct qspec s = { .id = (uint16_t)(n * 100 + t), .f2 = 0x01,
							   .name = wn,
							   .name_len = wire_name(NAMES[n], 0, wn),
							   .qtype = TYPES[t],
							   .qclass = LDNS_RR_CLASS_IN,
							   .edns = e == 0 ? -1 : e == 1 ? 1232 : 4096,
							   .dnssec_ok = e == 2 };
					size_t qlen = build(q, &s);
					struct answer a, b;
					char what[300];
					snprintf(what, sizeof(what), "%s type %u edns %d additional %d",
						 NAMES[n], TYPES[t], s.edns, additional);
					answer(fz, q, qlen, 512, FDNS_UDP, &a);
					answer(sz, q, qlen, 512, FDNS_UDP, &b);
					same(&a, &b, what);
					answer_free(&a);
					answer_free(&b);
					asked++;
				}
			}
		}
		/* all but the meta types were served precompiled */
		struct fdns_cache *c = fdns_zone_cache(fz);
		size_t meta = NNAMES * 2 * 3;
		if (fdns_cache_hits(c) != asked - meta)
			fail_msg("fast path gave %zu of %zu answers", fdns_cache_hits(c), asked - meta);
		assert_int_equal(fdns_cache_hits(fdns_zone_cache(sz)), 0);
		fdns_zone_free(fz);
		fdns_zone_free(sz);
	}
}

/* The log's qname text is ldns's for any bytes a label can hold. */
static void test_qname_text(void **state)
{
	(void)state;
	rng_state = 99;
	for (int i = 0; i < 2000; i++) {
		uint8_t w[256];
		size_t off = 0;
		size_t labels = 1 + rnd(4);
		for (size_t l = 0; l < labels; l++) {
			size_t n = 1 + rnd(i % 10 == 0 ? 63 : 8);
			if (off + 1 + n + 1 > LDNS_MAX_DOMAINLEN)
				break;
			w[off++] = (uint8_t)n;
			for (size_t k = 0; k < n; k++)
				w[off++] = (uint8_t)(rnd(3) ? 'a' + rnd(26) : rnd(256));
		}
		w[off++] = 0;
		ldns_rdf *d = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, off, w);
		char *s = ldns_rdf2str(d);
		size_t n = strlen(s);
		if (n > 1 && s[n - 1] == '.')
			s[n - 1] = '\0';
		char want[256], got[256];
		snprintf(want, sizeof(want), "%s", s);
		fdns_qname_str(w, off, got, sizeof(got));
		assert_string_equal(got, want);
		free(s);
		ldns_rdf_deep_free(d);
	}
	char got[8];
	fdns_qname_str((const uint8_t *)"", 1, got, sizeof(got));
	assert_string_equal(got, ".");
}

/* ---- staleness ---- */

static struct answer ask1(struct fdns_zone *z, const char *name, uint16_t type)
{
	uint8_t q[512], wn[256];
	struct qspec s = { .id = 7, .name = wn, .name_len = wire_name(name, 0, wn),
			   .qtype = type, .qclass = LDNS_RR_CLASS_IN, .edns = -1 };
	struct answer a;
	answer(z, q, build(q, &s), 512, FDNS_UDP, &a);
	return a;
}

static void expect(struct fdns_zone *z, const char *name, uint16_t type, int rcode,
		   unsigned an, const char *fault)
{
	struct answer a = ask1(z, name, type);
	if (a.lg.rcode != rcode || a.lg.ancount != an ||
	    (fault ? !a.lg.fault || strcmp(fault, a.lg.fault) : a.lg.fault != NULL))
		fail_msg("%s/%u: rcode %d an %u fault %s; wanted %d %u %s", name, type, a.lg.rcode,
			 a.lg.ancount, a.lg.fault ? a.lg.fault : "-", rcode, an,
			 fault ? fault : "-");
	answer_free(&a);
}

static unsigned arcount(struct fdns_zone *z, const char *name, uint16_t type)
{
	struct answer a = ask1(z, name, type);
	assert_non_null(a.resp);
	unsigned n = (unsigned)(a.resp[10] << 8 | a.resp[11]);
	answer_free(&a);
	return n;
}

static void test_stale_on_change(void **state)
{
	(void)state;
	char err[256] = "";
	struct fdns_zone *z = new_zone(1);
	struct fdns_cache *c = fdns_zone_cache(z);

	expect(z, "sip1.example.test.", LDNS_RR_TYPE_A, 0, 2, NULL);
	expect(z, "new.example.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, 0, NULL);
	expect(z, "sip1.example.test.", LDNS_RR_TYPE_A, 0, 2, NULL);
	assert_true(fdns_cache_hits(c) >= 3);

	/* more text: a record added to a cached RRset, a cached NXDOMAIN name now owned */
	assert_int_equal(fdns_zone_load_text(z, "sip1.example.test. 1 IN A 192.0.2.99\n"
					     "new.example.test. 1 IN A 192.0.2.98\n",
					     NULL, 60, "more", 1, err, sizeof(err)), 0);
	expect(z, "sip1.example.test.", LDNS_RR_TYPE_A, 0, 3, NULL);
	expect(z, "new.example.test.", LDNS_RR_TYPE_A, 0, 1, NULL);

	/* zone_at with replace: the old records are gone, a staged change applies once */
	struct fdns_zone *ch = NULL;
	struct fdns_staged *h = NULL;
	assert_int_equal(fdns_zone_new(&ch), 0);
	assert_int_equal(fdns_zone_load_text(ch, "sip9.example.test. 1 IN A 192.0.2.9\n", NULL,
					     60, "ch", 1, err, sizeof(err)), 0);
	assert_int_equal(fdns_zone_stage(z, ch, 1, NULL, &h), 0);
	expect(z, "sip9.example.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, 0, NULL);
	assert_int_equal(fdns_staged_apply(h), 0);
	expect(z, "sip9.example.test.", LDNS_RR_TYPE_A, 0, 1, NULL);
	expect(z, "sip1.example.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, 0, NULL);
	fdns_zone_free(z);

	/* answer options */
	z = new_zone(1);
	assert_int_equal(arcount(z, "_sip._udp.example.test.", LDNS_RR_TYPE_SRV), 0);
	fdns_zone_set_additional(z, 1);
	/* sip1's two A and its AAAA, SIP2's A */
	assert_int_equal(arcount(z, "_sip._udp.example.test.", LDNS_RR_TYPE_SRV), 4);
	fdns_zone_set_additional(z, 0);
	assert_int_equal(arcount(z, "_sip._udp.example.test.", LDNS_RR_TYPE_SRV), 0);
	/* CNAME chasing: the chain in one answer, or its first link alone */
	expect(z, "alias2.example.test.", LDNS_RR_TYPE_A, 0, 4, NULL);
	fdns_zone_set_chase(z, 0);
	expect(z, "alias2.example.test.", LDNS_RR_TYPE_A, 0, 1, NULL);
	fdns_zone_set_chase(z, 1);
	expect(z, "alias2.example.test.", LDNS_RR_TYPE_A, 0, 4, NULL);

	/* shuffle: cached in zone order first, then a new order per answer */
	struct answer first = ask1(z, "multi.example.test.", LDNS_RR_TYPE_A);
	fdns_zone_set_shuffle(z, 1, 3);
	int differ = 0;
	size_t hits = fdns_cache_hits(fdns_zone_cache(z));
	for (int i = 0; i < 10; i++) {
		struct answer a = ask1(z, "multi.example.test.", LDNS_RR_TYPE_A);
		differ += a.len == first.len && memcmp(a.resp, first.resp, a.len) != 0;
		answer_free(&a);
	}
	assert_true(differ >= 5);
	assert_int_equal(fdns_cache_hits(fdns_zone_cache(z)), hits); /* none of them cached */
	/* a single record never draws: still precompiled */
	expect(z, "mail.example.test.", LDNS_RR_TYPE_A, 0, 1, NULL);
	expect(z, "mail.example.test.", LDNS_RR_TYPE_A, 0, 1, NULL);
	assert_int_equal(fdns_cache_hits(fdns_zone_cache(z)), hits + 2);
	answer_free(&first);
	fdns_zone_free(z);

	/* a fault added after the answer was precompiled: counted and applied from then on */
	z = new_zone(1);
	expect(z, "example.test.", LDNS_RR_TYPE_NAPTR, 0, 2, NULL);
	struct fdns_fault f = { .name = "EXAMPLE.test", .qtype = LDNS_RR_TYPE_NAPTR, .nth = 2,
				.action = FDNS_ACT_SERVFAIL };
	assert_int_equal(fdns_zone_add_fault(z, &f, err, sizeof(err)), 0);
	expect(z, "example.test.", LDNS_RR_TYPE_NAPTR, 0, 2, NULL);
	expect(z, "example.test.", LDNS_RR_TYPE_NAPTR, LDNS_RCODE_SERVFAIL, 0, "servfail");
	expect(z, "example.test.", LDNS_RR_TYPE_NAPTR, 0, 2, NULL);
	/* other questions stay on the fast path */
	hits = fdns_cache_hits(fdns_zone_cache(z));
	expect(z, "example.test.", LDNS_RR_TYPE_TXT, 0, 1, NULL);
	assert_int_equal(fdns_cache_hits(fdns_zone_cache(z)), hits + 1);
	fdns_zone_free(z);
}

/* ---- differential ---- */

enum cfg { PLAIN, SHUFFLE_ADDITIONAL, FAULTS, NO_CHASE };

static void add_faults(struct fdns_zone *z)
{
	char err[256];
	static const struct fdns_fault rules[] = {
		{ .qtype = LDNS_RR_TYPE_NAPTR, .nth = 3, .action = FDNS_ACT_SERVFAIL },
		{ .name = "sip1.example.test", .qtype = LDNS_RR_TYPE_A, .action = FDNS_ACT_TTL0 },
		{ .qtype = LDNS_RR_TYPE_AAAA, .times = 5, .action = FDNS_ACT_WRONG_ID },
		{ .name = "multi.example.test", .transport = FDNS_UDP, .action = FDNS_ACT_TRUNCATE,
		  .times = 4 },
		{ .name = "nope.example.test", .action = FDNS_ACT_DROP, .nth = 2 },
		{ .name = "txt.example.test", .action = FDNS_ACT_BAD_POINTER },
		{ .name = "_sip._udp.example.test", .transport = FDNS_TCP,
		  .action = FDNS_ACT_TRUNCATED_RDATA },
		{ .name = "mail.example.test", .action = FDNS_ACT_DELAY, .delay_us = 5000 },
		{ .name = "ptr.example.test", .action = FDNS_ACT_NXDOMAIN },
	};
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		assert_int_equal(fdns_zone_add_fault(z, &rules[i], err, sizeof(err)), 0);
}

static void differential(enum cfg cfg, unsigned seed, int n)
{
	struct fdns_zone *fz = new_zone(1), *sz = new_zone(0);
	if (cfg == SHUFFLE_ADDITIONAL) {
		fdns_zone_set_shuffle(fz, 1, seed);
		fdns_zone_set_shuffle(sz, 1, seed);
		fdns_zone_set_additional(fz, 1);
		fdns_zone_set_additional(sz, 1);
	} else if (cfg == NO_CHASE) {
		fdns_zone_set_chase(fz, 0);
		fdns_zone_set_chase(sz, 0);
	} else if (cfg == FAULTS) {
		add_faults(fz);
		add_faults(sz);
		fdns_zone_set_additional(fz, 1);
		fdns_zone_set_additional(sz, 1);
	}
	static const int edns[] = { -1, -1, -1, 0, 100, 512, 513, 1232, 1500, 4096, 65535 };
	rng_state = seed;
	for (int i = 0; i < n; i++) {
		uint8_t q[1200], wn[256];
		struct qspec s = { 0 };
		s.id = (uint16_t)rnd(65536);
		const char *name = NAMES[rnd(NNAMES)];
		s.name = wn;
		s.name_len = wire_name(name, (int)rnd(2), wn);
		if (!rnd(40)) {
			/* a label length ldns refuses (64-191: extended label types) */
			size_t l = 64 + rnd(128);
			name = "(bad label)";
			wn[0] = (uint8_t)l;
			memset(wn + 1, 'a', l);
			wn[l + 1] = 0;
			s.name_len = l + 2;
		}
		s.qtype = rnd(8) ? TYPES[rnd(NTYPES)] : (uint16_t)rnd(65536);
		s.qclass = rnd(40) ? LDNS_RR_CLASS_IN : LDNS_RR_CLASS_CH;
		s.f2 = (uint8_t)(rnd(2) | (rnd(2) << 1) | (rnd(2) << 2)); /* RD, TC, AA */
		if (!rnd(40))
			s.f2 |= 0x80;                                   /* a response */
		if (!rnd(40))
			s.f2 |= (uint8_t)((1 + rnd(5)) << 3);           /* another opcode */
		s.f3 = (uint8_t)rnd(256);                               /* RA Z AD CD rcode */
		s.edns = edns[rnd(sizeof(edns) / sizeof(edns[0]))];
		s.dnssec_ok = (int)rnd(2);
		s.version = rnd(10) ? 0 : 1;
		s.opt_data = rnd(4) ? 0 : rnd(12);
		s.qdcount2 = !rnd(50);
		s.ancount1 = !rnd(50);
		s.trailing = !rnd(50);
		s.pointer = !rnd(30);
		size_t qlen = build(q, &s);
		if (!rnd(60))
			qlen = rnd((uint32_t)qlen); /* cut short */
		enum fdns_transport t = rnd(4) ? FDNS_UDP : FDNS_TCP;
		/* the server passes 0 for TCP; any other value must not matter there */
		static const size_t limits[] = { 512, 512, 1232, 0 };
		size_t limit = limits[rnd(4)];
		struct answer a, b;
		char what[256];
		snprintf(what, sizeof(what), "cfg %d query %d (%s type %u edns %d %s)", cfg, i,
			 name, s.qtype, s.edns, t == FDNS_TCP ? "tcp" : "udp");
		answer(fz, q, qlen, limit, t, &a);
		answer(sz, q, qlen, limit, t, &b);
		same(&a, &b, what);
		answer_free(&a);
		answer_free(&b);
	}
	/* the comparison means something only if the fast path answered most of them */
	size_t hits = fdns_cache_hits(fdns_zone_cache(fz));
	if (hits < (size_t)n / (cfg == PLAIN || cfg == NO_CHASE ? 2 : 5))
		fail_msg("cfg %d: the fast path gave only %zu of %d answers", cfg, hits, n);
	assert_int_equal(fdns_cache_hits(fdns_zone_cache(sz)), 0);
	fdns_zone_free(fz);
	fdns_zone_free(sz);
}

static void test_differential_plain(void **state)
{
	(void)state;
	differential(PLAIN, 1, 6000);
}

static void test_differential_shuffle_additional(void **state)
{
	(void)state;
	differential(SHUFFLE_ADDITIONAL, 2, 4000);
}

static void test_differential_faults(void **state)
{
	(void)state;
	differential(FAULTS, 3, 4000);
}

static void test_differential_no_chase(void **state)
{
	(void)state;
	differential(NO_CHASE, 4, 2000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_index_large_zone),
		cmocka_unit_test(test_precompiled_equal_ldns),
		cmocka_unit_test(test_qname_text),
		cmocka_unit_test(test_stale_on_change),
		cmocka_unit_test(test_differential_plain),
		cmocka_unit_test(test_differential_shuffle_additional),
		cmocka_unit_test(test_differential_faults),
		cmocka_unit_test(test_differential_no_chase),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
