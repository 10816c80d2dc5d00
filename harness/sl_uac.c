/* sl_uac.c: the harness UAC behind inject{}: sources, client transactions, the event log
 * both ways (see sl_uac.h). */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sl_addr.h"
#include "sl_clock.h"
#include "sl_evlog.h"
#include "sl_loop.h"
#include "sl_netfault.h"
#include "sl_sipmsg.h"
#include "sl_uac.h"
#include "sl_uac_stream.h"

#define MAX_EPS 16
#define MAX_TXNS 256
#define MAX_STREAMS 64
#define POLL_US 2000   /* how often the log is read for responses, in wall time */
#define T2_S 4.0

struct ep {
	char spec[96];
	char addr[SL_ADDRSTRLEN];
	char tp[8];                 /* "udp", "tcp", "tls" */
	struct sockaddr_storage ss;
	socklen_t slen;
	int fd;                     /* udp; -1 for streams (they connect from a new port) */
	int gone;
	struct sl_ustream *cur;     /* streams: the connection new transactions use */
	struct sl_uac *u;
};

struct utx {
	unsigned id;
	struct ep *ep;
	char method[32];
	char *uri;
	char via[320];              /* "SIP/2.0/UDP host:port" without branch */
	char from_host[272];
	char *headers;
	char branch[64], call_id[96], from_tag[24], to_tag[128];
	unsigned long cseq;
	char *msg;
	size_t len;
	struct sockaddr_storage to;
	socklen_t tolen;
	char to_addr[SL_ADDRSTRLEN];
	enum sl_uac_rtx rtx;
	unsigned rtx_left;
	struct sl_ustream *stream;  /* streams: the connection the request went on */
	int leave;                  /* streams: the client leaves right after the request */
	char rtx_after[SL_ADDRSTRLEN];  /* "" or the peer address the retransmissions wait for */
	char rtx_after_tp[8];
	double interval_s;
	int auto_ack, acked, done, invite;
	uint64_t start_us, timeout_us;
	size_t scan_from;
	struct sl_uac_outcome out;
	struct sl_timer *timer;
};

struct sl_uac {
	struct sl_loop *loop;
	struct sl_evlog *log;
	const struct sl_clock *clk;
	double t1_s;
	unsigned seed;
	struct ep eps[MAX_EPS];
	size_t neps;
	struct utx *tx[MAX_TXNS];
	size_t ntx;
	struct sl_ustream *streams[MAX_STREAMS];
	size_t nstreams;
	struct sl_tls *tls;         /* the scenario's, for /tls sources; NULL: none */
	struct sl_timer *poll;
};

static struct utx *get(const struct sl_uac *u, unsigned id)
{
	return id >= 1 && id <= u->ntx ? u->tx[id - 1] : NULL;
}

/* A message at the harness UAC: local is its end ("127.0.0.5:5070" for udp, the
 * connection's own port for streams), off the stream offset (streams only). */
static struct sl_event *log_msg(struct sl_uac *u, enum sl_ev_kind kind, const char *tp,
				const char *local, const char *remote, const char *data,
				size_t len, const unsigned long long *off, const char *why)
{
	struct sl_sipmsg *m = NULL;
	char err[160];
	struct sl_event *e = sl_evlog_add(u->log, kind, sl_now_us());
	if (!e)
		return NULL;
	int proto = strcmp(tp, "udp") ? 6 : 17;
	sl_evlog_str(&e->transport, tp);
	sl_evlog_str(&e->client, remote);
	sl_evlog_str(&e->server, local);
	if (kind == SL_EV_SIP_RX)
		sl_fp_set(&e->fp[0], proto, remote, local, data, len);
	else
		sl_fp_set(&e->fp[0], proto, local, remote, data, len);
	if (off) {
		e->fp[0].has_off = 1;
		e->fp[0].off = *off;
	}
	if (why || sl_sipmsg_parse(data, len, &m, err, sizeof(err)) < 0) {
		char t[300];
		snprintf(t, sizeof(t), "malformed SIP from %s at the harness UAC %s/%s: %s", remote,
			 local, tp, why ? why : err);
		sl_evlog_str(&e->text, t);
		return e;
	}
	if (sl_sipmsg_is_request(m)) {
		sl_evlog_str(&e->method, sl_sipmsg_method(m));
		sl_evlog_str(&e->uri, sl_sipmsg_uri(m));
	} else {
		e->status = sl_sipmsg_status(m);
	}
	sl_evlog_str(&e->call_id, sl_sipmsg_call_id(m));
	sl_evlog_str(&e->branch, sl_sipmsg_via_branch(m));
	sl_evlog_str(&e->cseq_method, sl_sipmsg_cseq_method(m));
	sl_evlog_str(&e->from_tag, sl_sipmsg_from_tag(m));
	sl_evlog_str(&e->to_tag, sl_sipmsg_to_tag(m));
	sl_evlog_str(&e->via_transport, sl_sipmsg_via_transport(m));
	e->cseq = sl_sipmsg_cseq_num(m);
	sl_sipmsg_free(m);
	return e;
}

