/* sl_tls.c: the test CA, peer certificates (EC P-256, made in memory per scenario) and
 * TLS connections over memory BIOs, fed one whole record at a time so each piece of
 * plaintext is known to come from one record at a known stream offset. */
#include <arpa/inet.h>
#include <errno.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_tls.h"

#define DAY (24L * 3600)
/* A TLS record: 5-byte header, at most 2^14 + 2048 bytes of fragment (RFC 5246 6.2.3). */
#define REC_HDR 5
#define REC_MAX (16384 + 2048)

struct ca {
	EVP_PKEY *key;
	X509 *cert;
};

struct sl_tls {
	struct ca ca, untrusted;
	SSL_CTX *client;        /* made on first use */
	char *keylog;
	size_t klen, kcap;
};

struct sl_tls_id {
	struct sl_tls *t;
	EVP_PKEY *key;
	X509 *cert;
	SSL_CTX *ctx;
};

struct sl_tls_conn {
	SSL *ssl;
	BIO *rbio, *wbio;        /* owned by ssl */
	unsigned char *cin;      /* ciphertext not yet handed to OpenSSL */
	size_t cin_len, cin_cap;
	unsigned long long cin_off;  /* stream offset of cin[0] */
	unsigned long long rec_off;  /* offset of the record OpenSSL has now */
	int failed;
	char error[256];
};

/* The OpenSSL error queue in words, then cleared. */
static void ossl_err(char *buf, size_t len, const char *what)
{
	unsigned long e = ERR_get_error();
	char r[200] = "";
	if (e)
		ERR_error_string_n(e, r, sizeof(r));
	snprintf(buf, len, "%s%s%s", what, e ? ": " : "", e ? r : "");
	ERR_clear_error();
}

/* The reason of the first queued error alone ("tlsv1 alert unknown ca"). */
static void ossl_reason(char *buf, size_t len, const char *dflt)
{
	unsigned long e = ERR_get_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;
	snprintf(buf, len, "%s", r ? r : dflt);
	ERR_clear_error();
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	if (!ext)
		return -EINVAL;
	int ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -ENOMEM;
}

/* A certificate for key, issued by issuer (NULL: self-signed), valid [from, to) seconds
 * around now. */
static X509 *make_cert(EVP_PKEY *key, const char *cn, const struct ca *issuer, long from,
		       long to, int is_ca, const char *san)
{
	X509 *x = X509_new();
	uint64_t serial;
	if (!x || RAND_bytes((unsigned char *)&serial, sizeof(serial)) != 1)
		goto fail;
	serial >>= 1;   /* positive */
	X509_NAME *name = X509_get_subject_name(x);
	if (!X509_set_version(x, 2) ||
	    !ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), serial ? serial : 1) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), from) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), to) || !X509_set_pubkey(x, key) ||
	    !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"siploc",
					-1, -1, 0) ||
	    (cn && *cn && !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
						      (const unsigned char *)cn, -1, -1, 0)) ||
	    !X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer->cert) : name))
		goto fail;
	X509 *icert = issuer ? issuer->cert : x;
	if (is_ca) {
		if (add_ext(x, icert, NID_basic_constraints, "critical,CA:TRUE") ||
		    add_ext(x, icert, NID_key_usage, "critical,keyCertSign,cRLSign") ||
		    add_ext(x, icert, NID_subject_key_identifier, "hash"))
			goto fail;
	} else {
		if (add_ext(x, icert, NID_basic_constraints, "critical,CA:FALSE") ||
		    add_ext(x, icert, NID_key_usage, "critical,digitalSignature") ||
		    add_ext(x, icert, NID_ext_key_usage, "serverAuth,clientAuth") ||
		    add_ext(x, icert, NID_subject_key_identifier, "hash") ||
		    add_ext(x, icert, NID_authority_key_identifier, "keyid") ||
		    (san && *san && add_ext(x, icert, NID_subject_alt_name, san)))
			goto fail;
	}
	if (!X509_sign(x, issuer ? issuer->key : key, EVP_sha256()))
		goto fail;
	return x;
fail:
	X509_free(x);
	return NULL;
}

static int ca_make(struct ca *ca, const char *cn)
{
	ca->key = EVP_EC_gen("P-256");
	if (!ca->key)
		return -ENOMEM;
	/* Ten years either way: the SUT's clock runs fast and may be advanced for days. */
	ca->cert = make_cert(ca->key, cn, NULL, -3650 * DAY, 3650 * DAY, 1, NULL);
	return ca->cert ? 0 : -ENOMEM;
}

