/* ref_tls.c: the OpenSSL glue behind ref_tls.h: TLS 1.2+ client context on one CA file,
 * non-blocking handshake, chain verification by OpenSSL and the RFC 5922 name check here. */
#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>

#include "ref_mutant.h"
#include "ref_tls.h"

struct ref_tls {
	SSL_CTX *ctx;  /* NULL: no CA configured */
	SSL_CTX *srv;  /* the server side (ref_tls_serve), NULL: none */
};

struct ref_tls_sess {
	SSL *ssl;
	char name[256];
	bool done;
	bool server;   /* accepted: no peer certificate to check */
};

static void ssl_why(char *why, size_t len, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256] = "";

	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	snprintf(why, len, "%s%s%s", what, buf[0] ? ": " : "", buf);
	ERR_clear_error();
}

int ref_tls_new(struct ref_tls **out, const char *ca_file, char *why, size_t whylen)
{
	struct ref_tls *t = calloc(1, sizeof(*t));
	int rc = -ENOMEM;

	*out = NULL;
	why[0] = '\0';
	if (!t)
		return rc;
	if (!ca_file || !ca_file[0]) {
		*out = t;
		return 0;
	}
	rc = -EINVAL;
	t->ctx = SSL_CTX_new(TLS_client_method());
	if (!t->ctx) {
		ssl_why(why, whylen, "SSL_CTX_new");
		goto fail;
	}
	SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
	if (SSL_CTX_load_verify_locations(t->ctx, ca_file, NULL) != 1) {
		char what[300];

		snprintf(what, sizeof(what), "cannot load the CA file %s", ca_file);
		ssl_why(why, whylen, what);
		goto fail;
	}
	/* The chain is OpenSSL's to verify; the name is checked after the handshake, by the
	 * RFC 5922 rules rather than the web's (no wildcards, sip: URIs first). */
	SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_mode(t->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
			 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* A server that closes without close_notify has closed, not attacked: the SIP
	 * framing says whether a message was cut. */
	SSL_CTX_set_options(t->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	*out = t;
	return 0;
fail:
	ref_tls_free(t);
	return rc;
}

void ref_tls_free(struct ref_tls *t)
{
	if (!t)
		return;
	SSL_CTX_free(t->ctx);
	SSL_CTX_free(t->srv);
	free(t);
}

int ref_tls_serve(struct ref_tls *t, const char *cert_file, const char *key_file, char *why,
		  size_t whylen)
{
	char what[600];

	why[0] = '\0';
	if (t->srv)
		return 0;
	t->srv = SSL_CTX_new(TLS_server_method());
	if (!t->srv) {
		ssl_why(why, whylen, "SSL_CTX_new (server)");
		return -EINVAL;
	}
	SSL_CTX_set_min_proto_version(t->srv, TLS1_2_VERSION);
	snprintf(what, sizeof(what), "cannot load the certificate %s / key %s", cert_file,
		 key_file);
	if (SSL_CTX_use_certificate_chain_file(t->srv, cert_file) != 1 ||
	    SSL_CTX_use_PrivateKey_file(t->srv, key_file, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(t->srv) != 1) {
		ssl_why(why, whylen, what);
		SSL_CTX_free(t->srv);
		t->srv = NULL;
		return -EINVAL;
	}
	SSL_CTX_set_mode(t->srv, SSL_MODE_ENABLE_PARTIAL_WRITE |
			 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_options(t->srv, SSL_OP_IGNORE_UNEXPECTED_EOF);
	/* No resumption here, so no TLS 1.3 tickets: nothing is written after the
	 * handshake that a client who sends its request and leaves would have to read. */
	SSL_CTX_set_num_tickets(t->srv, 0);
	return 0;
}

int ref_tls_sess_accept(struct ref_tls *t, int fd, struct ref_tls_sess **out)
{
	struct ref_tls_sess *s;

	*out = NULL;
	if (!t->srv)
		return -EPROTONOSUPPORT;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->server = true;
	s->ssl = SSL_new(t->srv);
	if (!s->ssl || SSL_set_fd(s->ssl, fd) != 1) {
		ref_tls_sess_free(s);
		ERR_clear_error();
		return -ENOMEM;
	}
	SSL_set_accept_state(s->ssl);
	*out = s;
	return 0;
}

int ref_tls_sess_new(struct ref_tls *t, int fd, const char *name, struct ref_tls_sess **out)
{
	struct ref_tls_sess *s = calloc(1, sizeof(*s));
	unsigned char ip[16];

	*out = NULL;
	if (!s)
		return -ENOMEM;
	snprintf(s->name, sizeof(s->name), "%s", name ? name : "");
	if (t->ctx) {
		s->ssl = SSL_new(t->ctx);
		if (!s->ssl || SSL_set_fd(s->ssl, fd) != 1) {
			ref_tls_sess_free(s);
			ERR_clear_error();
			return -ENOMEM;
		}
		/* SNI carries host names only (RFC 6066 3), never an address literal. */
		if (s->name[0] && inet_pton(AF_INET, s->name, ip) != 1 &&
		    inet_pton(AF_INET6, s->name, ip) != 1)
			SSL_set_tlsext_host_name(s->ssl, s->name);
		SSL_set_connect_state(s->ssl);
	}
	*out = s;
	return 0;
}

void ref_tls_sess_free(struct ref_tls_sess *s)
{
	if (!s)
		return;
	SSL_free(s->ssl);
	free(s);
}

/* Maps an OpenSSL result to -EAGAIN + want, 0 for a clean close, or -errno. */
static int io_result(struct ref_tls_sess *s, int n, uint32_t *want)
{
	switch (SSL_get_error(s->ssl, n)) {
	case SSL_ERROR_WANT_READ:
		*want = EPOLLIN;
		return -EAGAIN;
	case SSL_ERROR_WANT_WRITE:
		*want = EPOLLOUT;
		return -EAGAIN;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		ERR_clear_error();
		return errno ? -errno : -ECONNRESET;
	default:
		ERR_clear_error();
		return -EPROTO;
	}
}

int ref_tls_handshake(struct ref_tls_sess *s, uint32_t *want, char *why, size_t whylen)
{
	X509 *cert;
	long vr;
	int n;

	why[0] = '\0';
	if (s->done)
		return 1;
	if (!s->ssl) {
		snprintf(why, whylen, "no CA configured (tls_ca_file): cannot verify a server");
		return -EPROTO;
	}
	errno = 0;
	n = SSL_do_handshake(s->ssl);
	if (n != 1) {
		int e = SSL_get_error(s->ssl, n);

		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			*want = e == SSL_ERROR_WANT_READ ? EPOLLIN : EPOLLOUT;
			ERR_clear_error();
			return 0;
		}
		vr = SSL_get_verify_result(s->ssl);
		if (vr != X509_V_OK) {
			snprintf(why, whylen, "certificate not trusted: %s",
				 X509_verify_cert_error_string(vr));
			ERR_clear_error();
		} else if (e == SSL_ERROR_SYSCALL) {
			snprintf(why, whylen, "handshake failed: %s",
				 errno ? strerror(errno) : "connection closed by the server");
			ERR_clear_error();
		} else {
			ssl_why(why, whylen, "handshake failed");
		}
		return -EPROTO;
	}
	if (s->server) {
		/* A SIP server asks no client certificate (RFC 3261 26.3.1 leaves it optional). */
		s->done = true;
		return 1;
	}
	cert = SSL_get1_peer_certificate(s->ssl);
	if (!cert) {
		snprintf(why, whylen, "the server sent no certificate");
		return -EPROTO;
	}
	/* Seeded bug (tls-no-name-check): any trusted certificate will do. */
	if (!ref_mutant("tls-no-name-check") && !ref_tls_cert_names(cert, s->name, why, whylen)) {
		X509_free(cert);
		return -EPROTO;
	}
	X509_free(cert);
	s->done = true;
	return 1;
}

ssize_t ref_tls_read(struct ref_tls_sess *s, void *buf, size_t len, uint32_t *want)
{
	int n;

	errno = 0;
	n = SSL_read(s->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);
	return n > 0 ? n : io_result(s, n, want);
}

ssize_t ref_tls_write(struct ref_tls_sess *s, const void *buf, size_t len, uint32_t *want)
{
	int n;

	errno = 0;
	n = SSL_write(s->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);
	if (n > 0)
		return n;
	n = io_result(s, n, want);
	return n == 0 ? -EPIPE : n;
}

bool ref_tls_pending(const struct ref_tls_sess *s)
{
	return s->ssl && SSL_pending(s->ssl) > 0;
}

/* Appends s to the "names" list of the failure message. */
static void note_name(char *list, size_t len, const char *kind, const char *s, size_t n)
{
	size_t o = strlen(list);

	if (o + 1 < len)
		snprintf(list + o, len - o, "%s%s:%.*s", o ? ", " : "", kind, (int)n, s);
}

static bool name_eq(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);

	/* An absolute name's trailing dot does not make it another name. */
	if (alen && a[alen - 1] == '.')
		alen--;
	if (blen && b[blen - 1] == '.')
		blen--;
	return alen == blen && strncasecmp(a, b, alen) == 0;
}

bool ref_tls_cert_names(const void *x509, const char *name, char *why, size_t whylen)
{
	X509 *cert = (X509 *)x509;
	GENERAL_NAMES *sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	unsigned char ip[16];
	size_t iplen = 0;
	bool found = false, any_sip_uri = false;
	char seen[200] = "";
	int n = sans ? sk_GENERAL_NAME_num(sans) : 0;

	if (inet_pton(AF_INET, name, ip) == 1)
		iplen = 4;
	else if (inet_pton(AF_INET6, name, ip) == 1)
		iplen = 16;
	/* Pass 1: sip: URIs without a user part (RFC 5922 7.1). An address literal is an
	 * identity only as an iPAddress entry. */
	for (int i = 0; i < n && !found; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
		const char *v;
		size_t vlen;

		if (g->type == GEN_IPADD && iplen) {
			found = (size_t)ASN1_STRING_length(g->d.iPAddress) == iplen &&
				memcmp(ASN1_STRING_get0_data(g->d.iPAddress), ip, iplen) == 0;
			continue;
		}
		if (g->type != GEN_URI)
			continue;
		v = (const char *)ASN1_STRING_get0_data(g->d.uniformResourceIdentifier);
		vlen = (size_t)ASN1_STRING_length(g->d.uniformResourceIdentifier);
		note_name(seen, sizeof(seen), "URI", v, vlen);
		if (vlen < 5 || strncasecmp(v, "sip:", 4) != 0 || memchr(v, '@', vlen))
			continue;
		any_sip_uri = true;
		found = !iplen && name_eq(v + 4, vlen - 4, name);
	}
	/* Pass 2: DNS names, "if and only if no other identity is found that matches the sip
	 * URI type"; no wildcard expansion (7.2). */
	for (int i = 0; i < n && !found && !any_sip_uri && !iplen; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
		const char *v;
		size_t vlen;

		if (g->type != GEN_DNS)
			continue;
		v = (const char *)ASN1_STRING_get0_data(g->d.dNSName);
		vlen = (size_t)ASN1_STRING_length(g->d.dNSName);
		note_name(seen, sizeof(seen), "DNS", v, vlen);
		found = name_eq(v, vlen, name);
	}
	/* Pass 3: the CN only when the certificate has no subjectAltName at all. */
	if (!sans && !iplen) {
		X509_NAME *subj = X509_get_subject_name(cert);
		int idx = X509_NAME_get_index_by_NID(subj, NID_commonName, -1);

		if (idx >= 0) {
			ASN1_STRING *cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, idx));
			const char *v = (const char *)ASN1_STRING_get0_data(cn);
			size_t vlen = (size_t)ASN1_STRING_length(cn);

			note_name(seen, sizeof(seen), "CN", v, vlen);
			found = name_eq(v, vlen, name);
		}
	}
	if (sans)
		GENERAL_NAMES_free(sans);
	if (!found)
		snprintf(why, whylen, "certificate does not name %s (RFC 5922): it has %s", name,
			 seen[0] ? seen : "no usable identity");
	return found;
}
