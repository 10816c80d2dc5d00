/* test_tls.c: unit tests for sl_tls (the test CA and the peers' certificates: names,
 * validity, chain to the CA, the fault kinds; the key log) and sl_tls_names (certificate
 * names from a zone). Certificates are read back from their PEM files with OpenSSL and
 * verified as a client would: X509_verify_cert with the CA as the only trust anchor and
 * X509_check_host / X509_check_ip_asc for the names. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdns.h"
#include "sl_tls.h"
#include "sl_tls_names.h"

static char dir[64];
static struct sl_tls *T;

static int setup(void **state)
{
	(void)state;
	char err[256] = "";
	snprintf(dir, sizeof(dir), "/tmp/sl_tls_test.XXXXXX");
	assert_non_null(mkdtemp(dir));
	int rc = sl_tls_new(&T, err, sizeof(err));
	if (rc)
		print_error("%s\n", err);
	assert_int_equal(rc, 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sl_tls_free(T);
	T = NULL;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static X509 *read_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	return x;
}

/* The certificate of a new identity, written and read back; the CA in *ca. */
static X509 *issue(const char *const *names, size_t n, enum sl_tls_cert kind, X509 **ca)
{
	char err[256] = "", cp[128], kp[128], cap[128];
	struct sl_tls_id *id = NULL;
	assert_int_equal(sl_tls_id_new(&id, T, names, n, kind, 0, err, sizeof(err)), 0);
	snprintf(cp, sizeof(cp), "%s/peer.pem", dir);
	snprintf(kp, sizeof(kp), "%s/peer.key", dir);
	snprintf(cap, sizeof(cap), "%s/ca.pem", dir);
	assert_int_equal(sl_tls_id_write(id, cp, kp, err, sizeof(err)), 0);
	assert_int_equal(sl_tls_write_ca(T, cap, err, sizeof(err)), 0);
	sl_tls_id_free(id);
	/* The key file holds the certificate's private key. */
	FILE *f = fopen(kp, "r");
	assert_non_null(f);
	EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(k);
	X509 *x = read_cert(cp);
	assert_int_equal(X509_check_private_key(x, k), 1);
	EVP_PKEY_free(k);
	*ca = read_cert(cap);
	return x;
}

/* X509_V_OK or the error a client verifying x against ca alone gets. */
static int verify(X509 *x, X509 *ca)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	assert_int_equal(X509_STORE_add_cert(st, ca), 1);
	assert_int_equal(X509_STORE_CTX_init(ctx, st, x, NULL), 1);
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
	int ok = X509_verify_cert(ctx);
	int e = ok == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	return e;
}

static void test_valid_cert(void **state)
{
	(void)state;
	const char *names[] = { "example.test", "sip1.example.test", "127.0.0.2", "fd00::2" };
	X509 *ca;
	X509 *x = issue(names, 4, SL_TLS_CERT_VALID, &ca);
	assert_int_equal(verify(x, ca), X509_V_OK);
	assert_int_equal(X509_check_host(x, "example.test", 0, 0, NULL), 1);
	assert_int_equal(X509_check_host(x, "SIP1.example.test", 0, 0, NULL), 1);
	assert_int_equal(X509_check_host(x, "other.test", 0, 0, NULL), 0);
	assert_int_equal(X509_check_ip_asc(x, "127.0.0.2", 0), 1);
	assert_int_equal(X509_check_ip_asc(x, "fd00::2", 0), 1);
	assert_int_equal(X509_check_ip_asc(x, "127.0.0.3", 0), 0);
	/* EC P-256, valid now and for years (the SUT's clock runs fast), signed by the CA. */
	EVP_PKEY *pk = X509_get0_pubkey(x);
	assert_int_equal(EVP_PKEY_get_base_id(pk), EVP_PKEY_EC);
	assert_int_equal(EVP_PKEY_get_bits(pk), 256);
	assert_true(X509_cmp_current_time(X509_get0_notBefore(x)) < 0);
	time_t later = time(NULL) + 365 * 24 * 3600;
	assert_true(X509_cmp_time(X509_get0_notAfter(x), &later) > 0);
	assert_int_equal(X509_check_issued(ca, x), X509_V_OK);
	assert_int_equal(X509_check_ca(ca), 1);
	assert_int_equal(X509_check_ca(x), 0);
	X509_free(x);
	X509_free(ca);
}

