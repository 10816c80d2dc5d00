/* test_fdns.c: unit tests of the fake DNS: zone loading, answers built by fdns_answer and
 * read back with ldns, and the server on a real loop over UDP and TCP. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "fdns.h"
#include "sl_loop.h"

static const char ZONE[] =
	"; siploc test zone\n"
	"$ORIGIN example.test.\n"
	"$TTL 300\n"
	"@       IN SOA ns1 hostmaster ( 2024010101 ; serial\n"
	"                3600 600 86400\n"
	"\n"
	"                60 )   ; minimum\n"
	"        IN NS ns1\n"
	"ns1     IN A 192.0.2.53\n"
	"@       IN NAPTR 10 50 \"s\" \"SIP+D2U\" \"\" _sip._udp\n"
	"        IN NAPTR 20 50 \"s\" \"SIP+D2T\" \"\" _sip._tcp\n"
	"_sip._udp IN SRV 20 40 5060 sip2.example.test.\n"
	"_sip._udp 60 IN SRV 10 60 5060 sip1\n"
	"_sip._tcp IN SRV 10 0 5060 sip1\n"
	"sip1    IN A 192.0.2.1\n"
	"sip1    IN AAAA 2001:db8::1\n"
	"sip2    IN A 192.0.2.2\n"
	"sip2    IN A 192.0.2.2\n" /* a repeat: an RRset is a set */
	"alias   IN CNAME sip1\n"
	"alias2  IN CNAME Alias\n"
	"dangling IN CNAME nowhere\n"
	"loop1   IN CNAME loop2\n"
	"loop2   IN CNAME loop1\n"
	"txt     IN TXT \"hello world\" \"second\"\n"
	"a.b.c   IN A 192.0.2.9   ; b.c is an empty non-terminal\n";
#define ZONE_RECORDS 18

struct fx {
	struct fdns_zone *z;
};

static int zone_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[256] = "";
	assert_non_null(f);
	assert_int_equal(fdns_zone_new(&f->z), 0);
	int rc = fdns_zone_load_text(f->z, ZONE, NULL, 3600, "t.zone", 1, err, sizeof(err));
	if (rc)
		fail_msg("load: %s", err);
	*state = f;
	return 0;
}

static int zone_teardown(void **state)
{
	struct fx *f = *state;
	fdns_zone_free(f->z);
	free(f);
	return 0;
}

/* Wire query; question spelled exactly as name. */
static uint8_t *make_query(const char *name, ldns_rr_type t, uint16_t edns, uint16_t id,
			   size_t *len)
{
	ldns_pkt *q = NULL;
	uint8_t *w = NULL;
	assert_int_equal(ldns_pkt_query_new_frm_str(&q, name, t, LDNS_RR_CLASS_IN, LDNS_RD),
			 LDNS_STATUS_OK);
	ldns_pkt_set_id(q, id);
	if (edns)
		ldns_pkt_set_edns_udp_size(q, edns);
	assert_int_equal(ldns_pkt2wire(&w, q, len), LDNS_STATUS_OK);
	ldns_pkt_free(q);
	return w;
}

static ldns_pkt *parse(const uint8_t *w, size_t len)
{
	ldns_pkt *p = NULL;
	assert_int_equal(ldns_wire2pkt(&p, w, len), LDNS_STATUS_OK);
	return p;
}

static ldns_pkt *ask_ex(struct fdns_zone *z, const char *name, ldns_rr_type t, uint16_t edns,
			size_t udp_limit, size_t *resp_len)
{
	size_t qlen = 0, rlen = 0;
	uint8_t *q = make_query(name, t, edns, 0x4242, &qlen);
	uint8_t *r = NULL;
	assert_int_equal(fdns_answer(z, q, qlen, udp_limit, &r, &rlen), 0);
	ldns_pkt *p = parse(r, rlen);
	if (resp_len)
		*resp_len = rlen;
	free(q);
	free(r);
	assert_int_equal(ldns_pkt_id(p), 0x4242);
	assert_true(ldns_pkt_qr(p));
	assert_true(ldns_pkt_rd(p));
	assert_false(ldns_pkt_ra(p));
	return p;
}

static ldns_pkt *ask(struct fdns_zone *z, const char *name, ldns_rr_type t)
{
	return ask_ex(z, name, t, 0, 512, NULL);
}

static char *rr_str(const ldns_pkt *p, ldns_pkt_section sec, size_t i)
{
	const ldns_rr_list *l = sec == LDNS_SECTION_ANSWER ? ldns_pkt_answer(p)
			      : sec == LDNS_SECTION_AUTHORITY ? ldns_pkt_authority(p)
							      : ldns_pkt_question(p);
	assert_true(i < ldns_rr_list_rr_count(l));
	return ldns_rr2str(ldns_rr_list_rr(l, i));
}

#define assert_rr(p, sec, i, text)                                 \
	do {                                                       \
		char *s_ = rr_str(p, sec, i);                      \
		assert_string_equal(s_, text "\n");                \
		free(s_);                                          \
	} while (0)

