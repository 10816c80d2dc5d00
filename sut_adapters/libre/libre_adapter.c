/* libre_adapter.c: the sut_adapter ABI over libre (baresip/re): each request is one
 * stateful libre sip_request(), whose own RFC 3263 lookup and failover are under test. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libre's headers expect its build's config defines; these two match Debian's build. */
#define HAVE_INTTYPES_H 1
#define HAVE_INET6 1
#include <re.h>

#include "sut_adapter.h"

/* No SUT_CAP_TIMERS: libre 1.x fixes T1 at compile time (SIP_T1) and arms timers B and
 * F at 64*T1, so cfg->t1_ms and friends cannot be applied. No TLS: libre's TLS transport
 * works, but the harness has no TLS peers to show it yet. */
#define LIBRE_CAPS (SUT_CAP_UDP | SUT_CAP_TCP | SUT_CAP_CANCEL | SUT_CAP_ACK2XX)
#define LIBRE_SIP_PORT 5060
#ifndef LIBRE_PC_VERSION
#define LIBRE_PC_VERSION "unknown" /* the Makefile passes pkg-config's modversion */
#endif

struct pending {
	struct pending *next;
	struct adapter_ctx *ctx;
	struct sip_request *req;     /* cleared by libre when the request terminates */
	unsigned id;
	unsigned sends;              /* requests libre sent for this id (any target) */
};

struct outcome {
	struct outcome *next;
	unsigned id;
	int status;
};

struct adapter_ctx {
	sut_log_fn log;
	void *log_arg;
	int wake_fd;
	bool libre_up, wake_listened, closing;
	char *bind_addr;
	unsigned seed;
	struct dnsc *dnsc;
	struct sip *sip;
	struct tmr slice;            /* ends one run() */
	struct pending *pending;
	sut_done_fn on_done;         /* set during run() */
	void *on_done_arg;
	struct outcome *queue, **queue_tail; /* outcomes decided outside run() */
	unsigned seq;                /* Call-ID / tag uniqueness */
};

static void logf_(struct adapter_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void logf_(struct adapter_ctx *c, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!c->log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	c->log(c->log_arg, line);
}

static void report(struct adapter_ctx *c, unsigned id, int status)
{
	struct outcome *o;

	if (c->on_done) {
		c->on_done(c->on_done_arg, id, status);
		return;
	}
	o = malloc(sizeof(*o));
	if (!o) {
		logf_(c, "libre: out of memory: outcome %d of request %u lost", status, id);
		return;
	}
	o->next = NULL;
	o->id = id;
	o->status = status;
	*c->queue_tail = o;
	c->queue_tail = &o->next;
}

static void flush_queue(struct adapter_ctx *c)
{
	struct outcome *o;

	while ((o = c->queue)) {
		c->queue = o->next;
		if (!c->queue)
			c->queue_tail = &c->queue;
		c->on_done(c->on_done_arg, o->id, o->status);
		free(o);
	}
}

/* libre reports every failure as an errno; which phase it came from decides the ABI
 * error: before any request went out it can only have been the DNS lookup. */
static int map_error(int err, unsigned sends)
{
	switch (err) {
	case ETIMEDOUT:
		return sends ? SUT_E_TIMEOUT : SUT_E_DNS;
	case ECONNREFUSED: case ECONNRESET: case ECONNABORTED: case ENETUNREACH:
	case EHOSTUNREACH: case EPIPE: case ENOTCONN: case EMSGSIZE:
		return sends ? SUT_E_TRANSPORT : SUT_E_DNS;
	case EDESTADDRREQ:       /* no A record left (libre: NXDOMAIN, NODATA, SERVFAIL) */
	case ENOENT:             /* no target left */
	case EPROTONOSUPPORT:    /* nothing offered over a transport libre has */
		return SUT_E_NOTARGET;
	case EBADMSG: case EPROTO:
		return SUT_E_DNS;
	default:
		return SUT_E_INTERNAL;
	}
}

static void unlink_pending(struct adapter_ctx *c, struct pending *p)
{
	struct pending **pp;

	for (pp = &c->pending; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			return;
		}
	}
}

