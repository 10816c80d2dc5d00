/* test_fdns_fault.c: unit tests of the fake DNS's fault rules, answer options (shuffle,
 * additional), zone changes (merge, staged, files) and the server's part of the faults
 * (drop, delay, wrong port) over real sockets. */
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
#include <sys/socket.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "fdns.h"
#include "sl_loop.h"

static const char ZONE[] =
	"$ORIGIN example.test.\n"
	"$TTL 300\n"
	"@       IN SOA ns1 hostmaster 1 3600 600 86400 60\n"
	"@       IN NAPTR 10 50 \"s\" \"SIP+D2U\" \"\" _sip._udp\n"
	"_sip._udp IN SRV 10 60 5060 sip1\n"
	"_sip._udp IN SRV 20 40 5060 sip2\n"
	"_sip._udp IN SRV 30 40 5060 sip1\n"
	"sip1    IN A 192.0.2.1\n"
	"sip1    IN AAAA 2001:db8::1\n"
	"sip2    IN A 192.0.2.2\n"
	"multi   IN A 192.0.2.11\n"
	"multi   IN A 192.0.2.12\n"
	"multi   IN A 192.0.2.13\n"
	"multi   IN A 192.0.2.14\n"
	"multi   IN A 192.0.2.15\n";

static struct fdns_zone *new_zone(void)
{
	struct fdns_zone *z = NULL;
	char err[256] = "";
	assert_int_equal(fdns_zone_new(&z), 0);
	if (fdns_zone_load_text(z, ZONE, NULL, 3600, "t.zone", 1, err, sizeof(err)) < 0)
		fail_msg("load: %s", err);
	return z;
}

static uint8_t *make_query(const char *name, ldns_rr_type t, uint16_t id, size_t *len)
{
	ldns_pkt *q = NULL;
	uint8_t *w = NULL;
	assert_int_equal(ldns_pkt_query_new_frm_str(&q, name, t, LDNS_RR_CLASS_IN, LDNS_RD),
			 LDNS_STATUS_OK);
	ldns_pkt_set_id(q, id);
	assert_int_equal(ldns_pkt2wire(&w, q, len), LDNS_STATUS_OK);
	ldns_pkt_free(q);
	return w;
}

/* The raw answer (NULL when dropped); udp_limit 0 asks as if over TCP. */
static uint8_t *ask_raw(struct fdns_zone *z, const char *name, ldns_rr_type t,
			size_t udp_limit, size_t *rlen)
{
	size_t qlen = 0;
	uint8_t *q = make_query(name, t, 0x1234, &qlen), *r = NULL;
	assert_int_equal(fdns_answer(z, q, qlen, udp_limit, &r, rlen), 0);
	free(q);
	return r;
}

static ldns_pkt *ask(struct fdns_zone *z, const char *name, ldns_rr_type t, size_t udp_limit)
{
	size_t rlen = 0;
	uint8_t *r = ask_raw(z, name, t, udp_limit, &rlen);
	ldns_pkt *p = NULL;
	assert_non_null(r);
	assert_int_equal(ldns_wire2pkt(&p, r, rlen), LDNS_STATUS_OK);
	free(r);
	return p;
}

static void add_fault(struct fdns_zone *z, struct fdns_fault f)
{
	char err[256] = "";
	if (fdns_zone_add_fault(z, &f, err, sizeof(err)) < 0)
		fail_msg("add_fault: %s", err);
}

static void test_action_names(void **state)
{
	(void)state;
	static const char *const all[] = { "servfail", "nxdomain", "refused", "notimp", "drop",
					   "delay", "truncate", "wrong-id", "wrong-port",
					   "bad-pointer", "truncated-rdata", "ttl0" };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		enum fdns_action a = FDNS_ACT_NONE;
		assert_int_equal(fdns_action_parse(all[i], &a), 0);
		assert_string_equal(fdns_action_name(a), all[i]);
	}
	enum fdns_action a;
	assert_int_equal(fdns_action_parse("SERVFAIL", &a), -EINVAL);
	assert_int_equal(fdns_action_parse("explode", &a), -EINVAL);
}

