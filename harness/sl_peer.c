/* sl_peer.c: the SIP peer's core: server transactions, plans of steps per request, the
 * event log both ways; UDP lives here, TCP and TLS in sl_peer_tcp.c. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sl_addr.h"
#include "sl_clock.h"
#include "sl_evlog.h"
#include "sl_loop.h"
#include "sl_netfault.h"
#include "sl_peer.h"
#include "sl_peer_int.h"
#include "sl_sipmsg.h"
#include "sl_tls.h"

#define MAX_RULES 32
#define MAX_TXNS 4096     /* finished ones are recycled, oldest first */
#define NBUCKETS 4096
/* RFC 3261 T1/T2 for our own 2xx retransmissions, in SUT seconds. */
#define T1_S 0.5
#define T2_S 4.0

struct rule {
	char method[32];        /* "" = any */
	unsigned nth;           /* > 0: the nth new request */
	struct sl_plan plan;    /* headers point into hdrs */
	char *hdrs[SL_PLAN_MAX];
};

/* Server transaction memory: enough to answer retransmissions and to run later steps. */
struct txn {
	int used;
	unsigned next;          /* hash chain (index + 1) */
	struct sl_peer *p;
	char *branch;
	char method[32];
	char to_tag[24];
	struct sl_sipmsg *req;
	char *raw;              /* the request as received: ICMP quotes it */
	size_t raw_len;
	struct sl_route route;
	char remote[SL_ADDRSTRLEN];
	struct sl_plan plan;
	char *hdrs[SL_PLAN_MAX];
	unsigned step;
	int waited;             /* the current step's delay has passed */
	int done;               /* final step taken */
	int answered;           /* a final response went out */
	enum sl_bkind final;
	char *resp;             /* last response sent (NULL: none yet) */
	size_t resp_len;
	int await_ack;          /* 2xx to INVITE sent, no ACK yet */
	double rtx_s;           /* next 2xx retransmission interval (udp) */
	double rtx_total;
	struct sl_timer *timer;
};

struct sl_peer {
	struct sl_loop *loop;
	struct sl_evlog *log;
	const struct sl_clock *clk;
	int fd;                 /* udp */
	struct sl_ptcp *tcp;
	struct sockaddr_storage ss;
	socklen_t slen;
	char spec[96];
	char addr[SL_ADDRSTRLEN];
	char transport[8];
	struct rule rules[MAX_RULES];
	unsigned nrules;
	struct txn *txns;
	unsigned ntxns, recycle;
	unsigned buckets[NBUCKETS];
	unsigned tag_seq, nreq;
	sl_peer_handler handler;
	void *handler_arg;
	enum sl_peer_mode mode;
	enum sl_icmp_kind down;  /* != 0: unreachable (sl_peer_set_down) */
	unsigned down_left;      /* > 0: reachable again after that many more bounces */
};

static void run_steps(struct txn *t);

static unsigned bucket(const char *branch, const char *method)
{
	uint64_t h = sl_fp_hash(branch, strlen(branch)) ^ sl_fp_hash(method, strlen(method));
	return (unsigned)(h % NBUCKETS);
}

static struct txn *find_txn(struct sl_peer *p, const char *branch, const char *method)
{
	for (unsigned i = p->buckets[bucket(branch, method)]; i; i = p->txns[i - 1].next) {
		struct txn *t = &p->txns[i - 1];
		if (!strcmp(t->branch, branch) && !strcmp(t->method, method))
			return t;
	}
	return NULL;
}

static void plan_free(struct sl_plan *pl, char **hdrs)
{
	for (unsigned i = 0; i < SL_PLAN_MAX; i++) {
		free(hdrs[i]);
		hdrs[i] = NULL;
	}
	memset(pl, 0, sizeof(*pl));
}

/* Deep copy: the header strings of dst live in hdrs. */
static int plan_copy(struct sl_plan *dst, char **hdrs, const struct sl_plan *src)
{
	plan_free(dst, hdrs);
	*dst = *src;
	for (unsigned i = 0; i < src->n; i++) {
		if (!src->step[i].headers)
			continue;
		hdrs[i] = strdup(src->step[i].headers);
		if (!hdrs[i])
			return -ENOMEM;
		dst->step[i].headers = hdrs[i];
	}
	return 0;
}

static void txn_clear(struct txn *t)
{
	struct sl_peer *p = t->p;
	if (t->timer)
		sl_timer_cancel(p->loop, t->timer);
	unsigned idx = (unsigned)(t - p->txns) + 1;
	for (unsigned *link = &p->buckets[bucket(t->branch, t->method)]; *link;
	     link = &p->txns[*link - 1].next) {
		if (*link == idx) {
			*link = t->next;
			break;
		}
	}
	free(t->branch);
	free(t->raw);
	free(t->resp);
	sl_sipmsg_free(t->req);
	plan_free(&t->plan, t->hdrs);
	memset(t, 0, sizeof(*t));
}

/* A free slot: a new one, else the oldest transaction with nothing left to do. */
static struct txn *txn_alloc(struct sl_peer *p)
{
	if (p->ntxns < MAX_TXNS)
		return &p->txns[p->ntxns++];
	for (unsigned k = 0; k < MAX_TXNS; k++) {
		struct txn *t = &p->txns[p->recycle++ % MAX_TXNS];
		if (t->done && !t->timer && !t->await_ack) {
			txn_clear(t);
			return t;
		}
	}
	return NULL;
}

