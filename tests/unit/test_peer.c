/* test_peer.c: unit tests for the SIP peers (sl_peer, sl_peer_tcp, sl_netfault): plans of
 * steps, by-count rules, CANCEL/487, retransmissions, malformed input, handlers, 2xx
 * without ACK, TCP and TLS framing and stream offsets, responses over a new connection to
 * the Via sent-by, ICMP/TCP/TLS faults as a client sees them.
 * Runs in a network namespace of its own (user + net), like a worker. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sl_addr.h"
#include "sl_clock.h"
#include "sl_evlog.h"
#include "sl_loop.h"
#include "sl_peer.h"
#include "sl_tls.h"

struct env {
	struct sl_loop *loop;
	struct sl_evlog *log;
	struct sl_clock *clk;
	char dir[64];
	struct sl_peer *p[4];
	int np;
	struct sl_tls *tls;
	struct sl_tls_id *id[4];
	int nid;
};

static struct env E;

static int setup(void **state)
{
	(void)state;
	memset(&E, 0, sizeof(E));
	snprintf(E.dir, sizeof(E.dir), "/tmp/sl_peer_test.XXXXXX");
	assert_non_null(mkdtemp(E.dir));
	assert_int_equal(sl_loop_new(&E.loop), 0);
	assert_int_equal(sl_evlog_new(&E.log), 0);
	/* Rate 100: a 1 s delay in a plan takes 10 ms. */
	assert_int_equal(sl_clock_new(&E.clk, E.dir, 100), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < E.np; i++)
		sl_peer_free(E.p[i]);
	for (int i = 0; i < E.nid; i++)
		sl_tls_id_free(E.id[i]);
	sl_tls_free(E.tls);
	unlink(sl_clock_path(E.clk));
	sl_clock_free(E.clk);
	rmdir(E.dir);
	sl_evlog_free(E.log);
	sl_loop_free(E.loop);
	return 0;
}

static struct sl_peer *mkpeer(const char *spec)
{
	char err[256] = "";
	struct sl_peer *p = NULL;
	int rc = sl_peer_new(&p, E.loop, E.log, E.clk, spec, err, sizeof(err));
	if (rc)
		print_error("%s\n", err);
	assert_int_equal(rc, 0);
	E.p[E.np++] = p;
	return p;
}

static void plan(struct sl_peer *p, const char *method, unsigned nth, int n, ...)
{
	struct sl_plan pl = { .n = (unsigned)n };
	va_list ap;
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		pl.step[i] = *va_arg(ap, const struct sl_behaviour *);
	va_end(ap);
	char err[256] = "";
	int rc = sl_peer_plan(p, method, nth, &pl, err, sizeof(err));
	if (rc)
		print_error("%s\n", err);
	assert_int_equal(rc, 0);
}

static const struct sl_behaviour R180 = { .kind = SL_B_REPLY, .code = 180 };
static const struct sl_behaviour R486 = { .kind = SL_B_REPLY, .code = 486 };
static const struct sl_behaviour SIL = { .kind = SL_B_SILENCE };

static void pump(int ms)
{
	uint64_t until = sl_now_us() + (uint64_t)ms * 1000;
	while (sl_now_us() < until)
		sl_loop_run_once(E.loop, 1);
}

static void addr(const char *s, struct sockaddr_storage *ss, socklen_t *sl)
{
	char tp[8], err[128];
	assert_int_equal(sl_addr_parse(s, ss, sl, tp, err, sizeof(err)), 0);
}

static int client(int type, const char *to)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	addr(to, &ss, &sl);
	int fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	int rc = connect(fd, (void *)&ss, sl);
	if (rc < 0)
		return -errno;
	return fd;
}

/* Reads one datagram/segment while the loop runs; "" after max_ms of nothing. rc: the
 * recv result or -errno. */
static int recv_pumped(int fd, char *buf, size_t len, int max_ms)
{
	uint64_t until = sl_now_us() + (uint64_t)max_ms * 1000;
	buf[0] = 0;
	while (sl_now_us() < until) {
		sl_loop_run_once(E.loop, 1);
		struct pollfd pf = { fd, POLLIN, 0 };
		if (poll(&pf, 1, 0) == 1) {
			ssize_t n = recv(fd, buf, len - 1, MSG_DONTWAIT);
			if (n < 0)
				return -errno;
			buf[n] = 0;
			return (int)n;
		}
	}
	return -EAGAIN;
}

static const char *req(char *buf, size_t len, const char *method, const char *branch,
		       const char *callid, const char *transport)
{
	snprintf(buf, len,
		 "%s sip:bob@example.test SIP/2.0\r\n"
		 "Via: SIP/2.0/%s 127.0.0.1:5099;branch=%s\r\n"
		 "From: <sip:a@example.test>;tag=f1\r\n"
		 "To: <sip:bob@example.test>\r\n"
		 "Call-ID: %s\r\n"
		 "CSeq: 1 %s\r\n"
		 "Max-Forwards: 70\r\n"
		 "Content-Length: 0\r\n\r\n",
		 method, transport, branch, callid, method);
	return buf;
}

static void send_str(int fd, const char *s)
{
	assert_int_equal(send(fd, s, strlen(s), 0), (ssize_t)strlen(s));
}

static int status_of(const char *resp)
{
	int code = 0;
	if (sscanf(resp, "SIP/2.0 %d", &code) != 1)
		return 0;
	return code;
}

static size_t count_kind(enum sl_ev_kind k, const char *text)
{
	size_t n = 0;
	for (size_t i = 0; i < sl_evlog_count(E.log); i++) {
		const struct sl_event *e = sl_evlog_get(E.log, i);
		if (e->kind == k && (!text || (e->text && strstr(e->text, text))))
			n++;
	}
	return n;
}