static void ca_clear(struct ca *ca)
{
	X509_free(ca->cert);
	EVP_PKEY_free(ca->key);
	ca->cert = NULL;
	ca->key = NULL;
}

static void on_keylog(const SSL *ssl, const char *line)
{
	struct sl_tls *t = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
	size_t n = strlen(line);
	if (!t)
		return;
	if (t->klen + n + 2 > t->kcap) {
		size_t cap = (t->klen + n + 2) * 2 + 1024;
		char *k = realloc(t->keylog, cap);
		if (!k)
			return;
		t->keylog = k;
		t->kcap = cap;
	}
	memcpy(t->keylog + t->klen, line, n);
	t->klen += n;
	t->keylog[t->klen++] = '\n';
	t->keylog[t->klen] = 0;
}

static SSL_CTX *ctx_new(struct sl_tls *t, int server)
{
	SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (!ctx)
		return NULL;
	SSL_CTX_set_app_data(ctx, t);
	SSL_CTX_set_keylog_callback(ctx, on_keylog);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	/* No session tickets: the capture shows only what the SIP exchange needs. */
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	return ctx;
}

int sl_tls_new(struct sl_tls **tp, char *err, size_t errlen)
{
	struct sl_tls *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	if (ca_make(&t->ca, "siploc test CA") < 0) {
		ossl_err(err, errlen, "test CA");
		sl_tls_free(t);
		return -ENOMEM;
	}
	*tp = t;
	return 0;
}

void sl_tls_free(struct sl_tls *t)
{
	if (!t)
		return;
	ca_clear(&t->ca);
	ca_clear(&t->untrusted);
	SSL_CTX_free(t->client);
	free(t->keylog);
	free(t);
}

static int write_pem(const char *path, X509 *cert, EVP_PKEY *key, char *err, size_t errlen)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		int rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	int ok = cert ? PEM_write_X509(f, cert)
		      : PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	if (fclose(f) != 0)
		ok = 0;
	if (!ok) {
		snprintf(err, errlen, "%s: write failed", path);
		return -EIO;
	}
	return 0;
}

int sl_tls_write_ca(const struct sl_tls *t, const char *path, char *err, size_t errlen)
{
	return write_pem(path, t->ca.cert, NULL, err, errlen);
}

int sl_tls_write_keylog(const struct sl_tls *t, const char *path, char *err, size_t errlen)
{
	if (!t->klen)
		return 0;
	FILE *f = fopen(path, "w");
	if (!f) {
		int rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	size_t w = fwrite(t->keylog, 1, t->klen, f);
	if (fclose(f) != 0 || w != t->klen) {
		snprintf(err, errlen, "%s: write failed", path);
		return -EIO;
	}
	return 0;
}

const char *sl_tls_keylog(const struct sl_tls *t, size_t *len)
{
	*len = t->klen;
	return t->keylog ? t->keylog : "";
}

/* A DNS name as a certificate may carry it: LDH labels, a leading "*." allowed. */
static int dns_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > 253)
		return 0;
	if (!strncmp(s, "*.", 2))
		s += 2;
	for (const char *c = s; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
		      *c == '-' || *c == '.' || *c == '_'))
			return 0;
	return *s && *s != '.' && !strstr(s, "..");
}

static int hello_abort(SSL *ssl, int *al, void *arg)
{
	(void)arg;
	struct sl_tls_conn *c = SSL_get_app_data(ssl);
	if (c)
		snprintf(c->error, sizeof(c->error), "aborted by the peer at the ClientHello "
			 "(handshake_failure alert, as the scenario asked)");
	*al = SSL_AD_HANDSHAKE_FAILURE;
	return SSL_CLIENT_HELLO_ERROR;
}