static void test_bad_rules(void **state)
{
	(void)state;
	struct fdns_zone *z = new_zone();
	char err[256] = "";
	struct fdns_fault f = { .action = FDNS_ACT_DELAY };
	assert_int_equal(fdns_zone_add_fault(z, &f, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "delay"));
	f = (struct fdns_fault){ .action = FDNS_ACT_TRUNCATE, .transport = FDNS_TCP };
	assert_int_equal(fdns_zone_add_fault(z, &f, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "UDP only"));
	f = (struct fdns_fault){ .action = FDNS_ACT_SERVFAIL, .name = "bad..name" };
	assert_int_equal(fdns_zone_add_fault(z, &f, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "bad..name"));
	fdns_zone_free(z);
}

static void test_rcode_faults(void **state)
{
	(void)state;
	static const struct {
		enum fdns_action a;
		int rcode, aa, nscount;
	} cases[] = {
		{ FDNS_ACT_SERVFAIL, LDNS_RCODE_SERVFAIL, 0, 0 },
		{ FDNS_ACT_NXDOMAIN, LDNS_RCODE_NXDOMAIN, 1, 1 },
		{ FDNS_ACT_REFUSED, LDNS_RCODE_REFUSED, 0, 0 },
		{ FDNS_ACT_NOTIMP, LDNS_RCODE_NOTIMPL, 0, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fdns_zone *z = new_zone();
		add_fault(z, (struct fdns_fault){ .action = cases[i].a });
		ldns_pkt *p = ask(z, "example.test.", LDNS_RR_TYPE_NAPTR, 512);
		assert_int_equal(ldns_pkt_get_rcode(p), cases[i].rcode);
		assert_int_equal(ldns_pkt_ancount(p), 0);
		assert_int_equal(ldns_pkt_nscount(p), cases[i].nscount);
		assert_int_equal(ldns_pkt_aa(p), cases[i].aa);
		assert_int_equal(ldns_pkt_id(p), 0x1234);
		ldns_pkt_free(p);
		fdns_zone_free(z);
	}
}

/* "the 2nd NAPTR query": only that one, whatever came between. */
static void test_match_nth(void **state)
{
	(void)state;
	struct fdns_zone *z = new_zone();
	add_fault(z, (struct fdns_fault){ .action = FDNS_ACT_SERVFAIL, .name = "EXAMPLE.test.",
					  .qtype = LDNS_RR_TYPE_NAPTR, .nth = 2 });
	static const struct {
		const char *name;
		ldns_rr_type t;
		int rcode;
	} seq[] = {
		{ "example.test.", LDNS_RR_TYPE_NAPTR, 0 },
		{ "example.test.", LDNS_RR_TYPE_A, 0 },          /* NODATA, not counted */
		{ "sip1.example.test.", LDNS_RR_TYPE_NAPTR, 0 }, /* other name */
		{ "Example.Test", LDNS_RR_TYPE_NAPTR, LDNS_RCODE_SERVFAIL },
		{ "example.test.", LDNS_RR_TYPE_NAPTR, 0 },
	};
	for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		ldns_pkt *p = ask(z, seq[i].name, seq[i].t, 512);
		assert_int_equal(ldns_pkt_get_rcode(p), seq[i].rcode);
		ldns_pkt_free(p);
	}
	fdns_zone_free(z);
}

/* times: the first n matching queries; then the next rule in line gets its turn. */
static void test_match_times_order_transport(void **state)
{
	(void)state;
	struct fdns_zone *z = new_zone();
	add_fault(z, (struct fdns_fault){ .action = FDNS_ACT_REFUSED, .qtype = LDNS_RR_TYPE_A,
					  .transport = FDNS_UDP, .times = 2 });
	add_fault(z, (struct fdns_fault){ .action = FDNS_ACT_SERVFAIL, .qtype = LDNS_RR_TYPE_A });
	int want[] = { LDNS_RCODE_REFUSED, LDNS_RCODE_REFUSED, LDNS_RCODE_SERVFAIL };
	for (int i = 0; i < 3; i++) {
		ldns_pkt *p = ask(z, "sip1.example.test.", LDNS_RR_TYPE_A, 512);
		assert_int_equal(ldns_pkt_get_rcode(p), want[i]);
		ldns_pkt_free(p);
	}
	/* over TCP the UDP-only rule does not match: the second rule answers */
	ldns_pkt *p = ask(z, "sip2.example.test.", LDNS_RR_TYPE_A, 0);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_SERVFAIL);
	ldns_pkt_free(p);
	/* other types untouched */
	p = ask(z, "sip1.example.test.", LDNS_RR_TYPE_AAAA, 512);
	assert_int_equal(ldns_pkt_get_rcode(p), 0);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	ldns_pkt_free(p);
	fdns_zone_free(z);
}

