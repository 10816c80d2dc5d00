/* ref_request.c: drives a request through the RFC 3263 list: a new transaction (new branch, same
 * Call-ID/From tag/CSeq/Request-URI) per element, failover rules, 503 Retry-After memory. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ref_mutant.h"
#include "ref_request.h"
#include "ref_uri.h"
#include "sut_adapter.h"

struct ref_block {
	TAILQ_ENTRY(ref_block) link;
	struct ref_target dst;
	uint64_t until_ms;
};

struct ref_request {
	TAILQ_ENTRY(ref_request) link;
	struct ref_reqs *rs;
	unsigned id;
	char method[32];
	char *uri;
	size_t body_len;
	struct ref_uri puri;
	char call_id[96];
	char from_tag[24];
	char first_branch[32];
	uint32_t cseq;
	struct ref_resolver *res;
	struct ref_txn *txn;
	struct ref_target cur;  /* destination of the current / last transaction */
	char cur_str[REF_ADDRSTRLEN + 8];
	int attempts;
	int rounds;             /* times the list was restarted (seeded bug only) */
	int last_fail;          /* why the last attempt failed: 503, SUT_E_TIMEOUT, ... */
	char last_why[32];      /* its text for the log: "503", "timeout", ... */
	bool skipped_blocked;   /* some element skipped because of Retry-After */
	bool got_provisional;   /* in the current transaction */
	bool cancel_requested;
	struct ref_timer kick;  /* 0 ms: reports outcomes decided outside the loop */
	int kick_status;
	struct ref_resolver *mut_res; /* seeded bug only: a resolution per retransmission */
};

/* Seeded bug only (shared-exhaust): the host whose list some request exhausted. */
static char mut_dead_host[REF_NAME_MAX];

static const char *outcome_name(int st)
{
	switch (st) {
	case SUT_E_TIMEOUT:   return "timeout";
	case SUT_E_TRANSPORT: return "transport error";
	case SUT_E_DNS:       return "DNS failure";
	case SUT_E_NOTARGET:  return "no target";
	case SUT_E_INTERNAL:  return "internal error";
	case SUT_E_CANCELLED: return "cancelled";
	default:              return "status";
	}
}

static void request_free(struct ref_request *r)
{
	if (r->txn)
		ref_txn_detach(r->txn);
	ref_resolver_free(r->res);
	ref_resolver_free(r->mut_res);
	ref_timer_stop(r->rs->loop, &r->kick);
	TAILQ_REMOVE(&r->rs->list, r, link);
	free(r->uri);
	free(r);
}

/* Reports the outcome and frees r: always the caller's last use of r. */
static void finish(struct ref_request *r, int status)
{
	struct ref_reqs *rs = r->rs;
	unsigned id = r->id;

	if (ref_mutant("dns-error-503") && (status == SUT_E_DNS || status == SUT_E_NOTARGET))
		status = 503;

	if (status >= 100)
		ref_logf(rs->log, "request %u: final %d after %d attempt(s)", id, status, r->attempts);
	else
		ref_logf(rs->log, "request %u: %s (%d) after %d attempt(s)", id,
			 outcome_name(status), status, r->attempts);
	request_free(r);
	rs->done(rs->done_arg, id, status);
}

static bool blocked(struct ref_reqs *rs, const struct ref_target *t)
{
	uint64_t now = ref_now_ms();
	struct ref_block *b, *next;

	for (b = TAILQ_FIRST(&rs->blocks); b; b = next) {
		next = TAILQ_NEXT(b, link);
		if (b->until_ms <= now) {
			TAILQ_REMOVE(&rs->blocks, b, link);
			free(b);
			continue;
		}
		if (b->dst.tp == t->tp && ref_addr_equal((const void *)&b->dst.sa, (const void *)&t->sa))
			return true;
	}
	return false;
}

static void block(struct ref_reqs *rs, const struct ref_target *t, int seconds)
{
	struct ref_block *b = calloc(1, sizeof(*b));

	if (!b)
		return; /* forgetting a Retry-After only costs one more 503 */
	b->dst = *t;
	b->until_ms = ref_now_ms() + (uint64_t)seconds * 1000u;
	TAILQ_INSERT_TAIL(&rs->blocks, b, link);
}