/* --- plans */

static void test_provisional_then_final_delayed(void **state)
{
	(void)state;
	struct sl_peer *p = mkpeer("127.0.0.2:5060/udp");
	struct sl_behaviour ok = { .kind = SL_B_REPLY, .code = 200, .delay_s = 2 };
	plan(p, "INVITE", 0, 2, &R180, &ok);
	int fd = client(SOCK_DGRAM, "127.0.0.2:5060");
	char b[2048], r[4096];
	send_str(fd, req(b, sizeof(b), "INVITE", "z9hG4bK1", "c1", "UDP"));
	assert_true(recv_pumped(fd, r, sizeof(r), 500) > 0);
	assert_int_equal(status_of(r), 180);
	assert_true(recv_pumped(fd, r, sizeof(r), 1000) > 0);
	assert_int_equal(status_of(r), 200);
	assert_non_null(strstr(r, "To: <sip:bob@example.test>;tag="));
	/* The ACK for the 2xx: no note about a missing ACK at the end. */
	snprintf(b, sizeof(b), "ACK sip:bob@example.test SIP/2.0\r\nVia: SIP/2.0/UDP "
		 "127.0.0.1:5099;branch=z9hG4bKack\r\nFrom: <sip:a@example.test>;tag=f1\r\n"
		 "To: <sip:bob@example.test>;tag=sl1\r\nCall-ID: c1\r\nCSeq: 1 ACK\r\n"
		 "Content-Length: 0\r\n\r\n");
	send_str(fd, b);
	pump(30);
	sl_peer_finish(p);
	assert_int_equal(count_kind(SL_EV_NOTE, "no ACK"), 0);
	assert_int_equal(count_kind(SL_EV_SIP_TX, NULL), 2);
	close(fd);
}

/* A 2xx to INVITE is what a real UA accepts (RFC 3261 12.1.1): a Contact naming the peer
 * and an SDP body; contact = false (bare) sends it without either. */
static void test_2xx_to_invite_has_contact_and_sdp(void **state)
{
	(void)state;
	struct sl_peer *p = mkpeer("127.0.0.2:5060/udp");
	struct sl_behaviour bare = { .kind = SL_B_REPLY, .code = 200, .bare = 1 };
	struct sl_behaviour given = { .kind = SL_B_REPLY, .code = 200,
				      .headers = "Contact: <sip:x@uas.example.test>\r\n" };
	plan(p, NULL, 2, 1, &bare);
	plan(p, NULL, 3, 1, &given);
	int fd = client(SOCK_DGRAM, "127.0.0.2:5060");
	char b[2048], r[4096];
	send_str(fd, req(b, sizeof(b), "INVITE", "z9hG4bKc1", "cc1", "UDP"));
	assert_true(recv_pumped(fd, r, sizeof(r), 500) > 0);
	assert_int_equal(status_of(r), 200);
	assert_non_null(strstr(r, "\r\nContact: <sip:siploc@127.0.0.2:5060>\r\n"));
	assert_non_null(strstr(r, "\r\nContent-Type: application/sdp\r\n"));
	assert_non_null(strstr(r, "\r\nc=IN IP4 127.0.0.2\r\n"));
	send_str(fd, req(b, sizeof(b), "INVITE", "z9hG4bKc2", "cc2", "UDP"));
	assert_true(recv_pumped(fd, r, sizeof(r), 500) > 0);
	assert_null(strstr(r, "Contact:"));
	assert_non_null(strstr(r, "Content-Length: 0\r\n"));
	send_str(fd, req(b, sizeof(b), "INVITE", "z9hG4bKc3", "cc3", "UDP"));
	assert_true(recv_pumped(fd, r, sizeof(r), 500) > 0);
	assert_non_null(strstr(r, "\r\nContact: <sip:x@uas.example.test>\r\n"));
	assert_null(strstr(r, "siploc@"));
	/* Not to other methods. */
	send_str(fd, req(b, sizeof(b), "OPTIONS", "z9hG4bKc4", "cc4", "UDP"));
	assert_true(recv_pumped(fd, r, sizeof(r), 500) > 0);
	assert_null(strstr(r, "Contact:"));
	/* The log keeps the Contact the 2xx carried. */
	unsigned with = 0;
	for (size_t i = 0; i < sl_evlog_count(E.log); i++) {
		const struct sl_event *e = sl_evlog_get(E.log, i);
		with += e->kind == SL_EV_SIP_TX && e->contact &&
			!strcmp(e->contact, "sip:siploc@127.0.0.2:5060");
	}
	assert_true(with >= 1);
	sl_peer_finish(p);
	close(fd);
}

static void test_2xx_without_ack_is_noted(void **state)
{
	(void)state;
	struct sl_peer *p = mkpeer("127.0.0.2:5060/udp");
	int fd = client(SOCK_DGRAM, "127.0.0.2:5060");
	char b[2048], r[4096];
	send_str(fd, req(b, sizeof(b), "INVITE", "z9hG4bK2", "c2", "UDP"));
	assert_true(recv_pumped(fd, r, sizeof(r), 500) > 0);
	assert_int_equal(status_of(r), 200);
	/* Unacknowledged, the 2xx is sent again after T1 (5 ms at rate 100). */
	assert_true(recv_pumped(fd, r, sizeof(r), 500) > 0);
	assert_int_equal(status_of(r), 200);
	sl_peer_finish(p);
	assert_int_equal(count_kind(SL_EV_NOTE, "no ACK for the 2xx"), 1);
	close(fd);
}

