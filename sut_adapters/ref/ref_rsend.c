/* ref_rsend.c: responses in flight, each with the destinations it has tried; ICMP errors
 * and failed connections move a response to its next destination (RFC 3261 18.2.2, RFC
 * 3263 section 5). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "ref_msg.h"
#include "ref_mutant.h"
#include "ref_rsend.h"
#include "ref_sip.h"

#define MAX_INFLIGHT 1024
#define MAX_TRIED 16

/* RS_CONN: on the connection the request came on (streams); RS_PRIMARY: RFC 3261 18.2.2
 * (UDP: received or sent-by; streams: a new connection there); RS_SECTION5: the sent-by
 * list of RFC 3263 section 5. */
enum rs_phase { RS_CONN, RS_PRIMARY, RS_SECTION5, RS_DONE };

struct rs {
	TAILQ_ENTRY(rs) link;
	struct ref_rsends *t;
	char *rsp;
	size_t len;
	int status;
	struct ref_via via;
	enum ref_tp tp;              /* the Via's transport: where every attempt goes */
	struct ref_conn *conn;       /* streams: the connection carrying it (held) */
	uint64_t end;                /* its last byte is byte `end` given to that connection */
	enum rs_phase phase;
	struct ref_target cur;
	bool have_cur;
	struct ref_target tried[MAX_TRIED];
	size_t ntried;
	unsigned n_s5;               /* section 5 destinations tried */
	struct ref_resolver *res;
	struct ref_timer linger;
};

struct ref_rsends {
	struct ref_rsend_env env;
	TAILQ_HEAD(rs_head_s, rs) list;
	size_t n;
};

static void drop_conn(struct rs *r)
{
	ref_conn_release(r->conn);
	r->conn = NULL;
}

static void rs_free(struct rs *r)
{
	struct ref_rsends *t = r->t;

	drop_conn(r);
	ref_timer_stop(t->env.loop, &r->linger);
	ref_resolver_free(r->res);
	TAILQ_REMOVE(&t->list, r, link);
	t->n--;
	free(r->rsp);
	free(r);
}

static void on_linger(void *arg)
{
	/* No error came back in time: delivered, as far as UDP can tell; a stream that never
	 * failed took it. */
	rs_free(arg);
}

static bool tried(const struct rs *r, const struct ref_target *d)
{
	for (size_t i = 0; i < r->ntried; i++)
		if (ref_addr_equal((const void *)&r->tried[i].sa, (const void *)&d->sa))
			return true;
	return false;
}

/* Queues the response on conn (held by r from now on); false when conn is dead. */
static bool send_on(struct rs *r, struct ref_conn *conn, const char *what, const char *why)
{
	struct ref_rsends *t = r->t;
	char a[REF_ADDRSTRLEN];
	int rc;

	r->conn = conn;
	r->cur = *ref_conn_peer(conn);
	r->have_cur = true;
	rc = ref_conn_send(conn, r->rsp, r->len);
	r->end = ref_conn_tx_queued(conn);
	ref_addr_str((const void *)&r->cur.sa, a, sizeof(a));
	ref_logf(t->env.log, "response %d (branch %s) on %s %s %s (%s)%s%s", r->status,
		 r->via.branch, what, ref_tp_name(r->cur.tp), a, why,
		 rc < 0 ? ": send failed: " : "", rc < 0 ? strerror(-rc) : "");
	if (rc < 0)
		return false;
	ref_timer_start(t->env.loop, &r->linger, t->env.linger_ms);
	return true;
}

/* Sends to d (streams: over a connection opened, or reused, for it) and waits for an
 * error; false when the send itself failed. */
static bool send_to(struct rs *r, const struct ref_target *d, const char *why)
{
	struct ref_rsends *t = r->t;
	char a[REF_ADDRSTRLEN];
	struct ref_conn *conn = NULL;
	const char *host;
	uint16_t port;
	int rc;

	r->cur = *d;
	r->have_cur = true;
	if (r->ntried < MAX_TRIED)
		r->tried[r->ntried++] = *d;
	ref_addr_str((const void *)&d->sa, a, sizeof(a));
	if (d->tp != REF_TP_UDP) {
		/* TLS: the client must prove the sent-by it named (RFC 5922 7.2 taken for the
		 * sent-by as the client role takes TARGET). */
		rc = ref_tport_prepare(t->env.tport, d, r->via.host, &conn, &host, &port);
		if (rc == 0)
			return send_on(r, conn, "a connection to", why);
		ref_logf(t->env.log, "response %d (branch %s) to %s/%s (%s): %s", r->status,
			 r->via.branch, a, ref_tp_name(d->tp), why, strerror(-rc));
		return false;
	}
	rc = ref_tport_send(t->env.tport, d, NULL, r->rsp, r->len);
	ref_logf(t->env.log, "response %d (branch %s) to %s/udp (%s)%s%s", r->status,
		 r->via.branch, a, why, rc < 0 ? ": send failed: " : "",
		 rc < 0 ? strerror(-rc) : "");
	if (rc < 0)
		return false;
	ref_timer_start(t->env.loop, &r->linger, t->env.linger_ms);
	return true;
}