static int on_send(enum sip_transp tp, const struct sa *src, const struct sa *dst,
		   struct mbuf *mb, void *arg)
{
	struct pending *p = arg;
	char to[64];

	p->sends++;
	if (re_snprintf(to, sizeof(to), "%J", dst) < 0)
		snprintf(to, sizeof(to), "?");
	logf_(p->ctx, "libre: request %u: attempt %u over %s to %s", p->id, p->sends,
	      sip_transp_name(tp), to);
	return mbuf_printf(mb, "Contact: <sip:siploc@%J>\r\n", src);
}

static size_t sort_key(unsigned seed, unsigned id);

/* The ACK of a 2xx is the UAC core's (RFC 3261 13.2.2.4), so the adapter's, as baresip's
 * sipsess does it on libre: a stateless request of its own to the remote target (the
 * Contact), which libre routes anew (RFC 3263 on the Contact's URI). */
static void ack_2xx(struct adapter_ctx *c, const struct pending *p, const struct sip_msg *msg)
{
	const struct sip_hdr *hdr = sip_msg_hdr(msg, SIP_HDR_CONTACT);
	struct sip_addr addr;
	struct mbuf *mb;
	int err;

	if (!hdr || sip_addr_decode(&addr, &hdr->val)) {
		logf_(c, "libre: request %u: the %u has no Contact: no remote target to ACK",
		      p->id, msg->scode);
		return;
	}
	mb = mbuf_alloc(512);
	if (!mb)
		return;
	err = mbuf_printf(mb, "Max-Forwards: 70\r\nTo: %r\r\nFrom: %r\r\nCall-ID: %r\r\n"
			  "CSeq: %u ACK\r\nContent-Length: 0\r\n\r\n", &msg->to.val,
			  &msg->from.val, &msg->callid, msg->cseq.num);
	mb->pos = 0;
	if (!err)
		err = sip_request(NULL, c->sip, false, "ACK", -1, addr.auri.p, (int)addr.auri.l,
				  &addr.uri, mb, sort_key(c->seed, p->id), NULL, NULL, NULL);
	logf_(c, "libre: request %u: ACK of the %u to %.*s%s%s", p->id, msg->scode,
	      (int)addr.auri.l, addr.auri.p, err ? ": " : "", err ? strerror(err) : "");
	mem_deref(mb);
}

static void on_response(int err, const struct sip_msg *msg, void *arg)
{
	struct pending *p = arg;
	struct adapter_ctx *c = p->ctx;
	int status;

	if (!err && msg && msg->scode < 200)
		return;
	unlink_pending(c, p);
	if (c->closing) {
		free(p);
		return;
	}
	if (!err && msg) {
		status = msg->scode;
		if (status < 300 && !pl_strcmp(&msg->cseq.met, "INVITE"))
			ack_2xx(c, p, msg);
		logf_(c, "libre: request %u: final %d after %u attempt(s)", p->id, status,
		      p->sends);
	} else {
		status = map_error(err, p->sends);
		logf_(c, "libre: request %u: error %s (%d) after %u attempt(s) -> %d", p->id,
		      strerror(err), err, p->sends, status);
	}
	report(c, p->id, status);
	free(p);
}

static void on_wake(int flags, void *arg)
{
	(void)flags;
	(void)arg;
	re_cancel();
}

static void on_slice_end(void *arg)
{
	(void)arg;
	re_cancel();
}

static void libre_adapter_close(void *ctx)
{
	struct adapter_ctx *c = ctx;
	struct outcome *o;

	if (!c)
		return;
	c->closing = true;
	tmr_cancel(&c->slice);
	if (c->sip) {
		/* force: terminates every pending request through on_response, which frees it */
		sip_close(c->sip, true);
		c->sip = mem_deref(c->sip);
	}
	c->dnsc = mem_deref(c->dnsc);
	if (c->wake_listened)
		fd_close(c->wake_fd);
	while (c->pending) {
		struct pending *p = c->pending;

		c->pending = p->next;
		free(p);
	}
	while ((o = c->queue)) {
		c->queue = o->next;
		free(o);
	}
	if (c->libre_up)
		libre_close();
	free(c->bind_addr);
	free(c);
}

