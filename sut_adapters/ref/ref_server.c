/* ref_server.c: server transactions of the server role: one response per request, kept to
 * answer retransmissions, forgotten after linger_ms. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "ref_msg.h"
#include "ref_server.h"
#include "ref_target.h"

#define MAX_TXNS 1024

struct stx {
	TAILQ_ENTRY(stx) link;
	struct ref_server *s;
	char key[800];                   /* branch, sent-by, Call-ID, CSeq, method */
	char *rsp;
	size_t len;
	struct ref_timer linger;
};

struct ref_server {
	struct ref_server_env env;
	TAILQ_HEAD(, stx) list;
	size_t n;
};

static void stx_free(struct stx *x)
{
	struct ref_server *s = x->s;

	ref_timer_stop(s->env.loop, &x->linger);
	TAILQ_REMOVE(&s->list, x, link);
	s->n--;
	free(x->rsp);
	free(x);
}

static void on_linger(void *arg)
{
	stx_free(arg);
}

int ref_server_received(const char *req, const struct sockaddr *from, char **out,
			size_t *outlen)
{
	struct ref_via v;
	char a[REF_ADDRSTRLEN], ip[REF_ADDRSTRLEN];
	struct ref_ip sent, src;
	int rc;

	*out = NULL;
	rc = ref_msg_top_via(req, &v);
	if (rc < 0)
		return rc;
	ref_addr_str(from, a, sizeof(a));
	/* "127.0.0.1:5060" / "[::1]:5060" -> the address alone */
	if (a[0] == '[')
		snprintf(ip, sizeof(ip), "%.*s", (int)(strchr(a, ']') - a - 1), a + 1);
	else
		snprintf(ip, sizeof(ip), "%.*s", (int)(strrchr(a, ':') - a), a);
	if (v.host_is_ip && ref_ip_parse(v.host, &sent) == 0 && ref_ip_parse(ip, &src) == 0 &&
	    sent.af == src.af && !memcmp(sent.a, src.a, sent.af == AF_INET ? 4 : 16))
		return 0;
	return ref_msg_via_received(req, ip, out, outlen);
}

/* The status the scenario asked for (X-Siploc-Reply), else 200. */
static int wanted_status(struct ref_server *s, const char *req)
{
	char v[32];
	long st;

	if (ref_msg_header(req, "X-Siploc-Reply", 0, 0, v, sizeof(v)) < 0)
		return 200;
	st = strtol(v, NULL, 10);
	if (st < 200 || st > 699) {
		ref_logf(s->env.log, "X-Siploc-Reply: %s is not a final status 200..699; 200", v);
		return 200;
	}
	return (int)st;
}

static const char *reason(int st)
{
	switch (st) {
	case 200: return "OK";
	case 404: return "Not Found";
	case 486: return "Busy Here";
	case 487: return "Request Terminated";
	case 500: return "Server Internal Error";
	case 503: return "Service Unavailable";
	case 603: return "Decline";
	default: return st < 300 ? "OK" : st < 400 ? "Redirect" : "Failure";
	}
}

void ref_server_on_message(struct ref_server *s, const char *buf, size_t len,
			   const struct sockaddr *from, struct ref_conn *conn)
{
	char method[32], uri[1024], callid[256], cm[32], tag[24];
	struct ref_via v;
	uint32_t cseq;
	char *req = NULL, *rsp = NULL;
	size_t rlen = 0;
	struct stx *x;
	int st;

	(void)len;
	if (!ref_msg_is_request(buf))
		return; /* a server role sends no requests: a response is someone's mistake */
	if (ref_msg_request_line(buf, method, sizeof(method), uri, sizeof(uri)) < 0 ||
	    ref_msg_top_via(buf, &v) < 0 ||
	    ref_msg_header(buf, "Call-ID", 'i', 0, callid, sizeof(callid)) < 0 ||
	    ref_msg_cseq(buf, &cseq, cm, sizeof(cm)) < 0) {
		ref_logf(s->env.log, "server: unparsable request dropped");
		return;
	}
	if (!strcmp(method, "ACK")) {
		ref_logf(s->env.log, "server: ACK %s absorbed", uri);
		return;
	}
	x = calloc(1, sizeof(*x));
	if (!x)
		return;
	snprintf(x->key, sizeof(x->key), "%s|%s:%u|%s|%u|%s", v.branch, v.host, v.port, callid,
		 cseq, method);
	for (struct stx *o = TAILQ_FIRST(&s->list); o; o = TAILQ_NEXT(o, link)) {
		if (strcmp(o->key, x->key))
			continue;
		free(x);
		ref_logf(s->env.log, "server: %s retransmitted: the same response again", method);
		ref_rsend_on(s->env.rsends, o->rsp, o->len, conn);
		return;
	}
	x->s = s;
	ref_timer_init(&x->linger, on_linger, x);
	if (ref_server_received(buf, from, &req, NULL) < 0)
		goto drop;
	st = wanted_status(s, buf);
	ref_rng_hex(s->env.rng, tag, 16);
	if (ref_msg_response(req ? req : buf, st, reason(st), tag, &rsp, &rlen) < 0) {
		ref_logf(s->env.log, "server: cannot build the %d to %s", st, method);
		goto drop;
	}
	free(req);
	x->rsp = rsp;
	x->len = rlen;
	while (s->n >= MAX_TXNS)
		stx_free(TAILQ_FIRST(&s->list));
	TAILQ_INSERT_TAIL(&s->list, x, link);
	s->n++;
	ref_timer_start(s->env.loop, &x->linger, s->env.linger_ms);
	ref_logf(s->env.log, "server: %s %s -> %d", method, uri, st);
	ref_rsend_on(s->env.rsends, rsp, rlen, conn);
	return;
drop:
	free(req);
	free(x);
}

int ref_server_new(struct ref_server **out, const struct ref_server_env *env)
{
	struct ref_server *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->env = *env;
	TAILQ_INIT(&s->list);
	*out = s;
	return 0;
}

void ref_server_free(struct ref_server *s)
{
	if (!s)
		return;
	while (!TAILQ_EMPTY(&s->list))
		stx_free(TAILQ_FIRST(&s->list));
	free(s);
}