static void test_by_count_and_headers(void **state)
{
	(void)state;
	struct sl_peer *p = mkpeer("127.0.0.2:5060/udp");
	struct sl_behaviour busy = { .kind = SL_B_REPLY, .code = 503,
				     .headers = "Retry-After: 60\r\n" };
	plan(p, NULL, 1, 1, &busy);
	plan(p, "OPTIONS", 0, 1, &R486);
	int fd = client(SOCK_DGRAM, "127.0.0.2:5060");
	char b[2048], r[4096];
	send_str(fd, req(b, sizeof(b), "OPTIONS", "z9hG4bK3a", "c3", "UDP"));
	assert_true(recv_pumped(fd, r, sizeof(r), 500) > 0);
	assert_int_equal(status_of(r), 503);
	assert_non_null(strstr(r, "\r\nRetry-After: 60\r\n"));
	send_str(fd, req(b, sizeof(b), "OPTIONS", "z9hG4bK3b", "c3", "UDP"));
	assert_true(recv_pumped(fd, r, sizeof(r), 500) > 0);
	assert_int_equal(status_of(r), 486);
	close(fd);
}

static void test_retransmission_same_answer(void **state)
{
	(void)state;
	struct sl_peer *p = mkpeer("127.0.0.2:5060/udp");
	plan(p, NULL, 0, 1, &R486);
	int fd = client(SOCK_DGRAM, "127.0.0.2:5060");
	char b[2048], r1[4096], r2[4096];
	req(b, sizeof(b), "INVITE", "z9hG4bK4", "c4", "UDP");
	send_str(fd, b);
	assert_true(recv_pumped(fd, r1, sizeof(r1), 500) > 0);
	send_str(fd, b);
	assert_true(recv_pumped(fd, r2, sizeof(r2), 500) > 0);
	assert_string_equal(r1, r2);   /* same To tag: one transaction */
	/* The ACK for the 486 is absorbed: nothing comes back. */
	char ack[2048];
	snprintf(ack, sizeof(ack), "ACK sip:bob@example.test SIP/2.0\r\nVia: SIP/2.0/UDP "
		 "127.0.0.1:5099;branch=z9hG4bK4\r\nFrom: <sip:a@example.test>;tag=f1\r\n"
		 "To: <sip:bob@example.test>;tag=sl1\r\nCall-ID: c4\r\nCSeq: 1 ACK\r\n"
		 "Content-Length: 0\r\n\r\n");
	send_str(fd, ack);
	assert_int_equal(recv_pumped(fd, r2, sizeof(r2), 50), -EAGAIN);
	close(fd);
}

/* RFC 3261 17.2: a retransmission before the delayed answer gets the last response sent
 * (none, then the provisional), never an early answer of its own. */
static void test_retransmission_before_delayed_answer(void **state)
{
	(void)state;
	struct sl_peer *p = mkpeer("127.0.0.2:5060/udp");
	struct sl_behaviour late = { .kind = SL_B_REPLY, .code = 486, .delay_s = 6 };
	plan(p, "INVITE", 0, 1, &late);
	plan(p, "OPTIONS", 0, 2, &R180, &late);
	int fd = client(SOCK_DGRAM, "127.0.0.2:5060");
	char b[2048], r[4096];
	req(b, sizeof(b), "INVITE", "z9hG4bKd1", "cd1", "UDP");
	uint64_t t0 = sl_now_us();
	send_str(fd, b);
	pump(5);
	send_str(fd, b);
	/* 6 s at rate 100 is 60 ms: the first thing back is the 486, and not before then
	 * (timed from the request, so a loaded machine cannot make it look early). */
	assert_true(recv_pumped(fd, r, sizeof(r), 500) > 0);
	assert_int_equal(status_of(r), 486);
	assert_true(sl_now_us() - t0 >= 55000);
	assert_int_equal(recv_pumped(fd, r, sizeof(r), 30), -EAGAIN);
	req(b, sizeof(b), "OPTIONS", "z9hG4bKd2", "cd2", "UDP");
	send_str(fd, b);
	assert_true(recv_pumped(fd, r, sizeof(r), 500) > 0);
	assert_int_equal(status_of(r), 180);
	send_str(fd, b);
	assert_true(recv_pumped(fd, r, sizeof(r), 30) > 0);
	assert_int_equal(status_of(r), 180);
	assert_true(recv_pumped(fd, r, sizeof(r), 500) > 0);
	assert_int_equal(status_of(r), 486);
	assert_int_equal(recv_pumped(fd, r, sizeof(r), 30), -EAGAIN);
	assert_int_equal(count_kind(SL_EV_SIP_TX, NULL), 4);
	close(fd);
}

static void test_cancel_gives_200_and_487(void **state)
{
	(void)state;
	struct sl_peer *p = mkpeer("127.0.0.2:5060/udp");
	plan(p, "INVITE", 0, 2, &R180, &SIL);
	int fd = client(SOCK_DGRAM, "127.0.0.2:5060");
	char b[2048], r[4096];
	send_str(fd, req(b, sizeof(b), "INVITE", "z9hG4bK5", "c5", "UDP"));
	assert_true(recv_pumped(fd, r, sizeof(r), 500) > 0);
	assert_int_equal(status_of(r), 180);
	snprintf(b, sizeof(b), "CANCEL sip:bob@example.test SIP/2.0\r\nVia: SIP/2.0/UDP "
		 "127.0.0.1:5099;branch=z9hG4bK5\r\nFrom: <sip:a@example.test>;tag=f1\r\n"
		 "To: <sip:bob@example.test>\r\nCall-ID: c5\r\nCSeq: 1 CANCEL\r\n"
		 "Content-Length: 0\r\n\r\n");
	send_str(fd, b);
	assert_true(recv_pumped(fd, r, sizeof(r), 500) > 0);
	assert_int_equal(status_of(r), 200);
	assert_non_null(strstr(r, "CSeq: 1 CANCEL"));
	assert_true(recv_pumped(fd, r, sizeof(r), 500) > 0);
	assert_int_equal(status_of(r), 487);
	assert_non_null(strstr(r, "CSeq: 1 INVITE"));
	close(fd);
}