static int libre_adapter_open(const struct sut_config *cfg, void **ctxp)
{
	struct adapter_ctx *c = calloc(1, sizeof(*c));
	struct sa dns, laddr;
	unsigned wanted;
	int err = ENOMEM;

	*ctxp = NULL;
	if (!c)
		return -ENOMEM;
	c->log = cfg->log;
	c->log_arg = cfg->log_arg;
	c->wake_fd = cfg->wake_fd;
	c->queue_tail = &c->queue;
	c->seed = cfg->seed;
	tmr_init(&c->slice);
	c->bind_addr = strdup(cfg->bind_addr ? cfg->bind_addr : "127.0.0.1");
	if (!c->bind_addr)
		goto fail;
	wanted = cfg->caps_wanted ? cfg->caps_wanted & LIBRE_CAPS : LIBRE_CAPS;
	if (!(wanted & (SUT_CAP_UDP | SUT_CAP_TCP))) {
		logf_(c, "libre: the scenario allows neither UDP nor TCP");
		err = ENOTSUP;
		goto fail;
	}
	err = libre_init();
	if (err) {
		logf_(c, "libre: libre_init: %s", strerror(err));
		goto fail;
	}
	c->libre_up = true;
	err = sa_set_str(&dns, cfg->dns_addr ? cfg->dns_addr : "127.0.0.1", cfg->dns_port);
	if (err) {
		logf_(c, "libre: bad DNS address %s", cfg->dns_addr ? cfg->dns_addr : "(null)");
		goto fail;
	}
	err = dnsc_alloc(&c->dnsc, NULL, &dns, 1);
	if (err) {
		logf_(c, "libre: dnsc_alloc: %s", strerror(err));
		goto fail;
	}
	err = sip_alloc(&c->sip, c->dnsc, 32, 32, 32, "siploc-libre", NULL, NULL);
	if (err) {
		logf_(c, "libre: sip_alloc: %s", strerror(err));
		goto fail;
	}
	err = sa_set_str(&laddr, c->bind_addr, LIBRE_SIP_PORT);
	/* libre picks among the transports it has when NAPTR/SRV offer several */
	if (!err && (wanted & SUT_CAP_UDP))
		err = sip_transp_add(c->sip, SIP_TRANSP_UDP, &laddr);
	if (!err && (wanted & SUT_CAP_TCP))
		err = sip_transp_add(c->sip, SIP_TRANSP_TCP, &laddr);
	if (err) {
		logf_(c, "libre: cannot add the transports on %s:%u: %s", c->bind_addr,
		      LIBRE_SIP_PORT, strerror(err));
		goto fail;
	}
	err = fd_listen(c->wake_fd, FD_READ, on_wake, c);
	if (err) {
		logf_(c, "libre: fd_listen(wake_fd): %s", strerror(err));
		goto fail;
	}
	c->wake_listened = true;
	logf_(c, "libre %s open: sip%s%s %s:%u, dns %s:%u, libre's own T1=%u B=F=%u ms "
	      "(asked: T1=%u B=%u F=%u), seed %u",
	      sys_libre_version_get(), (wanted & SUT_CAP_UDP) ? " udp" : "",
	      (wanted & SUT_CAP_TCP) ? " tcp" : "", c->bind_addr, LIBRE_SIP_PORT,
	      cfg->dns_addr ? cfg->dns_addr : "127.0.0.1", cfg->dns_port, (unsigned)SIP_T1,
	      64u * SIP_T1, cfg->t1_ms, cfg->timer_b_ms, cfg->timer_f_ms, cfg->seed);
	*ctxp = c;
	return 0;
fail:
	libre_adapter_close(c);
	return -err;
}

/* libre orders SRV records and addresses by a hash of a per-request key (its own
 * sip_requestf() passes the handler argument's address): a mix of seed and id varies it
 * per request as libre's callers do, yet repeats from one run to the next. */
static size_t sort_key(unsigned seed, unsigned id)
{
	uint64_t x = ((uint64_t)seed << 32 | id) + 0x9e3779b97f4a7c15ull;

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return (size_t)(x ^ (x >> 31));
}

