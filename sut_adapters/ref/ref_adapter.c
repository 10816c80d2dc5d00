/* ref_adapter.c: the sut_adapter ABI glue for ref: builds the loop, sockets, DNS client,
 * transaction table and request table from sut_config, and forwards the ABI calls. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ref_dns.h"
#include "ref_log.h"
#include "ref_mutant.h"
#include "ref_loop.h"
#include "ref_rand.h"
#include "ref_request.h"
#include "ref_role.h"
#include "ref_tport.h"
#include "ref_txn.h"
#include "sut_adapter.h"

#define REF_CAPS (SUT_CAP_UDP | SUT_CAP_TCP | SUT_CAP_TLS | SUT_CAP_IPV6 | SUT_CAP_TIMERS | \
		  SUT_CAP_CANCEL | \
		  SUT_CAP_STATELESS | SUT_CAP_SERVER | SUT_CAP_ALARM | SUT_CAP_ACK2XX)

struct done_item {
	struct done_item *next;
	unsigned id;
	int status;
};

struct ref_ctx {
	char *dns_addr, *bind_addr;
	struct ref_log log;
	struct ref_biddown biddown;
	struct ref_loop loop;
	struct ref_rng rng;
	struct ref_dns *dns;
	struct ref_tport *tport;
	struct ref_txns txns;
	struct ref_reqs reqs;
	struct ref_role *role;       /* NULL: client (ref_role.h) */
	sut_done_fn on_done;         /* set during run() */
	void *on_done_arg;
	struct done_item *queue, **queue_tail; /* outcomes decided outside run() */
};

static void on_outcome(void *arg, unsigned id, int status)
{
	struct ref_ctx *c = arg;
	struct done_item *d;

	if (c->on_done) {
		c->on_done(c->on_done_arg, id, status);
		return;
	}
	d = malloc(sizeof(*d));
	if (!d) {
		ref_logf(&c->log, "out of memory: outcome %d of request %u lost", status, id);
		return;
	}
	d->next = NULL;
	d->id = id;
	d->status = status;
	*c->queue_tail = d;
	c->queue_tail = &d->next;
}

static void flush_queue(void *arg)
{
	struct ref_ctx *c = arg;
	struct done_item *d;

	while ((d = c->queue)) {
		c->queue = d->next;
		if (!c->queue)
			c->queue_tail = &c->queue;
		c->on_done(c->on_done_arg, d->id, d->status);
		free(d);
	}
}

static void on_sip(void *arg, const char *buf, size_t len, const struct sockaddr *from,
		   struct ref_conn *conn)
{
	struct ref_ctx *c = arg;

	if (c->role && ref_role_on_message(c->role, buf, len, from, conn))
		return;
	ref_txns_on_message(&c->txns, buf, len, from, conn);
}

static void on_icmp(void *arg, int err, const struct sockaddr *dst, const char *payload,
		    size_t len)
{
	struct ref_ctx *c = arg;

	if (ref_mutant("ignore-icmp"))
		return; /* kamailio#2377: the transaction waits for timer B instead */
	if (c->role && ref_role_on_icmp(c->role, err, dst, payload, len))
		return;
	ref_txns_on_icmp(&c->txns, err, dst, payload, len);
}

static void on_down(void *arg, struct ref_conn *conn, int err, const char *why)
{
	struct ref_ctx *c = arg;

	/* A response on its way back may ride this connection (RFC 3263 section 5). */
	if (c->role)
		ref_role_on_down(c->role, conn, err, why);
	ref_txns_on_down(&c->txns, conn, err, why);
}

static void ref_close(void *ctx)
{
	struct ref_ctx *c = ctx;
	struct done_item *d;

	if (!c)
		return;
	ref_role_free(c->role);
	ref_reqs_fini(&c->reqs);
	ref_txns_fini(&c->txns);
	ref_dns_free(c->dns);
	ref_tport_free(c->tport);
	ref_loop_fini(&c->loop);
	while ((d = c->queue)) {
		c->queue = d->next;
		free(d);
	}
	free(c->dns_addr);
	free(c->bind_addr);
	free(c);
}