static void log_sip(struct sl_uac *u, enum sl_ev_kind kind, struct ep *ep, const char *remote,
		    const char *data, size_t len)
{
	log_msg(u, kind, "udp", ep->addr, remote, data, len, NULL, NULL);
}

static void note(struct sl_uac *u, const char *text)
{
	struct sl_event *e = sl_evlog_add(u->log, SL_EV_NOTE, sl_now_us());
	if (e)
		sl_evlog_str(&e->text, text);
}

/* The ICMP port unreachable a host sends for a datagram to a port nobody listens on. */
static void bounce(struct sl_uac *u, struct ep *ep, const struct sockaddr_storage *src,
		   const char *remote, const char *data, size_t len)
{
	unsigned char msg[1400];
	size_t n = sizeof(msg);
	char text[300];
	if (sl_net_icmp_unreach(SL_ICMP_PORT, (void *)&ep->ss, (const void *)src, data, len, msg,
				&n) < 0) {
		snprintf(text, sizeof(text), "harness UAC %s: cannot forge ICMP port unreachable",
			 ep->addr);
		note(u, text);
		return;
	}
	struct sl_event *e = sl_evlog_add(u->log, SL_EV_NOTE, sl_now_us());
	if (!e)
		return;
	struct sockaddr_storage a = ep->ss, b = *src;
	if (a.ss_family == AF_INET6) {
		((struct sockaddr_in6 *)&a)->sin6_port = 0;
		((struct sockaddr_in6 *)&b)->sin6_port = 0;
	} else {
		((struct sockaddr_in *)&a)->sin_port = 0;
		((struct sockaddr_in *)&b)->sin_port = 0;
	}
	char sa[SL_ADDRSTRLEN], da[SL_ADDRSTRLEN];
	sl_addr_fmt((void *)&a, sa, sizeof(sa));
	sl_addr_fmt((void *)&b, da, sizeof(da));
	snprintf(text, sizeof(text), "harness UAC %s is gone: ICMP port unreachable to %s",
		 ep->addr, remote);
	sl_evlog_str(&e->text, text);
	sl_evlog_str(&e->transport, a.ss_family == AF_INET6 ? "icmpv6" : "icmp");
	sl_evlog_str(&e->client, remote);
	sl_evlog_str(&e->server, ep->addr);
	sl_fp_set(&e->fp[0], a.ss_family == AF_INET6 ? 58 : 1, sa, da, msg, n);
}

static void on_readable(int fd, unsigned ev, void *arg)
{
	(void)ev;
	struct ep *ep = arg;
	static char buf[65536];
	for (int k = 0; k < 64; k++) {
		struct sockaddr_storage src;
		socklen_t sl = sizeof(src);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (void *)&src, &sl);
		if (n < 0)
			return;
		char remote[SL_ADDRSTRLEN];
		sl_addr_fmt((void *)&src, remote, sizeof(remote));
		log_sip(ep->u, SL_EV_SIP_RX, ep, remote, buf, (size_t)n);
		if (ep->gone) {
			sl_evlog_get(ep->u->log, sl_evlog_count(ep->u->log) - 1)->bounced = 1;
			bounce(ep->u, ep, &src, remote, buf, (size_t)n);
		}
	}
}

