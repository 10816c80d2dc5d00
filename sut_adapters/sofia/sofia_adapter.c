/* sofia_adapter.c: the sut_adapter ABI over sofia-sip's nta: each request is one
 * nta_outgoing transaction, whose own RFC 3263 resolver (sres) and failover are under test. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct sofia_ctx;
struct sofia_req;
#define SU_ROOT_MAGIC_T struct sofia_ctx
#define SU_WAKEUP_ARG_T struct sofia_ctx
#define NTA_AGENT_MAGIC_T struct sofia_ctx
#define NTA_LEG_MAGIC_T struct sofia_ctx
#define NTA_OUTGOING_MAGIC_T struct sofia_req

#include <sofia-sip/su.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/nta.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sresolv.h>

#include "sut_adapter.h"

/* TLS is not declared: nta's TLS transport needs a certificate directory of its own
 * (agent.pem + cafile.pem) and the harness has no TLS peers to test it against yet.
 * IPv6 is not declared either: the ABI gives one IPv4 bind address. */
#define SOFIA_CAPS (SUT_CAP_UDP | SUT_CAP_TCP | SUT_CAP_CANCEL | SUT_CAP_TIMERS | \
		    SUT_CAP_ACK2XX)
#define SOFIA_SIP_PORT 5060
#define SOFIA_MAX_BODY 65536
#ifndef SOFIA_PC_VERSION
#define SOFIA_PC_VERSION "unknown" /* the Makefile passes the Debian package version */
#endif

struct sofia_req {
	struct sofia_req *next;
	struct sofia_ctx *ctx;
	nta_outgoing_t *orq;
	nta_outgoing_t *ack;          /* the ACK of a 2xx, kept until the request goes */
	unsigned id;
	bool done;
};

struct sofia_outcome {
	struct sofia_outcome *next;
	unsigned id;
	int status;
};

struct sofia_ctx {
	sut_log_fn log;
	void *log_arg;
	int wake_fd;
	int wake_reg;                 /* su_root_register index, 0: none */
	bool su_up, woken;
	char bind_addr[64];
	char resolv_conf[4200];
	su_home_t home[1];
	su_root_t *root;
	nta_agent_t *agent;
	nta_leg_t *leg;
	struct sofia_req *reqs;
	struct sofia_outcome *queue, **queue_tail;
	sut_done_fn on_done;          /* set during run() */
	void *on_done_arg;
	unsigned seq;
	char logline[1024];
	size_t loglen;
};

/* sofia's own log goes to the default su_log; its modules print in fragments. */
static struct sofia_ctx *log_ctx;