/* sut_config grew after ABI 1 shipped: fields past the end of an older runner's struct
 * are never read (the runner in this tree always has them). */
static int ref_open(const struct sut_config *cfg, void **ctxp)
{
	static const struct ref_tport_ops tport_ops_tmpl = { on_sip, on_icmp, on_down, NULL };
	struct ref_tport_ops tport_ops = tport_ops_tmpl;
	struct ref_tport_cfg tcfg;
	struct ref_ctx *c = calloc(1, sizeof(*c));
	unsigned wanted, t1, tp_mask = 0;
	int rc = -ENOMEM;

	*ctxp = NULL;
	if (!c)
		return rc;
	c->loop.epfd = -1;
	c->queue_tail = &c->queue;
	c->log.fn = cfg->log;
	c->log.arg = cfg->log_arg;
	c->log.alarm = cfg->alarm;
	ref_biddown_init(&c->biddown, &c->log);
	ref_txns_init(&c->txns);
	ref_reqs_init(&c->reqs);
	c->dns_addr = strdup(cfg->dns_addr ? cfg->dns_addr : "127.0.0.1");
	c->bind_addr = strdup(cfg->bind_addr ? cfg->bind_addr : "127.0.0.1");
	if (!c->dns_addr || !c->bind_addr)
		goto fail;
	ref_rng_seed(&c->rng, cfg->seed);
	rc = ref_loop_init(&c->loop, cfg->wake_fd);
	if (rc < 0)
		goto fail;
	/* caps_wanted narrows what ref may use; 0 means no restriction. */
	wanted = cfg->caps_wanted ? cfg->caps_wanted & REF_CAPS : REF_CAPS;
	if (wanted & SUT_CAP_UDP)
		tp_mask |= REF_TPM(REF_TP_UDP);
	if (wanted & SUT_CAP_TCP)
		tp_mask |= REF_TPM(REF_TP_TCP);
	if (wanted & SUT_CAP_TLS)
		tp_mask |= REF_TPM(REF_TP_TLS);
	tport_ops.arg = c;
	tcfg = (struct ref_tport_cfg){
		.loop = &c->loop, .log = &c->log, .bind4 = c->bind_addr,
		/* No IPv6 source address, no IPv6 at all (as AI_ADDRCONFIG would have it). */
		.bind6 = (wanted & SUT_CAP_IPV6) ? cfg->bind_addr6 : NULL,
		.udp_port = cfg->listen_port ? cfg->listen_port : 5060, .tp_mask = tp_mask, .tls_ca_file = cfg->tls_ca_file,
	};
	rc = ref_tport_new(&c->tport, &tcfg, &tport_ops);
	if (rc < 0)
		goto fail;
	rc = ref_dns_new(&c->dns, &c->loop, &c->rng, &c->log, c->dns_addr, cfg->dns_port,
			 c->bind_addr);
	if (rc < 0) {
		ref_logf(&c->log, "cannot open the DNS socket to %s:%u: %s", c->dns_addr,
			 cfg->dns_port, strerror(-rc));
		goto fail;
	}
	t1 = cfg->t1_ms ? cfg->t1_ms : 500;
	c->txns.loop = &c->loop;
	c->txns.tport = c->tport;
	c->txns.rng = &c->rng;
	c->txns.log = &c->log;
	c->txns.t1 = t1;
	c->txns.t2 = 4000;
	c->txns.t4 = 5000;
	c->txns.timer_b = cfg->timer_b_ms ? cfg->timer_b_ms : 64 * t1;
	c->txns.timer_f = cfg->timer_f_ms ? cfg->timer_f_ms : 64 * t1;
	c->txns.proceeding_cap = 180000;
	c->reqs.loop = &c->loop;
	c->reqs.rng = &c->rng;
	c->reqs.log = &c->log;
	c->reqs.txns = &c->txns;
	c->reqs.local_host = c->bind_addr;
	c->reqs.done = on_outcome;
	c->reqs.done_arg = c;
	c->reqs.resolve = (struct ref_resolve_env){
		.loop = &c->loop, .dns = c->dns, .rng = &c->rng, .log = &c->log,
		.tp_mask = ref_tport_mask(c->tport),
		.ipv6 = ref_tport_ipv6(c->tport), .biddown = &c->biddown,
	};
	{
		struct ref_role_env re = {
			.loop = &c->loop, .tport = c->tport, .log = &c->log, .rng = &c->rng,
			.resolve = c->reqs.resolve, .local_host = c->bind_addr,
			.local_port = ref_tport_udp_port(c->tport), .t1 = t1, .t2 = c->txns.t2,
			.timer_b = c->txns.timer_b, .timer_f = c->txns.timer_f,
		};

		rc = ref_role_new(&c->role, cfg->role, &re);
		if (rc < 0)
			goto fail;
		/* The roles receive requests over every transport they have, on the ports the
		 * scenario sends to (ABI: listen_port, tls_listen_port). */
		if (c->role)
			rc = ref_tport_listen(c->tport, &c->loop,
					      cfg->listen_port ? cfg->listen_port : 5060,
					      cfg->tls_listen_port ? cfg->tls_listen_port :
					      (uint16_t)((cfg->listen_port ? cfg->listen_port : 5060) + 1),
					      cfg->tls_cert_file, cfg->tls_key_file);
		if (rc < 0)
			goto fail;
	}
	ref_logf(&c->log, "ref 0.2 open: sip%s%s%s on %s%s%s (udp port %u), dns %s:%u, "
		 "T1=%u B=%u F=%u, seed %u%s%s",
		 ref_tport_mask(c->tport) & REF_TPM(REF_TP_UDP) ? " udp" : "",
		 ref_tport_mask(c->tport) & REF_TPM(REF_TP_TCP) ? " tcp" : "",
		 ref_tport_mask(c->tport) & REF_TPM(REF_TP_TLS) ? " tls" : "", c->bind_addr,
		 ref_tport_ipv6(c->tport) ? " and " : "",
		 ref_tport_ipv6(c->tport) ? cfg->bind_addr6 : "", ref_tport_udp_port(c->tport),
		 c->dns_addr, cfg->dns_port, t1, c->txns.timer_b, c->txns.timer_f, cfg->seed,
		 cfg->tls_ca_file ? ", CA " : "", cfg->tls_ca_file ? cfg->tls_ca_file : "");
	*ctxp = c;
	return 0;
fail:
	ref_close(c);
	return rc;
}