static void test_zone_load(void **state)
{
	struct fx *f = *state;
	assert_int_equal(fdns_zone_count(f->z), ZONE_RECORDS);
	/* multi-line SOA with comments and a blank line inside the parentheses */
	ldns_pkt *p = ask(f->z, "example.test.", LDNS_RR_TYPE_SOA);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	assert_rr(p, LDNS_SECTION_ANSWER, 0,
		  "example.test.\t300\tIN\tSOA\tns1.example.test. hostmaster.example.test. "
		  "2024010101 3600 600 86400 60");
	ldns_pkt_free(p);
	/* owner omitted: NS belongs to the apex */
	p = ask(f->z, "example.test.", LDNS_RR_TYPE_NS);
	assert_rr(p, LDNS_SECTION_ANSWER, 0, "example.test.\t300\tIN\tNS\tns1.example.test.");
	ldns_pkt_free(p);
	p = ask(f->z, "txt.example.test.", LDNS_RR_TYPE_TXT);
	assert_rr(p, LDNS_SECTION_ANSWER, 0,
		  "txt.example.test.\t300\tIN\tTXT\t\"hello world\" \"second\"");
	ldns_pkt_free(p);
}

static void test_zone_origin_and_default_ttl(void **state)
{
	(void)state;
	struct fdns_zone *z = NULL;
	char err[256] = "";
	assert_int_equal(fdns_zone_new(&z), 0);
	/* the caller's origin, and a default TTL of 0 that ldns alone would make 3600 */
	assert_int_equal(fdns_zone_load_text(z, "www IN A 192.0.2.7\n"
					     "mail 42 IN A 192.0.2.8\n"
					     "$ORIGIN sub.example.org.\n"
					     "x A 192.0.2.9", /* no final newline */
					     "example.org.", 0, "o.zone", 1, err, sizeof(err)),
			 0);
	assert_int_equal(fdns_zone_count(z), 3);
	ldns_pkt *p = ask(z, "www.example.org.", LDNS_RR_TYPE_A);
	assert_rr(p, LDNS_SECTION_ANSWER, 0, "www.example.org.\t0\tIN\tA\t192.0.2.7");
	ldns_pkt_free(p);
	p = ask(z, "mail.example.org.", LDNS_RR_TYPE_A);
	assert_rr(p, LDNS_SECTION_ANSWER, 0, "mail.example.org.\t42\tIN\tA\t192.0.2.8");
	ldns_pkt_free(p);
	p = ask(z, "x.sub.example.org.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	ldns_pkt_free(p);
	/* a second text adds to the zone */
	assert_int_equal(fdns_zone_load_text(z, "", NULL, 0, "e.zone", 1, err, sizeof(err)), 0);
	assert_int_equal(fdns_zone_load_text(z, "y.example.org. 5 IN AAAA ::1\n", NULL, 0,
					     "y.zone", 1, err, sizeof(err)),
			 0);
	assert_int_equal(fdns_zone_count(z), 4);
	fdns_zone_free(z);
}

static void test_zone_bad_line(void **state)
{
	(void)state;
	struct fdns_zone *z = NULL;
	char err[256] = "";
	assert_int_equal(fdns_zone_new(&z), 0);
	const char *text = "$ORIGIN example.test.\n"             /* line 10 */
			   "ok IN A 192.0.2.1\n"                 /* 11 */
			   "\n"                                  /* 12 */
			   "; a comment\n"                       /* 13 */
			   "multi IN SOA a b ( 1\n"              /* 14 */
			   "   2 3 4 5 )\n"                      /* 15 */
			   "\n"                                  /* 16 */
			   "   \n"                               /* 17 */
			   "bad   IN A   192.0.2.999 ; oops\n"   /* 18 */
			   "never IN A 192.0.2.3\n";
	int rc = fdns_zone_load_text(z, text, NULL, 60, "bad.zone", 10, err, sizeof(err));
	assert_int_equal(rc, -EINVAL);
	assert_string_equal(err, "bad.zone:18: Syntax error, could not parse the RR's rdata "
				 "in 'bad IN A 192.0.2.999 ; oops'");
	/* all or nothing */
	assert_int_equal(fdns_zone_count(z), 0);

	rc = fdns_zone_load_text(z, "x IN NOSUCHTYPE 1\n", "example.test.", 60, "t2.zone", 1,
				 err, sizeof(err));
	assert_int_equal(rc, -EINVAL);
	assert_non_null(strstr(err, "t2.zone:1: "));
	assert_non_null(strstr(err, "in 'x IN NOSUCHTYPE 1'"));
	fdns_zone_free(z);
}

static void test_naptr_srv_a_aaaa(void **state)
{
	struct fx *f = *state;
	ldns_pkt *p = ask(f->z, "example.test.", LDNS_RR_TYPE_NAPTR);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_true(ldns_pkt_aa(p));
	assert_int_equal(ldns_pkt_ancount(p), 2);
	assert_rr(p, LDNS_SECTION_ANSWER, 0,
		  "example.test.\t300\tIN\tNAPTR\t10 50 \"s\" \"SIP+D2U\" \"\" _sip._udp.example.test.");
	assert_rr(p, LDNS_SECTION_ANSWER, 1,
		  "example.test.\t300\tIN\tNAPTR\t20 50 \"s\" \"SIP+D2T\" \"\" _sip._tcp.example.test.");
	assert_int_equal(ldns_pkt_nscount(p), 0);
	ldns_pkt_free(p);

	/* zone order, not priority order */
	p = ask(f->z, "_sip._udp.example.test.", LDNS_RR_TYPE_SRV);
	assert_int_equal(ldns_pkt_ancount(p), 2);
	assert_rr(p, LDNS_SECTION_ANSWER, 0,
		  "_sip._udp.example.test.\t300\tIN\tSRV\t20 40 5060 sip2.example.test.");
	assert_rr(p, LDNS_SECTION_ANSWER, 1,
		  "_sip._udp.example.test.\t60\tIN\tSRV\t10 60 5060 sip1.example.test.");
	ldns_pkt_free(p);

	p = ask(f->z, "sip1.example.test.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	assert_rr(p, LDNS_SECTION_ANSWER, 0, "sip1.example.test.\t300\tIN\tA\t192.0.2.1");
	ldns_pkt_free(p);
	p = ask(f->z, "sip1.example.test.", LDNS_RR_TYPE_AAAA);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	assert_rr(p, LDNS_SECTION_ANSWER, 0, "sip1.example.test.\t300\tIN\tAAAA\t2001:db8::1");
	ldns_pkt_free(p);
	/* the repeated record is kept once */
	p = ask(f->z, "sip2.example.test.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	ldns_pkt_free(p);
}

/* A repeated record is kept once whatever the owner's case and whichever load brings it;
 * records of another type, class or RDATA under the same owner are not repeats. */
static void test_zone_duplicates_across_loads(void **state)
{
	(void)state;
	struct fdns_zone *z;
	char err[256];
	assert_int_equal(fdns_zone_new(&z), 0);
	assert_int_equal(fdns_zone_load_text(z, "$ORIGIN example.test.\nA IN A 192.0.2.9\n",
					     NULL, 300, "a.zone", 1, err, sizeof(err)), 0);
	size_t n = fdns_zone_count(z);
	assert_int_equal(fdns_zone_load_text(z, "a.EXAMPLE.test. 60 IN A 192.0.2.9\n"
					     "a.example.test. IN A 192.0.2.10\n"
					     "a.example.test. IN TXT \"192.0.2.9\"\n"
					     "a.example.test. IN A 192.0.2.10\n",
					     NULL, 300, "b.zone", 1, err, sizeof(err)), 0);
	assert_int_equal(fdns_zone_count(z), n + 2);
	fdns_zone_free(z);
}

static void test_case_echo(void **state)
{
	struct fx *f = *state;
	ldns_pkt *p = ask(f->z, "ExAmPlE.TeSt.", LDNS_RR_TYPE_NAPTR);
	assert_int_equal(ldns_pkt_ancount(p), 2);
	assert_rr(p, LDNS_SECTION_QUESTION, 0, "ExAmPlE.TeSt.\tIN\tNAPTR");
	for (size_t i = 0; i < 2; i++) {
		char *s = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_answer(p), i)));
		assert_string_equal(s, "ExAmPlE.TeSt.");
		free(s);
	}
	ldns_pkt_free(p);
	p = ask(f->z, "SIP1.example.TEST.", LDNS_RR_TYPE_A);
	assert_rr(p, LDNS_SECTION_ANSWER, 0, "SIP1.example.TEST.\t300\tIN\tA\t192.0.2.1");
	ldns_pkt_free(p);
}