static struct ep *endpoint(struct sl_uac *u, const char *spec, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t slen;
	char tp[8];
	if (sl_addr_parse(spec, &ss, &slen, tp, err, errlen) < 0)
		return NULL;
	if (strcmp(tp, "udp") && strcmp(tp, "tcp") && strcmp(tp, "tls")) {
		snprintf(err, errlen, "inject from %s: sources are udp, tcp or tls", spec);
		return NULL;
	}
	if (!strcmp(tp, "tls") && !u->tls) {
		snprintf(err, errlen, "inject from %s: the scenario has no TLS (declare needs = "
			 "{ \"tls\" })", spec);
		return NULL;
	}
	if (!sl_net_test_addr((void *)&ss)) {
		snprintf(err, errlen, "inject from %s: sources live on 127.0.0.0/8, ::1 or "
			 "fd00::/64 only", spec);
		return NULL;
	}
	char addr[SL_ADDRSTRLEN], norm[96];
	sl_addr_fmt((void *)&ss, addr, sizeof(addr));
	snprintf(norm, sizeof(norm), "%s/%s", addr, tp);
	for (size_t i = 0; i < u->neps; i++)
		if (!strcmp(u->eps[i].spec, norm))
			return &u->eps[i];
	if (u->neps == MAX_EPS) {
		snprintf(err, errlen, "more than %d inject sources", MAX_EPS);
		return NULL;
	}
	if (sl_net_add_ula((void *)&ss, err, errlen) < 0)
		return NULL;
	if (strcmp(tp, "udp")) {
		/* A stream source binds nothing here: each connection gets its own port, and
		 * the sent-by port stays free for a peer (a new connection, RFC 3263 5). */
		struct ep *ep = &u->eps[u->neps++];
		*ep = (struct ep){ .ss = ss, .slen = slen, .fd = -1, .u = u };
		snprintf(ep->addr, sizeof(ep->addr), "%s", addr);
		snprintf(ep->spec, sizeof(ep->spec), "%s", norm);
		snprintf(ep->tp, sizeof(ep->tp), "%s", tp);
		return ep;
	}
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "inject from %s: socket: %s", spec, strerror(errno));
		return NULL;
	}
	/* No SO_REUSEADDR: a peer already bound there makes this fail, not share the port. */
	if (bind(fd, (void *)&ss, slen) < 0) {
		snprintf(err, errlen, "inject from %s: bind: %s%s", spec, strerror(errno),
			 errno == EADDRINUSE ? " (a peer is declared there?)" : "");
		close(fd);
		return NULL;
	}
	struct ep *ep = &u->eps[u->neps];
	*ep = (struct ep){ .ss = ss, .slen = slen, .fd = fd, .u = u };
	snprintf(ep->addr, sizeof(ep->addr), "%s", addr);
	snprintf(ep->spec, sizeof(ep->spec), "%s/udp", addr);
	snprintf(ep->tp, sizeof(ep->tp), "udp");
	if (sl_loop_fd_add(u->loop, fd, SL_EV_IN, on_readable, ep) < 0) {
		snprintf(err, errlen, "inject from %s: cannot watch the socket", spec);
		close(fd);
		return NULL;
	}
	u->neps++;
	return ep;
}

/* The request text of t with method / branch / To tag; malloc'ed. */
static char *build(const struct utx *t, const char *method, const char *branch,
		   const char *to_tag, size_t *len)
{
	char *s = NULL;
	int n = asprintf(&s,
		"%s %s SIP/2.0\r\n"
		"Via: %s;branch=%s\r\n"
		"Max-Forwards: 70\r\n"
		"From: <sip:siploc@%s>;tag=%s\r\n"
		"To: <%s>%s%s\r\n"
		"Call-ID: %s\r\n"
		"CSeq: %lu %s\r\n"
		"Contact: <sip:siploc@%s>\r\n"
		"%s"
		"User-Agent: siploc-uac\r\n"
		"Content-Length: 0\r\n\r\n",
		method, t->uri, t->via, branch, t->from_host, t->from_tag, t->uri,
		to_tag && to_tag[0] ? ";tag=" : "", to_tag ? to_tag : "", t->call_id, t->cseq,
		method, t->from_host, t->headers ? t->headers : "");
	if (n < 0)
		return NULL;
	*len = (size_t)n;
	return s;
}

static void st_sent(void *arg, struct sl_ustream *s, const char *data, size_t len,
		    unsigned long long off)
{
	struct ep *ep = arg;
	log_msg(ep->u, SL_EV_SIP_TX, sl_ustream_transport(s), sl_ustream_local(s),
		sl_ustream_remote(s), data, len, &off, NULL);
}

