/* test_peer.c: unit tests for the SIP peers (sl_peer, sl_peer_tcp, sl_netfault): plans of
 * steps, by-count rules, CANCEL/487, retransmissions, malformed input, handlers, 2xx
 * without ACK, TCP framing and stream offsets, ICMP/TCP faults as a client sees them.
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

struct env {
	struct sl_loop *loop;
	struct sl_evlog *log;
	struct sl_clock *clk;
	char dir[64];
	struct sl_peer *p[4];
	int np;
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
		cmocka_unit_test_setup_teardown(test_by_count_and_headers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retransmission_same_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_gives_200_and_487, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handler_first_then_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_framing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_reset_close_refuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drop_syn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_v4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_v6, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