void sl_peer_note(struct sl_peer *p, const char *text)
{
	struct sl_event *e = sl_evlog_add(p->log, SL_EV_NOTE, sl_now_us());
	if (e)
		sl_evlog_str(&e->text, text);
}

void sl_peer_abort(struct sl_peer *p, const char *why)
{
	sl_peer_note(p, why);
	sl_evlog_abort(p->log, "%s: %s", sl_peer_spec(p), why);
}

void sl_peer_note_rst(struct sl_peer *p, const char *remote, const char *text)
{
	struct sl_event *e = sl_evlog_add(p->log, SL_EV_NOTE, sl_now_us());
	if (!e)
		return;
	sl_evlog_str(&e->text, text);
	sl_evlog_str(&e->transport, p->transport);
	sl_evlog_str(&e->client, remote);
	sl_evlog_str(&e->server, p->addr);
	sl_fp_set(&e->fp[0], 6, p->addr, remote, "", 0);
	e->fp[0].has_off = 1;
	e->fp[0].tcp_flags = 0x04;
}

void sl_peer_note_seg(struct sl_peer *p, const char *remote, const char *text, int rx,
		      unsigned long long off)
{
	struct sl_event *e = sl_evlog_add(p->log, SL_EV_NOTE, sl_now_us());
	if (!e)
		return;
	sl_evlog_str(&e->text, text);
	sl_evlog_str(&e->transport, p->transport);
	sl_evlog_str(&e->client, remote);
	sl_evlog_str(&e->server, p->addr);
	sl_fp_set(&e->fp[0], 6, rx ? remote : p->addr, rx ? p->addr : remote, "", 0);
	e->fp[0].has_off = 1;
	e->fp[0].off = off;
}

void sl_peer_mark_conn_failed(struct sl_peer *p)
{
	size_t n = sl_evlog_count(p->log);
	struct sl_event *e = n ? sl_evlog_get(p->log, n - 1) : NULL;
	if (e && e->kind == SL_EV_NOTE && e->server && !strcmp(e->server, p->addr))
		e->conn_failed = 1;
}

/* "host[:port]" of the top Via as written (an IPv6 host in brackets), or NULL. */
static const char *via_sentby(const struct sl_sipmsg *m, char *buf, size_t len)
{
	const char *h = sl_sipmsg_via_host(m);
	if (!h)
		return NULL;
	unsigned port = sl_sipmsg_via_port(m);
	int v6 = strchr(h, ':') != NULL;
	char ps[16] = "";
	if (port)
		snprintf(ps, sizeof(ps), ":%u", port);
	snprintf(buf, len, "%s%s%s%s", v6 ? "[" : "", h, v6 ? "]" : "", ps);
	return buf;
}

/* conn > 0: the TCP/TLS connection it went over, whose local end the fingerprint names
 * (a connection the peer opened has an ephemeral port of its own). */
static void log_msg(struct sl_peer *p, enum sl_ev_kind kind, const struct sl_sipmsg *m,
		    const char *remote, const char *data, size_t len, unsigned long long off,
		    const char *error, unsigned conn)
{
	struct sl_event *e = sl_evlog_add(p->log, kind, sl_now_us());
	if (!e)
		return;
	int tcp = strcmp(p->transport, "udp") != 0;
	sl_evlog_str(&e->transport, p->transport);
	sl_evlog_str(&e->client, remote);
	sl_evlog_str(&e->server, p->addr);
	const char *local = conn ? sl_ptcp_local(p->tcp, conn) : p->addr;
	if (kind == SL_EV_SIP_RX)
		sl_fp_set(&e->fp[0], tcp ? 6 : 17, remote, local, data, len);
	else
		sl_fp_set(&e->fp[0], tcp ? 6 : 17, local, remote, data, len);
	e->fp[0].has_off = tcp;
	e->fp[0].off = off;
	if (error) {
		sl_evlog_str(&e->text, error);
		return;
	}
	if (sl_sipmsg_is_request(m)) {
		sl_evlog_str(&e->method, sl_sipmsg_method(m));
		sl_evlog_str(&e->uri, sl_sipmsg_uri(m));
	} else {
		char c[512];
		e->status = sl_sipmsg_status(m);
		sl_evlog_str(&e->contact, sl_sipmsg_contact_uri(m, c, sizeof(c)));
	}
	sl_evlog_str(&e->call_id, sl_sipmsg_call_id(m));
	sl_evlog_str(&e->branch, sl_sipmsg_via_branch(m));
	sl_evlog_str(&e->cseq_method, sl_sipmsg_cseq_method(m));
	sl_evlog_str(&e->from_tag, sl_sipmsg_from_tag(m));
	sl_evlog_str(&e->to_tag, sl_sipmsg_to_tag(m));
	sl_evlog_str(&e->via_transport, sl_sipmsg_via_transport(m));
	char sb[SL_ADDRSTRLEN + 200];
	sl_evlog_str(&e->via_sentby, via_sentby(m, sb, sizeof(sb)));
	e->cseq = sl_sipmsg_cseq_num(m);
}

void sl_peer_malformed(struct sl_peer *p, const char *remote, const char *data, size_t len,
		       unsigned long long off, const char *why)
{
	char t[512];
	snprintf(t, sizeof(t), "malformed SIP from %s: %s", remote, why);
	log_msg(p, SL_EV_SIP_RX, NULL, remote, data, len, off, t, 0);
}