static void test_malformed_input(void **state)
{
	(void)state;
	mkpeer("127.0.0.2:5060/udp");
	int fd = client(SOCK_DGRAM, "127.0.0.2:5060");
	char r[4096];
	send_str(fd, "this is not SIP\r\n\r\n");
	assert_int_equal(recv_pumped(fd, r, sizeof(r), 50), -EAGAIN);
	assert_int_equal(count_kind(SL_EV_SIP_RX, "malformed SIP"), 1);
	/* Parsable but no Call-ID: RFC 3261 8.2.2 / 16.3 answer 400. */
	send_str(fd, "OPTIONS sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK6\r\n"
		     "From: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nCSeq: 1 OPTIONS\r\n"
		     "Content-Length: 0\r\n\r\n");
	assert_true(recv_pumped(fd, r, sizeof(r), 500) > 0);
	assert_int_equal(status_of(r), 400);
	assert_int_equal(count_kind(SL_EV_NOTE, "no Call-ID"), 1);
	close(fd);
}

static int handler_calls;

static int handler(void *arg, const struct sl_peer_req *q, struct sl_plan *out)
{
	(void)arg;
	handler_calls++;
	if (strcmp(q->method, "INVITE"))
		return 0;
	assert_int_equal(q->nth, 1);
	assert_string_equal(q->branch, "z9hG4bK7");
	assert_string_equal(q->transport, "udp");
	out->n = 1;
	out->step[0] = R486;
	return 1;
}

static void test_handler_first_then_rules(void **state)
{
	(void)state;
	struct sl_peer *p = mkpeer("127.0.0.2:5060/udp");
	sl_peer_set_handler(p, handler, NULL);
	handler_calls = 0;
	int fd = client(SOCK_DGRAM, "127.0.0.2:5060");
	char b[2048], r[4096];
	send_str(fd, req(b, sizeof(b), "INVITE", "z9hG4bK7", "c7", "UDP"));
	assert_true(recv_pumped(fd, r, sizeof(r), 500) > 0);
	assert_int_equal(status_of(r), 486);
	send_str(fd, req(b, sizeof(b), "OPTIONS", "z9hG4bK7b", "c7b", "UDP"));
	assert_true(recv_pumped(fd, r, sizeof(r), 500) > 0);
	assert_int_equal(status_of(r), 200);  /* fell back to the default */
	assert_int_equal(handler_calls, 2);
	close(fd);
}

static void test_plan_check(void **state)
{
	(void)state;
	char err[256];
	struct sl_plan pl = { .n = 2 };
	pl.step[0] = R486;
	pl.step[1] = R180;
	assert_int_equal(sl_plan_check(&pl, "udp", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "nothing can follow"));
	pl.n = 1;
	pl.step[0] = (struct sl_behaviour){ .kind = SL_B_ICMP, .icmp = SL_ICMP_PORT };
	assert_int_equal(sl_plan_check(&pl, "tcp", err, sizeof(err)), -EINVAL);
	assert_int_equal(sl_plan_check(&pl, "udp", err, sizeof(err)), 0);
	pl.step[0] = (struct sl_behaviour){ .kind = SL_B_TCP_RESET };
	assert_int_equal(sl_plan_check(&pl, "udp", err, sizeof(err)), -EINVAL);
	pl.step[0] = (struct sl_behaviour){ .kind = SL_B_REPLY, .code = 99 };
	assert_int_equal(sl_plan_check(&pl, "udp", err, sizeof(err)), -EINVAL);
	struct sl_peer *p = NULL;
	assert_int_equal(sl_peer_new(&p, E.loop, E.log, E.clk, "192.0.2.1:5060/udp", err,
				     sizeof(err)), -EINVAL);
	assert_int_equal(sl_peer_new(&p, E.loop, E.log, E.clk, "127.0.0.2:5061/sctp", err,
				     sizeof(err)), -EINVAL);
}

/* --- TCP */

static void test_tcp_framing(void **state)
{
	(void)state;
	mkpeer("127.0.0.2:5060/tcp");
	int fd = client(SOCK_STREAM, "127.0.0.2:5060");
	assert_true(fd >= 0);
	char a[2048], b[2048], r[8192];
	req(a, sizeof(a), "OPTIONS", "z9hG4bK8a", "c8a", "TCP");
	req(b, sizeof(b), "OPTIONS", "z9hG4bK8b", "c8b", "TCP");
	/* Two messages (and a keep-alive CRLF) in one write. */
	char both[4200];
	snprintf(both, sizeof(both), "%s\r\n%s", a, b);
	send_str(fd, both);
	size_t got = 0;
	for (int i = 0; i < 20 && got < 2; i++) {
		if (recv_pumped(fd, r, sizeof(r), 100) > 0)
			for (const char *s = r; (s = strstr(s, "SIP/2.0 200")); s++)
				got++;
	}
	assert_int_equal(got, 2);
	/* One message over three writes. */
	char c[2048];
	req(c, sizeof(c), "OPTIONS", "z9hG4bK8c", "c8c", "TCP");
	size_t n = strlen(c);
	assert_int_equal(send(fd, c, 10, 0), 10);
	pump(10);
	assert_int_equal(send(fd, c + 10, n / 2, 0), (ssize_t)(n / 2));
	pump(10);
	assert_int_equal(count_kind(SL_EV_SIP_RX, NULL), 2);
	send_str(fd, c + 10 + n / 2);
	assert_true(recv_pumped(fd, r, sizeof(r), 500) > 0);
	assert_non_null(strstr(r, "c8c"));
	/* Stream offsets: where each message's first byte sat in the stream. */
	unsigned long long want[3] = { 0, strlen(a) + 2, strlen(a) + 2 + strlen(b) };
	size_t k = 0;
	for (size_t i = 0; i < sl_evlog_count(E.log); i++) {
		const struct sl_event *e = sl_evlog_get(E.log, i);
		if (e->kind != SL_EV_SIP_RX)
			continue;
		assert_true(k < 3);
		assert_int_equal(e->fp[0].proto, 6);
		assert_true(e->fp[0].has_off);
		assert_int_equal(e->fp[0].off, want[k]);
		k++;
	}
	assert_int_equal(k, 3);
	/* A stream that cannot be framed is logged and dropped. */
	send_str(fd, "GARBAGE\r\nNo-Length: here\r\n\r\n");
	int rc = recv_pumped(fd, r, sizeof(r), 500);
	assert_true(rc == 0 || rc == -ECONNRESET);
	assert_int_equal(count_kind(SL_EV_SIP_RX, "unframeable"), 1);
	close(fd);
}

