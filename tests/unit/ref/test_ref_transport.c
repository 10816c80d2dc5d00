/* test_ref_transport.c: ref's stream transport on its own: the RFC 5922 name rules on
 * certificates built here, and ref_tcp against a plain listening socket on 127.0.0.1
 * (framing, connection reuse, refused / closed / unframeable connections). */
#include <errno.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "ref_loop.h"
#include "ref_tcp.h"
#include "ref_tls.h"

/* A self-signed certificate with the given subject CN and subjectAltName (NULL: none). */
static X509 *cert(const char *cn, const char *san)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name;

	assert_non_null(key);
	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	if (cn)
		X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1,
					   -1, 0);
	X509_set_issuer_name(x, name);
	if (san) {
		X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);

		assert_non_null(ext);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	EVP_PKEY_free(key);
	return x;
}

static bool names(X509 *x, const char *name)
{
	char why[300];

	return ref_tls_cert_names(x, name, why, sizeof(why));
}

static void test_names_dns(void **state)
{
	X509 *x = cert("ignored.test", "DNS:example.test,DNS:Sip1.Example.Test");
	char why[300];

	(void)state;
	assert_true(names(x, "example.test"));
	assert_true(names(x, "EXAMPLE.test"));      /* case-insensitive */
	assert_true(names(x, "example.test."));     /* an absolute name is the same name */
	assert_true(names(x, "sip1.example.test"));
	assert_false(names(x, "other.test"));
	assert_false(names(x, "test"));
	assert_false(names(x, "xexample.test"));
	/* with a subjectAltName present the CN is not an identity (RFC 5922 7.1) */
	assert_false(names(x, "ignored.test"));
	assert_false(ref_tls_cert_names(x, "other.test", why, sizeof(why)));
	assert_non_null(strstr(why, "DNS:example.test"));
	X509_free(x);
}

static void test_names_sip_uri(void **state)
{
	/* sip: URIs win: once one is there, DNS names no longer count */
	X509 *x = cert(NULL, "URI:sip:example.test,DNS:other.test,URI:sip:alice@user.test,"
			     "URI:https://web.test");

	(void)state;
	assert_true(names(x, "example.test"));
	assert_false(names(x, "other.test"));
	assert_false(names(x, "user.test"));  /* a URI with a user part is no domain */
	assert_false(names(x, "web.test"));   /* not the sip scheme */
	X509_free(x);

	/* only unusable URIs: the DNS names stand */
	x = cert(NULL, "URI:sips:nope.test,DNS:other.test");
	assert_true(names(x, "other.test"));
	assert_false(names(x, "nope.test"));
	X509_free(x);
}

static void test_names_no_wildcard(void **state)
{
	X509 *x = cert(NULL, "DNS:*.example.test");

	(void)state;
	/* RFC 5922 7.2: no wildcard matching for SIP domains */
	assert_false(names(x, "sip.example.test"));
	assert_false(names(x, "example.test"));
	X509_free(x);
}

static void test_names_cn_and_ip(void **state)
{
	X509 *x = cert("example.test", NULL);

	(void)state;
	/* no subjectAltName at all: the CN */
	assert_true(names(x, "example.test"));
	assert_false(names(x, "other.test"));
	X509_free(x);

	x = cert("127.0.0.2", "IP:127.0.0.2,DNS:127.0.0.3,IP:fd00::2");
	assert_true(names(x, "127.0.0.2"));
	assert_true(names(x, "fd00::2"));
	assert_false(names(x, "127.0.0.3"));  /* an address is proved by iPAddress only */
	assert_false(names(x, "127.0.0.9"));
	X509_free(x);
}

/* --- ref_tcp against a listener */

struct fx {
	struct ref_loop loop;
	struct ref_log log;
	struct ref_tcp *tcp;
	int lfd;
	uint16_t port;
	char msgs[4][512];
	int nmsg;
	int down_err;
	int ndown;
	struct ref_conn *down_conn;
};

static void on_message(void *arg, struct ref_conn *c, const char *buf, size_t len)
{
	struct fx *f = arg;

	(void)c;
	assert_true(f->nmsg < 4);
	assert_true(len < sizeof(f->msgs[0]));
	assert_int_equal(buf[len], '\0'); /* handed over NUL-terminated */
	memcpy(f->msgs[f->nmsg++], buf, len + 1);
}

static void on_down(void *arg, struct ref_conn *c, int err, const char *why)
{
	struct fx *f = arg;

	(void)why;
	f->down_err = err;
	f->down_conn = c;
	f->ndown++;
}

static int setup(void **state)
{
	static struct fx f;
	struct ref_tcp_ops ops = { on_message, on_down, &f };
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
	socklen_t len = sizeof(a);

	memset(&f, 0, sizeof(f));
	assert_int_equal(ref_loop_init(&f.loop, -1), 0);
	assert_int_equal(ref_tcp_new(&f.tcp, &f.loop, &f.log, "127.0.0.1", NULL, NULL, &ops), 0);
	f.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(f.lfd >= 0);
	assert_int_equal(bind(f.lfd, (void *)&a, sizeof(a)), 0);
	assert_int_equal(listen(f.lfd, 8), 0);
	assert_int_equal(getsockname(f.lfd, (void *)&a, &len), 0);
	f.port = ntohs(a.sin_port);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	ref_tcp_free(f->tcp);
	close(f->lfd);
	ref_loop_fini(&f->loop);
	return 0;
}

static struct ref_target dst(uint16_t port)
{
	struct ref_ip ip;
	struct ref_target t;

	ref_ip_parse("127.0.0.1", &ip);
	ref_target_set(&t, REF_TP_TCP, &ip, port);
	return t;
}