static void log_sent(struct sl_peer *p, unsigned conn, const char *remote, const char *data,
		     size_t len, unsigned long long off)
{
	char err[128];
	struct sl_sipmsg *m = NULL;
	if (sl_sipmsg_parse(data, len, &m, err, sizeof(err)) == 0)
		log_msg(p, SL_EV_SIP_TX, m, remote, data, len, off, NULL, conn);
	sl_sipmsg_free(m);
}

void sl_peer_sent(struct sl_peer *p, unsigned conn, const char *data, size_t len,
		  unsigned long long off)
{
	log_sent(p, conn, sl_ptcp_remote(p->tcp, conn), data, len, off);
}

/* The connection a response was to go over is gone: RFC 3263 section 5 (RFC 3261
 * 18.2.2) has it sent to the top Via's sent-by, over a new connection. Our peers are
 * the test's equipment and resolve nothing: a numeric sent-by only. On success r->conn
 * is the new connection and *remote its address. */
static int reconnect(struct sl_peer *p, struct sl_route *r, char *remote, size_t rlen,
		     const char *data, size_t len)
{
	char text[768], err[200], sb[SL_ADDRSTRLEN + 200];
	struct sl_sipmsg *m = NULL;
	int rc = -ENOTCONN;
	if (sl_sipmsg_parse(data, len, &m, err, sizeof(err)) < 0 || sl_sipmsg_is_request(m))
		goto out;
	const char *host = sl_sipmsg_via_host(m), *vt = sl_sipmsg_via_transport(m);
	if (!host || !vt) {
		snprintf(text, sizeof(text), "peer %s: the connection from %s is gone and the "
			 "response has no usable Via; response dropped", p->spec, remote);
		goto note;
	}
	int tls = !strcasecmp(vt, "TLS");
	if (!tls && strcasecmp(vt, "TCP")) {
		snprintf(text, sizeof(text), "peer %s: the connection from %s is gone and the Via "
			 "transport is %s, which a %s peer does not speak; response dropped",
			 p->spec, remote, vt, p->transport);
		goto note;
	}
	unsigned port = sl_sipmsg_via_port(m);
	char spec[SL_ADDRSTRLEN + 16], tp[8];
	struct sockaddr_storage ss;
	socklen_t sl;
	via_sentby(m, sb, sizeof(sb));
	snprintf(spec, sizeof(spec), "%s%s%s:%u", strchr(host, ':') ? "[" : "", host,
		 strchr(host, ':') ? "]" : "", port ? port : tls ? 5061 : 5060);
	if (sl_addr_parse(spec, &ss, &sl, tp, err, sizeof(err)) < 0) {
		snprintf(text, sizeof(text), "peer %s: the connection from %s is gone and the Via "
			 "sent-by %s is a name: siploc's peers do not resolve names (RFC 3263 "
			 "section 5 would: A/AAAA with a port, else SRV); response dropped",
			 p->spec, remote, sb);
		goto note;
	}
	unsigned conn = 0;
	rc = sl_ptcp_connect(p->tcp, &ss, sl, tls, &conn, err, sizeof(err));
	if (rc < 0) {
		snprintf(text, sizeof(text), "peer %s: the connection from %s is gone; a new %s "
			 "connection to the Via sent-by %s failed: %s; response dropped", p->spec,
			 remote, tls ? "TLS" : "TCP", spec, err);
		goto note;
	}
	snprintf(text, sizeof(text), "peer %s: the connection from %s is gone; the response "
		 "goes over a new %s connection to the Via sent-by %s (RFC 3263 section 5)",
		 p->spec, remote, tls ? "TLS" : "TCP", spec);
	r->conn = conn;
	snprintf(remote, rlen, "%s", sl_ptcp_remote(p->tcp, conn));
note:
	sl_peer_note(p, text);
out:
	sl_sipmsg_free(m);
	return rc;
}

static void send_now(struct sl_peer *p, struct sl_route *r, char *remote, size_t rlen,
		     const char *data, size_t len)
{
	unsigned long long off = 0;
	int rc = 0;
	if (r->conn) {
		rc = sl_ptcp_send(p->tcp, r->conn, data, len, &off);
		if (rc == -ENOTCONN && reconnect(p, r, remote, rlen, data, len) == 0)
			rc = sl_ptcp_send(p->tcp, r->conn, data, len, &off);
		if (rc == 1)
			return;     /* logged when it goes out */
	} else if (sendto(p->fd, data, len, 0, (const void *)&r->sa, r->salen) < 0) {
		rc = -errno;
	}
	if (rc < 0) {
		if (rc == -ENOTCONN)
			return;     /* reconnect() said why */
		char t[512];
		snprintf(t, sizeof(t), "peer %s: send to %s failed: %s", p->spec, remote,
			 rc == -ENOTCONN ? "the connection is gone" : strerror(-rc));
		sl_peer_note(p, t);
		return;
	}
	log_sent(p, r->conn, remote, data, len, off);
}

/* Does the header block hdrs (lines "Name: value\r\n") hold a Contact (or m:)? */
static int has_contact(const char *hdrs)
{
	for (const char *l = hdrs; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		size_t n = strcspn(l, ":\r\n");
		while (n && (l[n - 1] == ' ' || l[n - 1] == '\t'))
			n--;
		if ((n == 7 && !strncasecmp(l, "Contact", 7)) || (n == 1 && (*l == 'm' || *l == 'M')))
			return 1;
	}
	return 0;
}