static void test_tcp_reset_close_refuse(void **state)
{
	(void)state;
	struct sl_peer *p = mkpeer("127.0.0.2:5060/tcp");
	struct sl_behaviour rst = { .kind = SL_B_TCP_RESET }, fin = { .kind = SL_B_CLOSE };
	plan(p, "INVITE", 0, 1, &rst);
	plan(p, "OPTIONS", 0, 1, &fin);
	char b[2048], r[4096];
	int fd = client(SOCK_STREAM, "127.0.0.2:5060");
	send_str(fd, req(b, sizeof(b), "INVITE", "z9hG4bK9", "c9", "TCP"));
	assert_int_equal(recv_pumped(fd, r, sizeof(r), 500), -ECONNRESET);
	close(fd);
	fd = client(SOCK_STREAM, "127.0.0.2:5060");
	send_str(fd, req(b, sizeof(b), "OPTIONS", "z9hG4bK9b", "c9b", "TCP"));
	assert_int_equal(recv_pumped(fd, r, sizeof(r), 500), 0);  /* FIN, no answer */
	close(fd);
	assert_int_equal(count_kind(SL_EV_NOTE, "TCP reset of"), 1);
	char err[256];
	assert_int_equal(sl_peer_mode(p, SL_PEER_REFUSE, err, sizeof(err)), 0);
	assert_int_equal(client(SOCK_STREAM, "127.0.0.2:5060"), -ECONNREFUSED);
}

static void test_drop_syn(void **state)
{
	(void)state;
	struct sl_peer *p = mkpeer("127.0.0.2:5060/tcp");
	char err[256] = "";
	int rc = sl_peer_mode(p, SL_PEER_DROP_SYN, err, sizeof(err));
	if (rc)
		print_error("%s\n", err);
	assert_int_equal(rc, 0);
	struct sockaddr_storage ss;
	socklen_t sl;
	addr("127.0.0.2:5060", &ss, &sl);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(fd, (void *)&ss, sl), -1);
	assert_int_equal(errno, EINPROGRESS);
	/* The SYN is dropped: the connection neither completes nor fails. */
	struct pollfd pf = { fd, POLLOUT, 0 };
	assert_int_equal(poll(&pf, 1, 300), 0);
	close(fd);
	/* Another port on the same address is untouched. */
	mkpeer("127.0.0.2:5062/tcp");
	fd = client(SOCK_STREAM, "127.0.0.2:5062");
	assert_true(fd >= 0);
	close(fd);
}

/* --- TLS */

static struct sl_tls_id *mkid(enum sl_tls_cert kind, int abort_hs)
{
	char err[256] = "";
	if (!E.tls)
		assert_int_equal(sl_tls_new(&E.tls, err, sizeof(err)), 0);
	const char *names[] = { "sip1.example.test", "127.0.0.2" };
	struct sl_tls_id *id = NULL;
	assert_int_equal(sl_tls_id_new(&id, E.tls, names, 2, kind, abort_hs, err, sizeof(err)), 0);
	E.id[E.nid++] = id;
	return id;
}

static struct sl_peer *mktls(const char *spec, enum sl_tls_cert kind, int abort_hs)
{
	struct sl_peer *p = mkpeer(spec);
	struct sl_tls_id *id = mkid(kind, abort_hs);  /* makes E.tls first */
	sl_peer_set_tls(p, id, E.tls);
	return p;
}

/* A TLS endpoint of the test's own on a socket, driven by hand while the loop runs. */
struct tend {
	int fd;
	struct sl_tls_conn *c;
	unsigned long long tx;   /* ciphertext bytes sent */
};

static void tend_flush(struct tend *x)
{
	char b[16384];
	size_t n;
	while ((n = sl_tls_conn_take(x->c, b, sizeof(b))) > 0) {
		assert_int_equal(send(x->fd, b, n, MSG_NOSIGNAL), (ssize_t)n);
		x->tx += n;
	}
}

/* Plaintext (NUL-terminated) read within max_ms, or the reason it ended: -EPROTO (TLS
 * failed), -EPIPE (close_notify), -ECONNRESET / 0 (the socket ended), -EAGAIN. */
