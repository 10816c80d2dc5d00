/* ref_request.h: one SUT request, start to outcome: resolution, one client transaction per
 * list element, failover (RFC 3263 4.3), cancel, and the single report; addressed by id. */
#ifndef REF_REQUEST_H
#define REF_REQUEST_H

#include <stddef.h>
#include <sys/queue.h>

#include "ref_log.h"
#include "ref_loop.h"
#include "ref_rand.h"
#include "ref_resolve.h"
#include "ref_txn.h"

struct ref_request;
struct ref_block;

struct ref_reqs {
	struct ref_loop *loop;
	struct ref_rng *rng;
	const struct ref_log *log;
	struct ref_txns *txns;
	struct ref_resolve_env resolve;
	const char *local_host;
	/* Called once per request with its outcome (SIP status or enum sut_error). */
	void (*done)(void *arg, unsigned id, int status);
	void *done_arg;
	TAILQ_HEAD(, ref_request) list;
	TAILQ_HEAD(, ref_block) blocks; /* servers that sent 503 + Retry-After */
};

void ref_reqs_init(struct ref_reqs *rs);
/* Frees every request without reporting it (adapter close). */
void ref_reqs_fini(struct ref_reqs *rs);

/* 0, or -EINVAL (bad URI or method), -EEXIST (id in use), -ENOMEM; on error nothing is
 * reported later. The outcome is always reported from the loop, never inside this call. */
int ref_request_start(struct ref_reqs *rs, unsigned id, const char *method, const char *uri,
		      size_t body_len);
/* 0, -ENOENT (unknown or finished id), -EINVAL (not an INVITE). */
int ref_request_cancel(struct ref_reqs *rs, unsigned id);

#endif
