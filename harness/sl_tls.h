/* sl_tls.h: TLS for siploc's peers, over OpenSSL: a test CA made for the scenario,
 * certificates for the peers, and connections that run over the caller's own non-blocking
 * socket through memory BIOs, so a handshake never blocks the worker's loop.
 * Promises: keys are EC P-256; every secret of every connection made through a context is
 * kept in NSS key log format (what Wireshark's tls.keylog_file reads) until the context is
 * freed; a connection hands plaintext out record by record, each piece with the stream
 * offset of the TLS record that carried it, so the capture can name that record's frame. */
#ifndef SL_TLS_H
#define SL_TLS_H

#include <stddef.h>
#include <sys/types.h>

struct sl_tls;          /* the scenario's CAs and key log */
struct sl_tls_id;       /* a server identity: key, certificate, its own TLS context */
struct sl_tls_conn;     /* one TLS connection over a byte stream */

/* Makes the test CA ("siploc test CA"). */
int sl_tls_new(struct sl_tls **tp, char *err, size_t errlen);
void sl_tls_free(struct sl_tls *t);
/* The test CA's certificate as PEM: the one file a SUT needs to trust the peers. */
int sl_tls_write_ca(const struct sl_tls *t, const char *path, char *err, size_t errlen);
/* The key log so far (NSS format, one secret a line); nothing is written without one. */
int sl_tls_write_keylog(const struct sl_tls *t, const char *path, char *err, size_t errlen);
const char *sl_tls_keylog(const struct sl_tls *t, size_t *len);

/* What a certificate is, for the TLS faults a scenario asks for. */
enum sl_tls_cert {
	SL_TLS_CERT_VALID = 0,
	SL_TLS_CERT_WRONG_NAME,  /* for "wrong-name.invalid" only, whatever names say */
	SL_TLS_CERT_EXPIRED,     /* validity ended a day ago */
	SL_TLS_CERT_UNTRUSTED,   /* issued by another CA, one the SUT is never given */
};

/* A server identity for names (DNS names, or IPv4/IPv6 addresses in text form, which go
 * in as iPAddress). The first name is also the subject CN. n may be 0 (then the
 * certificate names nothing). abort_handshake: the handshake is refused at the
 * ClientHello with a fatal handshake_failure alert. -EINVAL names a bad name in err. */
int sl_tls_id_new(struct sl_tls_id **ip, struct sl_tls *t, const char *const *names, size_t n,
		  enum sl_tls_cert kind, int abort_handshake, char *err, size_t errlen);
void sl_tls_id_free(struct sl_tls_id *id);
/* The identity's certificate and private key as PEM files (for the user and for tests). */
int sl_tls_id_write(const struct sl_tls_id *id, const char *cert_path, const char *key_path,
		    char *err, size_t errlen);
/* The certificate's subjectAltName as "DNS:a.test, IP Address:127.0.0.2". */
void sl_tls_id_describe(const struct sl_tls_id *id, char *buf, size_t len);

/* A connection: the server side of id, or a client that verifies nothing (peers are test
 * equipment; they connect out only to deliver responses, RFC 3263 section 5). */
int sl_tls_conn_server(struct sl_tls_conn **cp, struct sl_tls_id *id);
int sl_tls_conn_client(struct sl_tls_conn **cp, struct sl_tls *t);
void sl_tls_conn_free(struct sl_tls_conn *c);

/* Ciphertext that arrived, in stream order. -ENOMEM only. */
int sl_tls_conn_feed(struct sl_tls_conn *c, const void *data, size_t len);
/* Runs the handshake and decrypts: returns the plaintext bytes of (part of) one record,
 * with *rec_off the offset in the received stream (0 = its first byte) of that record's
 * header; 0 when more ciphertext is needed; -EPIPE when the other side sent close_notify;
 * -EPROTO when TLS failed (reason in sl_tls_conn_error; the alert, if any, is in the
 * output). len must be > 0. */
ssize_t sl_tls_conn_read(struct sl_tls_conn *c, void *buf, size_t len,
			 unsigned long long *rec_off);
/* Encrypts data into records (output), once established (-EAGAIN before); -EPROTO when
 * the connection failed. */
int sl_tls_conn_write(struct sl_tls_conn *c, const void *data, size_t len);
/* Queues a close_notify. */
void sl_tls_conn_shutdown(struct sl_tls_conn *c);
/* Bytes waiting to go out on the socket, and taking them (up to len). */
size_t sl_tls_conn_pending(const struct sl_tls_conn *c);
size_t sl_tls_conn_take(struct sl_tls_conn *c, void *buf, size_t len);
int sl_tls_conn_established(const struct sl_tls_conn *c);
/* The last failure in words ("" if none). */
const char *sl_tls_conn_error(const struct sl_tls_conn *c);
/* Stream offset of the last record handed to OpenSSL (the one a failure came from). */
unsigned long long sl_tls_conn_record_off(const struct sl_tls_conn *c);
/* "TLSv1.3 TLS_AES_256_GCM_SHA384, SNI example.test" (or "no SNI") once established. */
void sl_tls_conn_describe(const struct sl_tls_conn *c, char *buf, size_t len);

#endif