static int tend_read(struct tend *x, char *out, size_t len, int max_ms)
{
	uint64_t until = sl_now_us() + (uint64_t)max_ms * 1000;
	size_t got = 0;
	out[0] = 0;
	while (sl_now_us() < until) {
		sl_loop_run_once(E.loop, 1);
		unsigned long long off;
		ssize_t n = sl_tls_conn_read(x->c, out + got, len - 1 - got, &off);
		tend_flush(x);
		if (n > 0) {
			got += (size_t)n;
			out[got] = 0;
			continue;
		}
		if (n < 0)
			return got ? (int)got : (int)n;
		if (got)
			return (int)got;
		struct pollfd pf = { x->fd, POLLIN, 0 };
		if (poll(&pf, 1, 0) == 1) {
			char b[16384];
			ssize_t r = recv(x->fd, b, sizeof(b), MSG_DONTWAIT);
			if (r <= 0)
				return r < 0 ? -errno : 0;
			assert_int_equal(sl_tls_conn_feed(x->c, b, (size_t)r), 0);
		}
	}
	return -EAGAIN;
}

static void tend_handshake(struct tend *x)
{
	char b[64];
	for (int i = 0; i < 100 && !sl_tls_conn_established(x->c); i++)
		if (tend_read(x, b, sizeof(b), 10) == -EPROTO)
			break;
	if (!sl_tls_conn_established(x->c))
		print_error("handshake: %s\n", sl_tls_conn_error(x->c));
	assert_true(sl_tls_conn_established(x->c));
}

static void tend_client(struct tend *x, const char *to)
{
	memset(x, 0, sizeof(*x));
	x->fd = client(SOCK_STREAM, to);
	assert_true(x->fd >= 0);
	assert_int_equal(sl_tls_conn_client(&x->c, E.tls), 0);
}

/* One write, one record (a SIP message is far below 2^14 bytes). */
static unsigned long long tend_write(struct tend *x, const char *s, size_t n)
{
	unsigned long long off = x->tx;
	assert_int_equal(sl_tls_conn_write(x->c, s, n), 0);
	tend_flush(x);
	return off;
}

static void tend_close(struct tend *x)
{
	close(x->fd);
	sl_tls_conn_free(x->c);
}

static void test_tls_framing(void **state)
{
	(void)state;
	mktls("127.0.0.2:5061/tls", SL_TLS_CERT_VALID, 0);
	struct tend x;
	tend_client(&x, "127.0.0.2:5061");
	tend_handshake(&x);
	char a[2048], b[2048], c[2048], both[4200], r[8192];
	req(a, sizeof(a), "OPTIONS", "z9hG4bKt1a", "t1a", "TLS");
	req(b, sizeof(b), "OPTIONS", "z9hG4bKt1b", "t1b", "TLS");
	req(c, sizeof(c), "OPTIONS", "z9hG4bKt1c", "t1c", "TLS");
	/* Two messages (and a keep-alive CRLF) in one record. */
	snprintf(both, sizeof(both), "%s\r\n%s", a, b);
	unsigned long long rec1 = tend_write(&x, both, strlen(both));
	size_t got = 0;
	for (int i = 0; i < 20 && got < 2; i++)
		if (tend_read(&x, r, sizeof(r), 100) > 0)
			for (const char *s2 = r; (s2 = strstr(s2, "SIP/2.0 200")); s2++)
				got++;
	assert_int_equal(got, 2);
	/* One message over three records. */
	size_t n = strlen(c);
	unsigned long long rec2 = tend_write(&x, c, 10);
	pump(10);
	tend_write(&x, c + 10, n / 2);
	pump(10);
	assert_int_equal(count_kind(SL_EV_SIP_RX, NULL), 2);
	tend_write(&x, c + 10 + n / 2, n - 10 - n / 2);
	assert_true(tend_read(&x, r, sizeof(r), 500) > 0);
	assert_non_null(strstr(r, "t1c"));
	/* Each message is logged at the offset of the record carrying its first byte. */
	unsigned long long want[3] = { rec1, rec1, rec2 };
	size_t k = 0;
	for (size_t i = 0; i < sl_evlog_count(E.log); i++) {
		const struct sl_event *e = sl_evlog_get(E.log, i);
		if (e->kind != SL_EV_SIP_RX)
			continue;
		assert_true(k < 3);
		assert_int_equal(e->fp[0].proto, 6);
		assert_true(e->fp[0].has_off);
		assert_int_equal(e->fp[0].off, want[k]);
		assert_string_equal(e->transport, "tls");
		assert_string_equal(e->via_transport, "TLS");
		assert_string_equal(e->via_sentby, "127.0.0.1:5099");
		k++;
	}
	assert_int_equal(k, 3);
	assert_int_equal(count_kind(SL_EV_NOTE, "TLS handshake with"), 1);
	/* Plain SIP on the TLS port: a handshake failure, logged; the peer lives on. */
	int fd = client(SOCK_STREAM, "127.0.0.2:5061");
	send_str(fd, a);
	int rc = recv_pumped(fd, r, sizeof(r), 500);
	assert_true(rc >= 0 || rc == -ECONNRESET);
	close(fd);
	assert_int_equal(count_kind(SL_EV_NOTE, "TLS handshake with"), 2);
	assert_int_equal(count_kind(SL_EV_NOTE, "failed"), 1);
	tend_close(&x);
}