/* What a UAS puts in a 2xx to INVITE for a real UA to accept it (RFC 3261 12.1.1, 13.3.1.4:
 * a Contact; RFC 3264: the answer, or an offer when the INVITE had none): a Contact naming
 * this peer unless the scenario gave one, and an SDP body with the media inactive, so no
 * RTP flows. hdrs gets headers + Contact; body the SDP. */
static void dialog_parts(const struct sl_peer *p, const char *headers, char *hdrs, size_t hlen,
			 char *body, size_t blen)
{
	int tls = !strcmp(p->transport, "tls"), v6 = p->addr[0] == '[';
	char ip[SL_ADDRSTRLEN];
	snprintf(ip, sizeof(ip), "%s", p->addr + v6);
	char *end = v6 ? strchr(ip, ']') : strrchr(ip, ':');
	if (end)
		*end = 0;
	if (has_contact(headers))
		snprintf(hdrs, hlen, "%s", headers);
	else
		snprintf(hdrs, hlen, "%sContact: <%s:siploc@%s%s%s>\r\n", headers ? headers : "",
			 tls ? "sips" : "sip", p->addr, strcmp(p->transport, "tcp") ? "" : ";transport=",
			 strcmp(p->transport, "tcp") ? "" : "tcp");
	snprintf(body, blen,
		 "v=0\r\no=siploc 1 1 IN %s %s\r\ns=siploc\r\nc=IN %s %s\r\nt=0 0\r\n"
		 "m=audio 9 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
		 "a=inactive\r\n", v6 ? "IP6" : "IP4", ip, v6 ? "IP6" : "IP4", ip);
}

static void respond(struct txn *t, int code, const char *headers, int bare)
{
	struct sl_peer *p = t->p;
	char buf[8192], hdrs[2304], body[512];
	const char *ctype = NULL, *bp = NULL;
	if (code >= 200 && code < 300 && !strcmp(t->method, "INVITE") && !bare) {
		dialog_parts(p, headers, hdrs, sizeof(hdrs), body, sizeof(body));
		headers = hdrs;
		ctype = "application/sdp";
		bp = body;
	}
	int n = sl_sipmsg_build_response_body(t->req, code, NULL, t->to_tag, headers, ctype, bp,
					      buf, sizeof(buf));
	if (n < 0) {
		char e[512];
		snprintf(e, sizeof(e), "peer %s: cannot build a %d response: %s", p->spec, code,
			 strerror(-n));
		sl_peer_note(p, e);
		return;
	}
	char *copy = malloc((size_t)n);
	if (copy) {
		memcpy(copy, buf, (size_t)n);
		free(t->resp);
		t->resp = copy;
		t->resp_len = (size_t)n;
	}
	if (code >= 200)
		t->answered = 1;
	send_now(p, &t->route, t->remote, sizeof(t->remote), buf, (size_t)n);
}

/* An ICMP unreachable of kind for the datagram raw that came from sa (remote). */
static void forge_icmp_to(struct sl_peer *p, enum sl_icmp_kind kind,
			  const struct sockaddr_storage *sa, const char *remote, const char *raw,
			  size_t raw_len)
{
	unsigned char msg[1400];
	size_t n = sizeof(msg);
	static const char *const names[] = { "?", "port", "host", "net" };
	char text[512];
	int rc = sl_net_icmp_unreach(kind, (void *)&p->ss, (const void *)sa, raw, raw_len, msg,
				     &n);
	if (rc < 0) {
		snprintf(text, sizeof(text), "peer %s: cannot forge ICMP %s unreachable: %s",
			 p->spec, names[kind], strerror(-rc));
		sl_peer_note(p, text);
		return;
	}
	struct sl_event *e = sl_evlog_add(p->log, SL_EV_NOTE, sl_now_us());
	if (!e)
		return;
	/* ICMP carries no ports: the fingerprint's addresses end in :0. */
	struct sockaddr_storage a = p->ss, b = *sa;
	if (a.ss_family == AF_INET6) {
		((struct sockaddr_in6 *)&a)->sin6_port = 0;
		((struct sockaddr_in6 *)&b)->sin6_port = 0;
	} else {
		((struct sockaddr_in *)&a)->sin_port = 0;
		((struct sockaddr_in *)&b)->sin_port = 0;
	}
	char src[SL_ADDRSTRLEN], dst[SL_ADDRSTRLEN];
	sl_addr_fmt((void *)&a, src, sizeof(src));
	sl_addr_fmt((void *)&b, dst, sizeof(dst));
	snprintf(text, sizeof(text), "peer %s: ICMP %s unreachable to %s", p->spec, names[kind],
		 remote);
	sl_evlog_str(&e->text, text);
	sl_evlog_str(&e->transport, a.ss_family == AF_INET6 ? "icmpv6" : "icmp");
	sl_evlog_str(&e->client, remote);
	sl_evlog_str(&e->server, p->addr);
	sl_fp_set(&e->fp[0], a.ss_family == AF_INET6 ? 58 : 1, src, dst, msg, n);
}

static void forge_icmp(struct txn *t, enum sl_icmp_kind kind)
{
	forge_icmp_to(t->p, kind, &t->route.sa, t->remote, t->raw, t->raw_len);
}