static void on_target(void *arg, int rc, const struct ref_target *t, const char *desc);

static void next_target(struct ref_request *r)
{
	ref_resolver_next(r->res, on_target, r);
}

static void on_provisional(void *arg, struct ref_txn *t, const struct ref_sip_rsp *rsp)
{
	struct ref_request *r = arg;

	(void)t;
	if (!r->got_provisional)
		ref_logf(r->rs->log, "request %u: provisional %d: the server is reached, a timeout "
			 "no longer fails over", r->id, rsp->status);
	r->got_provisional = true;
}

static void fail_over(struct ref_request *r, int why, const char *what)
{
	r->last_fail = why;
	snprintf(r->last_why, sizeof(r->last_why), "%s", what);
	next_target(r);
}

static void on_final(void *arg, struct ref_txn *t, const struct ref_sip_rsp *rsp)
{
	struct ref_request *r = arg;
	bool failure = rsp->status == 503;
	char why[32];

	if (ref_mutant("no-failover-503-provisional") && r->got_provisional)
		failure = false; /* "the server was reached": a 503 after 180 ends the request */

	if (ref_mutant("failover-486"))
		failure = rsp->status >= 400;
	ref_txn_detach(t);
	r->txn = NULL;
	/* RFC 3263 4.3: a 503 is a failure of this server, whether or not a provisional came
	 * first; every other final response is the outcome. A cancelled request stops here. */
	if (!failure || r->cancel_requested) {
		finish(r, rsp->status);
		return;
	}
	if (rsp->status == 503 && rsp->retry_after > 0 && !ref_mutant("ignore-retry-after")) {
		ref_logf(r->rs->log, "request %u: %s sent Retry-After %d, skipped until then",
			 r->id, r->cur_str, rsp->retry_after);
		block(r->rs, &r->cur, rsp->retry_after);
	}
	snprintf(why, sizeof(why), "%d", rsp->status);
	fail_over(r, rsp->status, why);
}

static void on_failed(void *arg, struct ref_txn *t, int err)
{
	struct ref_request *r = arg;

	ref_txn_detach(t);
	r->txn = NULL;
	if (r->cancel_requested || err == SUT_E_CANCELLED) {
		finish(r, SUT_E_CANCELLED);
		return;
	}
	/* RFC 3263 4.3: only a timeout "without ever having received any response" is a
	 * failure of the server; after a provisional the request has reached it. */
	if (r->got_provisional && !ref_mutant("failover-after-provisional")) {
		finish(r, err);
		return;
	}
	if ((err == SUT_E_TIMEOUT && ref_mutant("no-failover-timeout")) ||
	    (err == SUT_E_TRANSPORT && ref_mutant("no-failover-transport"))) {
		finish(r, err);
		return;
	}
	fail_over(r, err, err == SUT_E_TIMEOUT ? "timeout" : "transport error");
}

static void on_mut_target(void *arg, int rc, const struct ref_target *t, const char *desc)
{
	struct ref_request *r = arg;
	struct ref_resolver *res = r->mut_res;

	(void)desc;
	if (rc == 0 && r->txn)
		ref_txn_redirect(r->txn, t);
	r->mut_res = NULL;
	ref_resolver_free(res);
}

/* Seeded bug (retx-reresolve): after each send the URI is resolved again and the next
 * retransmission follows the new list's first element, which with SRV weights may be
 * another server. */
static void on_retransmitted(void *arg, struct ref_txn *t)
{
	struct ref_request *r = arg;

	(void)t;
	if (!ref_mutant("retx-reresolve") || r->mut_res)
		return;
	if (ref_resolver_new(&r->mut_res, &r->rs->resolve, &r->puri) == 0)
		ref_resolver_next(r->mut_res, on_mut_target, r);
}

static const struct ref_txn_owner txn_ops = {
	.provisional = on_provisional,
	.final = on_final,
	.failed = on_failed,
	.retransmitted = on_retransmitted,
};

static int restart_list(struct ref_request *r)
{
	struct ref_resolver *res;
	int rc = ref_resolver_new(&res, &r->rs->resolve, &r->puri);

	if (rc < 0)
		return rc;
	ref_resolver_free(r->res);
	r->res = res;
	return 0;
}