static void test_drop(void **state)
{
	(void)state;
	struct fdns_zone *z = new_zone();
	add_fault(z, (struct fdns_fault){ .action = FDNS_ACT_DROP, .times = 1 });
	size_t rlen = 99;
	uint8_t *r = ask_raw(z, "sip1.example.test.", LDNS_RR_TYPE_A, 512, &rlen);
	assert_null(r);
	assert_int_equal(rlen, 0);
	r = ask_raw(z, "sip1.example.test.", LDNS_RR_TYPE_A, 512, &rlen);
	assert_non_null(r);
	free(r);
	fdns_zone_free(z);
}

/* Forced TC on UDP; TCP answers whole, so a client's retry can succeed. */
static void test_truncate(void **state)
{
	(void)state;
	struct fdns_zone *z = new_zone();
	add_fault(z, (struct fdns_fault){ .action = FDNS_ACT_TRUNCATE, .qtype = LDNS_RR_TYPE_SRV });
	ldns_pkt *p = ask(z, "_sip._udp.example.test.", LDNS_RR_TYPE_SRV, 512);
	assert_true(ldns_pkt_tc(p));
	assert_int_equal(ldns_pkt_ancount(p), 0);
	assert_int_equal(ldns_pkt_get_rcode(p), 0);
	ldns_pkt_free(p);
	p = ask(z, "_sip._udp.example.test.", LDNS_RR_TYPE_SRV, 0);
	assert_false(ldns_pkt_tc(p));
	assert_int_equal(ldns_pkt_ancount(p), 3);
	ldns_pkt_free(p);
	fdns_zone_free(z);
}

static void test_ttl0(void **state)
{
	(void)state;
	struct fdns_zone *z = new_zone();
	add_fault(z, (struct fdns_fault){ .action = FDNS_ACT_TTL0, .name = "sip1.example.test" });
	ldns_pkt *p = ask(z, "sip1.example.test.", LDNS_RR_TYPE_A, 512);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_answer(p), 0)), 0);
	ldns_pkt_free(p);
	p = ask(z, "sip2.example.test.", LDNS_RR_TYPE_A, 512);
	assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_answer(p), 0)), 300);
	ldns_pkt_free(p);
	fdns_zone_free(z);
}

static void test_wrong_id(void **state)
{
	(void)state;
	struct fdns_zone *z = new_zone();
	add_fault(z, (struct fdns_fault){ .action = FDNS_ACT_WRONG_ID });
	ldns_pkt *p = ask(z, "sip1.example.test.", LDNS_RR_TYPE_A, 512);
	assert_int_not_equal(ldns_pkt_id(p), 0x1234);
	assert_int_equal(ldns_pkt_ancount(p), 1); /* the rest is the true answer */
	ldns_pkt_free(p);
	fdns_zone_free(z);
}

/* Both malformed faults must make a real decoder (ldns) refuse the message, for answers
 * with records and for negative ones (SOA in authority). */
static void test_malformed(void **state)
{
	(void)state;
	static const enum fdns_action acts[] = { FDNS_ACT_BAD_POINTER,
						 FDNS_ACT_TRUNCATED_RDATA };
	static const char *const names[] = { "sip1.example.test.", "nope.example.test." };
	for (size_t i = 0; i < 2; i++) {
		for (size_t j = 0; j < 2; j++) {
			struct fdns_zone *z = new_zone();
			size_t plain_len = 0, rlen = 0;
			uint8_t *plain = ask_raw(z, names[j], LDNS_RR_TYPE_A, 512, &plain_len);
			add_fault(z, (struct fdns_fault){ .action = acts[i] });
			uint8_t *r = ask_raw(z, names[j], LDNS_RR_TYPE_A, 512, &rlen);
			ldns_pkt *p = NULL;
			assert_non_null(r);
			assert_int_not_equal(ldns_wire2pkt(&p, r, rlen), LDNS_STATUS_OK);
			assert_null(p);
			/* the header (ID, counts) is still the true answer's */
			assert_memory_equal(r, plain, 12);
			if (acts[i] == FDNS_ACT_TRUNCATED_RDATA)
				assert_true(rlen < plain_len);
			else
				assert_int_equal(rlen, plain_len);
			free(r);
			free(plain);
			fdns_zone_free(z);
		}
	}
}