static void on_step_timer(void *arg)
{
	struct txn *t = arg;
	t->timer = NULL;
	t->waited = 1;
	run_steps(t);
}

static void on_rtx_timer(void *arg)
{
	struct txn *t = arg;
	struct sl_peer *p = t->p;
	t->timer = NULL;
	if (!t->await_ack)
		return;
	if (t->rtx_total >= 64 * T1_S) {
		char text[512];
		snprintf(text, sizeof(text), "peer %s: no ACK for the 2xx to INVITE (Call-ID %s) "
			 "after %g s", p->spec, sl_sipmsg_call_id(t->req), 64 * T1_S);
		sl_peer_note(p, text);
		t->await_ack = 0;
		return;
	}
	send_now(p, &t->route, t->remote, sizeof(t->remote), t->resp, t->resp_len);
	t->rtx_total += t->rtx_s;
	t->rtx_s = t->rtx_s * 2 < T2_S ? t->rtx_s * 2 : T2_S;
	sl_timer_start(p->loop, sl_clock_wall_us(p->clk, t->rtx_s), on_rtx_timer, t, &t->timer);
}

/* Takes the plan's steps from t->step on, until one must wait or a final one ran. */
static void run_steps(struct txn *t)
{
	struct sl_peer *p = t->p;
	while (!t->done) {
		if (t->step >= t->plan.n) {
			t->done = 1;
			t->final = SL_B_SILENCE;
			return;
		}
		const struct sl_behaviour *b = &t->plan.step[t->step];
		if (b->delay_s > 0 && !t->waited) {
			sl_timer_start(p->loop, sl_clock_wall_us(p->clk, b->delay_s), on_step_timer,
				       t, &t->timer);
			return;
		}
		t->waited = 0;
		t->step++;
		switch (b->kind) {
		case SL_B_REPLY:
			respond(t, b->code, b->headers, b->bare);
			if (b->code < 200)
				continue;
			if (b->code < 300 && !strcmp(t->method, "INVITE")) {
				t->await_ack = 1;
				t->rtx_s = T1_S;
				if (!t->route.conn)
					sl_timer_start(p->loop, sl_clock_wall_us(p->clk, T1_S),
						       on_rtx_timer, t, &t->timer);
			}
			break;
		case SL_B_ICMP:
			forge_icmp(t, b->icmp);
			break;
		case SL_B_TCP_RESET:
		case SL_B_CLOSE: {
			char text[512];
			int reset = b->kind == SL_B_TCP_RESET;
			snprintf(text, sizeof(text), "peer %s: %s the connection from %s", p->spec,
				 reset ? "TCP reset of" : "close (FIN) of", t->remote);
			if (reset)
				sl_peer_note_rst(p, t->remote, text);
			else
				sl_peer_note(p, text);
			sl_ptcp_end(p->tcp, t->route.conn, reset);
			break;
		}
		case SL_B_SILENCE:
			break;
		}
		t->done = 1;
		t->final = b->kind;
	}
}

static const struct rule *find_rule(const struct sl_peer *p, const char *method, unsigned nth)
{
	const struct rule *def = NULL, *by_method = NULL;
	for (unsigned i = 0; i < p->nrules; i++) {
		const struct rule *r = &p->rules[i];
		if (r->nth) {
			if (r->nth == nth)
				return r;
		} else if (!r->method[0]) {
			def = r;
		} else if (!strcmp(r->method, method)) {
			by_method = r;
		}
	}
	return by_method ? by_method : def;
}

/* The INVITE a CANCEL speaks of gets its 487, if it has no final response yet. */
static void cancel_invite(struct sl_peer *p, const char *branch)
{
	struct txn *inv = find_txn(p, branch, "INVITE");
	/* Silence, ICMP or a closed connection leave nothing to cancel either. */
	if (!inv || inv->answered || (inv->done && inv->final != SL_B_SILENCE))
		return;
	if (inv->timer) {
		sl_timer_cancel(p->loop, inv->timer);
		inv->timer = NULL;
	}
	inv->done = 1;
	inv->final = SL_B_REPLY;
	respond(inv, 487, NULL, 1);
}

/* A 2xx ACK is its own transaction: matched to the INVITE by Call-ID, CSeq and To tag. */
static void ack_2xx(struct sl_peer *p, const struct sl_sipmsg *m)
{
	const char *cid = sl_sipmsg_call_id(m), *tag = sl_sipmsg_to_tag(m);
	for (unsigned i = 0; cid && i < p->ntxns; i++) {
		struct txn *t = &p->txns[i];
		if (t->used && t->await_ack && !strcmp(sl_sipmsg_call_id(t->req) ?
			sl_sipmsg_call_id(t->req) : "", cid) &&
		    sl_sipmsg_cseq_num(t->req) == sl_sipmsg_cseq_num(m) &&
		    (!tag || !strcmp(tag, t->to_tag))) {
			t->await_ack = 0;
			if (t->timer) {
				sl_timer_cancel(p->loop, t->timer);
				t->timer = NULL;
			}
		}
	}
}

