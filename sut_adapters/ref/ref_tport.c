/* ref_tport.c: dispatch of ref_tport.h onto the UDP sockets and the TCP/TLS connection
 * manager; owns the TLS context. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ref_listen.h"
#include "ref_tls.h"
#include "ref_tport.h"
#include "ref_udp.h"

struct ref_tport {
	struct ref_tport_ops ops;
	const struct ref_log *log;
	char *host4, *host6;       /* local addresses as given (NULL: none of that family) */
	struct ref_udp udp4, udp6; /* fd -1 when absent */
	struct ref_tcp *tcp;
	struct ref_tls *tls;
	unsigned mask;
	struct ref_listen *lis[4];  /* the roles' listeners (ref_tport_listen) */
	size_t nlis;
};

static void on_udp(void *arg, const char *buf, size_t len, const struct sockaddr *from)
{
	struct ref_tport *tp = arg;

	tp->ops.message(tp->ops.arg, buf, len, from, NULL);
}

static void on_icmp(void *arg, int err, const struct sockaddr *dst, const char *payload,
		    size_t len)
{
	struct ref_tport *tp = arg;

	tp->ops.icmp(tp->ops.arg, err, dst, payload, len);
}

static void on_stream(void *arg, struct ref_conn *c, const char *buf, size_t len)
{
	struct ref_tport *tp = arg;

	tp->ops.message(tp->ops.arg, buf, len, (const void *)&ref_conn_peer(c)->sa, c);
}

static void on_down(void *arg, struct ref_conn *c, int err, const char *why)
{
	struct ref_tport *tp = arg;

	tp->ops.down(tp->ops.arg, c, err, why);
}

void ref_tport_free(struct ref_tport *tp)
{
	if (!tp)
		return;
	for (size_t i = 0; i < tp->nlis; i++)
		ref_listen_free(tp->lis[i]);
	ref_tcp_free(tp->tcp);
	ref_tls_free(tp->tls);
	ref_udp_close(&tp->udp4);
	ref_udp_close(&tp->udp6);
	free(tp->host4);
	free(tp->host6);
	free(tp);
}

static bool is_v6(const char *host)
{
	return host && strchr(host, ':') != NULL;
}

int ref_tport_new(struct ref_tport **out, const struct ref_tport_cfg *cfg,
		  const struct ref_tport_ops *ops)
{
	static const struct ref_tcp_ops tcp_ops_tmpl = { on_stream, on_down, NULL };
	struct ref_tport *tp = calloc(1, sizeof(*tp));
	struct ref_tcp_ops tcp_ops = tcp_ops_tmpl;
	int rc = -ENOMEM;

	*out = NULL;
	if (!tp)
		return rc;
	tp->ops = *ops;
	tp->log = cfg->log;
	tp->udp4.fd = tp->udp4.io.fd = tp->udp6.fd = tp->udp6.io.fd = -1;
	/* A v6-only SUT gives its one address as bind4; it is then the IPv6 address. */
	if (cfg->bind4 && !(is_v6(cfg->bind4) ? (tp->host6 = strdup(cfg->bind4))
					     : (tp->host4 = strdup(cfg->bind4))))
		goto fail;
	if (cfg->bind6 && cfg->bind6[0] && !tp->host6 && !(tp->host6 = strdup(cfg->bind6)))
		goto fail;
	if (cfg->tp_mask & REF_TPM(REF_TP_UDP)) {
		if (tp->host4) {
			rc = ref_udp_open(&tp->udp4, cfg->loop, cfg->log, tp->host4, cfg->udp_port,
					  on_udp, on_icmp, tp);
			if (rc < 0) {
				ref_logf(cfg->log, "cannot open the SIP UDP socket on %s: %s",
					 tp->host4, strerror(-rc));
				goto fail;
			}
		}
		if (tp->host6) {
			rc = ref_udp_open(&tp->udp6, cfg->loop, cfg->log, tp->host6, cfg->udp_port,
					  on_udp, on_icmp, tp);
			if (rc < 0) {
				ref_logf(cfg->log, "cannot open the SIP UDP socket on [%s]: %s",
					 tp->host6, strerror(-rc));
				goto fail;
			}
		}
		tp->mask |= REF_TPM(REF_TP_UDP);
	}
	if (cfg->tp_mask & REF_TPM(REF_TP_TLS)) {
		char why[300];

		rc = ref_tls_new(&tp->tls, cfg->tls_ca_file, why, sizeof(why));
		if (rc < 0) {
			ref_logf(cfg->log, "TLS disabled: %s", why);
		} else {
			if (!cfg->tls_ca_file)
				ref_logf(cfg->log, "TLS: no CA file configured, every TLS connection "
					 "will fail verification");
			tp->mask |= REF_TPM(REF_TP_TLS);
		}
	}
	if (cfg->tp_mask & (REF_TPM(REF_TP_TCP) | REF_TPM(REF_TP_TLS))) {
		tcp_ops.arg = tp;
		rc = ref_tcp_new(&tp->tcp, cfg->loop, cfg->log, tp->host4, tp->host6, tp->tls,
				 &tcp_ops);
		if (rc < 0)
			goto fail;
		if (cfg->tp_mask & REF_TPM(REF_TP_TCP))
			tp->mask |= REF_TPM(REF_TP_TCP);
	}
	*out = tp;
	return 0;
fail:
	ref_tport_free(tp);
	return rc;
}