int sl_tls_id_new(struct sl_tls_id **ip, struct sl_tls *t, const char *const *names, size_t n,
		  enum sl_tls_cert kind, int abort_handshake, char *err, size_t errlen)
{
	static const char *const wrong[] = { "wrong-name.invalid" };
	char san[4096] = "";
	size_t used = 0;
	int rc = -ENOMEM;
	if (kind == SL_TLS_CERT_WRONG_NAME) {
		names = wrong;
		n = 1;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char bin[16];
		int ip = inet_pton(AF_INET, names[i], bin) == 1 || inet_pton(AF_INET6, names[i], bin) == 1;
		if (!ip && !dns_name_ok(names[i])) {
			snprintf(err, errlen, "certificate name '%s' is neither a DNS name nor an IP "
				 "address", names[i]);
			return -EINVAL;
		}
		int w = snprintf(san + used, sizeof(san) - used, "%s%s:%s", used ? "," : "",
				 ip ? "IP" : "DNS", names[i]);
		if (w < 0 || (size_t)w >= sizeof(san) - used) {
			snprintf(err, errlen, "too many certificate names");
			return -EINVAL;
		}
		used += (size_t)w;
	}
	struct sl_tls_id *id = calloc(1, sizeof(*id));
	if (!id)
		return -ENOMEM;
	id->t = t;
	if (kind == SL_TLS_CERT_UNTRUSTED && !t->untrusted.cert &&
	    ca_make(&t->untrusted, "siploc untrusted CA") < 0) {
		ossl_err(err, errlen, "untrusted CA");
		goto fail;
	}
	const struct ca *issuer = kind == SL_TLS_CERT_UNTRUSTED ? &t->untrusted : &t->ca;
	long from = -DAY, to = 3650 * DAY;
	if (kind == SL_TLS_CERT_EXPIRED) {
		from = -30 * DAY;
		to = -DAY;
	}
	id->key = EVP_EC_gen("P-256");
	if (id->key)
		id->cert = make_cert(id->key, n ? names[0] : NULL, issuer, from, to, 0, san);
	id->ctx = id->cert ? ctx_new(t, 1) : NULL;
	if (!id->ctx || !SSL_CTX_use_certificate(id->ctx, id->cert) ||
	    !SSL_CTX_use_PrivateKey(id->ctx, id->key)) {
		ossl_err(err, errlen, "peer certificate");
		goto fail;
	}
	if (abort_handshake)
		SSL_CTX_set_client_hello_cb(id->ctx, hello_abort, NULL);
	*ip = id;
	return 0;
fail:
	sl_tls_id_free(id);
	return rc;
}

void sl_tls_id_free(struct sl_tls_id *id)
{
	if (!id)
		return;
	SSL_CTX_free(id->ctx);
	X509_free(id->cert);
	EVP_PKEY_free(id->key);
	free(id);
}

int sl_tls_id_write(const struct sl_tls_id *id, const char *cert_path, const char *key_path,
		    char *err, size_t errlen)
{
	int rc = write_pem(cert_path, id->cert, NULL, err, errlen);
	return rc < 0 ? rc : write_pem(key_path, NULL, id->key, err, errlen);
}

void sl_tls_id_describe(const struct sl_tls_id *id, char *buf, size_t len)
{
	snprintf(buf, len, "no subjectAltName");
	int loc = X509_get_ext_by_NID(id->cert, NID_subject_alt_name, -1);
	X509_EXTENSION *ext = loc >= 0 ? X509_get_ext(id->cert, loc) : NULL;
	BIO *b = ext ? BIO_new(BIO_s_mem()) : NULL;
	if (b && X509V3_EXT_print(b, ext, 0, 0)) {
		char *p;
		long n = BIO_get_mem_data(b, &p);
		snprintf(buf, len, "%.*s", (int)n, p);
	}
	BIO_free(b);
}

static int conn_new(struct sl_tls_conn **cp, SSL_CTX *ctx, int server)
{
	struct sl_tls_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->ssl = SSL_new(ctx);
	c->rbio = BIO_new(BIO_s_mem());
	c->wbio = BIO_new(BIO_s_mem());
	if (!c->ssl || !c->rbio || !c->wbio) {
		BIO_free(c->rbio);
		BIO_free(c->wbio);
		SSL_free(c->ssl);
		free(c);
		ERR_clear_error();
		return -ENOMEM;
	}
	/* An empty memory BIO reads as "retry", not as the end of the stream. */
	BIO_set_mem_eof_return(c->rbio, -1);
	SSL_set_bio(c->ssl, c->rbio, c->wbio);
	SSL_set_app_data(c->ssl, c);
	if (server)
		SSL_set_accept_state(c->ssl);
	else
		SSL_set_connect_state(c->ssl);
	*cp = c;
	return 0;
}

int sl_tls_conn_server(struct sl_tls_conn **cp, struct sl_tls_id *id)
{
	return conn_new(cp, id->ctx, 1);
}

int sl_tls_conn_client(struct sl_tls_conn **cp, struct sl_tls *t)
{
	if (!t->client && !(t->client = ctx_new(t, 0)))
		return -ENOMEM;
	return conn_new(cp, t->client, 0);
}

void sl_tls_conn_free(struct sl_tls_conn *c)
{
	if (!c)
		return;
	SSL_free(c->ssl);
	free(c->cin);
	free(c);
}