static void lost(struct rs *r, const char *why)
{
	ref_logf(r->t->env.log, "response %d (branch %s) lost: %s", r->status, r->via.branch, why);
	r->phase = RS_DONE;
	rs_free(r);
}

static void next(struct rs *r);

static void on_target(void *arg, int rc, const struct ref_target *d, const char *desc)
{
	struct rs *r = arg;
	char why[300];

	if (rc < 0) {
		lost(r, r->n_s5 ? "every sent-by destination failed" :
			"sent-by resolves to nothing (RFC 3263 section 5)");
		return;
	}
	if (d->tp != r->tp || tried(r, d)) {
		next(r); /* already failed there, or over a transport this Via does not name */
		return;
	}
	r->n_s5++;
	snprintf(why, sizeof(why), "RFC 3263 section 5: %s", desc ? desc : "sent-by");
	if (!send_to(r, d, why))
		next(r);
}

/* The sent-by as the URI ref_resolve understands: sip:host[:port];transport=<Via's>.
 * TLS means sips: over TCP, so _sips._tcp for a name without a port. */
static void sentby_uri(const struct rs *r, struct ref_uri *u)
{
	memset(u, 0, sizeof(*u));
	snprintf(u->host, sizeof(u->host), "%s", r->via.host);
	u->host_is_ip = r->via.host_is_ip;
	u->port = r->via.port;
	if (ref_mutant("sv-ignore-port") && u->port)
		u->port = 5060;
	if (ref_mutant("sv-a-not-srv") && !u->host_is_ip && !u->port)
		u->port = 5060; /* A of the name on the default port, no SRV */
	u->has_transport = true;
	u->sips = !strcmp(r->via.transport, "TLS") && !ref_mutant("sv-tls-as-tcp");
	u->transport = !strcmp(r->via.transport, "UDP") ? REF_TP_UDP : REF_TP_TCP;
}

/* RFC 3261 18.2.2: the received address, else a numeric sent-by, on the sent-by port or
 * the transport's default; false when the Via names no address (a name, no received). */
static bool primary_target(const struct rs *r, struct ref_target *d)
{
	const char *host = r->via.received[0] ? r->via.received :
			   r->via.host_is_ip ? r->via.host : NULL;
	uint16_t port = r->via.port ? r->via.port : ref_tp_default_port(r->tp);

	if (ref_mutant("sv-ignore-port"))
		port = 5060;
	d->tp = r->tp;
	return host && ref_addr_make(host, port, &d->sa, &d->salen) == 0;
}

/* The current destination failed: the next one, or the end. */
static void next(struct rs *r)
{
	struct ref_rsends *t = r->t;

	r->have_cur = false;
	ref_timer_stop(t->env.loop, &r->linger);
	drop_conn(r);
	if (r->phase == RS_CONN) {
		struct ref_target d;

		/* Seeded bug: the original connection or nothing. */
		if (ref_mutant("sv-stream-no-reconnect")) {
			lost(r, "the connection the request came on is gone");
			return;
		}
		r->phase = RS_PRIMARY;
		if (primary_target(r, &d) && send_to(r, &d, r->via.received[0] ?
				"RFC 3261 18.2.2: the connection is gone, a new one to received, "
				"sent-by port" : "RFC 3261 18.2.2: the connection is gone, a new one "
				"to sent-by"))
			return;
	}
	if (r->phase == RS_PRIMARY) {
		struct ref_uri u;

		if (ref_mutant("sv-ignore-sentby")) {
			lost(r, "the client's address failed");
			return;
		}
		r->phase = RS_SECTION5;
		sentby_uri(r, &u);
		if (ref_resolver_new(&r->res, &t->env.resolve, &u) < 0) {
			lost(r, "out of memory");
			return;
		}
		ref_logf(t->env.log, "response %d (branch %s): the client's address failed, RFC "
			 "3263 section 5 on sent-by %s%s", r->status, r->via.branch, r->via.host,
			 r->via.port ? "" : " (no port)");
	} else if (r->phase == RS_SECTION5 && r->n_s5 >= 1 && !r->via.host_is_ip &&
		   ((r->via.port && ref_mutant("sv-first-addr-only")) ||
		    (!r->via.port && ref_mutant("sv-srv-first-only")))) {
		lost(r, "only the first sent-by destination is tried");
		return;
	}
	ref_resolver_next(r->res, on_target, r);
}

static int via_tp(const char *transport, enum ref_tp *tp)
{
	if (!strcmp(transport, "UDP"))
		*tp = REF_TP_UDP;
	else if (!strcmp(transport, "TCP"))
		*tp = REF_TP_TCP;
	else if (!strcmp(transport, "TLS"))
		/* RFC 3263 5: TLS over TCP (seeded bug: plain TCP, as "TLS is TCP") */
		*tp = ref_mutant("sv-tls-as-tcp") ? REF_TP_TCP : REF_TP_TLS;
	else
		return -EPROTONOSUPPORT;
	return 0;
}