static void exhausted(struct ref_request *r, int rc)
{
	if (ref_mutant("loop-exhaust") && r->attempts > 0 && r->rounds == 0 &&
	    restart_list(r) == 0) {
		r->rounds++;
		ref_logf(r->rs->log, "request %u: list exhausted, starting it over", r->id);
		next_target(r);
		return;
	}
	if (r->attempts > 0) {
		if (ref_mutant("shared-exhaust"))
			snprintf(mut_dead_host, sizeof(mut_dead_host), "%s", r->puri.host);
		ref_logf(r->rs->log, "request %u: list exhausted, last failure: %s", r->id,
			 r->last_why);
		finish(r, r->last_fail);
		return;
	}
	/* Every element was skipped for a Retry-After: the servers' own answer stands. */
	finish(r, r->skipped_blocked ? 503 : rc);
}

static void on_target(void *arg, int rc, const struct ref_target *t, const char *desc)
{
	struct ref_request *r = arg;
	struct ref_txn_params p;
	char branch[32], rewritten[1200];

	if (rc < 0) {
		exhausted(r, rc);
		return;
	}
	ref_addr_str((const void *)&t->sa, r->cur_str, sizeof(r->cur_str));
	if (blocked(r->rs, t)) {
		ref_logf(r->rs->log, "request %u: skipping %s/%s (%s): Retry-After not yet over",
			 r->id, r->cur_str, ref_tp_name(t->tp), desc);
		r->skipped_blocked = true;
		next_target(r);
		return;
	}
	r->cur = *t;
	r->attempts++;
	r->got_provisional = false;
	p = (struct ref_txn_params){
		.method = r->method, .uri = r->uri, .call_id = r->call_id,
		.from_tag = r->from_tag, .cseq = r->cseq, .body_len = r->body_len, .dst = *t,
		/* RFC 5922 4: the server proves the domain that was resolved (TARGET), never
		 * the SRV target or NAPTR replacement names DNS led to. */
		.tls_name = ref_uri_target(&r->puri),
	};
	if (r->attempts == 1)
		ref_logf(r->rs->log, "request %u: target %d %s/%s (%s)", r->id, r->attempts,
			 r->cur_str, ref_tp_name(t->tp), desc);
	else
		ref_logf(r->rs->log, "request %u: target %d %s/%s (%s) after %s", r->id,
			 r->attempts, r->cur_str, ref_tp_name(t->tp), desc, r->last_why);
	/* RFC 3263 4.3: a failover is a new transaction, so a new branch. */
	if (r->attempts == 1 || !ref_mutant("same-branch")) {
		memcpy(branch, "z9hG4bK", 7);
		ref_rng_hex(r->rs->rng, branch + 7, 16);
		if (r->attempts == 1)
			memcpy(r->first_branch, branch, sizeof(branch));
		p.branch = branch;
	} else {
		p.branch = r->first_branch;
	}
	if (ref_mutant("rewrite-ruri")) {
		/* The resolved address replaces the host: the user part is kept. */
		const char *at = strchr(r->uri, '@');
		size_t user = at ? (size_t)(at - r->uri) + 1 : (size_t)(strchr(r->uri, ':') - r->uri) + 1;

		snprintf(rewritten, sizeof(rewritten), "%.*s%s", (int)user, r->uri, r->cur_str);
		p.uri = rewritten;
	}
	rc = ref_txn_start(r->rs->txns, &p, &txn_ops, r, &r->txn);
	if (rc < 0) {
		ref_logf(r->rs->log, "request %u: cannot start a transaction: %s", r->id,
			 strerror(-rc));
		fail_over(r, SUT_E_TRANSPORT, "transport error");
		return;
	}
	on_retransmitted(r, r->txn); /* seeded bug only: resolves again for the next send */
}

static void on_kick(void *arg)
{
	struct ref_request *r = arg;

	finish(r, r->kick_status);
}

