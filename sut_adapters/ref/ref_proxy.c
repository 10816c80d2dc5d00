/* ref_proxy.c: the stateless forwarding path (fwd: one per forwarded request, kept only
 * until its first response) and the stateful fallback (stf: one per transaction whose
 * first server failed), see ref_proxy.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "ref_msg.h"
#include "ref_mutant.h"
#include "ref_proxy.h"
#include "ref_server.h"
#include "ref_sip.h"
#include "ref_uri.h"

#define MAX_ENTRIES 1024
#define SL_PREFIX "z9hG4bKsl"  /* stateless branches */
#define SF_PREFIX "z9hG4bKsf"  /* stateful attempts */

/* A request forwarded statelessly, remembered until its first response. */
struct fwd {
	TAILQ_ENTRY(fwd) link;
	struct ref_proxy *p;
	char *req;                   /* as received, received= added, Max-Forwards - 1 */
	char method[32];
	char key[800];               /* the client transaction it belongs to */
	char hash[24];
	char branch[64];
	struct ref_resolver *res;
	struct ref_target dst;
	bool sent, pending;
	struct ref_timer timer;
};

/* A transaction the proxy took over after its first server failed. */
struct stf {
	TAILQ_ENTRY(stf) link;
	struct ref_proxy *p;
	char key[800];
	char *req;
	char method[32];
	char hash[24];
	bool invite;
	struct ref_resolver *res;
	unsigned attempt;
	char branch[64];
	char *out;                   /* the request as sent to cur */
	size_t outlen;
	struct ref_target cur;
	struct ref_target first;     /* the failed first server: a late answer is ACKed there */
	bool have_cur, provisional, done, timed_out;
	char *last;                  /* the last response sent upstream */
	size_t last_len;
	unsigned rtx_ms;
	struct ref_timer rtx, tmo, linger;
};

struct ref_proxy {
	struct ref_proxy_env env;
	TAILQ_HEAD(fwd_head_s, fwd) fwds;
	TAILQ_HEAD(stf_head_s, stf) stfs;
	size_t nfwd, nstf;
};