static void slog(struct sofia_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void slog(struct sofia_ctx *c, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (!c->log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	c->log(c->log_arg, line);
}

static void on_sofia_log(void *stream, char const *fmt, va_list ap)
{
	struct sofia_ctx *c = log_ctx;
	char buf[1024];
	int n;

	(void)stream;
	if (!c || !c->log)
		return;
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n < 0)
		return;
	for (const char *p = buf; *p; p++) {
		if (*p == '\n' || c->loglen + 1 >= sizeof(c->logline)) {
			c->logline[c->loglen] = '\0';
			if (c->loglen)
				slog(c, "sofia: %s", c->logline);
			c->loglen = 0;
			if (*p == '\n')
				continue;
		}
		c->logline[c->loglen++] = *p;
	}
}

static void report(struct sofia_ctx *c, unsigned id, int status)
{
	struct sofia_outcome *o;

	if (c->on_done) {
		c->on_done(c->on_done_arg, id, status);
		return;
	}
	o = malloc(sizeof(*o));
	if (!o) {
		slog(c, "sofia: out of memory: outcome %d of request %u lost", status, id);
		return;
	}
	o->next = NULL;
	o->id = id;
	o->status = status;
	*c->queue_tail = o;
	c->queue_tail = &o->next;
}

static void flush_queue(struct sofia_ctx *c)
{
	struct sofia_outcome *o;

	while ((o = c->queue)) {
		c->queue = o->next;
		if (!c->queue)
			c->queue_tail = &c->queue;
		c->on_done(c->on_done_arg, o->id, o->status);
		free(o);
	}
}

/* nta answers a transaction it could not complete with a response of its own making
 * (nta.c: outgoing_reply(), outgoing_resolving_error()); only those become ABI errors. */
static int map_internal(int status, const char *phrase)
{
	switch (status) {
	case 408:
		return SUT_E_TIMEOUT;          /* timer B/F on the last destination */
	case 503:
		/* "DNS Error": resolution left no destination (sofia does not tell NXDOMAIN,
		 * NODATA, "." or SERVFAIL apart); anything else: the transport failed. */
		if (phrase && !strcmp(phrase, "DNS Error"))
			return SUT_E_NOTARGET;
		return SUT_E_TRANSPORT;
	case 487:
		return SUT_E_CANCELLED;
	default:
		return SUT_E_INTERNAL;
	}
}

static struct sofia_req *find_req(struct sofia_ctx *c, unsigned id)
{
	for (struct sofia_req *r = c->reqs; r; r = r->next)
		if (r->id == id && !r->done)
			return r;
	return NULL;
}

static void drop_req(struct sofia_ctx *c, struct sofia_req *r)
{
	struct sofia_req **pp;

	for (pp = &c->reqs; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	}
	if (r->orq)
		nta_outgoing_destroy(r->orq);
	if (r->ack)
		nta_outgoing_destroy(r->ack);
	free(r);
}

/* The ACK of a 2xx is the UAC core's (RFC 3261 13.2.2.4), so the adapter's, as sofia's
 * nua does it: nta sends it as a request of its own to the remote target (the Contact),
 * resolved anew (RFC 3263 on the Contact's URI). Kept alive until the request is dropped:
 * nta may still be resolving the Contact's host. */
static void ack_2xx(struct sofia_ctx *c, struct sofia_req *r, sip_t const *sip)
{
	char cseq[32];

	if (r->ack)
		return;
	if (!sip->sip_contact) {
		slog(c, "sofia: request %u: the 2xx has no Contact: no remote target to ACK", r->id);
		return;
	}
	snprintf(cseq, sizeof(cseq), "%u ACK", (unsigned)sip->sip_cseq->cs_seq);
	r->ack = nta_outgoing_tcreate(c->leg, NULL, NULL, NULL, SIP_METHOD_ACK,
				      (url_string_t const *)sip->sip_contact->m_url,
				      SIPTAG_TO(sip->sip_to), SIPTAG_FROM(sip->sip_from),
				      SIPTAG_CALL_ID(sip->sip_call_id), SIPTAG_CSEQ_STR(cseq),
				      SIPTAG_MAX_FORWARDS_STR("70"), TAG_END());
	slog(c, "sofia: request %u: ACK of the 2xx%s", r->id, r->ack ? "" : ": nta_outgoing_tcreate failed");
}

static int on_response(struct sofia_req *r, nta_outgoing_t *orq, sip_t const *sip)
{
	struct sofia_ctx *c = r->ctx;
	int status = nta_outgoing_status(orq);
	const char *phrase = sip && sip->sip_status ? sip->sip_status->st_phrase : "";
	int outcome = status;

	if (status < 200 || r->done)
		return 0;
	r->done = true;
	if (status < 300 && sip && sip->sip_cseq && sip->sip_cseq->cs_method == sip_method_invite &&
	    !nta_sip_is_internal(sip))
		ack_2xx(c, r, sip);
	if (nta_sip_is_internal(sip)) {
		outcome = map_internal(status, phrase);
		slog(c, "sofia: request %u: nta's own %d %s -> %d", r->id, status,
		     phrase ? phrase : "", outcome);
	} else {
		slog(c, "sofia: request %u: final %d %s", r->id, status, phrase ? phrase : "");
	}
	report(c, r->id, outcome);
	/* The transaction stays alive for its ACK / timer K; close() destroys it. */
	return 0;
}

static int on_wake(struct sofia_ctx *c, su_wait_t *w, struct sofia_ctx *arg)
{
	(void)w;
	(void)arg;
	/* The runner reads the control line: leave the data, only stop the loop. */
	c->woken = true;
	su_root_break(c->root);
	return 0;
}

static void sofia_adapter_close(void *ctx)
{
	struct sofia_ctx *c = ctx;
	struct sofia_outcome *o;

	if (!c)
		return;
	while (c->reqs)
		drop_req(c, c->reqs);
	if (c->leg)
		nta_leg_destroy(c->leg);
	if (c->agent)
		nta_agent_destroy(c->agent);
	if (c->wake_reg > 0)
		su_root_deregister(c->root, c->wake_reg);
	if (c->root)
		su_root_destroy(c->root);
	while ((o = c->queue)) {
		c->queue = o->next;
		free(o);
	}
	if (c->su_up) {
		su_home_deinit(c->home);
		su_deinit();
	}
	if (log_ctx == c)
		log_ctx = NULL;
	free(c);
}

/* sres reads resolv.conf: the fake DNS as its only server, and sofia's own "port" line
 * for when it is not on 53. */
static int write_resolv_conf(struct sofia_ctx *c, const struct sut_config *cfg)
{
	FILE *f;

	snprintf(c->resolv_conf, sizeof(c->resolv_conf), "%s/sofia-resolv.conf", cfg->workdir);
	f = fopen(c->resolv_conf, "w");
	if (!f)
		return -errno;
	fprintf(f, "nameserver %s\nport %u\n", cfg->dns_addr ? cfg->dns_addr : "127.0.0.1",
		cfg->dns_port ? cfg->dns_port : 53);
	return fclose(f) == 0 ? 0 : -errno;
}

static int sofia_adapter_open(const struct sut_config *cfg, void **ctxp)
{
	struct sofia_ctx *c = calloc(1, sizeof(*c));
	char url[160];
	su_wait_t w[1];
	unsigned wanted;
	bool udp, tcp;
	int rc = -ENOMEM;

	*ctxp = NULL;
	if (!c)
		return -ENOMEM;
	c->log = cfg->log;
	c->log_arg = cfg->log_arg;
	c->wake_fd = cfg->wake_fd;
	c->queue_tail = &c->queue;
	snprintf(c->bind_addr, sizeof(c->bind_addr), "%s",
		 cfg->bind_addr ? cfg->bind_addr : "127.0.0.1");
	wanted = cfg->caps_wanted ? cfg->caps_wanted & SOFIA_CAPS : SOFIA_CAPS;
	udp = wanted & SUT_CAP_UDP;
	tcp = wanted & SUT_CAP_TCP;
	if (!udp && !tcp) {
		slog(c, "sofia: the scenario allows neither UDP nor TCP, the transports this "
		     "adapter has");
		rc = -ENOTSUP;
		goto fail;
	}
	rc = write_resolv_conf(c, cfg);
	if (rc < 0) {
		slog(c, "sofia: cannot write %s: %s", c->resolv_conf, strerror(-rc));
		goto fail;
	}
	/* Module log levels are read from the environment when sofia first logs. */
	setenv("NTA_DEBUG", "5", 0);
	setenv("SRESOLV_DEBUG", "3", 0);
	setenv("TPORT_DEBUG", "3", 0);
	log_ctx = c;
	su_log_redirect(NULL, on_sofia_log, NULL);
	if (su_init() != 0) {
		slog(c, "sofia: su_init failed");
		rc = -EIO;
		goto fail;
	}
	c->su_up = true;
	su_home_init(c->home);
	c->root = su_root_create(c);
	if (!c->root) {
		slog(c, "sofia: su_root_create failed");
		rc = -EIO;
		goto fail;
	}
	/* One URL binds both UDP and TCP; a transport parameter narrows it to one. */
	snprintf(url, sizeof(url), "sip:%s:%u%s", c->bind_addr, SOFIA_SIP_PORT,
		 udp && tcp ? "" : udp ? ";transport=udp" : ";transport=tcp");
	c->agent = nta_agent_create(c->root, (url_string_t *)url, NULL, NULL,
				    SRESTAG_RESOLV_CONF(c->resolv_conf),
				    NTATAG_SIP_T1(cfg->t1_ms),
				    NTATAG_SIP_T1X64(cfg->timer_b_ms),
				    NTATAG_SIP_T2(4000u > cfg->t1_ms ? 4000u : cfg->t1_ms),
				    NTATAG_SIP_T4(5000u > cfg->t1_ms ? 5000u : cfg->t1_ms),
				    NTATAG_UA(1),
				    TAG_END());
	if (!c->agent) {
		slog(c, "sofia: nta_agent_create(%s) failed: %s", url, strerror(errno));
		rc = errno ? -errno : -EIO;
		goto fail;
	}
	c->leg = nta_leg_tcreate(c->agent, NULL, c, NTATAG_NO_DIALOG(1), TAG_END());
	if (!c->leg) {
		slog(c, "sofia: nta_leg_tcreate failed");
		rc = -EIO;
		goto fail;
	}
	if (su_wait_create(w, c->wake_fd, SU_WAIT_IN) < 0 ||
	    (c->wake_reg = su_root_register(c->root, w, on_wake, c, 0)) <= 0) {
		slog(c, "sofia: cannot watch wake_fd %d", c->wake_fd);
		c->wake_reg = 0;
		rc = -EIO;
		goto fail;
	}
	if (cfg->timer_b_ms != cfg->timer_f_ms)
		slog(c, "sofia: timer F %u ms asked, nta has one 64*T1 for B and F: %u ms",
		     cfg->timer_f_ms, cfg->timer_b_ms);
	slog(c, "sofia-sip %s (nta %s) open: %s, dns %s:%u via %s, T1=%u T1x64=%u ms",
	     SOFIA_PC_VERSION, nta_agent_version(c->agent), url,
	     cfg->dns_addr ? cfg->dns_addr : "127.0.0.1", cfg->dns_port, c->resolv_conf,
	     cfg->t1_ms, cfg->timer_b_ms);
	*ctxp = c;
	return 0;
fail:
	sofia_adapter_close(c);
	return rc;
}

static int sofia_adapter_request(void *ctx, unsigned id, const struct sut_request *req)
{
	struct sofia_ctx *c = ctx;
	struct sofia_req *r;
	char from[128], to[1100], callid[96], cseq[64], contact[128];
	char *body = NULL;
	sip_method_t m;
	int rc = 0;

	if (req->body_len > SOFIA_MAX_BODY) {
		slog(c, "sofia: request %u: body of %zu bytes is over the adapter's %d", id,
		     req->body_len, SOFIA_MAX_BODY);
		return -E2BIG;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->ctx = c;
	r->id = id;
	if (req->body_len) {
		body = malloc(req->body_len + 1);
		if (!body) {
			free(r);
			return -ENOMEM;
		}
		for (size_t i = 0; i < req->body_len; i++)
			body[i] = (char)('a' + i % 26);
		body[req->body_len] = '\0';
	}
	c->seq++;
	snprintf(from, sizeof(from), "<sip:siploc@%s>;tag=siploc%u", c->bind_addr, c->seq);
	snprintf(to, sizeof(to), "<%s>", req->uri);
	snprintf(callid, sizeof(callid), "%u-%u@siploc-sofia", c->seq, id);
	snprintf(cseq, sizeof(cseq), "1 %s", req->method);
	snprintf(contact, sizeof(contact), "<sip:siploc@%s:%u>", c->bind_addr, SOFIA_SIP_PORT);
	m = sip_method_code(req->method);
	r->next = c->reqs;
	c->reqs = r;
	r->orq = nta_outgoing_tcreate(c->leg, on_response, r, NULL, m, req->method,
				      (url_string_t *)req->uri,
				      SIPTAG_TO_STR(to), SIPTAG_FROM_STR(from),
				      SIPTAG_CALL_ID_STR(callid), SIPTAG_CSEQ_STR(cseq),
				      SIPTAG_CONTACT_STR(contact),
				      SIPTAG_MAX_FORWARDS_STR("70"),
				      TAG_IF(body, SIPTAG_CONTENT_TYPE_STR("text/plain")),
				      TAG_IF(body, SIPTAG_PAYLOAD_STR(body)),
				      TAG_END());
	free(body);
	if (!r->orq) {
		/* nta refused before any network activity (bad URI, ...) */
		slog(c, "sofia: request %u: nta_outgoing_tcreate(%s %s) failed", id,
		     req->method, req->uri);
		r->done = true;
		report(c, id, SUT_E_INTERNAL);
	}
	return rc;
}

static int sofia_adapter_cancel(void *ctx, unsigned id)
{
	struct sofia_ctx *c = ctx;
	struct sofia_req *r = find_req(c, id);

	if (!r || !r->orq) {
		slog(c, "sofia: cancel %u: no such pending request", id);
		return -ENOENT;
	}
	/* nta sends the CANCEL to where the INVITE went (nta.c: outgoing_cancel) and the
	 * INVITE then ends with the server's 487, reported through on_response. */
	if (!nta_outgoing_tcancel(r->orq, NULL, NULL, TAG_END())) {
		slog(c, "sofia: cancel %u: nta_outgoing_tcancel failed", id);
		return -EIO;
	}
	return 0;
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int sofia_adapter_run(void *ctx, int timeout_ms, sut_done_fn on_done, void *arg)
{
	struct sofia_ctx *c = ctx;
	long long end = mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);

	c->on_done = on_done;
	c->on_done_arg = arg;
	c->woken = false;
	flush_queue(c);
	for (;;) {
		long long left = end - mono_ms();

		su_root_step(c->root, left > 0 ? (su_duration_t)left : 0);
		flush_queue(c);
		if (c->woken || left <= 0)
			break;
	}
	c->on_done = NULL;
	c->on_done_arg = NULL;
	return 0;
}

static const struct sut_adapter sofia_adapter = {
	.abi_version = SUT_ABI_VERSION,
	.name = "sofia",
	.version = SOFIA_PC_VERSION,
	.caps = SOFIA_CAPS,
	.open = sofia_adapter_open,
	.request = sofia_adapter_request,
	.cancel = sofia_adapter_cancel,
	.run = sofia_adapter_run,
	.close = sofia_adapter_close,
};

const struct sut_adapter *sut_adapter_v1(void);

const struct sut_adapter *sut_adapter_v1(void)
{
	return &sofia_adapter;
}