static void test_fault_certs(void **state)
{
	(void)state;
	const char *names[] = { "example.test", "127.0.0.2" };
	X509 *ca;
	X509 *x = issue(names, 2, SL_TLS_CERT_WRONG_NAME, &ca);
	assert_int_equal(verify(x, ca), X509_V_OK);
	assert_int_equal(X509_check_host(x, "example.test", 0, 0, NULL), 0);
	assert_int_equal(X509_check_ip_asc(x, "127.0.0.2", 0), 0);
	assert_int_equal(X509_check_host(x, "wrong-name.invalid", 0, 0, NULL), 1);
	X509_free(x);
	X509_free(ca);
	x = issue(names, 2, SL_TLS_CERT_EXPIRED, &ca);
	assert_int_equal(verify(x, ca), X509_V_ERR_CERT_HAS_EXPIRED);
	assert_int_equal(X509_check_host(x, "example.test", 0, 0, NULL), 1);
	X509_free(x);
	X509_free(ca);
	x = issue(names, 2, SL_TLS_CERT_UNTRUSTED, &ca);
	int e = verify(x, ca);
	assert_true(e == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
		    e == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT);
	assert_int_equal(X509_check_host(x, "example.test", 0, 0, NULL), 1);
	X509_free(x);
	X509_free(ca);
}

static void test_bad_names(void **state)
{
	(void)state;
	char err[256] = "";
	struct sl_tls_id *id = NULL;
	const char *bad[] = { "a,DNS:evil.test" };
	assert_int_equal(sl_tls_id_new(&id, T, bad, 1, SL_TLS_CERT_VALID, 0, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "neither a DNS name nor an IP address"));
	const char *none[] = { NULL };
	assert_int_equal(sl_tls_id_new(&id, T, none, 0, SL_TLS_CERT_VALID, 0, err, sizeof(err)),
			 0);
	char d[256];
	sl_tls_id_describe(id, d, sizeof(d));
	assert_string_equal(d, "no subjectAltName");
	sl_tls_id_free(id);
	size_t n;
	sl_tls_keylog(T, &n);
	assert_int_equal(n, 0);   /* no connection, no secret */
	char kp[128];
	snprintf(kp, sizeof(kp), "%s/none.keys", dir);
	assert_int_equal(sl_tls_write_keylog(T, kp, err, sizeof(err)), 0);
	assert_int_equal(access(kp, F_OK), -1);
}

/* A client and a server connection of ours, handed each other's bytes in memory; *count
 * adds up what went across. */
static void shuttle(struct sl_tls_conn *from, struct sl_tls_conn *to, size_t *count)
{
	char b[16384];
	size_t n;
	while ((n = sl_tls_conn_take(from, b, sizeof(b))) > 0) {
		assert_int_equal(sl_tls_conn_feed(to, b, n), 0);
		*count += n;
	}
}

