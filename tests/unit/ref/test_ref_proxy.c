/* test_ref_proxy.c: ref's stateless proxy on its own, over real UDP sockets on 127.0.0.1:
 * a client socket, a "sip1" socket, ref_proxy between them with a numeric Request-URI (no
 * DNS). The ICMP error that makes the proxy stateful is handed in directly, so the order
 * of events is fixed: the case a loaded machine only sometimes produces (a copy forwarded
 * before the failure was known, answered by the recovered first server) happens every run. */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "ref_dns.h"
#include "ref_loop.h"
#include "ref_proxy.h"
#include "ref_rsend.h"
#include "ref_tport.h"

struct fx {
	struct ref_loop loop;
	struct ref_log log;
	struct ref_rng rng;
	struct ref_dns *dns;
	struct ref_tport *tp;
	struct ref_rsends *rs;
	struct ref_proxy *proxy;
	int client, sip1;
	struct sockaddr_in client_sa, sip1_sa, proxy_sa;
};

static struct fx *F;

static void on_log(void *arg, const char *line)
{
	(void)arg;
	if (getenv("REF_TEST_LOG"))
		fprintf(stderr, "  ref: %s\n", line);
}

static void on_msg(void *arg, const char *buf, size_t len, const struct sockaddr *from,
		   struct ref_conn *conn)
{
	struct fx *f = arg;

	assert_null(conn);
	ref_proxy_on_message(f->proxy, buf, len, from);
}

static void on_icmp(void *arg, int err, const struct sockaddr *dst, const char *payload,
		    size_t len)
{
	struct fx *f = arg;

	if (!ref_rsends_on_icmp(f->rs, err, dst, payload, len))
		ref_proxy_on_icmp(f->proxy, err, dst, payload, len);
}

static void on_down(void *arg, struct ref_conn *conn, int err, const char *why)
{
	(void)arg;
	(void)conn;
	(void)err;
	(void)why;
}

static int udp_socket(struct sockaddr_in *sa)
{
	socklen_t len = sizeof(*sa);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (void *)sa, sizeof(*sa)), 0);
	assert_int_equal(getsockname(fd, (void *)sa, &len), 0);
	return fd;
}