static int ref_request(void *ctx, unsigned id, const struct sut_request *req)
{
	struct ref_ctx *c = ctx;

	if (c->role) {
		ref_logf(&c->log, "request %u: a %s is driven by the requests it receives, not "
			 "by send{}", id, c->role ? "proxy or server" : "");
		return -ENOTSUP;
	}
	return ref_request_start(&c->reqs, id, req->method, req->uri, req->body_len);
}

static int ref_cancel(void *ctx, unsigned id)
{
	struct ref_ctx *c = ctx;

	return ref_request_cancel(&c->reqs, id);
}

static int ref_run(void *ctx, int timeout_ms, sut_done_fn on_done, void *arg)
{
	struct ref_ctx *c = ctx;
	int rc;

	c->on_done = on_done;
	c->on_done_arg = arg;
	flush_queue(c);
	rc = ref_loop_run(&c->loop, timeout_ms, NULL, NULL);
	c->on_done = NULL;
	c->on_done_arg = NULL;
	return rc;
}

#ifdef REF_MUTANT
#define REF_VERSION "0.2-mutant-" REF_MUTANT
#else
#define REF_VERSION "0.2"
#endif

static const struct sut_adapter ref_adapter = {
	.abi_version = SUT_ABI_VERSION,
	.name = "ref",
	.version = REF_VERSION,
	.caps = REF_CAPS,
	.open = ref_open,
	.request = ref_request,
	.cancel = ref_cancel,
	.run = ref_run,
	.close = ref_close,
};

const struct sut_adapter *sut_adapter_v1(void);

const struct sut_adapter *sut_adapter_v1(void)
{
	return &ref_adapter;
}
