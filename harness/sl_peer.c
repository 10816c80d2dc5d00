/* sl_peer.c: UDP SIP peer: parses what the SUT sends, answers per rule, logs both ways. */
#include <errno.h>
#include <fcntl.h>
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
#include "sl_peer.h"
#include "sl_sipmsg.h"

#define MAX_RULES 16
#define MAX_TXNS 256

struct rule {
	char method[32];        /* "" = default */
	struct sl_behaviour b;
	char *headers;
};

/* Server transaction memory: enough to answer retransmissions identically. */
struct txn {
	char *branch;
	char method[32];
	char to_tag[24];
	char *resp;             /* last response sent (NULL: none yet) */
	size_t resp_len;
};

struct pending {                /* a delayed reply waiting for its timer */
	struct sl_peer *p;
	struct sockaddr_storage to;
	socklen_t tolen;
	char *data;
	size_t len;
	struct txn *t;
	struct pending *next;
	struct sl_timer *timer;
};

struct sl_peer {
	struct sl_loop *loop;
	struct sl_evlog *log;
	const struct sl_clock *clk;
	int fd;
	char spec[96];
	char addr[SL_ADDRSTRLEN];
	char transport[8];
	struct rule rules[MAX_RULES];
	unsigned nrules;
	struct txn txns[MAX_TXNS];
	unsigned ntxns;
	unsigned tag_seq;
	struct pending *pending;
};

static const struct rule *find_rule(const struct sl_peer *p, const char *method)
{
	const struct rule *def = NULL;
	for (unsigned i = 0; i < p->nrules; i++) {
		if (!p->rules[i].method[0])
			def = &p->rules[i];
		else if (!strcmp(p->rules[i].method, method))
			return &p->rules[i];
	}
	return def;
}

static struct txn *find_txn(struct sl_peer *p, const char *branch, const char *method)
{
	for (unsigned i = 0; i < p->ntxns; i++)
		if (!strcmp(p->txns[i].branch, branch) && !strcmp(p->txns[i].method, method))
			return &p->txns[i];
	return NULL;
}

