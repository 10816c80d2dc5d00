/* kamailio_adapter.c: the sut_adapter ABI over a kamailio daemon (stateful proxy: tm's
 * t_relay()). open() writes a kamailio.cfg and starts one kamailio in the foreground;
 * each request goes into it over UDP and the final response it relays is the outcome.
 * Built twice: `kamailio` (the core's DNS defaults as shipped) and, with
 * -DKAM_PROFILE_RFC, `kamailio-rfc` (the documented options that switch on RFC 3263
 * behaviour). The exact configuration of each is KAM_DNS_OPTIONS below. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <dlfcn.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "sut_adapter.h"
#include "daemon/sut_daemon.h"

#ifdef KAM_PROFILE_RFC
#define KAM_NAME "kamailio-rfc"
/* kamailio core cookbook (core parameters): NAPTR first, follow the NAPTR order rather
 * than the local dns_*_pref, RFC 2782 weighted SRV selection, fail over to the next DNS
 * destination. The destination blocklist (use_dst_blocklist + tm's blst_503, for
 * Retry-After) is left off: its only scenario calls advance(), not-run here anyway. */
#define KAM_DNS_OPTIONS \
	"dns_try_naptr=yes\n" \
	"dns_naptr_ignore_rfc=0\n" \
	"dns_srv_lb=yes\n" \
	"use_dns_failover=yes\n"
#define KAM_TM_OPTIONS ""
#else
#define KAM_NAME "kamailio"
#define KAM_DNS_OPTIONS "# the core's DNS options as shipped (no NAPTR, no failover)\n"
#define KAM_TM_OPTIONS ""
#endif
#ifndef KAM_VERSION
#define KAM_VERSION "unknown" /* the Makefile passes the Debian package version */
#endif
#ifndef KAM_MODULES
#define KAM_MODULES "/usr/lib/x86_64-linux-gnu/kamailio/modules"
#endif

#define KAM_CAPS (SUT_CAP_UDP | SUT_CAP_TCP | SUT_CAP_CANCEL | SUT_CAP_TIMERS | SUT_CAP_ACK2XX)
#define KAM_ITIMER "siploc-itimer.so" /* next to the adapter's directory, in ../lib */
/* kamailio re-syncs its ticks to gettimeofday every 5 s of ticks (timer.c:
 * TIMER_RESYNC_TICKS, adjust_ticks()), and logs it at debug level ("adjusting timer
 * ticks (N) with M ms"). After a clock jump a request waits for that line, SIGALRMs
 * coalescing under load make the 5 s of ticks longer than 5 s of the clock. */
#define KAM_RESYNC_WAIT_MS 600000
#define KAM_PORT 5060
#define KAM_MAX 64
#define KAM_MSG 70000
/* Local replies carry this Server header: a final response kamailio made itself (fr
 * timer, no destination) is told apart from one a peer sent and kamailio relayed. */
#define KAM_LOCAL_SERVER "siploc-kamailio-local"

struct kam_txn {
	unsigned id;
	bool used, done;
	char method[32];
	char uri[1024];
	char branch[64];
	char call_id[64];
	char from[128];
	char cseq[48];
};

struct kam_ctx {
	const struct sut_config *cfg;
	struct sut_daemon d;
	bool started;
	int sock;                   /* ours, bound on bind_addr, talking to kamailio */
	char local[64];             /* addr:port of sock */
	unsigned seq;
	double last_fake, last_raw;  /* for jumped_s() */
	double resynced_ms;          /* tick adjustments kamailio logged since the last request */
	struct kam_txn txn[KAM_MAX];
	char *buf;
};