static void run(struct fx *f, int ms)
{
	assert_int_equal(ref_loop_run(&f->loop, ms, NULL, NULL), 0);
}

static void test_tcp_frame_and_reuse(void **state)
{
	struct fx *f = *state;
	struct ref_target t = dst(f->port);
	struct ref_conn *c, *c2;
	char buf[256];
	int s;
	ssize_t n;
	const char *two = "\r\nSIP/2.0 100 Trying\r\nContent-Length: 0\r\n\r\n"
			  "SIP/2.0 200 OK\r\nl: 5\r\n\r\nhel";

	assert_int_equal(ref_tcp_open(f->tcp, &t, NULL, &c), 0);
	assert_int_equal(ref_conn_send(c, "ping", 4), 0);
	s = accept(f->lfd, NULL, NULL);
	assert_true(s >= 0);
	run(f, 50);
	assert_true(ref_conn_up(c));
	assert_true(ref_conn_local_port(c) != 0);
	/* what was queued before the connection was up is written once it is */
	n = recv(s, buf, sizeof(buf), 0);
	assert_int_equal(n, 4);
	/* the same destination: the same connection */
	assert_int_equal(ref_tcp_open(f->tcp, &t, NULL, &c2), 0);
	assert_ptr_equal(c, c2);
	ref_conn_release(c2);
	/* a keep-alive CRLF, two messages in one write, the second cut in the middle */
	assert_int_equal(write(s, two, strlen(two)), (ssize_t)strlen(two));
	run(f, 50);
	assert_int_equal(f->nmsg, 1);
	assert_string_equal(f->msgs[0], "SIP/2.0 100 Trying\r\nContent-Length: 0\r\n\r\n");
	assert_int_equal(write(s, "lo", 2), 2);
	run(f, 50);
	assert_int_equal(f->nmsg, 2);
	assert_string_equal(f->msgs[1], "SIP/2.0 200 OK\r\nl: 5\r\n\r\nhello");
	/* the peer closes: reported once, as -EPIPE */
	close(s);
	run(f, 50);
	assert_int_equal(f->ndown, 1);
	assert_int_equal(f->down_err, -EPIPE);
	assert_ptr_equal(f->down_conn, c);
	assert_false(ref_conn_up(c));
	assert_int_equal(ref_conn_send(c, "x", 1), -ENOTCONN);
	ref_conn_release(c);
	run(f, 10);
	/* a new open gets a new connection */
	assert_int_equal(ref_tcp_open(f->tcp, &t, NULL, &c), 0);
	s = accept(f->lfd, NULL, NULL);
	assert_true(s >= 0);
	run(f, 50);
	assert_true(ref_conn_up(c));
	/* no Content-Length on a stream: unframeable, the connection is given up */
	assert_int_equal(write(s, "SIP/2.0 200 OK\r\nVia: x\r\n\r\n", 26), 26);
	run(f, 50);
	assert_int_equal(f->ndown, 2);
	assert_int_equal(f->down_err, -EPROTO);
	assert_int_equal(f->nmsg, 2);
	ref_conn_release(c);
	close(s);
	run(f, 10);
}

static void test_tcp_refused(void **state)
{
	struct fx *f = *state;
	struct ref_conn *c;
	struct ref_target t;
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
	socklen_t len = sizeof(a);

	/* a port that was just free: nothing listens there */
	assert_int_equal(bind(s, (void *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(s, (void *)&a, &len), 0);
	close(s);
	t = dst(ntohs(a.sin_port));
	assert_int_equal(ref_tcp_open(f->tcp, &t, NULL, &c), 0);
	/* never reported from inside the call */
	assert_int_equal(f->ndown, 0);
	run(f, 50);
	assert_int_equal(f->ndown, 1);
	assert_int_equal(f->down_err, -ECONNREFUSED);
	ref_conn_release(c);
	run(f, 10);
	/* TLS without a TLS context: refused up front */
	t.tp = REF_TP_TLS;
	assert_int_equal(ref_tcp_open(f->tcp, &t, "example.test", &c), -EPROTONOSUPPORT);
	/* no local IPv6 address: no IPv6 connection */
	{
		struct ref_ip ip;

		ref_ip_parse("fd00::2", &ip);
		ref_target_set(&t, REF_TP_TCP, &ip, 5060);
		assert_int_equal(ref_tcp_open(f->tcp, &t, NULL, &c), -EAFNOSUPPORT);
	}
}

static void test_tls_no_ca(void **state)
{
	struct ref_tls *t;
	struct ref_tls_sess *s;
	char why[300];
	uint32_t want = 0;

	(void)state;
	/* TLS without a CA fails every handshake, loudly, rather than trusting anything */
	assert_int_equal(ref_tls_new(&t, NULL, why, sizeof(why)), 0);
	assert_int_equal(ref_tls_sess_new(t, -1, "example.test", &s), 0);
	assert_int_equal(ref_tls_handshake(s, &want, why, sizeof(why)), -EPROTO);
	assert_non_null(strstr(why, "no CA"));
	ref_tls_sess_free(s);
	ref_tls_free(t);
	/* a CA file that is not there is an error naming it */
	assert_int_equal(ref_tls_new(&t, "/nonexistent/ca.pem", why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "/nonexistent/ca.pem"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_dns),
		cmocka_unit_test(test_names_sip_uri),
		cmocka_unit_test(test_names_no_wildcard),
		cmocka_unit_test(test_names_cn_and_ip),
		cmocka_unit_test(test_tls_no_ca),
		cmocka_unit_test_setup_teardown(test_tcp_frame_and_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
