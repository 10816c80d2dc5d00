/* ref_tls.h: TLS for ref's TCP connections (OpenSSL): a client context that trusts one CA
 * file, an optional server context (ref's own certificate, for what it accepts), and
 * per-connection sessions that are only "up" once the chain verified and the
 * certificate names the expected SIP domain (RFC 5922 7.1/7.2, no wildcards).
 *
 * Promises: non-blocking throughout (every call says which readiness it waits for);
 * nothing is ever sent or read as plaintext SIP before ref_tls_handshake() returned 1;
 * every failure comes with a one-line reason for the log. */
#ifndef REF_TLS_H
#define REF_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ref_tls;
struct ref_tls_sess;

/* ca_file NULL: a context that can make no connection (every handshake fails with
 * "no CA configured"), so a TLS-capable ref without a CA fails loudly, never trusts all. */
int ref_tls_new(struct ref_tls **out, const char *ca_file, char *why, size_t whylen);
void ref_tls_free(struct ref_tls *t);

/* The server side, for connections ref accepts (the server and proxy roles): the
 * certificate chain and key as PEM files. 0, or -EINVAL with why. */
int ref_tls_serve(struct ref_tls *t, const char *cert_file, const char *key_file, char *why,
		  size_t whylen);
/* A server session over the accepted socket fd (needs ref_tls_serve first). */
int ref_tls_sess_accept(struct ref_tls *t, int fd, struct ref_tls_sess **out);

/* A session over the connected (or connecting) socket fd; name is the identity the
 * certificate must prove: a domain name (also sent as SNI) or a numeric IP address. */
int ref_tls_sess_new(struct ref_tls *t, int fd, const char *name, struct ref_tls_sess **out);
void ref_tls_sess_free(struct ref_tls_sess *s);

/* One step of the handshake: 1 done and verified, 0 call again when *want (EPOLLIN or
 * EPOLLOUT) is ready, -EPROTO (handshake failed, closed, bad certificate) with why. */
int ref_tls_handshake(struct ref_tls_sess *s, uint32_t *want, char *why, size_t whylen);
/* >0 bytes, 0 orderly close by the peer, -EAGAIN (wait for *want), other -errno. */
ssize_t ref_tls_read(struct ref_tls_sess *s, void *buf, size_t len, uint32_t *want);
/* >0 bytes taken, -EAGAIN (retry the same bytes when *want is ready), other -errno. */
ssize_t ref_tls_write(struct ref_tls_sess *s, const void *buf, size_t len, uint32_t *want);
/* Bytes already decrypted and buffered inside OpenSSL (epoll does not see them). */
bool ref_tls_pending(const struct ref_tls_sess *s);

/* RFC 5922 7.1 and 7.2 on a certificate (an X509 *): the SIP domain identities are the
 * subjectAltName URIs "sip:host" without user part; only if there is none, the DNS names;
 * only if there is no subjectAltName at all, the CN. Matching is exact (case-insensitive),
 * never by wildcard. A numeric name is matched against iPAddress entries only.
 * Returns true on a match; else false with why ("certificate names other.test, ..."). */
bool ref_tls_cert_names(const void *x509, const char *name, char *why, size_t whylen);

#endif