static void st_received(void *arg, struct sl_ustream *s, const char *data, size_t len,
			unsigned long long off, int gone, const char *why)
{
	struct ep *ep = arg;
	struct sl_event *e = log_msg(ep->u, SL_EV_SIP_RX, sl_ustream_transport(s),
				     sl_ustream_local(s), sl_ustream_remote(s), data, len, &off,
				     why);
	if (e && gone)
		e->bounced = 1; /* at a client that is gone: not delivered */
}

static void st_note(void *arg, struct sl_ustream *s, const char *text)
{
	struct ep *ep = arg;
	char t[800];
	(void)s;
	snprintf(t, sizeof(t), "harness UAC %s: %s", ep->spec, text);
	note(ep->u, t);
}

/* The connection for t's request: the source's current one, else a new one. */
static struct sl_ustream *stream_for(struct sl_uac *u, struct utx *t)
{
	static const struct sl_ustream_ops ops_tmpl = { st_sent, st_received, st_note, NULL };
	struct ep *ep = t->ep;
	if (t->stream)
		return t->stream;
	if (sl_ustream_usable(ep->cur))
		return t->stream = ep->cur;
	char err[300], text[420];
	if (u->nstreams == MAX_STREAMS) {
		snprintf(text, sizeof(text), "harness UAC %s: more than %d connections", ep->spec,
			 MAX_STREAMS);
		note(u, text);
		return NULL;
	}
	struct sl_ustream_ops ops = ops_tmpl;
	ops.arg = ep;
	struct sl_ustream *s = NULL;
	if (sl_ustream_open(&s, u->loop, strcmp(ep->tp, "tls") ? NULL : u->tls, &ep->ss, &t->to,
			    t->tolen, &ops, err, sizeof(err)) < 0) {
		snprintf(text, sizeof(text), "harness UAC %s: %s", ep->spec, err);
		note(u, text);
		return NULL;
	}
	u->streams[u->nstreams++] = s;
	return ep->cur = t->stream = s;
}

static void transmit(struct sl_uac *u, struct utx *t, const char *msg, size_t len)
{
	if (t->ep->fd < 0) {
		/* Streams: logged when it goes out (after the connect and the handshake). */
		struct sl_ustream *s = stream_for(u, t);
		int leave = t->leave;
		t->leave = 0;
		if (s && sl_ustream_send(s, msg, len, leave) < 0) {
			char text[300];
			snprintf(text, sizeof(text), "harness UAC %s: the connection to %s is closed: "
				 "%s not sent", t->ep->spec, t->to_addr, t->method);
			note(u, text);
		}
		return;
	}
	if (sendto(t->ep->fd, msg, len, 0, (void *)&t->to, t->tolen) < 0) {
		char text[300];
		snprintf(text, sizeof(text), "harness UAC %s: send to %s failed: %s", t->ep->addr,
			 t->to_addr, strerror(errno));
		note(u, text);
		return;
	}
	log_sip(u, SL_EV_SIP_TX, t->ep, t->to_addr, msg, len);
}

static void send_ack(struct sl_uac *u, struct utx *t)
{
	char br[80];
	size_t len;
	const char *branch = t->branch;
	if (t->out.status < 300) { /* a 2xx ACK is a transaction of its own */
		snprintf(br, sizeof(br), "%s-ack", t->branch);
		branch = br;
	}
	char *m = build(t, "ACK", branch, t->to_tag, &len);
	if (!m)
		return;
	transmit(u, t, m, len);
	free(m);
	t->acked = 1;
}

static void stop_rtx(struct sl_uac *u, struct utx *t)
{
	if (t->timer) {
		sl_timer_cancel(u->loop, t->timer);
		t->timer = NULL;
	}
}

static void on_rtx(void *arg);

/* A copy of t's request (forwarded: any branch) delivered at the peer rtx_after names. */
static int reached_after(const struct utx *t, const struct sl_event *e)
{
	return e->kind == SL_EV_SIP_RX && e->method && !e->bounced && !e->text &&
	       !strcmp(e->method, t->method) && e->call_id && !strcmp(e->call_id, t->call_id) &&
	       e->cseq == t->cseq && e->server && !strcmp(e->server, t->rtx_after) &&
	       e->transport && !strcmp(e->transport, t->rtx_after_tp);
}