static void answer_order(struct fdns_zone *z, char *out, size_t len)
{
	ldns_pkt *p = ask(z, "multi.example.test.", LDNS_RR_TYPE_A, 512);
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < ldns_rr_list_rr_count(ldns_pkt_answer(p)); i++) {
		const ldns_rdf *a = ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_answer(p), i), 0);
		o += (size_t)snprintf(out + o, len - o, "%d", ldns_rdf_data(a)[3] - 10);
	}
	ldns_pkt_free(p);
}

static void test_shuffle(void **state)
{
	(void)state;
	char a[20][16], b[20][16], c[16];
	struct fdns_zone *z1 = new_zone(), *z2 = new_zone();
	fdns_zone_set_shuffle(z1, 1, 42);
	fdns_zone_set_shuffle(z2, 1, 42);
	int differ = 0;
	for (int i = 0; i < 20; i++) {
		answer_order(z1, a[i], sizeof(a[i]));
		answer_order(z2, b[i], sizeof(b[i]));
		assert_string_equal(a[i], b[i]); /* same seed, same orders */
		assert_int_equal(strlen(a[i]), 5);
		for (char d = '1'; d <= '5'; d++)
			assert_non_null(strchr(a[i], d)); /* a permutation: nothing lost */
		differ += i > 0 && strcmp(a[i], a[i - 1]) != 0;
	}
	assert_true(differ > 0);
	/* off: zone order, every time */
	fdns_zone_set_shuffle(z1, 0, 0);
	for (int i = 0; i < 5; i++) {
		answer_order(z1, c, sizeof(c));
		assert_string_equal(c, "12345");
	}
	fdns_zone_free(z1);
	fdns_zone_free(z2);
}

static void test_additional(void **state)
{
	(void)state;
	struct fdns_zone *z = new_zone();
	ldns_pkt *p = ask(z, "_sip._udp.example.test.", LDNS_RR_TYPE_SRV, 512);
	assert_int_equal(ldns_pkt_arcount(p), 0);
	ldns_pkt_free(p);
	fdns_zone_set_additional(z, 1);
	p = ask(z, "_sip._udp.example.test.", LDNS_RR_TYPE_SRV, 512);
	/* sip1 A + AAAA once (two SRVs name it), sip2 A */
	assert_int_equal(ldns_pkt_arcount(p), 3);
	char *txt = ldns_rr_list2str(ldns_pkt_additional(p));
	assert_non_null(strstr(txt, "sip1.example.test.\t300\tIN\tA\t192.0.2.1"));
	assert_non_null(strstr(txt, "sip1.example.test.\t300\tIN\tAAAA\t2001:db8::1"));
	assert_non_null(strstr(txt, "sip2.example.test.\t300\tIN\tA\t192.0.2.2"));
	free(txt);
	ldns_pkt_free(p);
	/* additional data that does not fit is left out, without TC (RFC 2181 9) */
	char err[256], rr[512];
	for (int i = 0; i < 6; i++) {
		snprintf(rr, sizeof(rr), "_sip._udp.many.example.test. IN SRV %d 0 5060 "
			 "host-with-a-long-name-%02d.example.test.\n"
			 "host-with-a-long-name-%02d.example.test. IN A 192.0.2.%d\n"
			 "host-with-a-long-name-%02d.example.test. IN AAAA 2001:db8::%d\n",
			 i, i, i, i + 20, i, i + 20);
		assert_int_equal(fdns_zone_load_text(z, rr, NULL, 300, "t", 1, err, sizeof(err)), 0);
	}
	p = ask(z, "_sip._udp.many.example.test.", LDNS_RR_TYPE_SRV, 512);
	assert_false(ldns_pkt_tc(p));
	assert_int_equal(ldns_pkt_ancount(p), 6);
	assert_int_equal(ldns_pkt_arcount(p), 0);
	ldns_pkt_free(p);
	p = ask(z, "_sip._udp.many.example.test.", LDNS_RR_TYPE_SRV, 4096);
	assert_int_equal(ldns_pkt_arcount(p), 12);
	ldns_pkt_free(p);
	/* only SRV answers carry them */
	p = ask(z, "example.test.", LDNS_RR_TYPE_NAPTR, 512);
	assert_int_equal(ldns_pkt_arcount(p), 0);
	ldns_pkt_free(p);
	fdns_zone_free(z);
}