static int build_headers(struct adapter_ctx *c, struct mbuf *mb, const struct sut_request *r)
{
	unsigned n = ++c->seq;
	int err;
	size_t i;

	err = mbuf_printf(mb, "Max-Forwards: 70\r\nTo: <%s>\r\n", r->uri);
	err |= mbuf_printf(mb, "From: <sip:siploc@%s>;tag=siploc%u\r\n", c->bind_addr, n);
	err |= mbuf_printf(mb, "Call-ID: %u-%08x@siploc\r\nCSeq: 1 %s\r\n", n,
			   (unsigned)rand_u32(), r->method);
	if (r->body_len)
		err |= mbuf_write_str(mb, "Content-Type: text/plain\r\n");
	err |= mbuf_printf(mb, "Content-Length: %zu\r\n\r\n", r->body_len);
	for (i = 0; !err && i < r->body_len; i++)
		err = mbuf_write_u8(mb, (uint8_t)('a' + i % 26));
	mb->pos = 0;
	return err;
}

static int libre_adapter_request(void *ctx, unsigned id, const struct sut_request *r)
{
	struct adapter_ctx *c = ctx;
	struct pending *p = NULL;
	struct mbuf *mb = NULL;
	struct uri route;
	struct pl uripl;
	int err;

	pl_set_str(&uripl, r->uri);
	err = uri_decode(&route, &uripl);
	if (err) {
		logf_(c, "libre: request %u: uri_decode(%s): %s", id, r->uri, strerror(err));
		goto out;
	}
	err = ENOMEM;
	p = calloc(1, sizeof(*p));
	mb = mbuf_alloc(512 + r->body_len);
	if (!p || !mb)
		goto out;
	p->ctx = c;
	p->id = id;
	err = build_headers(c, mb, r);
	if (err)
		goto out;
	p->next = c->pending;
	c->pending = p;
	err = sip_request(&p->req, c->sip, true, r->method, -1, r->uri, -1, &route, mb,
			  sort_key(c->seed, id), on_send, on_response, p);
	if (err) {
		unlink_pending(c, p);
		logf_(c, "libre: request %u: sip_request: %s", id, strerror(err));
		/* libre refused before any network activity; its reason is the outcome */
		report(c, id, map_error(err, p->sends));
		err = 0;
	} else {
		p = NULL;
	}
out:
	free(p);
	mem_deref(mb);
	return -err;
}

/* libre sends the CANCEL once the INVITE has had a provisional response, to where the
 * INVITE went (src/sip/request.c, sip_request_cancel()); the INVITE then ends with the
 * server's 487 through on_response. */
static int libre_adapter_cancel(void *ctx, unsigned id)
{
	struct adapter_ctx *c = ctx;

	for (struct pending *p = c->pending; p; p = p->next) {
		if (p->id == id && p->req) {
			sip_request_cancel(p->req);
			logf_(c, "libre: request %u: cancel asked", id);
			return 0;
		}
	}
	logf_(c, "libre: cancel %u: no such pending request", id);
	return -ENOENT;
}

static int libre_adapter_run(void *ctx, int timeout_ms, sut_done_fn on_done, void *arg)
{
	struct adapter_ctx *c = ctx;
	int err;

	c->on_done = on_done;
	c->on_done_arg = arg;
	flush_queue(c);
	tmr_start(&c->slice, timeout_ms > 0 ? (uint64_t)timeout_ms : 0, on_slice_end, c);
	err = re_main(NULL);
	tmr_cancel(&c->slice);
	flush_queue(c);
	c->on_done = NULL;
	c->on_done_arg = NULL;
	return -err;
}

static const struct sut_adapter libre_adapter = {
	.abi_version = SUT_ABI_VERSION,
	.name = "libre",
	.version = LIBRE_PC_VERSION,
	.caps = LIBRE_CAPS,
	.open = libre_adapter_open,
	.request = libre_adapter_request,
	.cancel = libre_adapter_cancel,
	.run = libre_adapter_run,
	.close = libre_adapter_close,
};

const struct sut_adapter *sut_adapter_v1(void);

const struct sut_adapter *sut_adapter_v1(void)
{
	return &libre_adapter;
}