/* Reads the log for t's responses: wherever they arrived, they carry t's branch. */
static void scan(struct sl_uac *u, struct utx *t)
{
	size_t n = sl_evlog_count(u->log);
	for (; t->scan_from < n; t->scan_from++) {
		const struct sl_event *e = sl_evlog_get(u->log, t->scan_from);
		if (t->rtx_after[0] && !t->done && reached_after(t, e)) {
			char text[300];
			snprintf(text, sizeof(text), "harness UAC %s: %s reached %s/%s: its "
				 "retransmissions start now", t->ep->addr, t->method, t->rtx_after,
				 t->rtx_after_tp);
			t->rtx_after[0] = 0;
			note(u, text);
			sl_timer_start(u->loop, sl_clock_wall_us(u->clk, t->interval_s), on_rtx, t,
				       &t->timer);
		}
		if (e->kind != SL_EV_SIP_RX || !e->status || e->method || !e->branch || e->bounced ||
		    strcmp(e->branch, t->branch) || !e->cseq_method ||
		    strcmp(e->cseq_method, t->method) || t->out.status)
			continue;
		if (e->status < 200) {
			if (e->status > t->out.provisional)
				t->out.provisional = e->status;
			continue;
		}
		t->out.status = e->status;
		t->out.final_ev = e->idx;
		snprintf(t->out.at, sizeof(t->out.at), "%s/%s", e->server, e->transport);
		snprintf(t->to_tag, sizeof(t->to_tag), "%s", e->to_tag ? e->to_tag : "");
		t->done = 1;
		stop_rtx(u, t);
		if (t->invite && e->status >= 300 && t->auto_ack)
			send_ack(u, t);
	}
	if (!t->done && sl_now_us() - t->start_us >= t->timeout_us) {
		t->done = 1;
		t->out.given_up = 1;
		stop_rtx(u, t);
	}
}

static void on_poll(void *arg)
{
	struct sl_uac *u = arg;
	int active = 0;
	u->poll = NULL;
	for (size_t i = 0; i < u->ntx; i++)
		if (!u->tx[i]->done) {
			scan(u, u->tx[i]);
			active |= !u->tx[i]->done;
		}
	if (active)
		sl_timer_start(u->loop, POLL_US, on_poll, u, &u->poll);
}

static void arm_poll(struct sl_uac *u)
{
	if (!u->poll)
		sl_timer_start(u->loop, POLL_US, on_poll, u, &u->poll);
}

static void on_rtx(void *arg)
{
	struct utx *t = arg;
	struct sl_uac *u = t->ep->u;
	t->timer = NULL;
	scan(u, t);
	if (t->done)
		return;
	if (t->rtx == SL_RTX_RFC3261) {
		if (t->invite && t->out.provisional)
			return; /* timer A stops at a provisional (RFC 3261 17.1.1.2) */
		transmit(u, t, t->msg, t->len);
		t->out.sent++;
		if (!t->invite && t->out.provisional)
			t->interval_s = T2_S;
		else
			t->interval_s = t->invite || t->interval_s * 2 < T2_S ? t->interval_s * 2 : T2_S;
	} else {
		if (!t->rtx_left)
			return;
		t->rtx_left--;
		transmit(u, t, t->msg, t->len);
		t->out.sent++;
		if (!t->rtx_left)
			return;
	}
	sl_timer_start(u->loop, sl_clock_wall_us(u->clk, t->interval_s), on_rtx, t, &t->timer);
}

static int start(struct sl_uac *u, struct utx *t)
{
	t->msg = build(t, t->method, t->branch, NULL, &t->len);
	if (!t->msg)
		return -ENOMEM;
	t->start_us = sl_now_us();
	t->scan_from = sl_evlog_count(u->log);
	transmit(u, t, t->msg, t->len);
	t->out.sent = 1;
	if (t->rtx != SL_RTX_NONE && (t->rtx != SL_RTX_FIXED || t->rtx_left) && !t->rtx_after[0] &&
	    !(t->rtx == SL_RTX_RFC3261 && t->ep->fd < 0))
		sl_timer_start(u->loop, sl_clock_wall_us(u->clk, t->interval_s), on_rtx, t,
			       &t->timer);
	arm_poll(u);
	return 0;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	return h * 0x100000001b3ULL;
}

static struct utx *new_tx(struct sl_uac *u, char *err, size_t errlen)
{
	if (u->ntx == MAX_TXNS) {
		snprintf(err, errlen, "more than %d injected transactions", MAX_TXNS);
		return NULL;
	}
	struct utx *t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	u->tx[u->ntx++] = t;
	t->id = (unsigned)u->ntx;
	return t;
}