static void klog(struct kam_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void klog(struct kam_ctx *c, const char *fmt, ...)
{
	char line[1200];
	va_list ap;

	if (!c->cfg->log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	c->cfg->log(c->cfg->log_arg, line);
}

/* The fake clock's jumps (advance()): the faked realtime moved further than rate times
 * the real one since the last look. */
static double raw_s(clockid_t id)
{
	struct timespec ts;

	syscall(SYS_clock_gettime, id, &ts); /* past libfaketime: the real clock */
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double fake_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double jumped_s(struct kam_ctx *c)
{
	double f = fake_s(), r = raw_s(CLOCK_MONOTONIC);
	double j = (f - c->last_fake) - (r - c->last_raw) * (c->cfg->rate > 0 ? c->cfg->rate : 1);

	c->last_fake = f;
	c->last_raw = r;
	return j;
}

/* The shim's path: <dir of this adapter>/../lib/siploc-itimer.so. */
static int itimer_path(char *out, size_t len)
{
	Dl_info info;
	char *slash;

	if (!dladdr((void *)itimer_path, &info) || !info.dli_fname)
		return -ENOENT;
	snprintf(out, len, "%s", info.dli_fname);
	slash = strrchr(out, '/');
	if (!slash)
		return -ENOENT;
	*slash = '\0';
	if (strlen(out) + sizeof("/../lib/" KAM_ITIMER) > len)
		return -ENAMETOOLONG;
	strcat(out, "/../lib/" KAM_ITIMER);
	return access(out, R_OK) == 0 ? 0 : -errno;
}

/* kamailio's debug lines stay in kamailio.log; its tick resyncs are noted. */
static int on_kam_line(void *arg, const char *line)
{
	struct kam_ctx *c = arg;
	const char *p = strstr(line, "adjusting timer ticks (");
	long ms;

	if (p && (p = strstr(p, ") with ")) && sscanf(p, ") with %ld ms", &ms) == 1)
		c->resynced_ms += (double)ms;
	return strstr(line, " DEBUG: ") != NULL;
}

static int write_config(struct kam_ctx *c, char *path, size_t len, bool tcp)
{
	const struct sut_config *cfg = c->cfg;
	const char *addr = cfg->bind_addr ? cfg->bind_addr : "127.0.0.1";
	char *text = malloc(16384);
	int n, rc;

	if (!text)
		return -ENOMEM;
	/* kamailio's ticks run in SUT time (the itimer shim): timers are SUT ms as given.
	 * dns_retr_time: glibc's resolver waits on the real clock (libfaketime cannot reach
	 * its internal poll), so its 5 s default would read as 500 s of SUT time at rate
	 * 100; 1 s is the least kamailio takes. */
	n = snprintf(text, 16384,
		"#!KAMAILIO\n"
		"# generated by siploc's %s adapter for one scenario (rate %g)\n"
		"debug=3\n"
		"log_stderror=yes\n"
		"log_prefix=\"{$mt $hdr(CSeq) $ci} \"\n"
		"children=1\n"
		"tcp_children=1\n"
		"auto_aliases=no\n"
		"server_header=\"Server: " KAM_LOCAL_SERVER "\"\n"
		"user_agent_header=\"User-Agent: siploc-kamailio\"\n"
		"listen=udp:%s:%d\n"
		"%s"
		"disable_tcp=%s\n"
		"dns_retr_time=1\n"
		KAM_DNS_OPTIONS
		"mpath=\"" KAM_MODULES "\"\n"
		"loadmodule \"tm.so\"\n"
		"loadmodule \"sl.so\"\n"
		"loadmodule \"pv.so\"\n"
		"loadmodule \"xlog.so\"\n"
		"modparam(\"tm\", \"retr_timer1\", %u)\n"
		"modparam(\"tm\", \"retr_timer2\", %u)\n"
		"modparam(\"tm\", \"fr_timer\", %u)\n"
		KAM_TM_OPTIONS
		"request_route {\n"
		"\txlog(\"L_INFO\", \"siploc: $rm $ru from $si:$sp\\n\");\n"
		"\tif (!t_relay()) {\n"
		"\t\t$var(rc) = $rc;\n"
		"\t\txlog(\"L_INFO\", \"siploc: t_relay failed ($var(rc)) for $ru\\n\");\n"
		/* tm's error codes are negative SIP codes (core/error.h): E_SEND -477,
		 * E_BAD_ADDRESS -478; sl_reply_error() would say 500 for both (ser_error is
		 * not set by t_relay), so the code is sent as it is. */
		"\t\tif ($var(rc) == -478) sl_send_reply(\"478\", \"Unresolvable destination\");\n"
		"\t\telse if ($var(rc) == -477) sl_send_reply(\"477\", \"Send failed\");\n"
		"\t\telse sl_reply_error();\n"
		"\t}\n"
		"\texit;\n"
		"}\n"
		"onreply_route {\n"
		"\txlog(\"L_INFO\", \"siploc: reply $rs $rr from $si:$sp\\n\");\n"
		"}\n",
		KAM_NAME, cfg->rate, addr, KAM_PORT,
		tcp ? "" : "# no TCP: the scenario allows none\n",
		tcp ? "no" : "yes",
		cfg->t1_ms, 4000 > cfg->t1_ms ? 4000 : cfg->t1_ms, cfg->timer_b_ms);
	if (tcp && n > 0 && n < 16000) {
		/* a second listen line, after the UDP one */
		char *p = strstr(text, "disable_tcp=");
		char extra[96];
		int k = snprintf(extra, sizeof(extra), "listen=tcp:%s:%d\n", addr, KAM_PORT);

		memmove(p + k, p, strlen(p) + 1);
		memcpy(p, extra, (size_t)k);
	}
	rc = n > 0 && n < 16000 ? sut_daemon_write_file(cfg, "kamailio.cfg", text, path, len)
				: -E2BIG;
	free(text);
	return rc;
}

static void kam_close(void *ctx)
{
	struct kam_ctx *c = ctx;

	if (!c)
		return;
	if (c->started)
		sut_daemon_stop(&c->d, 3000);
	if (c->sock >= 0)
		close(c->sock);
	free(c->buf);
	free(c);
}

static int open_socket(struct kam_ctx *c)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	const char *addr = c->cfg->bind_addr ? c->cfg->bind_addr : "127.0.0.1";

	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return -EINVAL;
	c->sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->sock < 0)
		return -errno;
	if (bind(c->sock, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(c->sock, (struct sockaddr *)&sa, &sl) < 0)
		return -errno;
	snprintf(c->local, sizeof(c->local), "%s:%u", addr, (unsigned)ntohs(sa.sin_port));
	sa.sin_port = htons(KAM_PORT);
	return connect(c->sock, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
}

static int kam_open(const struct sut_config *cfg, void **ctxp)
{
	struct kam_ctx *c = calloc(1, sizeof(*c));
	char path[4200], rundir[4200], shim[4200], rate[32];
	const char *preload;
	char *saved = NULL, *both = NULL;
	unsigned wanted;
	int rc;

	*ctxp = NULL;
	if (!c)
		return -ENOMEM;
	c->cfg = cfg;
	c->sock = -1;
	c->d.log_fd = -1;
	c->buf = malloc(KAM_MSG);
	if (!c->buf) {
		rc = -ENOMEM;
		goto fail;
	}
	wanted = cfg->caps_wanted ? cfg->caps_wanted : KAM_CAPS;
	if (!(wanted & SUT_CAP_UDP)) {
		klog(c, "%s: the adapter hands requests to kamailio over UDP; the scenario "
		     "forbids UDP", KAM_NAME);
		rc = -ENOTSUP;
		goto fail;
	}
	rc = write_config(c, path, sizeof(path), wanted & SUT_CAP_TCP);
	if (rc < 0) {
		klog(c, "%s: cannot write kamailio.cfg: %s", KAM_NAME, strerror(-rc));
		goto fail;
	}
	snprintf(rundir, sizeof(rundir), "%s/kamailio-run", cfg->workdir);
	if (mkdir(rundir, 0700) < 0 && errno != EEXIST) {
		rc = -errno;
		goto fail;
	}
	char *const argv[] = { "kamailio", "-f", path, "-DD", "-E", "-m", "64", "-M", "8",
			       "-Y", rundir, "-w", rundir, NULL };
	rc = itimer_path(shim, sizeof(shim));
	if (rc < 0) {
		klog(c, "%s: no %s next to the adapter (../lib/): %s", KAM_NAME, KAM_ITIMER,
		     strerror(-rc));
		goto fail;
	}
	/* kamailio inherits libfaketime; the shim goes first so its setitimer wins. */
	preload = getenv("LD_PRELOAD");
	saved = preload ? strdup(preload) : NULL;
	if (asprintf(&both, "%s%s%s", shim, preload ? " " : "", preload ? preload : "") < 0) {
		both = NULL;
		rc = -ENOMEM;
		free(saved);
		goto fail;
	}
	snprintf(rate, sizeof(rate), "%.17g", cfg->rate > 0 ? cfg->rate : 1);
	setenv("LD_PRELOAD", both, 1);
	setenv("SIPLOC_ITIMER_RATE", rate, 1);
	rc = sut_daemon_start(&c->d, cfg, "kamailio", argv);
	if (saved)
		setenv("LD_PRELOAD", saved, 1);
	else
		unsetenv("LD_PRELOAD");
	unsetenv("SIPLOC_ITIMER_RATE");
	free(saved);
	free(both);
	if (rc < 0) {
		klog(c, "%s: cannot start kamailio: %s", KAM_NAME, strerror(-rc));
		goto fail;
	}
	c->started = true;
	c->d.line_hook = on_kam_line;
	c->d.hook_arg = c;
	/* SUT ms: 30 s of real time at rate 100 for kamailio to load its modules. */
	rc = sut_daemon_wait_udp(&c->d, cfg->bind_addr ? cfg->bind_addr : "127.0.0.1",
				 KAM_PORT, 3000000);
	sut_daemon_forward_log(&c->d);
	if (rc < 0) {
		klog(c, "%s: kamailio does not listen on port %d: %s", KAM_NAME, KAM_PORT,
		     strerror(-rc));
		goto fail;
	}
	rc = open_socket(c);
	if (rc < 0) {
		klog(c, "%s: socket: %s", KAM_NAME, strerror(-rc));
		goto fail;
	}
	jumped_s(c);
	klog(c, "%s %s open: config %s, requests from %s, rate %g", KAM_NAME, KAM_VERSION, path,
	     c->local, cfg->rate);
	*ctxp = c;
	return 0;
fail:
	kam_close(c);
	return rc;
}

static struct kam_txn *txn_by_branch(struct kam_ctx *c, const char *branch, size_t len)
{
	for (int i = 0; i < KAM_MAX; i++)
		if (c->txn[i].used && strlen(c->txn[i].branch) == len &&
		    !strncmp(c->txn[i].branch, branch, len))
			return &c->txn[i];
	return NULL;
}

static int kam_request(void *ctx, unsigned id, const struct sut_request *req)
{
	struct kam_ctx *c = ctx;
	struct kam_txn *t = NULL;
	int n;

	for (int i = 0; i < KAM_MAX && !t; i++)
		if (!c->txn[i].used || c->txn[i].done)
			t = &c->txn[i];
	if (!t)
		return -EBUSY;
	if (strlen(req->uri) >= sizeof(t->uri) || strlen(req->method) >= sizeof(t->method) ||
	    req->body_len > KAM_MSG - 2048)
		return -E2BIG;
	double j = jumped_s(c);

	if (j > 1) {
		long waited = 0;

		sut_daemon_forward_log(&c->d);
		while (c->resynced_ms < (j - 1) * 1000 && waited < KAM_RESYNC_WAIT_MS &&
		       sut_daemon_alive(&c->d)) {
			sut_daemon_sleep_ms(100);
			waited += 100;
			sut_daemon_forward_log(&c->d);
		}
		klog(c, "%s: the clock jumped %.0f s; kamailio moved its ticks %.0f ms after %ld ms "
		     "of SUT time; request %u goes in now", KAM_NAME, j, c->resynced_ms, waited, id);
		jumped_s(c);
	}
	c->resynced_ms = 0;
	memset(t, 0, sizeof(*t));
	t->used = true;
	t->id = id;
	c->seq++;
	snprintf(t->method, sizeof(t->method), "%s", req->method);
	snprintf(t->uri, sizeof(t->uri), "%s", req->uri);
	snprintf(t->branch, sizeof(t->branch), "z9hG4bK-siploc-%u-%u", c->seq, id);
	snprintf(t->call_id, sizeof(t->call_id), "%u-%u@siploc-kamailio", c->seq, id);
	snprintf(t->from, sizeof(t->from), "<sip:siploc@%s>;tag=siploc%u", c->local, c->seq);
	snprintf(t->cseq, sizeof(t->cseq), "1 %s", req->method);
	n = snprintf(c->buf, KAM_MSG,
		     "%s %s SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP %s;branch=%s;rport\r\n"
		     "Max-Forwards: 70\r\n"
		     "From: %s\r\n"
		     "To: <%s>\r\n"
		     "Call-ID: %s\r\n"
		     "CSeq: %s\r\n"
		     "Contact: <sip:siploc@%s>\r\n"
		     "%s"
		     "Content-Length: %zu\r\n\r\n",
		     t->method, t->uri, c->local, t->branch, t->from, t->uri, t->call_id, t->cseq,
		     c->local, req->body_len ? "Content-Type: text/plain\r\n" : "", req->body_len);
	for (size_t i = 0; i < req->body_len; i++)
		c->buf[n + (int)i] = (char)('a' + i % 26);
	/* Loopback loses nothing: the request is sent once, kamailio's 100 stops any need
	 * to retransmit it. */
	if (send(c->sock, c->buf, (size_t)n + req->body_len, 0) < 0) {
		int e = errno;

		klog(c, "%s: request %u: send to kamailio: %s", KAM_NAME, id, strerror(e));
		t->used = false;
		return -e;
	}
	klog(c, "%s: request %u: %s %s handed to kamailio (branch %s)", KAM_NAME, id, t->method,
	     t->uri, t->branch);
	return 0;
}

/* CANCEL goes hop by hop to kamailio, whose tm cancels the branches it forwarded
 * (RFC 3261 16.10); the INVITE then ends with the 487 kamailio relays. */
static int kam_cancel(void *ctx, unsigned id)
{
	struct kam_ctx *c = ctx;
	struct kam_txn *t = NULL;
	char msg[2600];
	int n;

	for (int i = 0; i < KAM_MAX && !t; i++)
		if (c->txn[i].used && !c->txn[i].done && c->txn[i].id == id)
			t = &c->txn[i];
	if (!t) {
		klog(c, "%s: cancel %u: no such pending request", KAM_NAME, id);
		return -ENOENT;
	}
	n = snprintf(msg, sizeof(msg),
		     "CANCEL %s SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP %s;branch=%s;rport\r\n"
		     "Max-Forwards: 70\r\n"
		     "From: %s\r\n"
		     "To: <%s>\r\n"
		     "Call-ID: %s\r\n"
		     "CSeq: 1 CANCEL\r\n"
		     "Content-Length: 0\r\n\r\n",
		     t->uri, c->local, t->branch, t->from, t->uri, t->call_id);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return -E2BIG;
	return send(c->sock, msg, (size_t)n, 0) < 0 ? -errno : 0;
}

/* The value of the first header named name (or its compact form), up to the line end. */
static const char *header(const char *msg, const char *name, char compact, size_t *len)
{
	size_t nl = strlen(name);

	for (const char *p = strstr(msg, "\r\n"); p && p[2] && !(p[2] == '\r' && p[3] == '\n');
	     p = strstr(p + 2, "\r\n")) {
		const char *h = p + 2, *v = NULL;

		if (!strncasecmp(h, name, nl) && (h[nl] == ':' || h[nl] == ' '))
			v = h + nl;
		else if (compact && (h[0] == compact || h[0] == (compact ^ 0x20)) &&
			 (h[1] == ':' || h[1] == ' '))
			v = h + 1;
		if (!v)
			continue;
		while (*v == ' ' || *v == ':' || *v == '\t')
			v++;
		*len = strcspn(v, "\r\n");
		return v;
	}
	return NULL;
}

/* ACK for a non-2xx final response to INVITE: hop by hop, to kamailio, which absorbs it
 * (RFC 3261 17.1.1.3). The ACK of a 2xx (send_ack2xx) is a request of its own. */
static void send_ack(struct kam_ctx *c, const struct kam_txn *t, const char *rsp)
{
	const char *to;
	size_t tolen;
	char ack[2600];
	int n;

	to = header(rsp, "To", 't', &tolen);
	if (!to)
		return;
	n = snprintf(ack, sizeof(ack),
		     "ACK %s SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP %s;branch=%s;rport\r\n"
		     "Max-Forwards: 70\r\n"
		     "From: %s\r\n"
		     "To: %.*s\r\n"
		     "Call-ID: %s\r\n"
		     "CSeq: 1 ACK\r\n"
		     "Content-Length: 0\r\n\r\n",
		     t->uri, c->local, t->branch, t->from, (int)tolen, to, t->call_id);
	if (n > 0 && (size_t)n < sizeof(ack) && send(c->sock, ack, (size_t)n, 0) < 0)
		klog(c, "%s: request %u: ACK to kamailio: %s", KAM_NAME, t->id, strerror(errno));
}

/* The adapter is the UAC upstream of the proxy, so the ACK of a 2xx is its own (RFC 3261
 * 13.2.2.4): a new branch, the Contact as Request-URI, sent to kamailio, whose
 * request_route t_relay()s it statelessly by that URI (RFC 3263 on the Contact again). */
static void send_ack2xx(struct kam_ctx *c, const struct kam_txn *t, const char *rsp)
{
	const char *to, *m, *lt, *gt;
	size_t tolen, mlen;
	char ack[3700];
	int n;

	to = header(rsp, "To", 't', &tolen);
	m = header(rsp, "Contact", 'm', &mlen);
	lt = m ? memchr(m, '<', mlen) : NULL;
	gt = lt ? memchr(lt, '>', mlen - (size_t)(lt - m)) : NULL;
	if (!to || !gt) {
		klog(c, "%s: request %u: the 2xx has no Contact <uri>: no remote target to ACK",
		     KAM_NAME, t->id);
		return;
	}
	n = snprintf(ack, sizeof(ack),
		     "ACK %.*s SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP %s;branch=%s-ack;rport\r\n"
		     "Max-Forwards: 70\r\n"
		     "From: %s\r\n"
		     "To: %.*s\r\n"
		     "Call-ID: %s\r\n"
		     "CSeq: 1 ACK\r\n"
		     "Content-Length: 0\r\n\r\n",
		     (int)(gt - lt - 1), lt + 1, c->local, t->branch, t->from, (int)tolen, to,
		     t->call_id);
	if (n > 0 && (size_t)n < sizeof(ack) && send(c->sock, ack, (size_t)n, 0) < 0)
		klog(c, "%s: request %u: ACK of the 2xx to kamailio: %s", KAM_NAME, t->id,
		     strerror(errno));
	else
		klog(c, "%s: request %u: ACK of the 2xx to %.*s, through kamailio", KAM_NAME, t->id,
		     (int)(gt - lt - 1), lt + 1);
}

/* kamailio's own final responses that stand for no response at all (fr timer, no
 * destination, transport) become ABI errors. Any other it made stays a status: tm turns
 * a relayed 503 into 500 (RFC 3261 16.7 step 6), and 500 is what a client gets. */
static int map_local(int status)
{
	switch (status) {
	case 408:
		return SUT_E_TIMEOUT;       /* tm's fr_timer / fr_inv_timer on the last branch */
	case 477:                           /* tm: error sending to the next hop */
		return SUT_E_TRANSPORT;
	case 478:                           /* sl_reply_error: unresolvable destination */
		return SUT_E_NOTARGET;
	default:
		return status;
	}
}

static void on_datagram(struct kam_ctx *c, char *msg, size_t n, sut_done_fn on_done, void *arg)
{
	const char *via, *br, *srv, *cseq;
	size_t vlen, blen, slen, clen;
	struct kam_txn *t;
	int status;

	msg[n] = '\0';
	if (strncmp(msg, "SIP/2.0 ", 8) != 0) {
		klog(c, "%s: ignored a request from kamailio: %.60s", KAM_NAME, msg);
		return;
	}
	status = atoi(msg + 8);
	cseq = header(msg, "CSeq", 0, &clen);
	if (cseq && memmem(cseq, clen, "CANCEL", 6)) {
		klog(c, "%s: %d to our CANCEL", KAM_NAME, status);
		return;
	}
	via = header(msg, "Via", 'v', &vlen);
	br = via ? strstr(via, "branch=") : NULL;
	if (!br || br > via + vlen)
		return;
	br += 7;
	blen = strcspn(br, ";,\r\n ");
	t = txn_by_branch(c, br, blen);
	if (!t) {
		klog(c, "%s: response %d for no transaction of ours", KAM_NAME, status);
		return;
	}
	if (status >= 300 && !strcmp(t->method, "INVITE"))
		send_ack(c, t, msg);
	else if (status >= 200 && !t->done && !strcmp(t->method, "INVITE"))
		send_ack2xx(c, t, msg);
	if (status < 200 || t->done)
		return;
	t->done = true;
	srv = header(msg, "Server", 0, &slen);
	if (srv && slen >= strlen(KAM_LOCAL_SERVER) &&
	    !strncmp(srv, KAM_LOCAL_SERVER, strlen(KAM_LOCAL_SERVER))) {
		int e = map_local(status);

		klog(c, "%s: request %u: kamailio's own %.*s -> %d", KAM_NAME, t->id,
		     (int)strcspn(msg + 8, "\r\n"), msg + 8, e);
		on_done(arg, t->id, e);
		return;
	}
	klog(c, "%s: request %u: relayed %.*s", KAM_NAME, t->id, (int)strcspn(msg + 8, "\r\n"),
	     msg + 8);
	on_done(arg, t->id, status);
}

static int kam_run(void *ctx, int timeout_ms, sut_done_fn on_done, void *arg)
{
	struct kam_ctx *c = ctx;
	struct pollfd p[2] = { { .fd = c->cfg->wake_fd, .events = POLLIN },
			       { .fd = c->sock, .events = POLLIN } };
	ssize_t n;

	/* Short turns: kamailio's log and its death are noticed by polling. */
	if (poll(p, 2, timeout_ms < 100 ? timeout_ms : 100) < 0 && errno != EINTR)
		return -errno;
	while ((n = recv(c->sock, c->buf, KAM_MSG - 1, 0)) > 0)
		on_datagram(c, c->buf, (size_t)n, on_done, arg);
	sut_daemon_forward_log(&c->d);
	return sut_daemon_alive(&c->d) ? 0 : -ECHILD;
}

static const struct sut_adapter kam_adapter = {
	.abi_version = SUT_ABI_VERSION,
	.name = KAM_NAME,
	.version = KAM_VERSION,
	.caps = KAM_CAPS,
	.open = kam_open,
	.request = kam_request,
	.cancel = kam_cancel,
	.run = kam_run,
	.close = kam_close,
};

const struct sut_adapter *sut_adapter_v1(void);

const struct sut_adapter *sut_adapter_v1(void)
{
	return &kam_adapter;
}