static void test_tls_faults(void **state)
{
	(void)state;
	struct sl_peer *p = mktls("127.0.0.2:5061/tls", SL_TLS_CERT_VALID, 0);
	struct sl_behaviour rst = { .kind = SL_B_TCP_RESET }, fin = { .kind = SL_B_CLOSE };
	plan(p, "INVITE", 0, 1, &rst);
	plan(p, "OPTIONS", 0, 1, &fin);
	char b[2048], r[4096];
	struct tend x;
	tend_client(&x, "127.0.0.2:5061");
	tend_handshake(&x);
	req(b, sizeof(b), "INVITE", "z9hG4bKt2", "t2", "TLS");
	tend_write(&x, b, strlen(b));
	assert_int_equal(tend_read(&x, r, sizeof(r), 500), -ECONNRESET);
	tend_close(&x);
	tend_client(&x, "127.0.0.2:5061");
	tend_handshake(&x);
	req(b, sizeof(b), "OPTIONS", "z9hG4bKt2b", "t2b", "TLS");
	tend_write(&x, b, strlen(b));
	/* close_before_response over TLS: close_notify, then FIN, no answer. */
	assert_int_equal(tend_read(&x, r, sizeof(r), 500), -EPIPE);
	tend_close(&x);
	/* The handshake refused at the ClientHello. */
	mktls("127.0.0.3:5061/tls", SL_TLS_CERT_VALID, 1);
	tend_client(&x, "127.0.0.3:5061");
	assert_int_equal(tend_read(&x, r, sizeof(r), 500), -EPROTO);
	assert_non_null(strstr(sl_tls_conn_error(x.c), "handshake failure"));
	tend_close(&x);
	assert_int_equal(count_kind(SL_EV_NOTE, "aborted by the peer at the ClientHello"), 1);
	char err[256];
	assert_int_equal(sl_peer_mode(p, SL_PEER_REFUSE, err, sizeof(err)), 0);
	assert_int_equal(client(SOCK_STREAM, "127.0.0.2:5061"), -ECONNREFUSED);
}

/* A listening socket at the Via sent-by of req() (127.0.0.1:5099). */
static int sentby_listener(void)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	addr("127.0.0.1:5099", &ss, &sl);
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(l, (void *)&ss, sl), 0);
	assert_int_equal(listen(l, 4), 0);
	return l;
}

static void dump_notes(void)
{
	for (size_t i = 0; i < sl_evlog_count(E.log); i++)
		print_error("event %zu: %s\n", i, sl_evlog_get(E.log, i)->text ?
			    sl_evlog_get(E.log, i)->text : "-");
}

static int accept_pumped(int l, int max_ms)
{
	uint64_t until = sl_now_us() + (uint64_t)max_ms * 1000;
	while (sl_now_us() < until) {
		sl_loop_run_once(E.loop, 1);
		struct pollfd pf = { l, POLLIN, 0 };
		if (poll(&pf, 1, 0) == 1)
			return accept4(l, NULL, NULL, SOCK_CLOEXEC);
	}
	return -1;
}

/* RFC 3263 section 5: the request's connection closed before the response was due; the
 * response goes over a new connection to the Via sent-by. */
static void test_response_to_sentby(void **state)
{
	/* Not 127.0.0.2:5060: test_drop_syn's nft rule stays in this namespace. */
	(void)state;
	struct sl_behaviour late = { .kind = SL_B_REPLY, .code = 486, .delay_s = 2 };
	struct sl_peer *p = mkpeer("127.0.0.5:5060/tcp");
	plan(p, NULL, 0, 1, &late);
	int l = sentby_listener();
	char b[2048], r[4096];
	int fd = client(SOCK_STREAM, "127.0.0.5:5060");
	send_str(fd, req(b, sizeof(b), "INVITE", "z9hG4bKs1", "s1", "TCP"));
	pump(5);
	close(fd);
	int a = accept_pumped(l, 500);
	if (a < 0)
		dump_notes();
	assert_true(a >= 0);
	assert_true(recv_pumped(a, r, sizeof(r), 500) > 0);
	assert_int_equal(status_of(r), 486);
	close(a);
	assert_int_equal(count_kind(SL_EV_NOTE, "goes over a new TCP connection to the Via "
				    "sent-by 127.0.0.1:5099"), 1);
	/* The same over TLS: the peer is the TLS client this time. */
	struct sl_peer *q = mktls("127.0.0.2:5061/tls", SL_TLS_CERT_VALID, 0);
	plan(q, NULL, 0, 1, &late);
	struct tend x;
	tend_client(&x, "127.0.0.2:5061");
	tend_handshake(&x);
	req(b, sizeof(b), "INVITE", "z9hG4bKs2", "s2", "TLS");
	tend_write(&x, b, strlen(b));
	pump(5);
	tend_close(&x);
	a = accept_pumped(l, 500);
	if (a < 0)
		dump_notes();
	assert_true(a >= 0);
	memset(&x, 0, sizeof(x));
	x.fd = a;
	assert_int_equal(sl_tls_conn_server(&x.c, E.id[0]), 0);
	int n = 0;
	for (int i = 0; i < 50 && n <= 0; i++)
		n = tend_read(&x, r, sizeof(r), 20);
	assert_true(n > 0);
	assert_int_equal(status_of(r), 486);
	tend_close(&x);
	assert_int_equal(count_kind(SL_EV_NOTE, "goes over a new TLS connection"), 1);
	/* The 486 is logged once it went out, with the new connection's remote end. */
	const struct sl_event *last = NULL;
	for (size_t i = 0; i < sl_evlog_count(E.log); i++)
		if (sl_evlog_get(E.log, i)->kind == SL_EV_SIP_TX)
			last = sl_evlog_get(E.log, i);
	assert_non_null(last);
	assert_int_equal(last->status, 486);
	assert_string_equal(last->client, "127.0.0.1:5099");
	/* A sent-by that is a name: not resolved, said so. */
	fd = client(SOCK_STREAM, "127.0.0.5:5060");
	req(b, sizeof(b), "INVITE", "z9hG4bKs3", "s3", "TCP");
	char *via = strstr(b, "127.0.0.1:5099");
	char named[2100];
	snprintf(named, sizeof(named), "%.*shost.invalid:5099%s", (int)(via - b), b, via + 14);
	send_str(fd, named);
	pump(5);
	close(fd);
	pump(60);
	assert_int_equal(count_kind(SL_EV_NOTE, "sent-by host.invalid:5099 is a name"), 1);
	close(l);
}