int sl_uac_send(struct sl_uac *u, const struct sl_uac_req *r, unsigned *id, char *err,
		size_t errlen)
{
	struct ep *ep = endpoint(u, r->from, err, errlen);
	if (!ep)
		return -EINVAL;
	char tp[8];
	struct sockaddr_storage to;
	socklen_t tolen;
	if (sl_addr_parse(r->to, &to, &tolen, tp, err, errlen) < 0)
		return -EINVAL;
	if (strcmp(tp, ep->tp)) {
		snprintf(err, errlen, "inject from %s to %s: one transport end to end", ep->spec,
			 r->to);
		return -EINVAL;
	}
	char after[SL_ADDRSTRLEN] = "", after_tp[8] = "";
	if (r->rtx_after) {
		struct sockaddr_storage as;
		socklen_t alen;
		if (sl_addr_parse(r->rtx_after, &as, &alen, after_tp, err, errlen) < 0)
			return -EINVAL;
		sl_addr_fmt((void *)&as, after, sizeof(after));
	}
	struct utx *t = new_tx(u, err, errlen);
	if (!t)
		return -ENOSPC;
	t->ep = ep;
	t->to = to;
	t->tolen = tolen;
	sl_addr_fmt((void *)&to, t->to_addr, sizeof(t->to_addr));
	snprintf(t->method, sizeof(t->method), "%s", r->method);
	t->invite = !strcmp(r->method, "INVITE");
	t->uri = strdup(r->uri);
	t->headers = r->headers ? strdup(r->headers) : NULL;
	if (!t->uri || (r->headers && !t->headers)) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* The sent-by: the scenario's, else the source address and port. */
	char host[256];
	unsigned port = r->via_port;
	if (r->via_host) {
		snprintf(host, sizeof(host), "%s", r->via_host);
	} else {
		const char *a = ep->addr;
		const char *c = a[0] == '[' ? strchr(a, ']') + 1 : strrchr(a, ':');
		snprintf(host, sizeof(host), "%.*s", (int)(c - a), a);
		port = (unsigned)atoi(c + 1);
	}
	int v6 = strchr(host, ':') && host[0] != '[';
	snprintf(t->from_host, sizeof(t->from_host), "%s%s%s", v6 ? "[" : "", host, v6 ? "]" : "");
	char portbuf[16] = "";
	if (port)
		snprintf(portbuf, sizeof(portbuf), ":%u", port);
	char vt[8];
	for (size_t i = 0; i < sizeof(vt); i++)
		vt[i] = (char)(ep->tp[i] >= 'a' && ep->tp[i] <= 'z' ? ep->tp[i] - 32 : ep->tp[i]);
	snprintf(t->via, sizeof(t->via), "SIP/2.0/%s %s%s", r->via_transport ? r->via_transport :
		 vt, t->from_host, portbuf);
	uint64_t h = mix(mix(0xcbf29ce484222325ULL, u->seed), t->id);
	snprintf(t->branch, sizeof(t->branch), "z9hG4bKuac%08llx.%u",
		 (unsigned long long)(h & 0xffffffffULL), t->id);
	snprintf(t->call_id, sizeof(t->call_id), "uac%u-%08llx@siploc", t->id,
		 (unsigned long long)(h >> 32));
	snprintf(t->from_tag, sizeof(t->from_tag), "uac%u", t->id);
	t->cseq = 1;
	t->rtx = r->rtx;
	t->rtx_left = r->rtx_count;
	if (r->rtx_after && r->rtx != SL_RTX_NONE) {
		memcpy(t->rtx_after, after, sizeof(t->rtx_after));
		memcpy(t->rtx_after_tp, after_tp, sizeof(t->rtx_after_tp));
	}
	t->interval_s = r->rtx == SL_RTX_FIXED ? r->rtx_interval_s : u->t1_s;
	t->auto_ack = r->auto_ack;
	t->timeout_us = sl_clock_wall_us(u->clk, r->timeout_s > 0 ? r->timeout_s : 64 * u->t1_s);
	t->leave = r->gone && ep->fd < 0;
	int rc = start(u, t);
	if (rc < 0) {
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	if (r->gone && ep->fd < 0) {
		char text[200];
		snprintf(text, sizeof(text), "harness UAC %s is gone: its connection ends with the "
			 "request (FIN in the same segment)", ep->spec);
		note(u, text);
	} else if (r->gone && !ep->gone) {
		ep->gone = 1;
		char text[200];
		snprintf(text, sizeof(text), "harness UAC %s is gone: what arrives there gets ICMP "
			 "port unreachable", ep->addr);
		note(u, text);
	}
	*id = t->id;
	return 0;
}

int sl_uac_ack(struct sl_uac *u, unsigned id, char *err, size_t errlen)
{
	struct utx *t = get(u, id);
	if (!t) {
		snprintf(err, errlen, "no injected transaction %u", id);
		return -ENOENT;
	}
	scan(u, t);
	if (!t->out.status) {
		snprintf(err, errlen, "inject_ack: %s %s has no final response yet", t->method,
			 t->uri);
		return -EAGAIN;
	}
	send_ack(u, t);
	return 0;
}

int sl_uac_cancel(struct sl_uac *u, unsigned id, unsigned *cid, char *err, size_t errlen)
{
	struct utx *t = get(u, id);
	if (!t || !t->invite) {
		snprintf(err, errlen, "inject_cancel: transaction %u is not an injected INVITE", id);
		return -EINVAL;
	}
	struct utx *c = new_tx(u, err, errlen);
	if (!c)
		return -ENOSPC;
	c->ep = t->ep;
	c->to = t->to;
	c->tolen = t->tolen;
	memcpy(c->to_addr, t->to_addr, sizeof(c->to_addr));
	snprintf(c->method, sizeof(c->method), "CANCEL");
	c->uri = strdup(t->uri);
	if (!c->uri) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	memcpy(c->via, t->via, sizeof(c->via));
	memcpy(c->from_host, t->from_host, sizeof(c->from_host));
	memcpy(c->branch, t->branch, sizeof(c->branch));
	memcpy(c->call_id, t->call_id, sizeof(c->call_id));
	memcpy(c->from_tag, t->from_tag, sizeof(c->from_tag));
	c->cseq = t->cseq;
	c->stream = t->stream; /* over the INVITE's connection */
	c->rtx = SL_RTX_RFC3261;
	c->interval_s = u->t1_s;
	c->timeout_us = sl_clock_wall_us(u->clk, 64 * u->t1_s);
	int rc = start(u, c);
	if (rc < 0) {
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	*cid = c->id;
	return 0;
}

void sl_uac_outcome(struct sl_uac *u, unsigned id, struct sl_uac_outcome *o)
{
	struct utx *t = get(u, id);
	if (!t) {
		memset(o, 0, sizeof(*o));
		return;
	}
	scan(u, t);
	*o = t->out;
}

const char *sl_uac_branch(const struct sl_uac *u, unsigned id)
{
	struct utx *t = get(u, id);
	return t ? t->branch : "";
}

const char *sl_uac_call_id(const struct sl_uac *u, unsigned id)
{
	struct utx *t = get(u, id);
	return t ? t->call_id : "";
}

void sl_uac_source(const struct sl_uac *u, unsigned id, char *buf, size_t len)
{
	struct utx *t = get(u, id);
	if (!t)
		snprintf(buf, len, "?");
	else if (t->stream)
		snprintf(buf, len, "%s/%s", sl_ustream_local(t->stream),
			 sl_ustream_transport(t->stream));
	else
		snprintf(buf, len, "%s", t->ep->spec);
}

void sl_uac_set_tls(struct sl_uac *u, struct sl_tls *tls)
{
	u->tls = tls;
}

int sl_uac_new(struct sl_uac **up, struct sl_loop *loop, struct sl_evlog *log,
	       const struct sl_clock *clk, double t1_s, unsigned seed)
{
	struct sl_uac *u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->loop = loop;
	u->log = log;
	u->clk = clk;
	u->t1_s = t1_s;
	u->seed = seed;
	*up = u;
	return 0;
}

void sl_uac_free(struct sl_uac *u)
{
	if (!u)
		return;
	if (u->poll)
		sl_timer_cancel(u->loop, u->poll);
	for (size_t i = 0; i < u->ntx; i++) {
		struct utx *t = u->tx[i];
		stop_rtx(u, t);
		free(t->uri);
		free(t->headers);
		free(t->msg);
		free(t);
	}
	for (size_t i = 0; i < u->nstreams; i++)
		sl_ustream_free(u->streams[i]);
	for (size_t i = 0; i < u->neps; i++) {
		if (u->eps[i].fd < 0)
			continue;
		sl_loop_fd_del(u->loop, u->eps[i].fd);
		close(u->eps[i].fd);
	}
	free(u);
}
