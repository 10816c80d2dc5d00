/* ref_target.h: transports and socket addresses, the vocabulary shared by the resolver,
 * the transaction layer and the transports. */
#ifndef REF_TARGET_H
#define REF_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum ref_tp {
	REF_TP_UDP,
	REF_TP_TCP,
	REF_TP_TLS,  /* TLS over TCP */
	REF_TP_SCTP, /* known so it can be named and discarded; never supported */
	REF_TP_COUNT,
};

#define REF_TPM(tp) (1u << (tp))

/* An address and IP family as DNS or the URI gave it, before a port is attached. */
struct ref_ip {
	int af;          /* AF_INET or AF_INET6 */
	uint8_t a[16];
};

/* One element of the RFC 3263 list: where a request goes and over what. */
struct ref_target {
	enum ref_tp tp;
	struct sockaddr_storage sa;
	socklen_t salen;
};

#define REF_ADDRSTRLEN 64 /* "[v6]:port" */

const char *ref_tp_name(enum ref_tp tp);  /* "udp", "tcp", "tls", "sctp" */
const char *ref_tp_via(enum ref_tp tp);   /* Via transport token: "UDP", ... */
int ref_tp_from_param(const char *s, enum ref_tp *tp); /* transport= value; -EINVAL */
uint16_t ref_tp_default_port(enum ref_tp tp);          /* 5060, 5061 for TLS */

/* Parses a numeric IPv4 or IPv6 (no brackets) address; -EINVAL if it is not one. */
int ref_ip_parse(const char *s, struct ref_ip *ip);
void ref_ip_str(const struct ref_ip *ip, char *buf, size_t len);
void ref_target_set(struct ref_target *t, enum ref_tp tp, const struct ref_ip *ip,
		    uint16_t port);
/* "127.0.0.1:5060" or "[::1]:5060" */
void ref_addr_str(const struct sockaddr *sa, char *buf, size_t len);
bool ref_addr_equal(const struct sockaddr *a, const struct sockaddr *b);
/* Numeric host and port into a sockaddr; -EINVAL if host is not numeric. */
int ref_addr_make(const char *host, uint16_t port, struct sockaddr_storage *ss,
		  socklen_t *len);

#endif