static bool valid_token(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-.!%*_+`'~", *s))
			return false;
	return true;
}

static struct ref_request *find(struct ref_reqs *rs, unsigned id)
{
	struct ref_request *r;

	TAILQ_FOREACH(r, &rs->list, link)
		if (r->id == id)
			return r;
	return NULL;
}

int ref_request_start(struct ref_reqs *rs, unsigned id, const char *method, const char *uri,
		      size_t body_len)
{
	struct ref_request *r;
	char rnd[20];
	int rc;

	if (find(rs, id))
		return -EEXIST;
	if (!method || !uri || !valid_token(method) || strlen(method) >= 32 || strlen(uri) >= 1024)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->rs = rs;
	r->id = id;
	r->body_len = body_len;
	r->cseq = 1;
	snprintf(r->last_why, sizeof(r->last_why), "none");
	snprintf(r->method, sizeof(r->method), "%s", method);
	ref_timer_init(&r->kick, on_kick, r);
	TAILQ_INSERT_TAIL(&rs->list, r, link);
	rc = -ENOMEM;
	r->uri = strdup(uri);
	if (!r->uri)
		goto fail;
	rc = ref_uri_parse(uri, &r->puri);
	if (rc < 0) {
		ref_logf(rs->log, "request %u: bad Request-URI %s", id, uri);
		rc = -EINVAL;
		goto fail;
	}
	ref_rng_hex(rs->rng, rnd, 16);
	snprintf(r->call_id, sizeof(r->call_id), "%s@%s", rnd, rs->local_host);
	ref_rng_hex(rs->rng, r->from_tag, 8);
	rc = ref_resolver_new(&r->res, &rs->resolve, &r->puri);
	if (rc < 0)
		goto fail;
	ref_logf(rs->log, "request %u: %s %s", id, method, uri);
	if (ref_mutant("shared-exhaust") && strcmp(mut_dead_host, r->puri.host) == 0) {
		/* The list state of an earlier, exhausted request is shared: nothing left. */
		r->kick_status = SUT_E_NOTARGET;
		ref_timer_start(rs->loop, &r->kick, 0);
		return 0;
	}
	next_target(r);
	return 0;
fail:
	request_free(r);
	return rc;
}

/* Seeded bug (cancel-reresolve, pjsip#917 / sofia-sip#279 for CANCEL): the URI is resolved
 * again for the CANCEL, which goes to the new list's first element. */
static void on_cancel_target(void *arg, int rc, const struct ref_target *t, const char *desc)
{
	struct ref_request *r = arg;
	struct ref_resolver *res = r->mut_res;

	(void)desc;
	r->mut_res = NULL;
	ref_resolver_free(res);
	if (!r->txn)
		return;
	if (rc == 0)
		ref_txn_redirect(r->txn, t);
	ref_txn_cancel(r->txn);
}

int ref_request_cancel(struct ref_reqs *rs, unsigned id)
{
	struct ref_request *r = find(rs, id);

	if (!r)
		return -ENOENT;
	if (strcmp(r->method, "INVITE") != 0)
		return -EINVAL;
	if (r->cancel_requested)
		return 0;
	r->cancel_requested = true;
	ref_logf(rs->log, "request %u: cancel requested", id);
	if (!r->txn || ref_mutant("cancel-local-only")) {
		/* Nothing is pending at a server: end it from the loop, not inside this call. */
		ref_resolver_free(r->res);
		r->res = NULL;
		r->kick_status = SUT_E_CANCELLED;
		ref_timer_start(rs->loop, &r->kick, 0);
		return 0;
	}
	if (ref_mutant("cancel-reresolve") && !r->mut_res &&
	    ref_resolver_new(&r->mut_res, &rs->resolve, &r->puri) == 0) {
		ref_resolver_next(r->mut_res, on_cancel_target, r);
		return 0;
	}
	return ref_txn_cancel(r->txn);
}

void ref_reqs_init(struct ref_reqs *rs)
{
	TAILQ_INIT(&rs->list);
	TAILQ_INIT(&rs->blocks);
}

void ref_reqs_fini(struct ref_reqs *rs)
{
	struct ref_request *r;
	struct ref_block *b;

	while ((r = TAILQ_FIRST(&rs->list)))
		request_free(r);
	while ((b = TAILQ_FIRST(&rs->blocks))) {
		TAILQ_REMOVE(&rs->blocks, b, link);
		free(b);
	}
}