int ref_rsend(struct ref_rsends *t, const char *rsp, size_t len)
{
	return ref_rsend_on(t, rsp, len, NULL);
}

int ref_rsend_on(struct ref_rsends *t, const char *rsp, size_t len, struct ref_conn *conn)
{
	struct ref_target d = { .tp = REF_TP_UDP };
	struct rs *r;
	int rc;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->t = t;
	ref_timer_init(&r->linger, on_linger, r);
	rc = ref_msg_top_via(rsp, &r->via);
	if (rc < 0) {
		ref_logf(t->env.log, "response without a usable Via: not sent");
		free(r);
		return rc;
	}
	if (via_tp(r->via.transport, &r->tp) < 0 ||
	    !(ref_tport_mask(t->env.tport) & REF_TPM(r->tp))) {
		ref_logf(t->env.log, "response over %s: a transport ref does not have here",
			 r->via.transport);
		free(r);
		return -EPROTONOSUPPORT;
	}
	r->rsp = malloc(len + 1);
	if (!r->rsp) {
		free(r);
		return -ENOMEM;
	}
	memcpy(r->rsp, rsp, len);
	r->rsp[len] = '\0';
	r->len = len;
	r->status = ref_msg_status(rsp);
	while (t->n >= MAX_INFLIGHT)
		rs_free(TAILQ_FIRST(&t->list));
	TAILQ_INSERT_TAIL(&t->list, r, link);
	t->n++;
	if (r->via.maddr[0])
		ref_logf(t->env.log, "Via maddr=%s ignored (ref does not send to maddr)",
			 r->via.maddr);
	if (r->tp != REF_TP_UDP) {
		/* RFC 3261 18.2.2, reliable: the connection the request came on, while it is
		 * open. Without it (a proxy's response from downstream), the newest one
		 * accepted from the Via's address. */
		r->phase = RS_CONN;
		if (!conn && primary_target(r, &d))
			conn = ref_tport_inbound(t->env.tport, r->tp, (const void *)&d.sa);
		if (conn) {
			ref_conn_hold(conn);
			if (send_on(r, conn, "the request's connection,", "RFC 3261 18.2.2"))
				return 0;
		}
		next(r);
		return 0;
	}
	/* RFC 3261 18.2.2, unreliable unicast: received, else sent-by; sent-by port or 5060. */
	r->phase = RS_PRIMARY;
	if (!primary_target(r, &d)) {
		/* A name and no received: straight to section 5. */
		next(r);
		return 0;
	}
	if (!send_to(r, &d, r->via.received[0] ? "RFC 3261 18.2.2: received, sent-by port" :
			    "RFC 3261 18.2.2: sent-by"))
		next(r);
	return 0;
}

void ref_rsends_on_down(struct ref_rsends *t, struct ref_conn *conn, int err, const char *why)
{
	struct rs *r, *nx;

	(void)err;
	for (r = TAILQ_FIRST(&t->list); r; r = nx) {
		nx = TAILQ_NEXT(r, link);
		if (r->conn != conn || r->phase == RS_DONE)
			continue;
		if (ref_conn_tx_sent(conn) >= r->end) {
			/* Written out whole before the end: as delivered as TCP can say. */
			rs_free(r);
			continue;
		}
		ref_logf(t->env.log, "response %d (branch %s): %s %s failed before it went out "
			 "(%s)", r->status, r->via.branch, ref_tp_name(r->cur.tp),
			 r->phase == RS_CONN ? "connection of the request" : "connection", why);
		next(r);
	}
}

bool ref_rsends_on_icmp(struct ref_rsends *t, int err, const struct sockaddr *dst,
			const char *payload, size_t len)
{
	char branch[128];
	bool have_branch = ref_sip_find_branch(payload, len, branch, sizeof(branch)) == 0;
	struct rs *r;

	/* The newest response sent there (and with the quoted branch, when quoted). */
	TAILQ_FOREACH_REVERSE(r, &t->list, rs_head_s, link) {
		char a[REF_ADDRSTRLEN];

		if (!r->have_cur || r->cur.tp != REF_TP_UDP ||
		    !ref_addr_equal((const void *)&r->cur.sa, dst) ||
		    (have_branch && strcmp(branch, r->via.branch)))
			continue;
		if (len >= 8 && strncmp(payload, "SIP/2.0 ", 8))
			continue; /* a request of ours, not a response */
		ref_addr_str(dst, a, sizeof(a));
		ref_logf(t->env.log, "response %d (branch %s) to %s: %s", r->status, r->via.branch,
			 a, strerror(err));
		next(r);
		return true;
	}
	return false;
}

int ref_rsends_new(struct ref_rsends **out, const struct ref_rsend_env *env)
{
	struct ref_rsends *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->env = *env;
	TAILQ_INIT(&t->list);
	*out = t;
	return 0;
}

void ref_rsends_free(struct ref_rsends *t)
{
	if (!t)
		return;
	while (!TAILQ_EMPTY(&t->list))
		rs_free(TAILQ_FIRST(&t->list));
	free(t);
}