/* Answers a request too broken to take part in a transaction, if it can be answered. */
static void bad_request(struct sl_peer *p, const struct sl_sipmsg *m, const struct sl_route *r,
			const char *remote, const char *why)
{
	char buf[4096], reason[120];
	snprintf(reason, sizeof(reason), "Bad Request (%s)", why);
	int n = sl_sipmsg_build_response(m, 400, reason, "sl400", NULL, buf, sizeof(buf));
	struct sl_route rr = *r;
	char rem[SL_ADDRSTRLEN];
	snprintf(rem, sizeof(rem), "%s", remote);
	if (n > 0 && sl_sipmsg_via_host(m))
		send_now(p, &rr, rem, sizeof(rem), buf, (size_t)n);
}

static void on_request(struct sl_peer *p, struct sl_sipmsg *m, const struct sl_route *r,
		       const char *remote, const char *data, size_t len)
{
	const char *method = sl_sipmsg_method(m);
	const char *branch = sl_sipmsg_via_branch(m);
	const char *missing = !sl_sipmsg_via_host(m) ? "no Via" :
			      !sl_sipmsg_call_id(m) ? "no Call-ID" :
			      !sl_sipmsg_cseq_method(m) ? "no CSeq" :
			      !sl_sipmsg_header(m, "From", 0) ? "no From" :
			      !sl_sipmsg_header(m, "To", 0) ? "no To" :
			      strcmp(sl_sipmsg_cseq_method(m), method) ? "CSeq method differs" : NULL;
	if (missing) {
		char t[512];
		snprintf(t, sizeof(t), "peer %s: bad request from %s: %s", p->spec, remote, missing);
		sl_peer_note(p, t);
		if (strcmp(method, "ACK"))
			bad_request(p, m, r, remote, missing);
		sl_sipmsg_free(m);
		return;
	}
	if (!branch)
		branch = "";
	struct txn *t = find_txn(p, branch, method);
	if (t) {
		/* Retransmission: the same answer again (or the same ICMP), or silence again. */
		struct sl_route rr = *r;
		char rem[SL_ADDRSTRLEN];
		snprintf(rem, sizeof(rem), "%s", remote);
		if (t->resp)
			send_now(p, &rr, rem, sizeof(rem), t->resp, t->resp_len);
		else if (t->done && t->final == SL_B_ICMP)
			forge_icmp(t, t->plan.step[t->step - 1].icmp);
		sl_sipmsg_free(m);
		return;
	}
	if (!strcmp(method, "ACK")) {
		/* A non-2xx ACK shares the INVITE's branch and ends nothing we keep alive. */
		ack_2xx(p, m);
		sl_sipmsg_free(m);
		return;
	}
	t = txn_alloc(p);
	if (!t) {
		sl_peer_note(p, "peer: too many open transactions; request dropped");
		sl_sipmsg_free(m);
		return;
	}
	t->used = 1;
	t->p = p;
	t->req = m;
	t->branch = strdup(branch);
	t->raw = malloc(len ? len : 1);
	if (!t->branch || !t->raw) {
		txn_clear(t);
		return;
	}
	memcpy(t->raw, data, len);
	t->raw_len = len;
	unsigned bk = bucket(branch, method);
	t->next = p->buckets[bk];
	p->buckets[bk] = (unsigned)(t - p->txns) + 1;
	t->route = *r;
	snprintf(t->remote, sizeof(t->remote), "%s", remote);
	snprintf(t->method, sizeof(t->method), "%s", method);
	snprintf(t->to_tag, sizeof(t->to_tag), "sl%u", ++p->tag_seq);
	if (!strcmp(method, "CANCEL")) {
		t->done = 1;
		t->final = SL_B_REPLY;
		respond(t, 200, NULL, 0);
		cancel_invite(p, branch);
		return;
	}
	unsigned nth = ++p->nreq;
	struct sl_plan pl;
	int have = 0;
	if (p->handler) {
		struct sl_peer_req q = {
			.method = method, .uri = sl_sipmsg_uri(m), .branch = branch,
			.transport = p->transport, .source = remote, .call_id = sl_sipmsg_call_id(m),
			.raw = data, .raw_len = len, .nth = nth,
		};
		memset(&pl, 0, sizeof(pl));
		have = p->handler(p->handler_arg, &q, &pl);
		char err[200];
		if (have && sl_plan_check(&pl, p->transport, err, sizeof(err)) < 0) {
			char text[512];
			snprintf(text, sizeof(text), "peer %s: on_request: %s; request left unanswered",
				 p->spec, err);
			sl_peer_note(p, text);
			pl.n = 0;
		}
	}
	if (!have) {
		const struct rule *rl = find_rule(p, method, nth);
		if (rl) {
			pl = rl->plan;
		} else {
			memset(&pl, 0, sizeof(pl));
			pl.n = 1;
			pl.step[0] = (struct sl_behaviour){ .kind = SL_B_REPLY, .code = 200 };
		}
	}
	if (plan_copy(&t->plan, t->hdrs, &pl) < 0) {
		sl_peer_note(p, "peer: out of memory; request left unanswered");
		t->done = 1;
		return;
	}
	run_steps(t);
}