static int setup(void **st)
{
	static const struct ref_tport_ops ops_tmpl = { on_msg, on_icmp, on_down, NULL };
	struct ref_tport_ops ops = ops_tmpl;
	struct fx *f = calloc(1, sizeof(*f));

	(void)st;
	assert_non_null(f);
	F = f;
	f->log.fn = on_log;
	ref_rng_seed(&f->rng, 1);
	assert_int_equal(ref_loop_init(&f->loop, -1), 0);
	ops.arg = f;
	struct ref_tport_cfg cfg = {
		.loop = &f->loop, .log = &f->log, .bind4 = "127.0.0.1", .udp_port = 0,
		.tp_mask = REF_TPM(REF_TP_UDP),
	};
	assert_int_equal(ref_tport_new(&f->tp, &cfg, &ops), 0);
	/* Never asked: every URI here is numeric. Port 9 (discard) if it were. */
	assert_int_equal(ref_dns_new(&f->dns, &f->loop, &f->rng, &f->log, "127.0.0.1", 9,
				     "127.0.0.1"), 0);
	struct ref_resolve_env re = {
		.loop = &f->loop, .dns = f->dns, .rng = &f->rng, .log = &f->log,
		.tp_mask = REF_TPM(REF_TP_UDP), .deterministic = true,
	};
	struct ref_rsend_env rse = {
		.loop = &f->loop, .tport = f->tp, .log = &f->log, .resolve = re, .linger_ms = 32000,
	};
	assert_int_equal(ref_rsends_new(&f->rs, &rse), 0);
	struct ref_proxy_env pe = {
		.loop = &f->loop, .tport = f->tp, .log = &f->log, .rsends = f->rs, .resolve = re,
		.local_host = "127.0.0.1", .local_port = ref_tport_udp_port(f->tp), .t1 = 500,
		.t2 = 4000, .timer_b = 32000, .timer_f = 32000,
	};
	assert_int_equal(ref_proxy_new(&f->proxy, &pe), 0);
	f->client = udp_socket(&f->client_sa);
	f->sip1 = udp_socket(&f->sip1_sa);
	f->proxy_sa = (struct sockaddr_in){ .sin_family = AF_INET,
					    .sin_port = htons(ref_tport_udp_port(f->tp)),
					    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	return 0;
}

static int teardown(void **st)
{
	struct fx *f = F;

	(void)st;
	ref_proxy_free(f->proxy);
	ref_rsends_free(f->rs);
	ref_dns_free(f->dns);
	ref_tport_free(f->tp);
	ref_loop_fini(&f->loop);
	close(f->client);
	close(f->sip1);
	free(f);
	F = NULL;
	return 0;
}

/* Runs ref until a datagram is waiting at fd (then returns its length) or ms passed (0). */
static size_t wait_rx(int fd, char *buf, size_t len, int ms)
{
	for (int i = 0; i < ms / 5; i++) {
		ssize_t n = recv(fd, buf, len - 1, MSG_DONTWAIT);

		if (n > 0) {
			buf[n] = '\0';
			return (size_t)n;
		}
		ref_loop_run(&F->loop, 5, NULL, NULL);
	}
	return 0;
}

static void send_to(int fd, const struct sockaddr_in *to, const char *msg)
{
	assert_int_equal(sendto(fd, msg, strlen(msg), 0, (const void *)to, sizeof(*to)),
			 (ssize_t)strlen(msg));
}

/* The response a UAS at sip1 makes of the request it got: every Via kept, a To tag. */
static void response_of(const char *req, const char *status, char *out, size_t len)
{
	const char *p = strstr(req, "\r\n") + 2;
	size_t used = (size_t)snprintf(out, len, "SIP/2.0 %s\r\n", status);

	while (p && strncmp(p, "\r\n", 2)) {
		const char *e = strstr(p, "\r\n");
		int n = (int)(e - p);

		if (!strncmp(p, "Via:", 4) || !strncmp(p, "From:", 5) || !strncmp(p, "Call-ID:", 8) ||
		    !strncmp(p, "CSeq:", 5))
			used += (size_t)snprintf(out + used, len - used, "%.*s\r\n", n, p);
		else if (!strncmp(p, "To:", 3))
			used += (size_t)snprintf(out + used, len - used, "%.*s;tag=sip1tag\r\n", n, p);
		p = e + 2;
	}
	snprintf(out + used, len - used, "Content-Length: 0\r\n\r\n");
}

/* The client's INVITE reaches sip1 statelessly; sip1's port is then "unreachable" (the
 * ICMP error quoting that INVITE); with no other server the proxy answers 503 itself.
 * Returns the INVITE as sip1 got it. */
static void invite_then_fail(char *inv, size_t len)
{
	char req[1024], rsp[2048];

	snprintf(req, sizeof(req),
		 "INVITE sip:bob@127.0.0.1:%u SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKclient1\r\n"
		 "Max-Forwards: 70\r\n"
		 "From: <sip:alice@127.0.0.1>;tag=a1\r\n"
		 "To: <sip:bob@127.0.0.1>\r\n"
		 "Call-ID: late-answer@test\r\n"
		 "CSeq: 1 INVITE\r\n"
		 "Content-Length: 0\r\n\r\n",
		 ntohs(F->sip1_sa.sin_port), ntohs(F->client_sa.sin_port));
	send_to(F->client, &F->proxy_sa, req);
	size_t n = wait_rx(F->sip1, inv, len, 2000);
	assert_true(n > 0);
	assert_non_null(strstr(inv, "branch=z9hG4bKsl"));
	assert_true(ref_proxy_on_icmp(F->proxy, ECONNREFUSED, (const void *)&F->sip1_sa, inv, n));
	assert_true(wait_rx(F->client, rsp, sizeof(rsp), 2000) > 0);
	assert_non_null(strstr(rsp, "SIP/2.0 503"));
}

/* RFC 3261 16.7 / 17.1.1.3: the proxy sent that INVITE, so the non-2xx final the
 * recovered sip1 sends for it is ACKed by the proxy, there, with the INVITE's branch,
 * even though it goes no further upstream. */
static void late_non2xx_of_failed_first_server_is_acked(void **st)
{
	char inv[2048], rsp[2048], ack[2048], branch[80], *b;

	(void)st;
	invite_then_fail(inv, sizeof(inv));
	b = strstr(inv, "branch=z9hG4bKsl");
	snprintf(branch, sizeof(branch), "%.*s", (int)strcspn(b, ";\r"), b);
	response_of(inv, "486 Busy Here", rsp, sizeof(rsp));
	for (int copy = 0; copy < 2; copy++) { /* and a retransmitted 486 again */
		send_to(F->sip1, &F->proxy_sa, rsp);
		assert_true(wait_rx(F->sip1, ack, sizeof(ack), 2000) > 0);
		assert_memory_equal(ack, "ACK sip:bob@127.0.0.1:", 22);
		assert_non_null(strstr(ack, branch));
		assert_non_null(strstr(ack, "tag=sip1tag"));
		assert_non_null(strstr(ack, "CSeq: 1 ACK"));
	}
	/* Nothing of it upstream: the client has its 503. */
	assert_int_equal(wait_rx(F->client, rsp, sizeof(rsp), 100), 0);
}

/* A 2xx of that INVITE is not the proxy's to absorb: it goes upstream (16.7 step 5). */
static void late_2xx_of_failed_first_server_goes_upstream(void **st)
{
	char inv[2048], rsp[2048], got[2048];

	(void)st;
	invite_then_fail(inv, sizeof(inv));
	response_of(inv, "200 OK", rsp, sizeof(rsp));
	send_to(F->sip1, &F->proxy_sa, rsp);
	assert_true(wait_rx(F->client, got, sizeof(got), 2000) > 0);
	assert_memory_equal(got, "SIP/2.0 200", 11);
	assert_non_null(strstr(got, "branch=z9hG4bKclient1"));
	assert_null(strstr(got, "branch=z9hG4bKsl")); /* the proxy's Via is gone */
	assert_int_equal(wait_rx(F->sip1, got, sizeof(got), 100), 0); /* no ACK of a 2xx */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(late_non2xx_of_failed_first_server_is_acked, setup,
						teardown),
		cmocka_unit_test_setup_teardown(late_2xx_of_failed_first_server_goes_upstream, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