static void log_msg(struct sl_peer *p, enum sl_ev_kind kind, const struct sl_sipmsg *m,
		    const char *remote, const char *data, size_t len, const char *error)
{
	struct sl_event *e = sl_evlog_add(p->log, kind, sl_now_us());
	if (!e)
		return;
	sl_evlog_str(&e->transport, p->transport);
	sl_evlog_str(&e->client, remote);
	sl_evlog_str(&e->server, p->addr);
	if (kind == SL_EV_SIP_RX)
		sl_fp_set(&e->fp[0], 17, remote, p->addr, data, len);
	else
		sl_fp_set(&e->fp[0], 17, p->addr, remote, data, len);
	if (error) {
		sl_evlog_str(&e->text, error);
		return;
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
	sl_evlog_str(&e->via_transport, sl_sipmsg_via_transport(m));
	e->cseq = sl_sipmsg_cseq_num(m);
}

static void send_now(struct sl_peer *p, const struct sockaddr_storage *to, socklen_t tolen,
		     const char *data, size_t len)
{
	char remote[SL_ADDRSTRLEN];
	sl_addr_fmt((const void *)to, remote, sizeof(remote));
	if (sendto(p->fd, data, len, 0, (const void *)to, tolen) < 0) {
		struct sl_event *e = sl_evlog_add(p->log, SL_EV_NOTE, sl_now_us());
		if (e) {
			char t[160];
			snprintf(t, sizeof(t), "peer %s: send to %s failed: %s", p->addr, remote,
				 strerror(errno));
			sl_evlog_str(&e->text, t);
		}
		return;
	}
	char err[128];
	struct sl_sipmsg *m = NULL;
	if (sl_sipmsg_parse(data, len, &m, err, sizeof(err)) == 0)
		log_msg(p, SL_EV_SIP_TX, m, remote, data, len, NULL);
	sl_sipmsg_free(m);
}

static void on_delay(void *arg)
{
	struct pending *d = arg;
	struct sl_peer *p = d->p;
	for (struct pending **pp = &p->pending; *pp; pp = &(*pp)->next) {
		if (*pp == d) {
			*pp = d->next;
			break;
		}
	}
	send_now(p, &d->to, d->tolen, d->data, d->len);
	free(d->data);
	free(d);
}

static void answer(struct sl_peer *p, const struct sl_sipmsg *req, struct txn *t,
		   const struct sl_behaviour *b, const struct sockaddr_storage *from,
		   socklen_t fromlen)
{
	char buf[8192];
	int n = sl_sipmsg_build_response(req, b->code, NULL, t->to_tag, b->headers, buf,
					 sizeof(buf));
	if (n < 0)
		return;
	free(t->resp);
	t->resp = malloc((size_t)n);
	if (!t->resp)
		return;
	memcpy(t->resp, buf, (size_t)n);
	t->resp_len = (size_t)n;
	if (b->delay_s <= 0) {
		send_now(p, from, fromlen, buf, (size_t)n);
		return;
	}
	struct pending *d = calloc(1, sizeof(*d));
	if (!d || !(d->data = malloc((size_t)n))) {
		free(d);
		return;
	}
	memcpy(d->data, buf, (size_t)n);
	d->len = (size_t)n;
	d->p = p;
	d->to = *from;
	d->tolen = fromlen;
	d->next = p->pending;
	p->pending = d;
	sl_timer_start(p->loop, sl_clock_wall_us(p->clk, b->delay_s), on_delay, d, &d->timer);
}

static void on_request(struct sl_peer *p, const struct sl_sipmsg *m,
		       const struct sockaddr_storage *from, socklen_t fromlen)
{
	const char *method = sl_sipmsg_method(m);
	const char *branch = sl_sipmsg_via_branch(m);
	if (!branch)
		branch = "";
	struct txn *t = find_txn(p, branch, method);
	if (t) {
		/* Retransmission: the same answer again, or silence again. */
		if (t->resp)
			send_now(p, from, fromlen, t->resp, t->resp_len);
		return;
	}
	if (!strcmp(method, "ACK"))
		return; /* non-2xx ACKs end our transaction; 2xx ACKs end the exchange */
	if (p->ntxns == MAX_TXNS)
		return;
	t = &p->txns[p->ntxns++];
	t->branch = strdup(branch);
	snprintf(t->method, sizeof(t->method), "%s", method);
	snprintf(t->to_tag, sizeof(t->to_tag), "sl%u", ++p->tag_seq);
	if (!strcmp(method, "CANCEL")) {
		struct sl_behaviour ok = { .kind = SL_B_REPLY, .code = 200 };
		answer(p, m, t, &ok, from, fromlen);
		return;
	}
	const struct rule *r = find_rule(p, method);
	struct sl_behaviour def = { .kind = SL_B_REPLY, .code = 200 };
	const struct sl_behaviour *b = r ? &r->b : &def;
	if (b->kind == SL_B_REPLY)
		answer(p, m, t, b, from, fromlen);
}

static void on_readable(int fd, unsigned ev, void *arg)
{
	(void)ev;
	struct sl_peer *p = arg;
	char buf[65536];
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof(from);
	ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (void *)&from, &fromlen);
	if (n < 0)
		return;
	char remote[SL_ADDRSTRLEN], err[160];
	sl_addr_fmt((void *)&from, remote, sizeof(remote));
	struct sl_sipmsg *m = NULL;
	if (sl_sipmsg_parse(buf, (size_t)n, &m, err, sizeof(err)) < 0) {
		char why[256];
		snprintf(why, sizeof(why), "malformed SIP from %s: %s", remote, err);
		log_msg(p, SL_EV_SIP_RX, NULL, remote, buf, (size_t)n, why);
		return;
	}
	log_msg(p, SL_EV_SIP_RX, m, remote, buf, (size_t)n, NULL);
	/* Responses to a peer are not expected in client scenarios; logged only. */
	if (sl_sipmsg_is_request(m))
		on_request(p, m, &from, fromlen);
	sl_sipmsg_free(m);
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
	if (strcmp(tp, "udp")) {
		snprintf(err, errlen, "peer %s: %s peers are not implemented yet (only udp)",
			 spec, tp);
		return -ENOTSUP;
	}
	struct sl_peer *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->loop = loop;
	p->log = log;
	p->clk = clk;
	snprintf(p->transport, sizeof(p->transport), "%s", tp);
	sl_addr_fmt((void *)&ss, p->addr, sizeof(p->addr));
	snprintf(p->spec, sizeof(p->spec), "%s/%s", p->addr, tp);
	p->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "peer %s: socket: %s", spec, strerror(errno));
		goto fail;
	}
	int one = 1;
	setsockopt(p->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
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
	free(p);
	return rc;
}

void sl_peer_free(struct sl_peer *p)
{
	if (!p)
		return;
	sl_loop_fd_del(p->loop, p->fd);
	close(p->fd);
	while (p->pending) {
		struct pending *d = p->pending;
		p->pending = d->next;
		sl_timer_cancel(p->loop, d->timer);
		free(d->data);
		free(d);
	}
	for (unsigned i = 0; i < p->ntxns; i++) {
		free(p->txns[i].branch);
		free(p->txns[i].resp);
	}
	for (unsigned i = 0; i < p->nrules; i++)
		free(p->rules[i].headers);
	free(p);
}

int sl_peer_on(struct sl_peer *p, const char *method, const struct sl_behaviour *b)
{
	struct rule *r = NULL;
	for (unsigned i = 0; i < p->nrules; i++)
		if (!strcmp(p->rules[i].method, method ? method : ""))
			r = &p->rules[i];
	if (!r) {
		if (p->nrules == MAX_RULES)
			return -ENOSPC;
		r = &p->rules[p->nrules++];
	}
	free(r->headers);
	r->headers = NULL;
	snprintf(r->method, sizeof(r->method), "%s", method ? method : "");
	r->b = *b;
	if (b->headers) {
		r->headers = strdup(b->headers);
		if (!r->headers)
			return -ENOMEM;
	}
	r->b.headers = r->headers;
	return 0;
}

const char *sl_peer_spec(const struct sl_peer *p)
{
	return p->spec;
}

const char *sl_peer_addr(const struct sl_peer *p)
{
	return p->addr;
}