void sl_peer_input(struct sl_peer *p, const struct sl_route *r, const char *data, size_t len,
		   unsigned long long off)
{
	char remote[SL_ADDRSTRLEN], err[160];
	if (r->conn)
		snprintf(remote, sizeof(remote), "%s", sl_ptcp_remote(p->tcp, r->conn));
	else
		sl_addr_fmt((const void *)&r->sa, remote, sizeof(remote));
	struct sl_sipmsg *m = NULL;
	if (sl_sipmsg_parse(data, len, &m, err, sizeof(err)) < 0) {
		sl_peer_malformed(p, remote, data, len, off, err);
		return;
	}
	log_msg(p, SL_EV_SIP_RX, m, remote, data, len, off, NULL, r->conn);
	if (p->down && !r->conn) {
		/* Unreachable: whatever arrives (a request or a response) bounces. */
		sl_evlog_get(p->log, sl_evlog_count(p->log) - 1)->bounced = 1;
		forge_icmp_to(p, p->down, &r->sa, remote, data, len);
		sl_sipmsg_free(m);
		if (p->down_left && --p->down_left == 0) {
			char err[160];
			sl_peer_set_down(p, 0, 0, err, sizeof(err));
		}
		return;
	}
	/* Responses to a peer are not expected in client scenarios; logged only. */
	if (sl_sipmsg_is_request(m))
		on_request(p, m, r, remote, data, len);
	else
		sl_sipmsg_free(m);
}

static void on_readable(int fd, unsigned ev, void *arg)
{
	(void)ev;
	struct sl_peer *p = arg;
	static char buf[65536];
	/* Several datagrams per wakeup: fewer epoll rounds under load. */
	for (int k = 0; k < 64; k++) {
		struct sl_route r = { .conn = 0, .salen = sizeof(r.sa) };
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (void *)&r.sa, &r.salen);
		if (n < 0)
			return;
		sl_peer_input(p, &r, buf, (size_t)n, 0);
	}
}

int sl_peer_new(struct sl_peer **pp, struct sl_loop *loop, struct sl_evlog *log,
		const struct sl_clock *clk, const char *spec, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t slen;
	char tp[8];
	int rc = sl_addr_parse(spec, &ss, &slen, tp, err, errlen);
	if (rc < 0)
		return rc;
	if (!sl_net_test_addr((void *)&ss)) {
		snprintf(err, errlen, "peer %s: peers live on 127.0.0.0/8, ::1 or fd00::/64 only",
			 spec);
		return -EINVAL;
	}
	rc = sl_net_add_ula((void *)&ss, err, errlen);
	if (rc < 0)
		return rc;
	struct sl_peer *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->fd = -1;
	p->loop = loop;
	p->log = log;
	p->clk = clk;
	p->ss = ss;
	p->slen = slen;
	snprintf(p->transport, sizeof(p->transport), "%s", tp);
	sl_addr_fmt((void *)&ss, p->addr, sizeof(p->addr));
	snprintf(p->spec, sizeof(p->spec), "%s/%s", p->addr, tp);
	p->txns = calloc(MAX_TXNS, sizeof(*p->txns));
	if (!p->txns) {
		rc = -ENOMEM;
		goto fail;
	}
	if (strcmp(tp, "udp")) {
		rc = sl_ptcp_new(&p->tcp, p, loop, &ss, slen, !strcmp(tp, "tls"), err, errlen);
		if (rc < 0)
			goto fail;
		*pp = p;
		return 0;
	}
	p->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "peer %s: socket: %s", spec, strerror(errno));
		goto fail;
	}
	int one = 1, rcvbuf = 1 << 20;
	setsockopt(p->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* Bursts (benchmarks, many parallel calls) must not overflow the default buffer. */
	setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(p->fd, (void *)&ss, slen) < 0) {
		rc = -errno;
		snprintf(err, errlen, "peer %s: bind: %s", spec, strerror(errno));
		goto fail;
	}
	rc = sl_loop_fd_add(loop, p->fd, SL_EV_IN, on_readable, p);
	if (rc < 0) {
		snprintf(err, errlen, "peer %s: %s", spec, strerror(-rc));
		goto fail;
	}
	*pp = p;
	return 0;
fail:
	if (p->fd >= 0)
		close(p->fd);
	free(p->txns);
	free(p);
	return rc;
}

void sl_peer_free(struct sl_peer *p)
{
	if (!p)
		return;
	if (p->fd >= 0) {
		sl_loop_fd_del(p->loop, p->fd);
		close(p->fd);
	}
	sl_ptcp_free(p->tcp);
	for (unsigned i = 0; i < p->ntxns; i++)
		if (p->txns[i].used)
			txn_clear(&p->txns[i]);
	free(p->txns);
	for (unsigned i = 0; i < p->nrules; i++)
		plan_free(&p->rules[i].plan, p->rules[i].hdrs);
	free(p);
}

int sl_plan_check(const struct sl_plan *pl, const char *transport, char *err, size_t errlen)
{
	int udp = !strcmp(transport, "udp");
	if (pl->n > SL_PLAN_MAX) {
		snprintf(err, errlen, "more than %d steps", SL_PLAN_MAX);
		return -EINVAL;
	}
	for (unsigned i = 0; i < pl->n; i++) {
		const struct sl_behaviour *b = &pl->step[i];
		int final = b->kind != SL_B_REPLY || b->code >= 200;
		if (final && i + 1 < pl->n) {
			snprintf(err, errlen, "step %u ends the request; nothing can follow it", i + 1);
			return -EINVAL;
		}
		if (b->kind == SL_B_REPLY && (b->code < 100 || b->code > 699)) {
			snprintf(err, errlen, "step %u: status %d is not 100..699", i + 1, b->code);
			return -EINVAL;
		}
		if (b->kind == SL_B_ICMP && !udp) {
			snprintf(err, errlen, "step %u: icmp() fits udp peers only (use tcp_reset(), "
				 "tcp_refuse() or drop_syn() for %s)", i + 1, transport);
			return -EINVAL;
		}
		if ((b->kind == SL_B_TCP_RESET || b->kind == SL_B_CLOSE) && udp) {
			snprintf(err, errlen, "step %u: %s fits tcp/tls peers only", i + 1,
				 b->kind == SL_B_CLOSE ? "close_before_response()" : "tcp_reset()");
			return -EINVAL;
		}
		if (b->delay_s < 0) {
			snprintf(err, errlen, "step %u: delay must be >= 0", i + 1);
			return -EINVAL;
		}
	}
	return 0;
}