static void test_merge_and_stage(void **state)
{
	(void)state;
	struct fdns_zone *z = new_zone(), *c1 = NULL, *c2 = NULL;
	char err[256];
	size_t before = fdns_zone_count(z);
	assert_int_equal(fdns_zone_new(&c1), 0);
	assert_int_equal(fdns_zone_load_text(c1, "sip3.example.test. 60 IN A 192.0.2.3\n"
						 "sip1.example.test. 300 IN A 192.0.2.1\n",
					     NULL, 3600, "c1", 1, err, sizeof(err)), 0);
	assert_int_equal(fdns_zone_new(&c2), 0);
	assert_int_equal(fdns_zone_load_text(c2, "only.example.test. 60 IN A 192.0.2.9\n", NULL,
					     3600, "c2", 1, err, sizeof(err)), 0);
	struct fdns_staged *h1 = NULL, *h2 = NULL;
	int user = 7;
	assert_int_equal(fdns_zone_stage(z, c1, 0, &user, &h1), 0);
	assert_int_equal(fdns_zone_stage(z, c2, 1, NULL, &h2), 0);
	assert_ptr_equal(fdns_staged_user(h1), &user);
	/* staged is not applied */
	ldns_pkt *p = ask(z, "sip3.example.test.", LDNS_RR_TYPE_A, 512);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	ldns_pkt_free(p);
	assert_int_equal(fdns_staged_apply(h1), 0);
	assert_int_equal(fdns_staged_apply(h1), 0); /* once */
	assert_int_equal(fdns_zone_count(z), before + 1); /* the duplicate is kept once */
	p = ask(z, "sip3.example.test.", LDNS_RR_TYPE_A, 512);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	ldns_pkt_free(p);
	/* replace: the old records are gone, the negative answers use a synthesized SOA */
	assert_int_equal(fdns_staged_apply(h2), 0);
	assert_int_equal(fdns_zone_count(z), 1);
	p = ask(z, "sip1.example.test.", LDNS_RR_TYPE_A, 512);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	assert_int_equal(ldns_pkt_nscount(p), 1);
	ldns_pkt_free(p);
	fdns_zone_free(z); /* frees c1 and c2 */
}