static uint64_t fnv(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* RFC 3261 16.11: a hash of the received branch when it is an RFC 3261 one, else of the
 * fields that tell transactions apart; ACK and CANCEL share their INVITE's. */
static void branch_hash(const char *req, const struct ref_via *v, char *out, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	if (!strncmp(v->branch, "z9hG4bK", 7)) {
		h = fnv(h, v->branch);
	} else {
		char buf[512], uri[1024], m[32];
		uint32_t cseq = 0;

		h = fnv(h, v->host);
		h = fnv(h, v->branch);
		if (ref_msg_header(req, "Call-ID", 'i', 0, buf, sizeof(buf)) == 0)
			h = fnv(h, buf);
		ref_msg_tag(req, false, buf, sizeof(buf));
		h = fnv(h, buf);
		ref_msg_tag(req, true, buf, sizeof(buf));
		h = fnv(h, buf);
		ref_msg_cseq(req, &cseq, m, sizeof(m));
		snprintf(buf, sizeof(buf), "%u", cseq);
		h = fnv(h, buf);
		if (ref_msg_request_line(req, m, sizeof(m), uri, sizeof(uri)) == 0)
			h = fnv(h, uri);
	}
	snprintf(out, len, "%016llx", (unsigned long long)h);
}

static void make_key(char *key, size_t len, const struct ref_via *v, const char *method)
{
	snprintf(key, len, "%s|%s:%u|%s", v->branch, v->host, v->port, method);
}

static int push_via(struct ref_proxy *p, const char *req, const char *branch, char **out,
		    size_t *outlen)
{
	char via[256];

	snprintf(via, sizeof(via), "Via: SIP/2.0/UDP %s:%u;branch=%s", p->env.local_host,
		 p->env.local_port, branch);
	return ref_msg_push_header(req, via, out, outlen);
}

static int send_req(struct ref_proxy *p, const struct ref_target *d, const char *msg,
		    size_t len)
{
	return ref_tport_send(p->env.tport, d, NULL, msg, len);
}

/* A response the proxy makes itself, to the client (the request's own Vias). */
static void answer(struct ref_proxy *p, const char *req, int code, const char *reason,
		   char **keep, size_t *keep_len)
{
	char *rsp;
	size_t len;

	if (ref_msg_response(req, code, reason, "refproxy", &rsp, &len) < 0)
		return;
	ref_rsend(p->env.rsends, rsp, len);
	if (keep) {
		free(*keep);
		*keep = rsp;
		*keep_len = len;
	} else {
		free(rsp);
	}
}

/* Forwards a response from downstream: our Via off, then the next one decides. */
static void upstream(struct ref_proxy *p, const char *rsp, char **keep, size_t *keep_len)
{
	char *out;
	size_t len;

	if (ref_msg_pop_via(rsp, &out, &len) < 0)
		return;
	ref_rsend(p->env.rsends, out, len);
	if (keep) {
		free(*keep);
		*keep = out;
		*keep_len = len;
	} else {
		free(out);
	}
}

/* --- the stateful fallback ------------------------------------------------------------ */

static void stf_free(struct stf *s)
{
	struct ref_proxy *p = s->p;

	ref_timer_stop(p->env.loop, &s->rtx);
	ref_timer_stop(p->env.loop, &s->tmo);
	ref_timer_stop(p->env.loop, &s->linger);
	ref_resolver_free(s->res);
	TAILQ_REMOVE(&p->stfs, s, link);
	p->nstf--;
	free(s->req);
	free(s->out);
	free(s->last);
	free(s);
}

static void stf_linger(void *arg)
{
	stf_free(arg);
}

/* The transaction is over downstream; it keeps answering the client for timer B. */
static void stf_end(struct stf *s)
{
	struct ref_proxy *p = s->p;

	s->done = true;
	s->have_cur = false;
	ref_timer_stop(p->env.loop, &s->rtx);
	ref_timer_stop(p->env.loop, &s->tmo);
	ref_timer_start(p->env.loop, &s->linger, p->env.timer_b);
}

static void stf_next(struct stf *s);

static void stf_rtx(void *arg)
{
	struct stf *s = arg;
	struct ref_proxy *p = s->p;

	if (!s->have_cur)
		return;
	send_req(p, &s->cur, s->out, s->outlen);
	s->rtx_ms *= 2;
	if (!s->invite && s->rtx_ms > p->env.t2)
		s->rtx_ms = p->env.t2;
	ref_timer_start(p->env.loop, &s->rtx, s->rtx_ms);
}

static void stf_timeout(void *arg)
{
	struct stf *s = arg;

	ref_logf(s->p->env.log, "proxy: %s branch %s: timer %s fired", s->method, s->branch,
		 s->invite ? "B" : "F");
	s->timed_out = true;
	if (s->provisional) {
		/* A server that answered was reached: not a reason to try the next one. */
		answer(s->p, s->req, 408, "Request Timeout", &s->last, &s->last_len);
		stf_end(s);
		return;
	}
	stf_next(s);
}

static void on_stf_target(void *arg, int rc, const struct ref_target *d, const char *desc)
{
	struct stf *s = arg;
	struct ref_proxy *p = s->p;
	char a[REF_ADDRSTRLEN];

	if (rc < 0) {
		ref_logf(p->env.log, "proxy: %s: every server failed", s->method);
		if (s->timed_out)
			answer(p, s->req, 408, "Request Timeout", &s->last, &s->last_len);
		else
			answer(p, s->req, 503, "Service Unavailable", &s->last, &s->last_len);
		stf_end(s);
		return;
	}
	if (d->tp != REF_TP_UDP) {
		stf_next(s);
		return;
	}
	s->attempt++;
	snprintf(s->branch, sizeof(s->branch), SF_PREFIX "%s.%u", s->hash, s->attempt);
	free(s->out);
	s->out = NULL;
	if (push_via(p, s->req, s->branch, &s->out, &s->outlen) < 0) {
		stf_next(s);
		return;
	}
	s->cur = *d;
	s->have_cur = true;
	s->provisional = false;
	ref_addr_str((const void *)&d->sa, a, sizeof(a));
	ref_logf(p->env.log, "proxy: stateful %s to %s/udp (%s), branch %s", s->method, a,
		 desc ? desc : "", s->branch);
	if (send_req(p, d, s->out, s->outlen) < 0) {
		stf_next(s);
		return;
	}
	s->rtx_ms = p->env.t1;
	ref_timer_start(p->env.loop, &s->rtx, s->rtx_ms);
	ref_timer_start(p->env.loop, &s->tmo, s->invite ? p->env.timer_b : p->env.timer_f);
}

static void stf_next(struct stf *s)
{
	s->have_cur = false;
	ref_timer_stop(s->p->env.loop, &s->rtx);
	ref_timer_stop(s->p->env.loop, &s->tmo);
	ref_resolver_next(s->res, on_stf_target, s);
}

/* RFC 3261 17.1.1.3: the ACK of a non-2xx final, to the server that sent it. */
static void ack_downstream(struct ref_proxy *p, const char *sent, const char *rsp,
			   const struct ref_target *d)
{
	char tag[128], *ack;
	size_t len;

	ref_msg_tag(rsp, true, tag, sizeof(tag));
	if (ref_msg_derive(sent, "ACK", tag, &ack, &len) < 0)
		return;
	send_req(p, d, ack, len);
	free(ack);
}

static void stf_response(struct stf *s, const char *rsp, int status)
{
	struct ref_proxy *p = s->p;

	if (s->done) {
		if (s->invite && status >= 300 && s->out)
			ack_downstream(p, s->out, rsp, &s->cur);
		else if (status >= 200 && status < 300)
			upstream(p, rsp, NULL, NULL);
		return;
	}
	if (status < 200) {
		s->provisional = true;
		if (s->invite)
			ref_timer_stop(p->env.loop, &s->rtx);
		upstream(p, rsp, &s->last, &s->last_len);
		return;
	}
	if (s->invite && status >= 300)
		ack_downstream(p, s->out, rsp, &s->cur);
	if (status == 503) {
		ref_logf(p->env.log, "proxy: 503 from branch %s: next server", s->branch);
		stf_next(s);
		return;
	}
	upstream(p, rsp, &s->last, &s->last_len);
	stf_end(s); /* cur stays: a retransmitted final is ACKed there again */
}

/* A response of the first server on the stateless branch after the transaction went
 * stateful: a copy forwarded before the failure was known reached it once it recovered.
 * The proxy sent that INVITE, so a non-2xx final is its to ACK (RFC 3261 16.7, 17.1.1.3:
 * to where the INVITE went) whatever happens upstream; a 2xx to INVITE goes upstream like
 * every 2xx (16.7 step 5); anything else stays here: the transaction is sip2's now. */
static void late_first_answer(struct stf *s, const char *rsp, int status)
{
	struct ref_proxy *p = s->p;
	char m[32], branch[64], *sent;
	uint32_t cseq;
	size_t len;

	if (ref_msg_cseq(rsp, &cseq, m, sizeof(m)) < 0 || strcmp(m, s->method)) {
		ref_logf(p->env.log, "proxy: %d to %s from the failed first server of a stateful "
			 "transaction: dropped", status, m);
		return;
	}
	if (s->invite && status >= 200 && status < 300) {
		ref_logf(p->env.log, "proxy: %d from the failed first server of a stateful INVITE: "
			 "forwarded (every 2xx goes upstream)", status);
		upstream(p, rsp, NULL, NULL);
		return;
	}
	if (s->invite && status >= 300) {
		snprintf(branch, sizeof(branch), SL_PREFIX "%s", s->hash);
		if (push_via(p, s->req, branch, &sent, &len) == 0) {
			ack_downstream(p, sent, rsp, &s->first);
			free(sent);
		}
		ref_logf(p->env.log, "proxy: %d from the failed first server of a stateful INVITE: "
			 "ACKed there, not forwarded", status);
		return;
	}
	ref_logf(p->env.log, "proxy: %d from the failed first server of a stateful transaction: "
		 "not forwarded", status);
}

static struct stf *find_stf(struct ref_proxy *p, const char *key)
{
	struct stf *s;

	TAILQ_FOREACH(s, &p->stfs, link)
		if (!strcmp(s->key, key))
			return s;
	return NULL;
}

static struct stf *stf_by_branch(struct ref_proxy *p, const char *branch)
{
	struct stf *s;

	TAILQ_FOREACH(s, &p->stfs, link)
		if (!strcmp(s->branch, branch))
			return s;
	return NULL;
}

/* --- the stateless path --------------------------------------------------------------- */

static void fwd_free(struct fwd *f)
{
	struct ref_proxy *p = f->p;

	ref_timer_stop(p->env.loop, &f->timer);
	ref_resolver_free(f->res);
	if (f->pending) {
		TAILQ_REMOVE(&p->fwds, f, link);
		p->nfwd--;
	}
	free(f->req);
	free(f);
}

static void fwd_expire(void *arg)
{
	fwd_free(arg);
}

static struct fwd *pending_by_branch(struct ref_proxy *p, const char *branch)
{
	struct fwd *f;

	TAILQ_FOREACH(f, &p->fwds, link)
		if (!strcmp(f->branch, branch))
			return f;
	return NULL;
}

/* The first server failed: this transaction goes on statefully (RFC 3263 4.4). */
static void go_stateful(struct fwd *f, const char *why)
{
	struct ref_proxy *p = f->p;
	struct stf *s = calloc(1, sizeof(*s));

	if (!s) {
		fwd_free(f);
		return;
	}
	s->p = p;
	snprintf(s->key, sizeof(s->key), "%s", f->key);
	snprintf(s->method, sizeof(s->method), "%s", f->method);
	snprintf(s->hash, sizeof(s->hash), "%s", f->hash);
	s->invite = !strcmp(f->method, "INVITE");
	s->first = f->dst;
	s->req = f->req;
	s->res = f->res;
	f->req = NULL;
	f->res = NULL;
	ref_timer_init(&s->rtx, stf_rtx, s);
	ref_timer_init(&s->tmo, stf_timeout, s);
	ref_timer_init(&s->linger, stf_linger, s);
	while (p->nstf >= MAX_ENTRIES)
		stf_free(TAILQ_FIRST(&p->stfs));
	TAILQ_INSERT_TAIL(&p->stfs, s, link);
	p->nstf++;
	ref_logf(p->env.log, "proxy: first server of %s branch %s failed (%s): stateful for "
		 "this transaction", f->method, f->branch, why);
	fwd_free(f);
	stf_next(s);
}

static void on_fwd_target(void *arg, int rc, const struct ref_target *d, const char *desc)
{
	struct fwd *f = arg;
	struct ref_proxy *p = f->p;
	char a[REF_ADDRSTRLEN], *out;
	size_t len;

	if (rc < 0) {
		ref_logf(p->env.log, "proxy: %s: nowhere to forward it", f->method);
		if (strcmp(f->method, "ACK"))
			answer(p, f->req, rc == SUT_E_NOTARGET ? 404 : 503,
			       rc == SUT_E_NOTARGET ? "Not Found" : "Service Unavailable", NULL,
			       NULL);
		fwd_free(f);
		return;
	}
	if (d->tp != REF_TP_UDP) {
		ref_resolver_next(f->res, on_fwd_target, f);
		return;
	}
	if (push_via(p, f->req, f->branch, &out, &len) < 0) {
		fwd_free(f);
		return;
	}
	f->dst = *d;
	ref_addr_str((const void *)&d->sa, a, sizeof(a));
	ref_logf(p->env.log, "proxy: stateless %s to %s/udp (%s), branch %s", f->method, a,
		 desc ? desc : "", f->branch);
	rc = send_req(p, d, out, len);
	free(out);
	/* Only the first copy of a transaction is remembered; ACK gets no response at all. */
	if (rc < 0 || !strcmp(f->method, "ACK") || pending_by_branch(p, f->branch)) {
		fwd_free(f);
		return;
	}
	while (p->nfwd >= MAX_ENTRIES)
		fwd_free(TAILQ_FIRST(&p->fwds));
	f->pending = true;
	TAILQ_INSERT_TAIL(&p->fwds, f, link);
	p->nfwd++;
	ref_timer_start(p->env.loop, &f->timer, p->env.timer_b);
}

static void on_request(struct ref_proxy *p, const char *buf, const struct sockaddr *from)
{
	char method[32], uri[1024], key[800];
	struct ref_via v;
	struct ref_uri u;
	struct stf *s;
	struct fwd *f;
	char *rcv = NULL, *req = NULL;
	int rc;

	if (ref_msg_request_line(buf, method, sizeof(method), uri, sizeof(uri)) < 0 ||
	    ref_msg_top_via(buf, &v) < 0) {
		ref_logf(p->env.log, "proxy: unparsable request dropped");
		return;
	}
	make_key(key, sizeof(key), &v, !strcmp(method, "ACK") ? "INVITE" : method);
	s = ref_mutant("sl-stateless-after-fail") ? NULL : find_stf(p, key);
	if (s) {
		/* The proxy is stateful for this one: the server transaction answers. */
		if (!strcmp(method, "ACK"))
			ref_logf(p->env.log, "proxy: ACK for stateful INVITE absorbed");
		else if (s->last)
			ref_rsend(p->env.rsends, s->last, s->last_len);
		return;
	}
	if (!strcmp(method, "CANCEL")) {
		char ikey[800];

		make_key(ikey, sizeof(ikey), &v, "INVITE");
		s = ref_mutant("sl-stateless-after-fail") ? NULL : find_stf(p, ikey);
		if (s) {
			/* RFC 3261 16.10: 200 to the CANCEL, a CANCEL of our own downstream. */
			char *c;
			size_t clen;

			if (ref_server_received(buf, from, &rcv, NULL) == 0)
				answer(p, rcv ? rcv : buf, 200, "OK", NULL, NULL);
			free(rcv);
			if (s->have_cur && s->out && ref_msg_derive(s->out, "CANCEL", NULL, &c, &clen) == 0) {
				send_req(p, &s->cur, c, clen);
				free(c);
			}
			return;
		}
	}
	if (ref_uri_parse(uri, &u) < 0) {
		ref_logf(p->env.log, "proxy: Request-URI %s cannot be resolved", uri);
		return;
	}
	if (ref_server_received(buf, from, &rcv, NULL) < 0)
		return;
	rc = ref_msg_max_forwards(rcv ? rcv : buf, &req, NULL);
	if (rc == -ELOOP) {
		if (strcmp(method, "ACK"))
			answer(p, rcv ? rcv : buf, 483, "Too Many Hops", NULL, NULL);
		free(rcv);
		return;
	}
	free(rcv);
	if (rc < 0)
		return;
	f = calloc(1, sizeof(*f));
	if (!f) {
		free(req);
		return;
	}
	f->p = p;
	f->req = req;
	snprintf(f->method, sizeof(f->method), "%s", method);
	make_key(f->key, sizeof(f->key), &v, method);
	branch_hash(buf, &v, f->hash, sizeof(f->hash));
	snprintf(f->branch, sizeof(f->branch), SL_PREFIX "%s", f->hash);
	ref_timer_init(&f->timer, fwd_expire, f);
	if (ref_resolver_new(&f->res, &p->env.resolve, &u) < 0) {
		fwd_free(f);
		return;
	}
	ref_resolver_next(f->res, on_fwd_target, f);
}

static void on_response(struct ref_proxy *p, const char *buf)
{
	struct ref_via v;
	int status = ref_msg_status(buf);
	struct stf *s;
	struct fwd *f;

	if (status < 0 || ref_msg_top_via(buf, &v) < 0)
		return;
	if (!strncmp(v.branch, SF_PREFIX, strlen(SF_PREFIX))) {
		s = stf_by_branch(p, v.branch);
		if (s)
			stf_response(s, buf, status);
		return;
	}
	if (strncmp(v.branch, SL_PREFIX, strlen(SL_PREFIX))) {
		ref_logf(p->env.log, "proxy: response %d with branch %s is not ours: dropped",
			 status, v.branch);
		return;
	}
	f = pending_by_branch(p, v.branch);
	if (!f && !ref_mutant("sl-stateless-after-fail")) {
		/* A late answer of a first server this transaction already left behind (a copy
		 * forwarded before the failover was noticed): the stateful side decides now. */
		TAILQ_FOREACH(s, &p->stfs, link)
			if (!strcmp(s->hash, v.branch + strlen(SL_PREFIX)))
				break;
		if (s) {
			late_first_answer(s, buf, status);
			return;
		}
	}
	if (f && status == 503 && strcmp(f->method, "CANCEL")) {
		if (!strcmp(f->method, "INVITE")) {
			char *sent;
			size_t len;

			if (push_via(p, f->req, f->branch, &sent, &len) == 0) {
				ack_downstream(p, sent, buf, &f->dst);
				free(sent);
			}
		}
		go_stateful(f, "503");
		return;
	}
	/* The first server answered: the proxy stays stateless for this transaction. */
	if (f)
		fwd_free(f);
	upstream(p, buf, NULL, NULL);
}

void ref_proxy_on_message(struct ref_proxy *p, const char *buf, size_t len,
			  const struct sockaddr *from)
{
	(void)len;
	if (ref_msg_is_request(buf))
		on_request(p, buf, from);
	else
		on_response(p, buf);
}

bool ref_proxy_on_icmp(struct ref_proxy *p, int err, const struct sockaddr *dst,
		       const char *payload, size_t len)
{
	char branch[128];
	struct fwd *f;
	struct stf *s;

	if (len >= 8 && !strncmp(payload, "SIP/2.0 ", 8))
		return false; /* a response: ref_rsend's business */
	if (ref_sip_find_branch(payload, len, branch, sizeof(branch)) < 0)
		return false;
	f = pending_by_branch(p, branch);
	if (f && ref_addr_equal((const void *)&f->dst.sa, dst)) {
		go_stateful(f, strerror(err));
		return true;
	}
	s = stf_by_branch(p, branch);
	if (s && s->have_cur && ref_addr_equal((const void *)&s->cur.sa, dst)) {
		ref_logf(p->env.log, "proxy: branch %s: %s: next server", branch, strerror(err));
		stf_next(s);
		return true;
	}
	return !strncmp(branch, SL_PREFIX, strlen(SL_PREFIX)) ||
	       !strncmp(branch, SF_PREFIX, strlen(SF_PREFIX));
}

int ref_proxy_new(struct ref_proxy **out, const struct ref_proxy_env *env)
{
	struct ref_proxy *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->env = *env;
	TAILQ_INIT(&p->fwds);
	TAILQ_INIT(&p->stfs);
	*out = p;
	return 0;
}

void ref_proxy_free(struct ref_proxy *p)
{
	if (!p)
		return;
	while (!TAILQ_EMPTY(&p->fwds))
		fwd_free(TAILQ_FIRST(&p->fwds));
	while (!TAILQ_EMPTY(&p->stfs))
		stf_free(TAILQ_FIRST(&p->stfs));
	free(p);
}