static void test_nxdomain_nodata(void **state)
{
	struct fx *f = *state;
	const char *soa = "example.test.\t300\tIN\tSOA\tns1.example.test. "
			  "hostmaster.example.test. 2024010101 3600 600 86400 60";
	ldns_pkt *p = ask(f->z, "nope.example.test.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	assert_true(ldns_pkt_aa(p));
	assert_int_equal(ldns_pkt_ancount(p), 0);
	assert_int_equal(ldns_pkt_nscount(p), 1);
	char *s = rr_str(p, LDNS_SECTION_AUTHORITY, 0);
	assert_non_null(strstr(s, "SOA"));
	free(s);
	ldns_pkt_free(p);

	/* the name exists, the type does not */
	p = ask(f->z, "sip2.example.test.", LDNS_RR_TYPE_AAAA);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(p), 0);
	assert_int_equal(ldns_pkt_nscount(p), 1);
	s = rr_str(p, LDNS_SECTION_AUTHORITY, 0);
	assert_int_equal(strncmp(s, soa, strlen(soa)), 0);
	free(s);
	ldns_pkt_free(p);

	/* empty non-terminal: NODATA, not NXDOMAIN */
	p = ask(f->z, "b.c.example.test.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(p), 0);
	assert_int_equal(ldns_pkt_nscount(p), 1);
	ldns_pkt_free(p);
	p = ask(f->z, "x.b.c.example.test.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	ldns_pkt_free(p);
}

/* A zone of 30 000 records (what zone_farm builds): lookups are indexed, and must answer
 * exactly what a scan would: zone order, case-insensitive names, repeats dropped, empty
 * non-terminals NODATA, the rest NXDOMAIN; a replacing merge forgets the old names. */
static void test_large_zone_index(void **state)
{
	(void)state;
	struct fdns_zone *z = NULL, *r = NULL;
	char err[256] = "";
	size_t cap = 4 << 20, n = 0;
	char *text = malloc(cap);
	assert_non_null(text);
	for (int i = 1; i <= 10000; i++)
		n += (size_t)snprintf(text + n, cap - n,
				      "_sip._udp.d%d.big.test. 60 IN SRV 10 0 5060 t1.d%d.big.test.\n"
				      "t1.d%d.big.test. 60 IN A 127.1.%d.%d\n"
				      "T1.D%d.big.test. 60 IN A 127.2.%d.%d\n",
				      i, i, i, i / 256, i % 256, i, i / 256, i % 256);
	/* a repeat, spelled in other case */
	n += (size_t)snprintf(text + n, cap - n, "t1.D9999.BIG.test. 60 IN A 127.1.39.15\n");
	assert_int_equal(fdns_zone_new(&z), 0);
	int rc = fdns_zone_load_text(z, text, NULL, 60, "big", 1, err, sizeof(err));
	if (rc)
		fail_msg("load: %s", err);
	assert_int_equal(fdns_zone_count(z), 30000);
	ldns_pkt *p = ask(z, "T1.d9999.big.TEST.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_ancount(p), 2);
	assert_rr(p, LDNS_SECTION_ANSWER, 0, "T1.d9999.big.TEST.\t60\tIN\tA\t127.1.39.15");
	assert_rr(p, LDNS_SECTION_ANSWER, 1, "T1.d9999.big.TEST.\t60\tIN\tA\t127.2.39.15");
	ldns_pkt_free(p);
	p = ask(z, "_sip._udp.d1.big.test.", LDNS_RR_TYPE_SRV);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	ldns_pkt_free(p);
	/* d5.big.test and _udp.d5... own nothing but are above names that do */
	p = ask(z, "d5.big.test.", LDNS_RR_TYPE_NAPTR);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(p), 0);
	ldns_pkt_free(p);
	p = ask(z, "_udp.D5.big.test.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	ldns_pkt_free(p);
	p = ask(z, "d10001.big.test.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	ldns_pkt_free(p);
	/* replaced: the old names are gone, the new one answers */
	assert_int_equal(fdns_zone_new(&r), 0);
	assert_int_equal(fdns_zone_load_text(r, "new.big.test. 60 IN A 127.3.0.1\n", NULL, 60,
					     "r", 1, err, sizeof(err)), 0);
	assert_int_equal(fdns_zone_merge(z, r, 1), 0);
	assert_int_equal(fdns_zone_count(z), 1);
	p = ask(z, "t1.d9999.big.test.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	ldns_pkt_free(p);
	p = ask(z, "new.big.test.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	ldns_pkt_free(p);
	fdns_zone_free(r);
	fdns_zone_free(z);
	free(text);
}

static void test_synthesized_soa(void **state)
{
	(void)state;
	struct fdns_zone *z = NULL;
	char err[256] = "";
	assert_int_equal(fdns_zone_new(&z), 0);
	ldns_pkt *p = ask(z, "anything.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	assert_rr(p, LDNS_SECTION_AUTHORITY, 0,
		  ".\t0\tIN\tSOA\tns.invalid. hostmaster.invalid. 1 3600 600 86400 0");
	ldns_pkt_free(p);
	assert_int_equal(fdns_zone_load_text(z, "a.x.Example.ORG. 60 IN A 192.0.2.1\n"
					     "b.example.org. 60 IN A 192.0.2.2\n"
					     "c.d.example.org. 60 IN A 192.0.2.3\n",
					     NULL, 60, "s.zone", 1, err, sizeof(err)),
			 0);
	p = ask(z, "nope.example.org.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	/* the owner's case on the wire follows the question: compression is case-blind */
	char *s = rr_str(p, LDNS_SECTION_AUTHORITY, 0);
	assert_int_equal(strcasecmp(s, "Example.ORG.\t0\tIN\tSOA\tns.invalid. "
				    "hostmaster.invalid. 1 3600 600 86400 0\n"), 0);
	free(s);
	ldns_pkt_free(p);
	p = ask(z, "b.example.org.", LDNS_RR_TYPE_TXT);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_nscount(p), 1);
	ldns_pkt_free(p);
	fdns_zone_free(z);
}

static void test_cname(void **state)
{
	struct fx *f = *state;
	ldns_pkt *p = ask(f->z, "ALIAS2.example.test.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(p), 3);
	assert_rr(p, LDNS_SECTION_ANSWER, 0,
		  "ALIAS2.example.test.\t300\tIN\tCNAME\tAlias.example.test.");
	assert_rr(p, LDNS_SECTION_ANSWER, 1,
		  "Alias.example.test.\t300\tIN\tCNAME\tsip1.example.test.");
	assert_rr(p, LDNS_SECTION_ANSWER, 2, "sip1.example.test.\t300\tIN\tA\t192.0.2.1");
	ldns_pkt_free(p);

	/* asking for the CNAME itself does not follow it */
	p = ask(f->z, "alias.example.test.", LDNS_RR_TYPE_CNAME);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	ldns_pkt_free(p);

	/* NODATA at the end of the chain */
	p = ask(f->z, "alias.example.test.", LDNS_RR_TYPE_SRV);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	assert_int_equal(ldns_pkt_nscount(p), 1);
	ldns_pkt_free(p);

	/* dangling: the rcode is the target's */
	p = ask(f->z, "dangling.example.test.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	assert_int_equal(ldns_pkt_nscount(p), 1);
	ldns_pkt_free(p);

	/* a loop stops after 8 hops: the query's CNAME plus 8 followed */
	p = ask(f->z, "loop1.example.test.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(p), 9);
	assert_int_equal(ldns_pkt_nscount(p), 0);
	ldns_pkt_free(p);

	/* unchased: the first CNAME alone, NOERROR, nothing else; the target on its own */
	fdns_zone_set_chase(f->z, 0);
	p = ask(f->z, "ALIAS2.example.test.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	assert_rr(p, LDNS_SECTION_ANSWER, 0,
		  "ALIAS2.example.test.\t300\tIN\tCNAME\tAlias.example.test.");
	assert_int_equal(ldns_pkt_nscount(p), 0);
	ldns_pkt_free(p);
	p = ask(f->z, "Alias.example.test.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	ldns_pkt_free(p);
	fdns_zone_set_chase(f->z, 1);
}

static struct fdns_zone *big_srv_zone(void)
{
	struct fdns_zone *z = NULL;
	char err[256] = "";
	char text[8192];
	size_t o = 0;
	o += (size_t)snprintf(text + o, sizeof(text) - o, "$ORIGIN big.test.\n");
	for (int i = 0; i < 40; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o,
				      "_sip._udp IN SRV %d 10 5060 host%02d.big.test.\n", i, i);
	assert_int_equal(fdns_zone_new(&z), 0);
	assert_int_equal(fdns_zone_load_text(z, text, NULL, 300, "big.zone", 1, err,
					     sizeof(err)),
			 0);
	assert_int_equal(fdns_zone_count(z), 40);
	return z;
}

static void test_truncation(void **state)
{
	(void)state;
	struct fdns_zone *z = big_srv_zone();
	size_t len = 0;
	ldns_pkt *p = ask_ex(z, "_sip._udp.big.test.", LDNS_RR_TYPE_SRV, 0, 512, &len);
	assert_true(ldns_pkt_tc(p));
	assert_int_equal(ldns_pkt_ancount(p), 0);
	assert_int_equal(ldns_pkt_qdcount(p), 1);
	assert_false(ldns_pkt_edns(p));
	assert_true(len <= 512);
	ldns_pkt_free(p);

	p = ask_ex(z, "_sip._udp.big.test.", LDNS_RR_TYPE_SRV, 4096, 512, &len);
	assert_false(ldns_pkt_tc(p));
	assert_int_equal(ldns_pkt_ancount(p), 40);
	assert_true(ldns_pkt_edns(p));
	assert_true(len > 512 && len <= 4096);
	for (int i = 0; i < 40; i++) {
		char want[128];
		snprintf(want, sizeof(want), "_sip._udp.big.test.\t300\tIN\tSRV\t%d 10 5060 "
			 "host%02d.big.test.\n", i, i);
		char *s = rr_str(p, LDNS_SECTION_ANSWER, (size_t)i);
		assert_string_equal(s, want);
		free(s);
	}
	ldns_pkt_free(p);

	/* EDNS0 offering less than the answer: truncated, OPT still echoed */
	p = ask_ex(z, "_sip._udp.big.test.", LDNS_RR_TYPE_SRV, 1000, 512, &len);
	assert_true(ldns_pkt_tc(p));
	assert_true(ldns_pkt_edns(p));
	ldns_pkt_free(p);

	/* TCP: whole */
	p = ask_ex(z, "_sip._udp.big.test.", LDNS_RR_TYPE_SRV, 0, 0, &len);
	assert_false(ldns_pkt_tc(p));
	assert_int_equal(ldns_pkt_ancount(p), 40);
	ldns_pkt_free(p);
	fdns_zone_free(z);
}

static ldns_pkt *answer_pkt(struct fdns_zone *z, ldns_pkt *q)
{
	uint8_t *w = NULL, *r = NULL;
	size_t wl = 0, rl = 0;
	assert_int_equal(ldns_pkt2wire(&w, q, &wl), LDNS_STATUS_OK);
	assert_int_equal(fdns_answer(z, w, wl, 512, &r, &rl), 0);
	ldns_pkt *p = parse(r, rl);
	free(w);
	free(r);
	return p;
}

static void test_formerr_notimp(void **state)
{
	struct fx *f = *state;
	ldns_pkt *q = NULL;
	ldns_rr *extra = NULL;

	/* two questions */
	assert_int_equal(ldns_pkt_query_new_frm_str(&q, "example.test.", LDNS_RR_TYPE_A,
						    LDNS_RR_CLASS_IN, 0), LDNS_STATUS_OK);
	assert_int_equal(ldns_rr_new_question_frm_str(&extra, "sip1.example.test. IN A", NULL,
						      NULL), LDNS_STATUS_OK);
	assert_true(ldns_pkt_push_rr(q, LDNS_SECTION_QUESTION, extra));
	ldns_pkt *p = answer_pkt(f->z, q);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_FORMERR);
	assert_int_equal(ldns_pkt_ancount(p), 0);
	assert_false(ldns_pkt_rd(p));
	ldns_pkt_free(p);
	ldns_pkt_free(q);

	/* no question */
	q = ldns_pkt_new();
	ldns_pkt_set_id(q, 7);
	p = answer_pkt(f->z, q);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_FORMERR);
	assert_int_equal(ldns_pkt_id(p), 7);
	ldns_pkt_free(p);
	ldns_pkt_free(q);

	/* opcode other than QUERY */
	assert_int_equal(ldns_pkt_query_new_frm_str(&q, "example.test.", LDNS_RR_TYPE_SOA,
						    LDNS_RR_CLASS_IN, 0), LDNS_STATUS_OK);
	ldns_pkt_set_opcode(q, LDNS_PACKET_NOTIFY);
	p = answer_pkt(f->z, q);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOTIMPL);
	assert_int_equal(ldns_pkt_get_opcode(p), LDNS_PACKET_NOTIFY);
	ldns_pkt_free(p);
	ldns_pkt_free(q);

	/* ANY */
	p = ask(f->z, "example.test.", LDNS_RR_TYPE_ANY);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOTIMPL);
	assert_int_equal(ldns_pkt_ancount(p), 0);
	ldns_pkt_free(p);
}

static void test_garbage(void **state)
{
	struct fx *f = *state;
	uint8_t *r = (uint8_t *)"untouched";
	size_t rl = 0;
	static const uint8_t shortmsg[] = { 0x12, 0x34, 0x01 };
	/* header claims a question that is not there */
	static const uint8_t noq[] = { 0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0 };
	/* label running past the end */
	static const uint8_t badlabel[] = { 0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0,
					    0, 0, 0x3f, 'a', 'b' };
	assert_int_equal(fdns_answer(f->z, shortmsg, sizeof(shortmsg), 512, &r, &rl), -EBADMSG);
	assert_int_equal(fdns_answer(f->z, noq, sizeof(noq), 512, &r, &rl), -EBADMSG);
	assert_int_equal(fdns_answer(f->z, badlabel, sizeof(badlabel), 512, &r, &rl), -EBADMSG);
	assert_int_equal(fdns_answer(f->z, shortmsg, 0, 0, &r, &rl), -EBADMSG);

	/* a response is not answered */
	size_t ql = 0;
	uint8_t *q = make_query("example.test.", LDNS_RR_TYPE_A, 0, 1, &ql);
	q[2] |= 0x80;
	assert_int_equal(fdns_answer(f->z, q, ql, 512, &r, &rl), -EBADMSG);
	free(q);
	assert_string_equal((const char *)r, "untouched");
}

/* ---- server ---- */

struct logged {
	struct fdns_query_log e;
	char error[128];
	uint8_t resp[4096];
	int has_resp;
};

struct srv_fx {
	struct fdns_zone *z;
	struct sl_loop *loop;
	struct fdns_server *s;
	uint16_t port;
	struct logged log[16];
	int nlog;
};

static void on_query(void *arg, const struct fdns_query_log *q)
{
	struct srv_fx *f = arg;
	assert_true(f->nlog < 16);
	struct logged *l = &f->log[f->nlog++];
	l->e = *q;
	l->e.query = NULL;
	l->e.resp = NULL;
	l->e.error = NULL;
	if (q->error)
		snprintf(l->error, sizeof(l->error), "%s", q->error);
	if (q->resp) {
		assert_true(q->resp_len <= sizeof(l->resp));
		memcpy(l->resp, q->resp, q->resp_len);
		l->has_resp = 1;
	}
}

static int srv_setup(void **state)
{
	struct srv_fx *f = calloc(1, sizeof(*f));
	char err[256] = "";
	assert_non_null(f);
	assert_int_equal(fdns_zone_new(&f->z), 0);
	assert_int_equal(fdns_zone_load_text(f->z, ZONE, NULL, 3600, "t.zone", 1, err,
					     sizeof(err)), 0);
	assert_int_equal(sl_loop_new(&f->loop), 0);
	/* A fixed port, moving on when another test run holds it. */
	int rc = -EADDRINUSE;
	for (uint16_t port = 35353; rc == -EADDRINUSE && port < 35353 + 50; port++) {
		rc = fdns_server_new(&f->s, f->loop, f->z, "127.0.0.1", port, on_query, f, err,
				     sizeof(err));
		f->port = port;
	}
	if (rc)
		fail_msg("server: %s", err);
	*state = f;
	return 0;
}

static int srv_teardown(void **state)
{
	struct srv_fx *f = *state;
	fdns_server_free(f->s);
	sl_loop_free(f->loop);
	fdns_zone_free(f->z);
	free(f);
	return 0;
}

static void run_until(struct srv_fx *f, int nlog)
{
	for (int i = 0; i < 100 && f->nlog < nlog; i++)
		assert_true(sl_loop_run_once(f->loop, 20) >= 0);
	assert_int_equal(f->nlog, nlog);
}

static struct sockaddr_in srv_addr(const struct srv_fx *f)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(f->port) };
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	return a;
}

static uint16_t local_port(int fd)
{
	struct sockaddr_in a;
	socklen_t l = sizeof(a);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
	return ntohs(a.sin_port);
}

static void check_server_addr(const struct srv_fx *f, const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
	assert_int_equal(a->sin_family, AF_INET);
	assert_int_equal(ntohs(a->sin_port), f->port);
	assert_int_equal(ntohl(a->sin_addr.s_addr), INADDR_LOOPBACK);
}

static void test_server_udp(void **state)
{
	struct srv_fx *f = *state;
	struct sockaddr_in to = srv_addr(f);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&(struct sockaddr_in){
				     .sin_family = AF_INET,
				     .sin_addr.s_addr = htonl(INADDR_LOOPBACK) },
			      sizeof(struct sockaddr_in)), 0);
	size_t ql = 0;
	uint8_t *q = make_query("ExAmPlE.TeSt.", LDNS_RR_TYPE_NAPTR, 0, 0xbeef, &ql);
	uint64_t t0 = sl_now_us();
	assert_int_equal(sendto(fd, q, ql, 0, (struct sockaddr *)&to, sizeof(to)), (ssize_t)ql);
	run_until(f, 1);

	uint8_t buf[4096];
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	assert_true(n > 12);
	ldns_pkt *p = parse(buf, (size_t)n);
	assert_int_equal(ldns_pkt_id(p), 0xbeef);
	assert_int_equal(ldns_pkt_ancount(p), 2);
	ldns_pkt_free(p);

	const struct fdns_query_log *e = &f->log[0].e;
	assert_true(e->t_us >= t0 && e->t_us <= sl_now_us());
	assert_int_equal(e->transport, FDNS_UDP);
	const struct sockaddr_in *c = (const struct sockaddr_in *)&e->client;
	assert_int_equal(c->sin_family, AF_INET);
	assert_int_equal(ntohs(c->sin_port), local_port(fd));
	check_server_addr(f, &e->server);
	assert_string_equal(e->qname, "ExAmPlE.TeSt");
	assert_int_equal(e->qtype, LDNS_RR_TYPE_NAPTR);
	assert_int_equal(e->id, 0xbeef);
	assert_int_equal(e->rcode, 0);
	assert_int_equal(e->ancount, 2);
	assert_int_equal(e->tc, 0);
	assert_int_equal(e->query_len, ql);
	assert_true(f->log[0].has_resp);
	assert_int_equal(e->resp_len, (size_t)n);
	assert_memory_equal(f->log[0].resp, buf, (size_t)n);
	assert_string_equal(f->log[0].error, "");

	/* garbage: logged, not answered */
	assert_int_equal(sendto(fd, "\x01\x02garbage", 9, 0, (struct sockaddr *)&to,
				sizeof(to)), 9);
	run_until(f, 2);
	e = &f->log[1].e;
	assert_int_equal(e->rcode, -1);
	assert_int_equal(e->id, 0x0102);
	assert_false(f->log[1].has_resp);
	assert_int_equal(e->resp_len, 0);
	assert_true(f->log[1].error[0] != '\0');
	assert_int_equal(e->query_len, 9);
	for (int i = 0; i < 3; i++)
		sl_loop_run_once(f->loop, 10);
	assert_int_equal(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	free(q);
	close(fd);
}

/* Reads one length-framed message, running the loop while it waits. */
static size_t tcp_read_msg(struct srv_fx *f, int fd, uint8_t *buf, size_t cap)
{
	size_t have = 0, want = 2;
	for (int i = 0; i < 200 && have < want; i++) {
		ssize_t n = recv(fd, buf + have, want - have, MSG_DONTWAIT);
		if (n > 0) {
			have += (size_t)n;
			if (have == 2) {
				want = 2 + ((size_t)buf[0] << 8 | buf[1]);
				assert_true(want <= cap);
			}
			continue;
		}
		assert_true(n < 0 && errno == EAGAIN);
		sl_loop_run_once(f->loop, 10);
	}
	assert_int_equal(have, want);
	return want - 2;
}

static int tcp_connect(const struct srv_fx *f)
{
	struct sockaddr_in to = srv_addr(f);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	/* the kernel completes the handshake on the listening socket by itself */
	assert_int_equal(connect(fd, (struct sockaddr *)&to, sizeof(to)), 0);
	return fd;
}

static void test_server_tcp(void **state)
{
	struct srv_fx *f = *state;
	int fd = tcp_connect(f);
	uint8_t stream[1024];
	size_t sl = 0, l1 = 0, l2 = 0;
	uint8_t *q1 = make_query("_sip._udp.example.test.", LDNS_RR_TYPE_SRV, 0, 1, &l1);
	uint8_t *q2 = make_query("Sip1.Example.Test.", LDNS_RR_TYPE_AAAA, 0, 2, &l2);
	stream[sl++] = (uint8_t)(l1 >> 8);
	stream[sl++] = (uint8_t)l1;
	memcpy(stream + sl, q1, l1);
	sl += l1;
	stream[sl++] = (uint8_t)(l2 >> 8);
	stream[sl++] = (uint8_t)l2;
	memcpy(stream + sl, q2, l2);
	sl += l2;

	/* two pipelined queries, cut inside the first length prefix and inside the second
	 * query, so the server must carry partial frames across callbacks */
	size_t cuts[] = { 1, l1 + 5, sl };
	size_t off = 0;
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(send(fd, stream + off, cuts[i] - off, 0), (ssize_t)(cuts[i] - off));
		off = cuts[i];
		for (int j = 0; j < 3; j++)
			sl_loop_run_once(f->loop, 10);
	}
	run_until(f, 2);

	uint8_t buf[4096];
	size_t n = tcp_read_msg(f, fd, buf, sizeof(buf));
	ldns_pkt *p = parse(buf + 2, n);
	assert_int_equal(ldns_pkt_id(p), 1);
	assert_int_equal(ldns_pkt_ancount(p), 2);
	ldns_pkt_free(p);
	n = tcp_read_msg(f, fd, buf, sizeof(buf));
	p = parse(buf + 2, n);
	assert_int_equal(ldns_pkt_id(p), 2);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	assert_rr(p, LDNS_SECTION_ANSWER, 0, "Sip1.Example.Test.\t300\tIN\tAAAA\t2001:db8::1");
	ldns_pkt_free(p);

	for (int i = 0; i < 2; i++) {
		const struct fdns_query_log *e = &f->log[i].e;
		assert_int_equal(e->transport, FDNS_TCP);
		assert_int_equal(e->id, i + 1);
		assert_int_equal(e->rcode, 0);
		check_server_addr(f, &e->server);
		assert_int_equal(ntohs(((const struct sockaddr_in *)&e->client)->sin_port),
				 local_port(fd));
		assert_true(f->log[i].has_resp);
	}
	assert_string_equal(f->log[1].e.qname, "Sip1.Example.Test");

	/* A half-close still gets its answer, then the server closes. */
	int fd2 = tcp_connect(f);
	uint8_t hdr[2] = { (uint8_t)(l1 >> 8), (uint8_t)l1 };
	assert_int_equal(send(fd2, hdr, 2, 0), 2);
	assert_int_equal(send(fd2, q1, l1, 0), (ssize_t)l1);
	assert_int_equal(shutdown(fd2, SHUT_WR), 0);
	n = tcp_read_msg(f, fd2, buf, sizeof(buf));
	assert_true(n > 12);
	for (int i = 0; i < 5; i++)
		sl_loop_run_once(f->loop, 10);
	assert_int_equal(recv(fd2, buf, sizeof(buf), MSG_DONTWAIT), 0);
	assert_int_equal(f->nlog, 3);
	close(fd2);

	/* The first connection is still open: fdns_server_free must release it. */
	free(q1);
	free(q2);
	close(fd);
}

static void test_server_bind_error(void **state)
{
	struct srv_fx *f = *state;
	struct fdns_server *s2 = NULL;
	char err[256] = "", want[256];
	int rc = fdns_server_new(&s2, f->loop, f->z, "127.0.0.1", f->port, NULL, NULL, err,
				 sizeof(err));
	assert_int_equal(rc, -EADDRINUSE);
	assert_null(s2);
	snprintf(want, sizeof(want), "bind 127.0.0.1:%u/udp: Address already in use", f->port);
	assert_string_equal(err, want);

	rc = fdns_server_new(&s2, f->loop, f->z, "not-an-address", 5353, NULL, NULL, err,
			     sizeof(err));
	assert_int_equal(rc, -EINVAL);
	assert_non_null(strstr(err, "not-an-address"));
}

static void test_server_ipv6(void **state)
{
	(void)state;
	struct sl_loop *loop = NULL;
	struct fdns_zone *z = NULL;
	struct fdns_server *s = NULL;
	char err[256] = "";
	assert_int_equal(sl_loop_new(&loop), 0);
	assert_int_equal(fdns_zone_new(&z), 0);
	int rc = -EADDRINUSE;
	for (uint16_t port = 35453; rc == -EADDRINUSE && port < 35453 + 50; port++)
		rc = fdns_server_new(&s, loop, z, "::1", port, NULL, NULL, err, sizeof(err));
	if (rc == -EADDRNOTAVAIL || rc == -EAFNOSUPPORT) {
		sl_loop_free(loop);
		fdns_zone_free(z);
		skip();
	}
	assert_int_equal(rc, 0);
	fdns_server_free(s);
	sl_loop_free(loop);
	fdns_zone_free(z);
}

int main(void)
{
	const struct CMUnitTest zone_tests[] = {
		cmocka_unit_test(test_zone_load),
		cmocka_unit_test(test_zone_origin_and_default_ttl),
		cmocka_unit_test(test_zone_bad_line),
		cmocka_unit_test(test_naptr_srv_a_aaaa),
		cmocka_unit_test(test_case_echo),
		cmocka_unit_test(test_zone_duplicates_across_loads),
		cmocka_unit_test(test_nxdomain_nodata),
		cmocka_unit_test(test_synthesized_soa),
		cmocka_unit_test(test_large_zone_index),
		cmocka_unit_test(test_cname),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_formerr_notimp),
		cmocka_unit_test(test_garbage),
	};
	const struct CMUnitTest server_tests[] = {
		cmocka_unit_test_setup_teardown(test_server_udp, srv_setup, srv_teardown),
		cmocka_unit_test_setup_teardown(test_server_tcp, srv_setup, srv_teardown),
		cmocka_unit_test_setup_teardown(test_server_bind_error, srv_setup, srv_teardown),
		cmocka_unit_test(test_server_ipv6),
	};
	int failed = cmocka_run_group_tests_name("fdns_zone", zone_tests, zone_setup,
						 zone_teardown);
	failed += cmocka_run_group_tests_name("fdns_server", server_tests, NULL, NULL);
	return failed ? 1 : 0;
}