int sl_peer_plan(struct sl_peer *p, const char *method, unsigned nth, const struct sl_plan *pl,
		 char *err, size_t errlen)
{
	int rc = sl_plan_check(pl, p->transport, err, errlen);
	if (rc < 0)
		return rc;
	const char *m = method ? method : "";
	struct rule *r = NULL;
	for (unsigned i = 0; i < p->nrules; i++)
		if (p->rules[i].nth == nth && !strcmp(p->rules[i].method, nth ? "" : m))
			r = &p->rules[i];
	if (!r) {
		if (p->nrules == MAX_RULES) {
			snprintf(err, errlen, "more than %d rules on one peer", MAX_RULES);
			return -ENOSPC;
		}
		r = &p->rules[p->nrules++];
	}
	snprintf(r->method, sizeof(r->method), "%s", nth ? "" : m);
	r->nth = nth;
	rc = plan_copy(&r->plan, r->hdrs, pl);
	if (rc < 0)
		snprintf(err, errlen, "out of memory");
	return rc;
}

int sl_peer_on(struct sl_peer *p, const char *method, const struct sl_behaviour *b)
{
	struct sl_plan pl = { .n = 1 };
	pl.step[0] = *b;
	char err[160];
	return sl_peer_plan(p, method, 0, &pl, err, sizeof(err));
}

void sl_peer_set_tls(struct sl_peer *p, struct sl_tls_id *id, struct sl_tls *tls)
{
	if (p->tcp)
		sl_ptcp_set_tls(p->tcp, id, tls);
}

void sl_peer_set_handler(struct sl_peer *p, sl_peer_handler fn, void *arg)
{
	p->handler = fn;
	p->handler_arg = arg;
}

int sl_peer_mode(struct sl_peer *p, enum sl_peer_mode mode, char *err, size_t errlen)
{
	if (!p->tcp) {
		snprintf(err, errlen, "peer %s: tcp_refuse() and drop_syn() fit tcp/tls peers only "
			 "(a udp port without a peer already answers ICMP port unreachable)", p->spec);
		return -EINVAL;
	}
	int rc = 0;
	char text[512];
	if (mode == SL_PEER_REFUSE) {
		rc = sl_ptcp_listen(p->tcp, 0, err, errlen);
		snprintf(text, sizeof(text), "peer %s: refuses connections (RST to every SYN)",
			 p->spec);
	} else if (mode == SL_PEER_DROP_SYN) {
		rc = sl_net_drop_syn((void *)&p->ss, err, errlen);
		snprintf(text, sizeof(text), "peer %s: SYNs dropped (nft)", p->spec);
	} else {
		rc = sl_ptcp_listen(p->tcp, 1, err, errlen);
		snprintf(text, sizeof(text), "peer %s: listening", p->spec);
	}
	if (rc == 0) {
		p->mode = mode;
		sl_peer_note(p, text);
	}
	return rc;
}

int sl_peer_set_down(struct sl_peer *p, enum sl_icmp_kind kind, unsigned bounces, char *err,
		     size_t errlen)
{
	char text[512];
	static const char *const names[] = { "reachable again", "port", "host", "net" };
	if (p->tcp) {
		int rc = sl_peer_mode(p, kind ? SL_PEER_REFUSE : SL_PEER_LISTEN, err, errlen);
		if (rc < 0)
			return rc;
	}
	p->down = kind;
	p->down_left = kind ? bounces : 0;
	if (kind)
		snprintf(text, sizeof(text), "peer %s: unreachable (%s)", p->spec,
			 p->tcp ? "connections refused" : names[kind]);
	else
		snprintf(text, sizeof(text), "peer %s: %s", p->spec, names[0]);
	sl_peer_note(p, text);
	return 0;
}

void sl_peer_finish(struct sl_peer *p)
{
	for (unsigned i = 0; i < p->ntxns; i++) {
		struct txn *t = &p->txns[i];
		if (!t->used || !t->await_ack)
			continue;
		char text[512];
		snprintf(text, sizeof(text), "peer %s: no ACK for the 2xx to INVITE (Call-ID %s) "
			 "by the end of the scenario", p->spec, sl_sipmsg_call_id(t->req));
		sl_peer_note(p, text);
		t->await_ack = 0;
		if (t->timer) {
			sl_timer_cancel(p->loop, t->timer);
			t->timer = NULL;
		}
	}
}

const char *sl_peer_spec(const struct sl_peer *p)
{
	return p->spec;
}

const char *sl_peer_addr(const struct sl_peer *p)
{
	return p->addr;
}

const char *sl_peer_transport(const struct sl_peer *p)
{
	return p->transport;
}