int sl_tls_conn_feed(struct sl_tls_conn *c, const void *data, size_t len)
{
	if (c->cin_len + len > c->cin_cap) {
		size_t cap = (c->cin_len + len) * 2 + 4096;
		unsigned char *p = realloc(c->cin, cap);
		if (!p)
			return -ENOMEM;
		c->cin = p;
		c->cin_cap = cap;
	}
	memcpy(c->cin + c->cin_len, data, len);
	c->cin_len += len;
	return 0;
}

/* Hands the next whole record to OpenSSL; 0 if none is complete yet. Bytes that cannot
 * start a record (plain SIP on a TLS port) go in at once, so OpenSSL fails on them. */
static int push_record(struct sl_tls_conn *c)
{
	if (c->cin_len < REC_HDR)
		return 0;
	size_t n = REC_HDR + ((size_t)c->cin[3] << 8 | c->cin[4]);
	int plausible = c->cin[0] >= 20 && c->cin[0] <= 24 && c->cin[1] == 3 && n <= REC_HDR + REC_MAX;
	if (!plausible)
		n = c->cin_len;
	else if (c->cin_len < n)
		return 0;
	if (BIO_write(c->rbio, c->cin, (int)n) != (int)n)
		return -ENOMEM;
	c->rec_off = c->cin_off;
	memmove(c->cin, c->cin + n, c->cin_len - n);
	c->cin_len -= n;
	c->cin_off += n;
	return 1;
}

ssize_t sl_tls_conn_read(struct sl_tls_conn *c, void *buf, size_t len,
			 unsigned long long *rec_off)
{
	if (c->failed)
		return -EPROTO;
	for (;;) {
		ERR_clear_error();
		int n = SSL_read(c->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);
		if (n > 0) {
			*rec_off = c->rec_off;
			return n;
		}
		int e = SSL_get_error(c->ssl, n);
		if (e == SSL_ERROR_WANT_READ) {
			int r = push_record(c);
			if (r < 0)
				return r;
			if (r == 0)
				return 0;
			continue;
		}
		if (e == SSL_ERROR_ZERO_RETURN)
			return -EPIPE;
		c->failed = 1;
		if (c->error[0])
			ERR_clear_error();
		else if (e == SSL_ERROR_SSL)
			ossl_reason(c->error, sizeof(c->error), "TLS error");
		else
			snprintf(c->error, sizeof(c->error), "TLS error %d", e);
		return -EPROTO;
	}
}

int sl_tls_conn_write(struct sl_tls_conn *c, const void *data, size_t len)
{
	if (c->failed)
		return -EPROTO;
	if (!SSL_is_init_finished(c->ssl))
		return -EAGAIN;
	ERR_clear_error();
	size_t done = 0;
	/* Memory BIOs take everything, so one call writes it all. */
	if (len && SSL_write_ex(c->ssl, data, len, &done) != 1) {
		c->failed = 1;
		ossl_reason(c->error, sizeof(c->error), "TLS write failed");
		return -EPROTO;
	}
	return 0;
}

void sl_tls_conn_shutdown(struct sl_tls_conn *c)
{
	ERR_clear_error();
	if (!c->failed && SSL_is_init_finished(c->ssl))
		SSL_shutdown(c->ssl);
	ERR_clear_error();
}

size_t sl_tls_conn_pending(const struct sl_tls_conn *c)
{
	return BIO_ctrl_pending(c->wbio);
}

size_t sl_tls_conn_take(struct sl_tls_conn *c, void *buf, size_t len)
{
	int n = BIO_read(c->wbio, buf, len > INT32_MAX ? INT32_MAX : (int)len);
	return n > 0 ? (size_t)n : 0;
}

int sl_tls_conn_established(const struct sl_tls_conn *c)
{
	return !c->failed && SSL_is_init_finished(c->ssl);
}

const char *sl_tls_conn_error(const struct sl_tls_conn *c)
{
	return c->error;
}

unsigned long long sl_tls_conn_record_off(const struct sl_tls_conn *c)
{
	return c->rec_off;
}

void sl_tls_conn_describe(const struct sl_tls_conn *c, char *buf, size_t len)
{
	const char *sni = SSL_get_servername(c->ssl, TLSEXT_NAMETYPE_host_name);
	snprintf(buf, len, "%s %s, %s%s", SSL_get_version(c->ssl),
		 SSL_CIPHER_get_name(SSL_get_current_cipher(c->ssl)), sni ? "SNI " : "no SNI",
		 sni ? sni : "");
}