/* --- ICMP */

static int icmp_errno(const char *peer, const char *cli_to, enum sl_icmp_kind kind, int recverr)
{
	struct sl_peer *p = mkpeer(peer);
	struct sl_behaviour b = { .kind = SL_B_ICMP, .icmp = kind };
	plan(p, NULL, 0, 1, &b);
	int fd = client(SOCK_DGRAM, cli_to);
	assert_true(fd >= 0);
	struct sockaddr_storage ss;
	socklen_t sl;
	addr(cli_to, &ss, &sl);
	int one = 1;
	if (recverr) {
		if (ss.ss_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof(one));
		else
			setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one));
	}
	char b2[2048], r[4096];
	size_t before = count_kind(SL_EV_NOTE, "unreachable to");
	send_str(fd, req(b2, sizeof(b2), "OPTIONS", "z9hG4bK10", "c10", "UDP"));
	/* Wait for the peer to have sent its ICMP (a loaded machine may be slow), then give
	 * the kernel a moment to hand the error to the socket. */
	for (int i = 0; i < 2000 && count_kind(SL_EV_NOTE, "unreachable to") == before; i++)
		sl_loop_run_once(E.loop, 1);
	if (count_kind(SL_EV_NOTE, "unreachable to") != before + 1)
		for (size_t i = 0; i < sl_evlog_count(E.log); i++)
			print_error("event %zu kind %d %s\n", i, sl_evlog_get(E.log, i)->kind,
				    sl_evlog_get(E.log, i)->text ? sl_evlog_get(E.log, i)->text : "");
	assert_int_equal(count_kind(SL_EV_NOTE, "unreachable to"), before + 1);
	int rc = recv_pumped(fd, r, sizeof(r), 200);
	close(fd);
	return rc;
}

static void test_icmp_v4(void **state)
{
	(void)state;
	assert_int_equal(icmp_errno("127.0.0.2:5060/udp", "127.0.0.2:5060", SL_ICMP_PORT, 0),
			 -ECONNREFUSED);
	assert_int_equal(icmp_errno("127.0.0.3:5060/udp", "127.0.0.3:5060", SL_ICMP_HOST, 1),
			 -EHOSTUNREACH);
	assert_int_equal(icmp_errno("127.0.0.4:5060/udp", "127.0.0.4:5060", SL_ICMP_NET, 1),
			 -ENETUNREACH);
	/* Measured: without IP_RECVERR a host unreachable does not reach the socket. */
	assert_int_equal(icmp_errno("127.0.0.5:5060/udp", "127.0.0.5:5060", SL_ICMP_HOST, 0),
			 -EAGAIN);
	assert_int_equal(count_kind(SL_EV_NOTE, "ICMP port unreachable"), 1);
	const struct sl_event *e = NULL;
	for (size_t i = 0; i < sl_evlog_count(E.log); i++)
		if (sl_evlog_get(E.log, i)->kind == SL_EV_NOTE && !e)
			e = sl_evlog_get(E.log, i);
	assert_non_null(e);
	assert_int_equal(e->fp[0].proto, 1);
	assert_string_equal(e->fp[0].src, "127.0.0.2:0");
}

static void test_icmp_v6(void **state)
{
	(void)state;
	assert_int_equal(icmp_errno("[fd00::2]:5060/udp", "[fd00::2]:5060", SL_ICMP_PORT, 0),
			 -ECONNREFUSED);
	assert_int_equal(icmp_errno("[fd00::3]:5060/udp", "[fd00::3]:5060", SL_ICMP_HOST, 1),
			 -EHOSTUNREACH);
	assert_int_equal(icmp_errno("[fd00::4]:5060/udp", "[fd00::4]:5060", SL_ICMP_NET, 1),
			 -ENETUNREACH);
}

static int enter_namespace(void)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	if (unshare(uid ? CLONE_NEWUSER | CLONE_NEWNET : CLONE_NEWNET) < 0)
		return -errno;
	if (uid) {
		char m[64];
		int fd = open("/proc/self/setgroups", O_WRONLY);
		if (fd >= 0) {
			(void)!write(fd, "deny", 4);
			close(fd);
		}
		snprintf(m, sizeof(m), "0 %u 1", (unsigned)uid);
		fd = open("/proc/self/uid_map", O_WRONLY);
		if (fd < 0 || write(fd, m, strlen(m)) < 0)
			return -errno;
		close(fd);
		snprintf(m, sizeof(m), "0 %u 1", (unsigned)gid);
		fd = open("/proc/self/gid_map", O_WRONLY);
		if (fd < 0 || write(fd, m, strlen(m)) < 0)
			return -errno;
		close(fd);
	}
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = { 0 };
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	int rc = ioctl(s, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	if (!rc)
		rc = ioctl(s, SIOCSIFFLAGS, &ifr);
	close(s);
	return rc < 0 ? -errno : 0;
}

int main(void)
{
	int rc = enter_namespace();
	if (rc < 0) {
		fprintf(stderr, "test_peer: needs a network namespace: %s\n", strerror(-rc));
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_provisional_then_final_delayed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_2xx_without_ack_is_noted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_2xx_to_invite_has_contact_and_sdp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_by_count_and_headers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retransmission_same_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retransmission_before_delayed_answer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cancel_gives_200_and_487, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handler_first_then_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_framing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_reset_close_refuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drop_syn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tls_framing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tls_faults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_response_to_sentby, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_v4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_v6, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