unsigned ref_tport_mask(const struct ref_tport *tp)
{
	return tp->mask;
}

bool ref_tport_ipv6(const struct ref_tport *tp)
{
	return tp->host6 != NULL;
}

uint16_t ref_tport_udp_port(const struct ref_tport *tp)
{
	return tp->udp4.fd >= 0 ? tp->udp4.port : tp->udp6.port;
}

int ref_tport_prepare(struct ref_tport *tp, const struct ref_target *dst,
		      const char *tls_name, struct ref_conn **conn, const char **host,
		      uint16_t *port)
{
	bool v6 = dst->sa.ss_family == AF_INET6;
	int rc;

	*conn = NULL;
	if (!(tp->mask & REF_TPM(dst->tp)))
		return -EPROTONOSUPPORT;
	*host = v6 ? tp->host6 : tp->host4;
	if (!*host)
		return -EAFNOSUPPORT;
	if (dst->tp == REF_TP_UDP) {
		*port = v6 ? tp->udp6.port : tp->udp4.port;
		return 0;
	}
	rc = ref_tcp_open(tp->tcp, dst, tls_name, conn);
	if (rc == 0)
		*port = ref_conn_local_port(*conn);
	return rc;
}

int ref_tport_send(struct ref_tport *tp, const struct ref_target *dst,
		   struct ref_conn *conn, const void *buf, size_t len)
{
	if (dst->tp == REF_TP_UDP) {
		struct ref_udp *u = dst->sa.ss_family == AF_INET6 ? &tp->udp6 : &tp->udp4;

		if (u->fd < 0)
			return -EAFNOSUPPORT;
		return ref_udp_send(u, (const struct sockaddr *)&dst->sa, dst->salen, buf, len);
	}
	if (!conn)
		return -ENOTCONN;
	return ref_conn_send(conn, buf, len);
}

/* --- the roles' side: listening, and finding the connection a request came on -------- */

static int listen_on(struct ref_tport *tp, const struct ref_log *log, struct ref_loop *loop,
		     enum ref_tp kind, uint16_t port)
{
	const char *hosts[2] = { tp->host4, tp->host6 };
	int rc = 0;

	for (size_t i = 0; i < 2 && rc == 0; i++) {
		if (!hosts[i] || tp->nlis == sizeof(tp->lis) / sizeof(tp->lis[0]))
			continue;
		rc = ref_listen_new(&tp->lis[tp->nlis], loop, log, tp->tcp, kind, hosts[i], port);
		if (rc < 0)
			ref_logf(log, "cannot listen on %s port %u/%s: %s", hosts[i], port,
				 ref_tp_name(kind), strerror(-rc));
		else
			ref_logf(log, "listening on %s%s%s:%u/%s", i ? "[" : "", hosts[i], i ? "]" : "",
				 port, ref_tp_name(kind)), tp->nlis++;
	}
	return rc;
}

int ref_tport_listen(struct ref_tport *tp, struct ref_loop *loop, uint16_t tcp_port,
		     uint16_t tls_port, const char *cert_file, const char *key_file)
{
	char why[700];
	int rc = 0;

	if ((tp->mask & REF_TPM(REF_TP_TCP)) && tcp_port)
		rc = listen_on(tp, tp->log, loop, REF_TP_TCP, tcp_port);
	if (rc < 0 || !(tp->mask & REF_TPM(REF_TP_TLS)) || !tls_port)
		return rc;
	if (!cert_file || !key_file) {
		ref_logf(tp->log, "TLS: no certificate of its own (tls_cert_file): not listening "
			 "for TLS");
		return 0;
	}
	rc = ref_tls_serve(tp->tls, cert_file, key_file, why, sizeof(why));
	if (rc < 0) {
		ref_logf(tp->log, "TLS: %s", why);
		return rc;
	}
	return listen_on(tp, tp->log, loop, REF_TP_TLS, tls_port);
}

struct ref_conn *ref_tport_inbound(struct ref_tport *tp, enum ref_tp kind,
				   const struct sockaddr *from)
{
	return tp->tcp ? ref_tcp_inbound(tp->tcp, kind, from) : NULL;
}