static void test_load_file(void **state)
{
	(void)state;
	char path[] = "/tmp/test_fdns_fault_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char text[] = "$ORIGIN f.test.\n@ IN A 192.0.2.1\n\nbad IN A 999.1.1.1\n";
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	struct fdns_zone *z = NULL;
	char err[512] = "", want[600];
	assert_int_equal(fdns_zone_new(&z), 0);
	assert_int_equal(fdns_zone_load_file(z, path, NULL, 3600, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:4: ", path);
	assert_non_null(strstr(err, want));
	assert_int_equal(fdns_zone_count(z), 0);
	unlink(path);
	assert_true(fdns_zone_load_file(z, path, NULL, 3600, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, path));
	fdns_zone_free(z);
}

/* ---- the server's part: drop, delay, wrong port, history ---- */

struct srv_fx {
	struct fdns_zone *z;
	struct sl_loop *loop;
	struct fdns_server *s;
	uint16_t port;
	int nlog;
	struct fdns_query_log last;
};

static void on_query(void *arg, const struct fdns_query_log *q)
{
	struct srv_fx *f = arg;
	f->nlog++;
	f->last = *q;
}

static int srv_setup(void **state)
{
	struct srv_fx *f = calloc(1, sizeof(*f));
	char err[256] = "";
	assert_non_null(f);
	f->z = new_zone();
	assert_int_equal(sl_loop_new(&f->loop), 0);
	if (fdns_server_new(&f->s, f->loop, f->z, "127.0.0.1", 0, on_query, f, err,
			    sizeof(err)) < 0)
		fail_msg("server: %s", err);
	struct sockaddr_storage ss;
	fdns_server_local(f->s, &ss);
	f->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	assert_int_not_equal(f->port, 0);
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

static struct sockaddr_in srv_addr(const struct srv_fx *f)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(f->port) };
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	return a;
}

static int udp_client(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static void udp_ask(struct srv_fx *f, int fd, const char *name, ldns_rr_type t)
{
	size_t ql = 0;
	uint8_t *q = make_query(name, t, 0x77, &ql);
	struct sockaddr_in to = srv_addr(f);
	int n0 = f->nlog;
	assert_int_equal(sendto(fd, q, ql, 0, (struct sockaddr *)&to, sizeof(to)), (ssize_t)ql);
	free(q);
	for (int i = 0; i < 100 && f->nlog == n0; i++)
		assert_true(sl_loop_run_once(f->loop, 20) >= 0);
	assert_int_equal(f->nlog, n0 + 1);
}

/* Runs the loop until a datagram is there; returns its length and source port. */
static ssize_t udp_wait(struct srv_fx *f, int fd, uint8_t *buf, size_t cap, uint16_t *from)
{
	struct sockaddr_in src;
	socklen_t sl = sizeof(src);
	for (int i = 0; i < 300; i++) {
		ssize_t n = recvfrom(fd, buf, cap, MSG_DONTWAIT, (struct sockaddr *)&src, &sl);
		if (n >= 0) {
			*from = ntohs(src.sin_port);
			return n;
		}
		sl_loop_run_once(f->loop, 10);
	}
	return -1;
}

static void test_server_drop_and_history(void **state)
{
	struct srv_fx *f = *state;
	add_fault(f->z, (struct fdns_fault){ .action = FDNS_ACT_DROP, .nth = 1 });
	int fd = udp_client();
	uint8_t buf[1500];
	uint16_t from = 0;
	udp_ask(f, fd, "sip1.example.test.", LDNS_RR_TYPE_A);
	assert_int_equal(f->last.rcode, -1);
	assert_string_equal(f->last.fault, "drop");
	assert_null(f->last.resp);
	udp_ask(f, fd, "sip1.example.test.", LDNS_RR_TYPE_A);
	assert_null(f->last.fault);
	/* exactly one answer arrived: the second query's */
	assert_true(udp_wait(f, fd, buf, sizeof(buf), &from) > 12);
	assert_int_equal(from, f->port);
	for (int i = 0; i < 3; i++)
		sl_loop_run_once(f->loop, 10);
	assert_int_equal(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
	size_t n = 0;
	const struct fdns_query_log *h = fdns_server_history(f->s, &n);
	assert_int_equal(n, 2);
	assert_string_equal(h[0].fault, "drop");
	assert_int_equal(h[0].rcode, -1);
	assert_null(h[1].fault);
	assert_int_equal(h[1].rcode, 0);
	assert_string_equal(h[1].qname, "sip1.example.test");
	assert_null(h[1].resp);
	close(fd);
}

static void test_server_wrong_port(void **state)
{
	struct srv_fx *f = *state;
	add_fault(f->z, (struct fdns_fault){ .action = FDNS_ACT_WRONG_PORT });
	int fd = udp_client();
	uint8_t buf[1500];
	uint16_t from = 0;
	udp_ask(f, fd, "sip1.example.test.", LDNS_RR_TYPE_A);
	assert_string_equal(f->last.fault, "wrong-port");
	assert_int_equal(f->last.rcode, 0);
	assert_true(udp_wait(f, fd, buf, sizeof(buf), &from) > 12);
	assert_int_not_equal(from, f->port);
	assert_int_not_equal(from, 0);
	/* the log names the port the answer really left from (the capture matches on it) */
	const struct sockaddr_in *rf = (const struct sockaddr_in *)&f->last.resp_from;
	assert_int_equal(rf->sin_family, AF_INET);
	assert_int_equal(ntohs(rf->sin_port), from);
	assert_int_equal(ntohs(((const struct sockaddr_in *)&f->last.server)->sin_port), f->port);
	close(fd);
}

/* The answer is held: absent right after the query was handled, there after the delay. */
static void test_server_delay(void **state)
{
	struct srv_fx *f = *state;
	add_fault(f->z, (struct fdns_fault){ .action = FDNS_ACT_DELAY, .delay_us = 300000 });
	int fd = udp_client();
	uint8_t buf[1500];
	uint16_t from = 0;
	udp_ask(f, fd, "sip2.example.test.", LDNS_RR_TYPE_A);
	assert_string_equal(f->last.fault, "delay");
	assert_int_equal(f->last.delay_us, 300000);
	assert_int_equal(f->last.rcode, 0);
	assert_non_null(f->last.resp);
	assert_int_equal(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
	ssize_t n = udp_wait(f, fd, buf, sizeof(buf), &from);
	assert_true(n > 12);
	ldns_pkt *p = NULL;
	assert_int_equal(ldns_wire2pkt(&p, buf, (size_t)n), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	ldns_pkt_free(p);
	/* a delayed answer still pending when the server goes is freed with it */
	udp_ask(f, fd, "sip2.example.test.", LDNS_RR_TYPE_A);
	close(fd);
}

static void test_server_delay_tcp(void **state)
{
	struct srv_fx *f = *state;
	add_fault(f->z, (struct fdns_fault){ .action = FDNS_ACT_DELAY, .delay_us = 200000,
					     .transport = FDNS_TCP });
	struct sockaddr_in to = srv_addr(f);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&to, sizeof(to)), 0);
	size_t ql = 0;
	uint8_t *q = make_query("sip1.example.test.", LDNS_RR_TYPE_AAAA, 0x99, &ql);
	uint8_t frame[600] = { (uint8_t)(ql >> 8), (uint8_t)ql };
	memcpy(frame + 2, q, ql);
	free(q);
	assert_int_equal(send(fd, frame, ql + 2, 0), (ssize_t)(ql + 2));
	for (int i = 0; i < 100 && f->nlog == 0; i++)
		sl_loop_run_once(f->loop, 20);
	assert_int_equal(f->nlog, 1);
	assert_string_equal(f->last.fault, "delay");
	uint8_t buf[600];
	assert_int_equal(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
	ssize_t got = -1;
	for (int i = 0; i < 300 && got <= 0; i++) {
		got = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (got <= 0)
			sl_loop_run_once(f->loop, 10);
	}
	assert_true(got > 14);
	assert_int_equal((size_t)(buf[0] << 8 | buf[1]), (size_t)got - 2);
	/* a second query whose answer is pending when the client goes: dropped with the
	 * connection, no crash and no leak */
	assert_int_equal(send(fd, frame, ql + 2, 0), (ssize_t)(ql + 2));
	for (int i = 0; i < 100 && f->nlog == 1; i++)
		sl_loop_run_once(f->loop, 20);
	close(fd);
	for (int i = 0; i < 40; i++)
		sl_loop_run_once(f->loop, 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_action_names),
		cmocka_unit_test(test_bad_rules),
		cmocka_unit_test(test_rcode_faults),
		cmocka_unit_test(test_match_nth),
		cmocka_unit_test(test_match_times_order_transport),
		cmocka_unit_test(test_drop),
		cmocka_unit_test(test_truncate),
		cmocka_unit_test(test_ttl0),
		cmocka_unit_test(test_wrong_id),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_shuffle),
		cmocka_unit_test(test_additional),
		cmocka_unit_test(test_merge_and_stage),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test_setup_teardown(test_server_drop_and_history, srv_setup,
						srv_teardown),
		cmocka_unit_test_setup_teardown(test_server_wrong_port, srv_setup, srv_teardown),
		cmocka_unit_test_setup_teardown(test_server_delay, srv_setup, srv_teardown),
		cmocka_unit_test_setup_teardown(test_server_delay_tcp, srv_setup, srv_teardown),
	};
	return cmocka_run_group_tests_name("fdns_fault", tests, NULL, NULL) ? 1 : 0;
}