static void test_connection_and_keylog(void **state)
{
	(void)state;
	const char *names[] = { "example.test" };
	char err[256], buf[256];
	struct sl_tls_id *id = NULL;
	assert_int_equal(sl_tls_id_new(&id, T, names, 1, SL_TLS_CERT_VALID, 0, err, sizeof(err)), 0);
	struct sl_tls_conn *s = NULL, *c = NULL;
	assert_int_equal(sl_tls_conn_server(&s, id), 0);
	assert_int_equal(sl_tls_conn_client(&c, T), 0);
	assert_int_equal(sl_tls_conn_write(c, "x", 1), -EAGAIN);
	unsigned long long off;
	size_t to_s = 0, to_c = 0;
	for (int i = 0; i < 10 && !(sl_tls_conn_established(c) && sl_tls_conn_established(s)); i++) {
		assert_true(sl_tls_conn_read(c, buf, sizeof(buf), &off) >= 0);
		shuttle(c, s, &to_s);
		assert_true(sl_tls_conn_read(s, buf, sizeof(buf), &off) >= 0);
		shuttle(s, c, &to_c);
	}
	assert_true(sl_tls_conn_established(c) && sl_tls_conn_established(s));
	/* Plaintext comes with the offset of the record that carried it: two records, the
	 * second one's plaintext read after both arrived at once. */
	size_t rec1 = to_s;
	assert_int_equal(sl_tls_conn_write(c, "hello", 5), 0);
	shuttle(c, s, &to_s);
	size_t rec2 = to_s;
	assert_int_equal(sl_tls_conn_write(c, "world!", 6), 0);
	shuttle(c, s, &to_s);
	assert_int_equal(sl_tls_conn_read(s, buf, sizeof(buf), &off), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(off, rec1);
	assert_int_equal(sl_tls_conn_read(s, buf, sizeof(buf), &off), 6);
	assert_memory_equal(buf, "world!", 6);
	assert_int_equal(off, rec2);
	assert_int_equal(sl_tls_conn_read(s, buf, sizeof(buf), &off), 0);
	/* A record that arrives in pieces is read once whole. */
	assert_int_equal(sl_tls_conn_write(c, "split", 5), 0);
	char b[16384];
	size_t n = sl_tls_conn_take(c, b, sizeof(b));
	assert_true(n > 8);
	assert_int_equal(sl_tls_conn_feed(s, b, 3), 0);
	assert_int_equal(sl_tls_conn_read(s, buf, sizeof(buf), &off), 0);
	assert_int_equal(sl_tls_conn_feed(s, b + 3, n - 3), 0);
	assert_int_equal(sl_tls_conn_read(s, buf, sizeof(buf), &off), 5);
	assert_int_equal(off, to_s);
	to_s += n;
	/* Secrets of both ends in NSS key log format, for Wireshark. */
	size_t klen;
	const char *k = sl_tls_keylog(T, &klen);
	assert_true(klen > 0);
	assert_non_null(strstr(k, "CLIENT_TRAFFIC_SECRET_0 ") ?: strstr(k, "CLIENT_RANDOM "));
	sl_tls_conn_shutdown(c);
	shuttle(c, s, &to_s);
	assert_int_equal(sl_tls_conn_read(s, buf, sizeof(buf), &off), -EPIPE);
	sl_tls_conn_free(c);
	sl_tls_conn_free(s);
	sl_tls_id_free(id);
}

/* --- names from the zone */

static void names_for(const char *zone, const char *addr, unsigned port, char **out,
		      size_t *n)
{
	struct fdns_zone *z = NULL;
	char err[256] = "";
	assert_int_equal(fdns_zone_new(&z), 0);
	int rc = fdns_zone_load_text(z, zone, NULL, 300, "t.zone", 1, err, sizeof(err));
	if (rc)
		print_error("%s\n", err);
	assert_int_equal(rc, 0);
	struct sockaddr_storage ss = { 0 };
	if (strchr(addr, ':')) {
		struct sockaddr_in6 *a = (void *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, addr, &a->sin6_addr);
	} else {
		struct sockaddr_in *a = (void *)&ss;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		inet_pton(AF_INET, addr, &a->sin_addr);
	}
	assert_int_equal(sl_tls_names(z, (void *)&ss, out, 16, n), 0);
	fdns_zone_free(z);
}

static const char *const ZONE =
	"$ORIGIN example.test.\n"
	"@ 300 IN NAPTR 10 50 \"s\" \"SIPS+D2T\" \"\" _sips._tcp.example.test.\n"
	"_sips._tcp 300 IN SRV 10 0 5061 Sip1.example.test.\n"
	"_sips._tcp 300 IN SRV 20 0 5061 sip2.example.test.\n"
	"_sip._tcp 300 IN SRV 10 0 5060 sip1.example.test.\n"
	"sip1 300 IN A 127.0.0.2\n"
	"sip1 300 IN AAAA fd00::2\n"
	"alias 300 IN CNAME sip1.example.test.\n"
	"sip2 300 IN A 127.0.0.3\n"
	"other.test. 300 IN NAPTR 10 50 \"s\" \"SIPS+D2T\" \"\" _sips._tcp.example.test.\n";

static void test_names_from_zone(void **state)
{
	(void)state;
	char *v[16];
	size_t n = 0;
	names_for(ZONE, "127.0.0.2", 5061, v, &n);
	/* SRV domain, the NAPTR owners, the host and its alias, the address. */
	const char *want[] = { "example.test", "other.test", "sip1.example.test",
			       "alias.example.test", "127.0.0.2" };
	assert_int_equal(n, 5);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(v[i], want[i]);
	sl_tls_names_free(v, n);
	/* Port 5060 (the _sip._tcp SRV): the domain, no NAPTR points at that SRV. */
	names_for(ZONE, "127.0.0.2", 5060, v, &n);
	assert_int_equal(n, 4);
	assert_string_equal(v[0], "example.test");
	assert_string_equal(v[1], "sip1.example.test");
	sl_tls_names_free(v, n);
	/* IPv6: the AAAA counts like the A. */
	names_for(ZONE, "fd00::2", 5061, v, &n);
	assert_int_equal(n, 5);
	assert_string_equal(v[4], "fd00::2");
	sl_tls_names_free(v, n);
	/* A peer the zone does not know: only its address. */
	names_for(ZONE, "127.0.0.9", 5061, v, &n);
	assert_int_equal(n, 1);
	assert_string_equal(v[0], "127.0.0.9");
	sl_tls_names_free(v, n);
	/* sip2 on 5061: the SRV domain and the NAPTRs too. */
	names_for(ZONE, "127.0.0.3", 5061, v, &n);
	assert_int_equal(n, 4);
	assert_string_equal(v[2], "sip2.example.test");
	sl_tls_names_free(v, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_valid_cert, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_certs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connection_and_keylog, setup, teardown),
		cmocka_unit_test(test_names_from_zone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
