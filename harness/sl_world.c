/* sl_world.c: one scenario's world: fake DNS, peers, clock, capture, SUT, recorded checks. */
#include <arpa/inet.h>
#include <errno.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fdns.h"
#include "sl_addr.h"
#include "sl_capture.h"
#include "sl_clock.h"
#include "sl_evlog.h"
#include "sl_loop.h"
#include "sl_netfault.h"
#include "sl_sut.h"
#include "sl_uac.h"
#include "sl_tls.h"
#include "sl_tls_names.h"
#include "sl_stray.h"
#include "sl_targets.h"
#include "sl_world.h"
#include "sut_adapter.h"

#define MAX_PEERS 64
#define DNS_ADDR "127.0.0.1"
#define DNS_PORT 53
#define SUT_ADDR "127.0.0.1"
#define SUT_PORT 5060 /* where the SUT listens in the proxy and server roles */
#define SUT_TLS_PORT 5061 /* ... for TLS */
/* The SUT's IPv6 source, on lo like every test address: only for scenarios needing ipv6. */
#define SUT_ADDR6 "fd00::1"

#define MAX_HOOKS 64

struct at_hook {
	double t;                      /* SUT seconds since start; < 0: on-start hook */
	void (*fn)(void *arg);
	void (*start_fn)(void *arg, struct sl_world *w);
	void *arg;
	int armed;
	struct sl_world *w;
	struct sl_timer *timer;
};

/* A tls peer's certificate: what the scenario asked, and what was made at the start. */
struct peer_tls {
	int is_tls;
	char **names;          /* the scenario's names, or NULL: from the zone */
	size_t nnames;
	enum sl_tls_cert cert;
	int abort_handshake;
	struct sl_tls_id *id;
};

struct rec_check {
	char *name;
	json_t *reqs;
	int pass;
	char *detail;
	struct sl_event **ev;   /* pointers: events learnt from the capture renumber the log */
	size_t nev;
};

struct sl_world {
	struct sl_world_opts o;
	struct sl_loop *loop;
	struct sl_evlog *log;
	struct sl_clock *clk;
	struct fdns_zone *zone;
	struct fdns_server *dns;
	struct sl_capture *cap;
	struct sl_sut *sut;
	struct sl_peer *peers[MAX_PEERS];
	struct peer_tls ptls[MAX_PEERS];
	size_t npeers;
	struct sl_uac *uac;            /* inject{}: created on first use */
	struct sl_tls *tls;            /* the test CA, made at the start if a peer is tls */
	char ca_path[4200];
	struct sl_tls_id *sut_id;      /* the SUT's own certificate (roles with TLS) */
	char sut_cert[4200], sut_key[4200];
	struct rec_check *checks;
	size_t nchecks;
	/* metadata */
	char *id, *file, *role, *summary;
	json_t *covers, *needs;
	double t1_s;
	/* run state */
	int started;
	uint64_t t0_us, deadline_us;
	uint64_t start_us;             /* when the start began: the origin if it failed */
	int64_t t0_sut_ns;
	unsigned next_id, pending_id;
	int pending_done, pending_status;
	char sut_dead[512];
	struct at_hook hooks[MAX_HOOKS];
	size_t nhooks;
	double advanced_s;             /* sum of advance()s: not counted by the SUT-time cap */
	uint64_t rss_checked_us;       /* last look at the worker's memory (guard) */
	/* send_many: outcomes of requests batch_first .. batch_first + batch_n - 1 */
	unsigned batch_first, batch_n, batch_done;
	int *batch_status;
	size_t dns_history;
};

#define BATCH_PENDING (-1000000)

static void dns_logged(void *arg, const struct fdns_query_log *q)
{
	struct sl_world *w = arg;
	struct sl_event *e = sl_evlog_add(w->log, SL_EV_DNS, q->t_us);
	if (!e)
		return;
	char cl[SL_ADDRSTRLEN], sv[SL_ADDRSTRLEN];
	sl_addr_fmt((const void *)&q->client, cl, sizeof(cl));
	sl_addr_fmt((const void *)&q->server, sv, sizeof(sv));
	sl_evlog_str(&e->transport, q->transport == FDNS_TCP ? "tcp" : "udp");
	sl_evlog_str(&e->client, cl);
	sl_evlog_str(&e->server, sv);
	int proto = q->transport == FDNS_TCP ? 6 : 17;
	sl_fp_set(&e->fp[0], proto, cl, sv, q->query, q->query_len);
	/* TCP messages are found by their place in the stream, not by a datagram's hash. */
	e->fp[0].has_off = proto == 6;
	e->fp[0].off = q->query_off;
	/* The answer's own source: a wrong-port one leaves from another port, and the capture
	 * finds its frame by the ends it really had. */
	char from[SL_ADDRSTRLEN];
	if (memcmp(&q->resp_from, &q->server, sizeof(q->server)) != 0)
		sl_addr_fmt((const void *)&q->resp_from, from, sizeof(from));
	else
		memcpy(from, sv, sizeof(from));
	if (q->resp && (proto != 6 || q->resp_off != FDNS_OFF_UNKNOWN)) {
		sl_fp_set(&e->fp[1], proto, from, cl, q->resp, q->resp_len);
		e->fp[1].has_off = proto == 6;
		e->fp[1].off = q->resp_off;
	}
	if (q->resp)
		sl_evlog_dns_resp(e, q->resp, q->resp_len);
	if (q->fault) {
		/* The ladder and the log show what the fake DNS did on purpose. */
		char t[128];
		if (q->delay_us)
			snprintf(t, sizeof(t), "fault: %s (%.3f s of SUT time)", q->fault,
				 (double)q->delay_us / 1e6 * sl_clock_rate(w->clk));
		else if (q->resp && strcmp(from, sv) != 0)
			snprintf(t, sizeof(t), "fault: %s (answer from %s)", q->fault, from);
		else
			snprintf(t, sizeof(t), "fault: %s", q->fault);
		sl_evlog_str(&e->text, t);
	}
	if (q->error) {
		sl_evlog_str(&e->text, q->error);
		return;
	}
	sl_evlog_str(&e->qname, q->qname);
	char *t = ldns_rr_type2str((ldns_rr_type)q->qtype);
	sl_evlog_str(&e->qtype, t ? t : "?");
	free(t);
	e->rcode = q->rcode;
	e->ancount = q->ancount;
	e->tc = q->tc;
	e->qflags = q->flags;
	e->edns = q->edns;
	e->dnssec_ok = q->dnssec_ok;
}

static void sut_done(void *arg, unsigned id, int status)
{
	struct sl_world *w = arg;
	struct sl_event *e = sl_evlog_add(w->log, SL_EV_SUT_DONE, sl_now_us());
	if (e) {
		e->req_id = id;
		e->status = status;
	}
	if (id == w->pending_id) {
		w->pending_done = 1;
		w->pending_status = status;
	}
	if (w->batch_status && id - w->batch_first < w->batch_n &&
	    w->batch_status[id - w->batch_first] == BATCH_PENDING) {
		w->batch_status[id - w->batch_first] = status;
		w->batch_done++;
	}
}

static void sut_log(void *arg, const char *line)
{
	struct sl_world *w = arg;
	struct sl_event *e = sl_evlog_add(w->log, SL_EV_NOTE, sl_now_us());
	if (e) {
		char buf[1100];
		snprintf(buf, sizeof(buf), "sut: %s", line);
		sl_evlog_str(&e->text, buf);
	}
}

static void sut_alarm(void *arg, const char *line)
{
	struct sl_world *w = arg;
	struct sl_event *e = sl_evlog_add(w->log, SL_EV_NOTE, sl_now_us());
	if (e) {
		char buf[1100];
		snprintf(buf, sizeof(buf), "sut alarm: %s", line);
		sl_evlog_str(&e->text, buf);
		e->alarm = 1;
	}
}

static void sut_died(void *arg, const char *why)
{
	struct sl_world *w = arg;
	snprintf(w->sut_dead, sizeof(w->sut_dead), "%s", why);
}

int sl_world_new(struct sl_world **wp, const struct sl_world_opts *o, char *err, size_t errlen)
{
	struct sl_world *w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->o = *o;
	w->t1_s = 0.5;
	w->next_id = 1;
	w->covers = json_array();
	w->needs = json_array();
	int rc = sl_loop_new(&w->loop);
	if (!rc)
		rc = sl_evlog_new(&w->log);
	if (!rc)
		rc = fdns_zone_new(&w->zone);
	if (rc) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	sl_evlog_set_max(w->log, SL_WORLD_MAX_EVENTS);
	rc = sl_clock_new(&w->clk, o->workdir, o->rate);
	if (rc) {
		snprintf(err, errlen, "clock file in %s: %s", o->workdir, strerror(-rc));
		goto fail;
	}
	*wp = w;
	return 0;
fail:
	sl_world_free(w);
	return rc;
}

void sl_world_free(struct sl_world *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->nhooks; i++)
		if (w->hooks[i].timer)
			sl_timer_cancel(w->loop, w->hooks[i].timer);
	sl_sut_free(w->sut);
	sl_uac_free(w->uac);
	for (size_t i = 0; i < w->npeers; i++) {
		sl_peer_free(w->peers[i]);
		sl_tls_id_free(w->ptls[i].id);
		sl_tls_names_free(w->ptls[i].names, w->ptls[i].nnames);
		free(w->ptls[i].names);
	}
	sl_tls_id_free(w->sut_id);
	sl_tls_free(w->tls);
	fdns_server_free(w->dns);
	sl_capture_free(w->cap);
	fdns_zone_free(w->zone);
	for (size_t i = 0; i < w->nchecks; i++) {
		free(w->checks[i].name);
		json_decref(w->checks[i].reqs);
		free(w->checks[i].detail);
		free(w->checks[i].ev);
	}
	free(w->checks);
	sl_evlog_free(w->log);
	if (w->clk) {
		unlink(sl_clock_path(w->clk));
		sl_clock_free(w->clk);
	}
	sl_loop_free(w->loop);
	json_decref(w->covers);
	json_decref(w->needs);
	free(w->id);
	free(w->file);
	free(w->role);
	free(w->summary);
	free(w);
}

int sl_world_meta(struct sl_world *w, const char *id, const char *file, const char *role,
		  const char *summary, const char *const *covers, size_t ncovers,
		  const char *const *needs, size_t nneeds, double t1_s)
{
	free(w->id);
	free(w->file);
	free(w->role);
	free(w->summary);
	w->id = strdup(id);
	w->file = strdup(file);
	w->role = strdup(role);
	w->summary = strdup(summary);
	json_array_clear(w->covers);
	json_array_clear(w->needs);
	for (size_t i = 0; i < ncovers; i++)
		json_array_append_new(w->covers, json_string(covers[i]));
	for (size_t i = 0; i < nneeds; i++)
		json_array_append_new(w->needs, json_string(needs[i]));
	if (t1_s > 0)
		w->t1_s = t1_s;
	return w->id && w->file && w->role && w->summary ? 0 : -ENOMEM;
}

const char *sl_world_id(const struct sl_world *w)
{
	return w->id ? w->id : "?";
}

double sl_world_timeout(const struct sl_world *w)
{
	return w->o.timeout_s;
}

void sl_world_set_max_events(struct sl_world *w, size_t max)
{
	sl_evlog_set_max(w->log, max);
}

unsigned sl_world_seed(const struct sl_world *w)
{
	return w->o.seed;
}

double sl_world_timer_b(const struct sl_world *w)
{
	return 64 * w->t1_s;
}


int sl_world_zone_text(struct sl_world *w, const char *text, const char *origin,
		       const char *file, int line, char *err, size_t errlen)
{
	if (w->started) {
		snprintf(err, errlen, "zone declared after the world started (declare zones "
			 "before the first send/advance; use zone_at for changes)");
		return -EINVAL;
	}
	return fdns_zone_load_text(w->zone, text, origin, 3600, file, line, err, errlen);
}

/* "127.0.0.2" / "fd00::2" and "5061" of a peer, for file names. */
static void peer_file(const struct sl_peer *p, const char *dir, const char *ext, char *buf,
		      size_t len)
{
	char a[SL_ADDRSTRLEN];
	const char *s = sl_peer_addr(p);
	snprintf(a, sizeof(a), "%s", s[0] == '[' ? s + 1 : s);
	char *colon = strrchr(a, ':');
	if (colon)
		*colon = '-';
	char *br = strchr(a, ']');
	if (br)
		memmove(br, br + 1, strlen(br));
	snprintf(buf, len, "%s/tls-%s.%s", dir, a, ext);
}

/* The certificate of tls peer i, with the zone as it is now. */
static int peer_tls_setup(struct sl_world *w, size_t i, char *err, size_t errlen)
{
	struct peer_tls *pt = &w->ptls[i];
	struct sl_peer *p = w->peers[i];
	char *zn[32];
	size_t nz = 0;
	const char *const *names = (const char *const *)pt->names;
	size_t n = pt->nnames;
	int rc;
	if (!pt->names) {
		struct sockaddr_storage ss;
		socklen_t sl;
		char tp[8];
		rc = sl_addr_parse(sl_peer_spec(p), &ss, &sl, tp, err, errlen);
		if (rc == 0)
			rc = sl_tls_names(w->zone, (void *)&ss, zn, 32, &nz);
		if (rc < 0) {
			snprintf(err, errlen, "peer %s: certificate names: %s", sl_peer_spec(p),
				 strerror(-rc));
			return rc;
		}
		names = (const char *const *)zn;
		n = nz;
	}
	char e2[256];
	rc = sl_tls_id_new(&pt->id, w->tls, names, n, pt->cert, pt->abort_handshake, e2,
			   sizeof(e2));
	sl_tls_names_free(zn, nz);
	if (rc < 0) {
		snprintf(err, errlen, "peer %s: %s", sl_peer_spec(p), e2);
		return rc;
	}
	char cert[4300], key[4300], san[1024], text[6000];
	peer_file(p, w->o.workdir, "pem", cert, sizeof(cert));
	peer_file(p, w->o.workdir, "key", key, sizeof(key));
	rc = sl_tls_id_write(pt->id, cert, key, e2, sizeof(e2));
	if (rc < 0) {
		snprintf(err, errlen, "peer %s: %s", sl_peer_spec(p), e2);
		return rc;
	}
	sl_peer_set_tls(p, pt->id, w->tls);
	static const char *const kinds[] = { "valid", "for the wrong name", "expired",
					     "from an untrusted CA" };
	sl_tls_id_describe(pt->id, san, sizeof(san));
	snprintf(text, sizeof(text), "peer %s: certificate %s (%s%s), %s", sl_peer_spec(p), san,
		 kinds[pt->cert], pt->abort_handshake ? ", handshakes aborted" : "", cert);
	sl_world_note(w, text);
	return 0;
}

static int needs(const struct sl_world *w, const char *what);

/* A SUT that receives requests over TLS needs a certificate of its own: for its address
 * (iPAddress) and the zone's names of it, from the scenario's CA. */
static int sut_tls_setup(struct sl_world *w, char *err, size_t errlen)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(SUT_TLS_PORT) };
	char *zn[32], e2[256], san[1024], text[5400];
	size_t nz = 0;
	inet_pton(AF_INET, SUT_ADDR, &a.sin_addr);
	int rc = sl_tls_names(w->zone, (void *)&a, zn, 32, &nz);
	if (rc == 0)
		rc = sl_tls_id_new(&w->sut_id, w->tls, (const char *const *)zn, nz,
				   SL_TLS_CERT_VALID, 0, e2, sizeof(e2));
	else
		snprintf(e2, sizeof(e2), "%s", strerror(-rc));
	sl_tls_names_free(zn, nz);
	snprintf(w->sut_cert, sizeof(w->sut_cert), "%s/tls-sut.pem", w->o.workdir);
	snprintf(w->sut_key, sizeof(w->sut_key), "%s/tls-sut.key", w->o.workdir);
	if (rc == 0)
		rc = sl_tls_id_write(w->sut_id, w->sut_cert, w->sut_key, e2, sizeof(e2));
	if (rc < 0) {
		snprintf(err, errlen, "the SUT's own certificate: %s", e2);
		return rc;
	}
	sl_tls_id_describe(w->sut_id, san, sizeof(san));
	snprintf(text, sizeof(text), "SUT %s:%d/tls: certificate %s (valid), %s", SUT_ADDR,
		 SUT_TLS_PORT, san, w->sut_cert);
	sl_world_note(w, text);
	return 0;
}

/* The test CA and every tls peer's certificate; the SUT gets the CA's file, and in the
 * roles where it receives requests over TLS a certificate of its own. */
static int tls_start(struct sl_world *w, char *err, size_t errlen)
{
	int any = 0, sut = strcmp(sl_world_role(w), "client") && needs(w, "tls");
	for (size_t i = 0; i < w->npeers; i++)
		any |= w->ptls[i].is_tls;
	if (!any && !sut)
		return 0;
	int rc = sl_tls_new(&w->tls, err, errlen);
	if (rc < 0)
		return rc;
	snprintf(w->ca_path, sizeof(w->ca_path), "%s/tls-ca.pem", w->o.workdir);
	rc = sl_tls_write_ca(w->tls, w->ca_path, err, errlen);
	for (size_t i = 0; i < w->npeers && rc == 0; i++)
		if (w->ptls[i].is_tls)
			rc = peer_tls_setup(w, i, err, errlen);
	if (rc == 0 && sut)
		rc = sut_tls_setup(w, err, errlen);
	if (rc == 0 && w->uac)
		sl_uac_set_tls(w->uac, w->tls);
	return rc;
}

struct sl_peer *sl_world_tls_peer(struct sl_world *w, const char *spec,
				  const struct sl_world_tls_opts *o, char *err, size_t errlen)
{
	if (w->npeers == MAX_PEERS) {
		snprintf(err, errlen, "more than %d peers", MAX_PEERS);
		return NULL;
	}
	struct sockaddr_storage ss;
	socklen_t sl;
	char tp[8];
	if (sl_addr_parse(spec, &ss, &sl, tp, err, errlen) < 0)
		return NULL;
	if (strcmp(tp, "tls") && o) {
		snprintf(err, errlen, "peer %s: names, cert and handshake fit tls peers only", spec);
		return NULL;
	}
	struct sl_peer *p = NULL;
	if (sl_peer_new(&p, w->loop, w->log, w->clk, spec, err, errlen) < 0)
		return NULL;
	size_t i = w->npeers;
	struct peer_tls *pt = &w->ptls[i];
	memset(pt, 0, sizeof(*pt));
	w->peers[w->npeers++] = p;
	pt->is_tls = !strcmp(tp, "tls");
	if (o) {
		pt->cert = o->cert;
		pt->abort_handshake = o->abort_handshake;
		if (o->names) {
			pt->names = calloc(o->nnames ? o->nnames : 1, sizeof(char *));
			for (size_t k = 0; pt->names && k < o->nnames; k++)
				if ((pt->names[k] = strdup(o->names[k])))
					pt->nnames++;
			if (!pt->names || pt->nnames != o->nnames) {
				snprintf(err, errlen, "out of memory");
				return NULL;
			}
		}
	}
	if (!pt->is_tls || !w->started)
		return p;
	/* Declared after the start: the zone is what it is now. */
	if (!w->tls) {
		if (sl_tls_new(&w->tls, err, errlen) < 0)
			return NULL;
		sl_world_note(w, "a tls peer declared after the start: the SUT was given no CA "
			      "file (declare tls peers before the first send/advance)");
	}
	return peer_tls_setup(w, i, err, errlen) < 0 ? NULL : p;
}

struct sl_peer *sl_world_peer(struct sl_world *w, const char *spec, char *err, size_t errlen)
{
	return sl_world_tls_peer(w, spec, NULL, err, errlen);
}

static unsigned caps_needed(const struct sl_world *w, char *missing, size_t len)
{
	static const struct { const char *name; unsigned cap; } map[] = {
		{ "udp", SUT_CAP_UDP }, { "tcp", SUT_CAP_TCP }, { "tls", SUT_CAP_TLS },
		{ "ipv6", SUT_CAP_IPV6 }, { "cancel", SUT_CAP_CANCEL },
		{ "stateless-proxy", SUT_CAP_STATELESS }, { "server", SUT_CAP_SERVER },
		{ "timers", SUT_CAP_TIMERS }, { "alarm", SUT_CAP_ALARM },
		{ "ack2xx", SUT_CAP_ACK2XX },
	};
	unsigned caps = 0;
	missing[0] = 0;
	size_t i;
	json_t *v;
	json_array_foreach(w->needs, i, v) {
		for (size_t k = 0; k < sizeof(map) / sizeof(map[0]); k++)
			if (!strcmp(json_string_value(v), map[k].name))
				caps |= map[k].cap;
	}
	if (!strcmp(w->role, "stateless-proxy"))
		caps |= SUT_CAP_STATELESS;
	if (!strcmp(w->role, "server"))
		caps |= SUT_CAP_SERVER;
	unsigned have = w->sut ? sl_sut_caps(w->sut) : 0;
	for (size_t k = 0; k < sizeof(map) / sizeof(map[0]); k++) {
		if ((caps & map[k].cap) && !(have & map[k].cap)) {
			size_t l = strlen(missing);
			snprintf(missing + l, len - l, "%s%s", l ? ", " : "", map[k].name);
		}
	}
	return caps;
}

static int needs(const struct sl_world *w, const char *what)
{
	size_t i;
	json_t *v;
	json_array_foreach(w->needs, i, v)
		if (!strcmp(json_string_value(v), what))
			return 1;
	return 0;
}

static void fire_hook(void *arg)
{
	struct at_hook *h = arg;
	h->timer = NULL;
	h->fn(h->arg);
}

/* Wall delay until SUT time t, from now (jumps already done are in sl_world_now). */
static void arm_one(struct sl_world *w, struct at_hook *h)
{
	double d = h->t - sl_world_now(w);
	h->armed = 1;
	sl_timer_start(w->loop, sl_clock_wall_us(w->clk, d > 0 ? d : 0), fire_hook, h, &h->timer);
}

static void arm_hooks(struct sl_world *w)
{
	for (size_t i = 0; i < w->nhooks; i++) {
		struct at_hook *h = &w->hooks[i];
		if (h->start_fn)
			h->start_fn(h->arg, w);
		else if (!h->armed)
			arm_one(w, h);
	}
}

struct sl_loop *sl_world_loop(struct sl_world *w)
{
	return w->loop;
}

struct sl_clock *sl_world_clock(struct sl_world *w)
{
	return w->clk;
}

struct fdns_zone *sl_world_zone(struct sl_world *w)
{
	return w->zone;
}

struct fdns_server *sl_world_dns(struct sl_world *w)
{
	return w->dns;
}

int sl_world_started(const struct sl_world *w)
{
	return w->started && w->t0_us;
}

double sl_world_now(const struct sl_world *w)
{
	if (!sl_world_started(w))
		return 0;
	return (double)(sl_clock_sut_ns(w->clk, sl_now_us()) - w->t0_sut_ns) / 1e9;
}

int sl_world_at(struct sl_world *w, double t, void (*fn)(void *arg), void *arg)
{
	if (w->nhooks == MAX_HOOKS)
		return -ENOSPC;
	struct at_hook *h = &w->hooks[w->nhooks++];
	*h = (struct at_hook){ .t = t, .fn = fn, .arg = arg, .w = w };
	if (sl_world_started(w))
		arm_one(w, h);
	return 0;
}

int sl_world_on_start(struct sl_world *w, void (*fn)(void *arg, struct sl_world *w),
		      void *arg)
{
	if (w->nhooks == MAX_HOOKS)
		return -ENOSPC;
	if (sl_world_started(w)) {
		fn(arg, w);
		return 0;
	}
	w->hooks[w->nhooks++] = (struct at_hook){ .t = -1, .start_fn = fn, .arg = arg, .w = w };
	return 0;
}

int sl_world_start(struct sl_world *w, char *err, size_t errlen)
{
	if (w->started)
		return 0;
	if (!w->id) {
		snprintf(err, errlen, "scenario{} must come first");
		return -EINVAL;
	}
	w->started = 1;
	w->start_us = sl_now_us();
	w->deadline_us = sl_now_us() + (uint64_t)(w->o.timeout_s * 1e6);
	int rc = sl_capture_new(&w->cap, w->loop, "lo", err, errlen);
	if (rc < 0)
		return rc;
	rc = fdns_server_new(&w->dns, w->loop, w->zone, DNS_ADDR, DNS_PORT, dns_logged, w,
			     err, errlen);
	if (rc < 0)
		return rc;
	const char *bind6 = NULL;
	if (needs(w, "ipv6")) {
		struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
		char e6[256] = "not an IPv6 address";
		if (inet_pton(AF_INET6, SUT_ADDR6, &a6.sin6_addr) != 1 ||
		    sl_net_add_ula((void *)&a6, e6, sizeof(e6)) < 0) {
			snprintf(err, errlen, "the SUT's IPv6 address %s: %s", SUT_ADDR6, e6);
			return -EIO;
		}
		bind6 = SUT_ADDR6;
	}
	rc = tls_start(w, err, errlen);
	if (rc < 0)
		return rc;
	if (w->dns_history > FDNS_HISTORY_DEFAULT)
		fdns_server_set_history(w->dns, w->dns_history);
	struct sl_sut_cfg cfg = {
		.runner = w->o.runner, .adapter = w->o.adapter, .workdir = w->o.workdir,
		.dns_addr = DNS_ADDR, .dns_port = DNS_PORT, .bind_addr = SUT_ADDR,
		.bind_addr6 = bind6,
		.caps_wanted = SUT_CAP_UDP | SUT_CAP_TCP | SUT_CAP_TLS | SUT_CAP_IPV6 |
			       SUT_CAP_CANCEL,
		.t1_ms = (unsigned)(w->t1_s * 1000), .timer_b_ms = (unsigned)(64 * w->t1_s * 1000),
		.timer_f_ms = (unsigned)(64 * w->t1_s * 1000), .seed = w->o.seed,
		.open_timeout_s = 10, .exec_cmd = w->o.exec_cmd,
		.role = w->role, .listen_port = SUT_PORT,
		.tls_ca_file = w->tls ? w->ca_path : NULL,
		.tls_cert_file = w->sut_id ? w->sut_cert : NULL,
		.tls_key_file = w->sut_id ? w->sut_key : NULL,
		.tls_listen_port = SUT_TLS_PORT,
	};
	struct sl_sut_hooks hooks = { .done = sut_done, .log = sut_log, .alarm = sut_alarm,
				      .died = sut_died, .arg = w };
	rc = sl_sut_start(&w->sut, w->loop, w->clk, &cfg, &hooks, err, errlen);
	if (rc < 0)
		return rc;
	char missing[128];
	caps_needed(w, missing, sizeof(missing));
	if (missing[0]) {
		snprintf(err, errlen, "SUT %s lacks: %s", sl_sut_name(w->sut), missing);
		return -EAGAIN;
	}
	w->t0_us = sl_now_us();
	w->t0_sut_ns = sl_clock_sut_ns(w->clk, w->t0_us);
	arm_hooks(w);
	struct sl_event *e = sl_evlog_add(w->log, SL_EV_NOTE, w->t0_us);
	if (e) {
		char t[256];
		snprintf(t, sizeof(t), "world started: DNS %s:%d, SUT %s %s, rate %g", DNS_ADDR,
			 DNS_PORT, sl_sut_name(w->sut), sl_sut_version(w->sut), w->o.rate);
		sl_evlog_str(&e->text, t);
	}
	return 0;
}

/* Resident memory of this worker in MiB, from /proc (0 when unreadable). */
static long rss_mb(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return rss * (sysconf(_SC_PAGESIZE) / 1024) / 1024;
}

/* What stops a hostile SUT: the flood cap of the log, aborts raised by peers, and the
 * worker's memory cap. 0, or -ECANCELED with the reason in err. */
static int guard(struct sl_world *w, char *err, size_t errlen)
{
	uint64_t now = sl_now_us();
	if (w->o.max_worker_mb && now - w->rss_checked_us > 100000) {
		w->rss_checked_us = now;
		long mb = rss_mb();
		if (mb > (long)w->o.max_worker_mb)
			sl_evlog_abort(w->log, "worker memory cap: %ld MiB resident, over "
				       "--max-worker-mb %u; the SUT was stopped there", mb,
				       w->o.max_worker_mb);
	}
	const char *why = sl_evlog_aborted(w->log);
	if (!why)
		return 0;
	snprintf(err, errlen, "%s", why);
	return -ECANCELED;
}

/* Runs the loop for `sut_s` of SUT time (at least 30 ms of real time, so packets in
 * flight land), or until the watchdog or a guard. */
static int settle(struct sl_world *w, double sut_s, char *err, size_t errlen)
{
	uint64_t wall = sl_clock_wall_us(w->clk, sut_s);
	if (wall < 30000)
		wall = 30000;
	uint64_t until = sl_now_us() + wall;
	while (sl_now_us() < until) {
		if (sl_now_us() > w->deadline_us) {
			snprintf(err, errlen, "watchdog: wall time exceeded %g s", w->o.timeout_s);
			return -ETIMEDOUT;
		}
		int rc = guard(w, err, errlen);
		if (rc < 0)
			return rc;
		sl_loop_run_once(w->loop, 2);
	}
	return 0;
}

int sl_world_send_quick(struct sl_world *w, const char *method, const char *uri,
			size_t body_len, const struct sl_send_opts *o, int *status, char *err,
			size_t errlen)
{
	int rc = sl_world_start(w, err, errlen);
	if (rc < 0)
		return rc;
	unsigned id = w->next_id++;
	w->pending_id = id;
	w->pending_done = 0;
	struct sl_event *e = sl_evlog_add(w->log, SL_EV_SUT_REQ, sl_now_us());
	if (e) {
		e->req_id = id;
		e->body_len = body_len;
		sl_evlog_str(&e->method, method);
		sl_evlog_str(&e->uri, uri);
	}
	rc = sl_sut_request(w->sut, id, method, uri, body_len);
	if (rc < 0) {
		snprintf(err, errlen, "cannot send the request to the SUT: %s%s%s", strerror(-rc),
			 w->sut_dead[0] ? "; " : "", w->sut_dead);
		return rc;
	}
	/* The SUT-time cap: a transaction the SUT never ends must not run forever even when
	 * the wall watchdog is generous (slow rates). */
	double cap = w->o.max_sut_s > 0 ? w->o.max_sut_s : 3600;
	double t_req = sl_world_now(w) - w->advanced_s;
	int over_cap = 0;
	double cancel_after_s = o ? o->cancel_after_s : -1;
	int cancel_on = o ? o->cancel_on : 0;
	double t_cancel = cancel_after_s >= 0 ? sl_world_now(w) + cancel_after_s : -1;
	size_t seen = sl_evlog_count(w->log); /* events before the request: not ours */
	if ((cancel_after_s >= 0 || cancel_on) && !(sl_sut_caps(w->sut) & SUT_CAP_CANCEL)) {
		snprintf(err, errlen, "SUT %s lacks: cancel", sl_sut_name(w->sut));
		return -EAGAIN;
	}
	while (!w->pending_done && !w->sut_dead[0] && sl_now_us() < w->deadline_us &&
	       !(over_cap = sl_world_now(w) - w->advanced_s - t_req > cap)) {
		int wait_ms = 50, fire = 0;
		if ((rc = guard(w, err, errlen)) < 0)
			return rc;
		char why[64] = "";
		for (; cancel_on && seen < sl_evlog_count(w->log); seen++) {
			const struct sl_event *ev = sl_evlog_get(w->log, seen);
			if (ev->kind == SL_EV_SIP_TX && ev->status == cancel_on && ev->cseq_method &&
			    !strcmp(ev->cseq_method, "INVITE")) {
				snprintf(why, sizeof(why), "cancel_on = %d: a peer sent it", cancel_on);
				fire = 1;
				break;
			}
		}
		if (!fire && t_cancel >= 0) {
			double left = t_cancel - sl_world_now(w);
			if (left <= 0) {
				snprintf(why, sizeof(why), "cancel_after = %g s", cancel_after_s);
				fire = 1;
			} else {
				/* Wake in time: a 50 ms poll is 5 s of SUT time at rate 100. */
				uint64_t us = sl_clock_wall_us(w->clk, left);
				if (us / 1000 < (uint64_t)wait_ms)
					wait_ms = (int)(us / 1000) + 1;
			}
		}
		if (fire) {
			char t[128];
			snprintf(t, sizeof(t), "scenario: cancel request %u (%s)", id, why);
			sl_world_note(w, t);
			sl_sut_cancel(w->sut, id); /* a dead SUT is noticed by the loop */
			t_cancel = -1;
			cancel_on = 0;
			continue;
		}
		if (cancel_on)
			wait_ms = 2; /* the provisional is seen within a few ms of wall time */
		sl_loop_run_once(w->loop, wait_ms);
	}
	if (!w->pending_done && over_cap && !w->sut_dead[0]) {
		char tail[512];
		sl_sut_stderr_tail(w->sut, tail, sizeof(tail));
		snprintf(err, errlen, "SUT time cap: %s %s still open after %g s of SUT time "
			 "(--max-sut-time %g; %s keeps the transaction open?)%s%s", method, uri,
			 cap, cap, sl_sut_name(w->sut), tail[0] ? "; stderr: " : "", tail);
		return -ETIMEDOUT;
	}
	if (!w->pending_done) {
		if (w->sut_dead[0]) {
			char tail[512];
			sl_sut_stderr_tail(w->sut, tail, sizeof(tail));
			snprintf(err, errlen, "%s during %s %s%s%s", w->sut_dead, method, uri,
				 tail[0] ? "; stderr: " : "", tail);
			return -EPIPE;
		}
		char tail[512];
		sl_sut_stderr_tail(w->sut, tail, sizeof(tail));
		snprintf(err, errlen, "watchdog: %s %s not finished after %g s of wall time "
			 "(%s hangs?)%s%s", method, uri, w->o.timeout_s, sl_sut_name(w->sut),
			 tail[0] ? "; stderr: " : "", tail);
		return -ETIMEDOUT;
	}
	w->pending_id = 0;
	*status = w->pending_status;
	return 0;
}

int sl_world_settle(struct sl_world *w, char *err, size_t errlen)
{
	/* Let ACKs and late retransmissions land before the scenario looks. */
	return settle(w, 2 * w->t1_s, err, errlen);
}

const char *sl_world_role(const struct sl_world *w)
{
	return w->role ? w->role : "client";
}

const char *sl_world_sut_addr(const struct sl_world *w)
{
	(void)w;
	static char a[32];
	snprintf(a, sizeof(a), "%s:%d", SUT_ADDR, SUT_PORT);
	return a;
}

void sl_world_sut_listen(const struct sl_world *w, const char *tp, char *buf, size_t len)
{
	(void)w;
	snprintf(buf, len, "%s:%d/%s", SUT_ADDR, strcmp(tp, "tls") ? SUT_PORT : SUT_TLS_PORT, tp);
}

double sl_world_t1(const struct sl_world *w)
{
	return w->t1_s;
}

struct sl_peer *sl_world_find_peer(struct sl_world *w, const char *spec)
{
	for (size_t i = 0; i < w->npeers; i++)
		if (!strcmp(sl_peer_spec(w->peers[i]), spec))
			return w->peers[i];
	return NULL;
}

struct sl_uac *sl_world_uac(struct sl_world *w, char *err, size_t errlen)
{
	if (!w->uac && sl_uac_new(&w->uac, w->loop, w->log, w->clk, w->t1_s, w->o.seed) < 0)
		snprintf(err, errlen, "out of memory");
	if (w->uac)
		sl_uac_set_tls(w->uac, w->tls);
	return w->uac;
}

int sl_world_wait(struct sl_world *w, int (*done)(void *arg), void *arg, double sut_s,
		  char *err, size_t errlen)
{
	int rc = sl_world_start(w, err, errlen);
	if (rc < 0)
		return rc;
	uint64_t until = sl_now_us() + sl_clock_wall_us(w->clk, sut_s);
	for (;;) {
		if (done(arg))
			return 1;
		if (w->sut_dead[0]) {
			char tail[512];
			sl_sut_stderr_tail(w->sut, tail, sizeof(tail));
			snprintf(err, errlen, "%s%s%s", w->sut_dead, tail[0] ? "; stderr: " : "", tail);
			return -EPIPE;
		}
		if (sl_now_us() > w->deadline_us) {
			snprintf(err, errlen, "watchdog: wall time exceeded %g s", w->o.timeout_s);
			return -ETIMEDOUT;
		}
		if (sl_now_us() >= until)
			return 0;
		if ((rc = guard(w, err, errlen)) < 0)
			return rc;
		sl_loop_run_once(w->loop, 2);
	}
}

int sl_world_send(struct sl_world *w, const char *method, const char *uri, size_t body_len,
		  const struct sl_send_opts *o, int *status, char *err, size_t errlen)
{
	int rc = sl_world_send_quick(w, method, uri, body_len, o, status, err, errlen);
	return rc < 0 ? rc : sl_world_settle(w, err, errlen);
}

void sl_world_dns_history(struct sl_world *w, size_t max)
{
	if (max > w->dns_history)
		w->dns_history = max;
	if (w->dns && w->dns_history > FDNS_HISTORY_DEFAULT)
		fdns_server_set_history(w->dns, w->dns_history);
}

static int batch_request(struct sl_world *w, unsigned id, const char *method, const char *uri,
			 size_t body_len, char *err, size_t errlen)
{
	struct sl_event *e = sl_evlog_add(w->log, SL_EV_SUT_REQ, sl_now_us());
	if (e) {
		e->req_id = id;
		sl_evlog_str(&e->method, method);
		sl_evlog_str(&e->uri, uri);
	}
	int rc = sl_sut_request(w->sut, id, method, uri, body_len);
	if (rc < 0)
		snprintf(err, errlen, "cannot send request %u (%s) to the SUT: %s%s%s", id, uri,
			 strerror(-rc), w->sut_dead[0] ? "; " : "", w->sut_dead);
	return rc;
}

int sl_world_send_many(struct sl_world *w, const char *method, const char *const *uris,
		       size_t n, size_t window, size_t body_len, int *statuses, char *err,
		       size_t errlen)
{
	int rc = sl_world_start(w, err, errlen);
	if (rc < 0)
		return rc;
	if (!window)
		window = 1;
	for (size_t i = 0; i < n; i++)
		statuses[i] = BATCH_PENDING;
	w->batch_first = w->next_id;
	w->batch_n = (unsigned)n;
	w->batch_done = 0;
	w->batch_status = statuses;
	w->next_id += (unsigned)n;
	double cap = w->o.max_sut_s > 0 ? w->o.max_sut_s : 3600;
	double t_progress = sl_world_now(w) - w->advanced_s;
	unsigned done = 0;
	size_t sent = 0;
	while (w->batch_done < n) {
		while (!rc && sent < n && sent - w->batch_done < window) {
			rc = batch_request(w, w->batch_first + (unsigned)sent, method, uris[sent],
					   body_len, err, errlen);
			sent++;
		}
		if (rc < 0)
			goto out;
		if (w->batch_done != done) {
			done = w->batch_done;
			t_progress = sl_world_now(w) - w->advanced_s;
		}
		char tail[512];
		if (w->sut_dead[0]) {
			sl_sut_stderr_tail(w->sut, tail, sizeof(tail));
			snprintf(err, errlen, "%s during send_many (%u of %zu ended)%s%s", w->sut_dead,
				 w->batch_done, n, tail[0] ? "; stderr: " : "", tail);
			rc = -EPIPE;
			goto out;
		}
		if (sl_now_us() > w->deadline_us) {
			snprintf(err, errlen, "watchdog: send_many not finished after %g s of wall "
				 "time (%u of %zu requests ended; raise --timeout?)", w->o.timeout_s,
				 w->batch_done, n);
			rc = -ETIMEDOUT;
			goto out;
		}
		if (sl_world_now(w) - w->advanced_s - t_progress > cap) {
			snprintf(err, errlen, "SUT time cap: send_many: no request ended for %g s of "
				 "SUT time (--max-sut-time %g; %zu still open)", cap, cap,
				 sent - w->batch_done);
			rc = -ETIMEDOUT;
			goto out;
		}
		if ((rc = guard(w, err, errlen)) < 0)
			goto out;
		sl_loop_run_once(w->loop, 50);
	}
	rc = settle(w, 2 * w->t1_s, err, errlen);
out:
	w->batch_status = NULL;
	w->batch_n = 0;
	return rc;
}

int sl_world_advance(struct sl_world *w, double seconds, char *err, size_t errlen)
{
	int rc = sl_world_start(w, err, errlen);
	if (rc < 0)
		return rc;
	if (w->pending_id) {
		snprintf(err, errlen, "advance() while a transaction is open");
		return -EBUSY;
	}
	if (seconds < 0) {
		snprintf(err, errlen, "advance(%g): time only moves forward", seconds);
		return -EINVAL;
	}
	rc = sl_clock_jump(w->clk, seconds);
	if (rc < 0) {
		snprintf(err, errlen, "clock jump: %s", strerror(-rc));
		return rc;
	}
	w->advanced_s += seconds;
	char t[64];
	snprintf(t, sizeof(t), "clock advanced %g s", seconds);
	sl_world_note(w, t);
	/* Pending sl_world_at() hooks were armed in wall time: the jump brings them closer. */
	for (size_t i = 0; i < w->nhooks; i++) {
		struct at_hook *h = &w->hooks[i];
		if (h->timer) {
			sl_timer_cancel(w->loop, h->timer);
			h->timer = NULL;
			arm_one(w, h);
		}
	}
	return settle(w, 0, err, errlen);
}

void sl_world_note(struct sl_world *w, const char *text)
{
	struct sl_event *e = sl_evlog_add(w->log, SL_EV_NOTE, sl_now_us());
	if (e)
		sl_evlog_str(&e->text, text);
}

static void fill_times(struct sl_world *w)
{
	/* A start that failed (SUT died in open, lacks a capability) never set t0: count from
	 * when it began, with the clock's final calibration. */
	int64_t t0 = sl_world_started(w) ? w->t0_sut_ns
		: w->started ? sl_clock_sut_ns(w->clk, w->start_us) : 0;
	for (size_t i = 0; i < sl_evlog_count(w->log); i++) {
		struct sl_event *e = sl_evlog_get(w->log, i);
		e->t_sut = w->started ? (double)(sl_clock_sut_ns(w->clk, e->t_us) - t0) / 1e9 : 0;
	}
}

struct sl_evlog *sl_world_log(struct sl_world *w)
{
	fill_times(w);
	return w->log;
}

int sl_world_check(struct sl_world *w, const char *name, const char *const *reqs,
		   size_t nreqs, const struct sl_check_out *o)
{
	struct rec_check *c = realloc(w->checks, (w->nchecks + 1) * sizeof(*c));
	if (!c)
		return -ENOMEM;
	w->checks = c;
	c = &w->checks[w->nchecks++];
	memset(c, 0, sizeof(*c));
	c->name = strdup(name);
	c->detail = strdup(o->detail);
	c->pass = o->pass;
	if (reqs) {
		c->reqs = json_array();
		for (size_t i = 0; i < nreqs; i++)
			json_array_append_new(c->reqs, json_string(reqs[i]));
	} else {
		c->reqs = json_deep_copy(w->covers);
	}
	c->ev = calloc(o->nev ? o->nev : 1, sizeof(*c->ev));
	if (c->ev) {
		for (size_t i = 0; i < o->nev; i++) {
			struct sl_event *e = sl_evlog_get(w->log, o->ev[i]);
			if (e)
				c->ev[c->nev++] = e;
		}
	}
	return c->name && c->detail && c->reqs ? 0 : -ENOMEM;
}

/* Runs the invariants of DESIGN.md on the whole log. */
static void invariants(struct sl_world *w)
{
	struct sl_check_out o;
	sl_check_branches(w->log, sl_world_timer_b(w), &o);
	static const char *const nb[] = { "FO-NEWBRANCH" };
	/* An invariant speaks for a requirement only when it saw the case happen. */
	sl_world_check(w, "invariant: new branch per attempt", nb, o.seen & 1 ? 1 : 0, &o);
	sl_check_same_server(w->log, sl_world_timer_b(w), &o);
	const char *ss[3];
	size_t nss = 0;
	if (o.seen & 1)
		ss[nss++] = "TXN-ONCE";
	if (o.seen & 2)
		ss[nss++] = "TXN-ACK";
	if (o.seen & 4)
		ss[nss++] = "TXN-CANCEL";
	sl_world_check(w, "invariant: same server for retransmission, ACK, CANCEL", ss, nss, &o);
	sl_check_request_uri(w->log, &o);
	static const char *const ru[] = { "TXN-URI" };
	sl_world_check(w, "invariant: Request-URI as given", ru, o.seen & 1 ? 1 : 0, &o);
	/* RFC 3261 syntax: no catalogue row of RFC 3263, but nothing else can be judged on
	 * bytes that are not SIP, so a SUT sending them fails here. */
	static const char *const none[] = { NULL };
	sl_check_wellformed(w->log, &o);
	sl_world_check(w, "invariant: well-formed SIP", none, 0, &o);
	/* Where requests went and in which order are judged for a client resolving the URI
	 * it was given; a proxy's or server's duties (RFC 3263 4.4, 5) differ. */
	if (w->role && strcmp(w->role, "client"))
		return;
	unsigned caps = w->sut ? sl_sut_caps(w->sut) : 0, mask = 0;
	mask |= caps & SUT_CAP_UDP ? SL_TP_UDP : 0;
	mask |= caps & SUT_CAP_TCP ? SL_TP_TCP : 0;
	mask |= caps & SUT_CAP_TLS ? SL_TP_TLS : 0;
	mask |= caps & SUT_CAP_IPV6 ? SL_TP_IPV6 : 0;
	const char *ids[32];
	sl_check_addresses(w->log, mask, &o);
	size_t nid = sl_check_req_ids(o.pass ? o.seen : o.failed, ids, 32);
	sl_world_check(w, "invariant: only addresses the URI or DNS gave", ids, nid, &o);
	sl_check_order(w->log, mask, &o);
	nid = sl_check_req_ids(o.pass ? o.seen : o.failed, ids, 32);
	sl_world_check(w, "invariant: target order RFC 2782 allows", ids, nid, &o);
}

/* Every requirement the scenario covers must be spoken for by some check. */
static void coverage(struct sl_world *w)
{
	size_t i;
	json_t *id;
	json_array_foreach(w->covers, i, id) {
		int found = 0;
		for (size_t c = 0; c < w->nchecks && !found; c++) {
			size_t k;
			json_t *r;
			json_array_foreach(w->checks[c].reqs, k, r)
				found |= json_equal(r, id);
		}
		if (!found) {
			struct sl_check_out o = { .pass = 0 };
			snprintf(o.detail, sizeof(o.detail), "the scenario covers %s but no check "
				 "speaks for it", json_string_value(id));
			const char *req = json_string_value(id);
			sl_world_check(w, "coverage", &req, 1, &o);
		}
	}
}

static const char *kind_str(enum sl_ev_kind k)
{
	switch (k) {
	case SL_EV_DNS: return "dns";
	case SL_EV_SIP_RX: return "sip-rx";
	case SL_EV_SIP_TX: return "sip-tx";
	case SL_EV_SUT_REQ: return "sut-request";
	case SL_EV_SUT_DONE: return "sut-done";
	case SL_EV_STRAY: return "stray";
	case SL_EV_REJECT: return "reject";
	default: return "note";
	}
}

static void write_log(struct sl_world *w)
{
	FILE *f = fopen(w->o.log_path, "w");
	if (!f)
		return;
	fprintf(f, "# %s (%s): event log, SUT time in seconds from the world's start\n",
		sl_world_id(w), w->file ? w->file : "?");
	for (size_t i = 0; i < sl_evlog_count(w->log); i++) {
		const struct sl_event *e = sl_evlog_get(w->log, i);
		char st[32];
		fprintf(f, "%4zu %10.4f %-11s", i, e->t_sut, kind_str(e->kind));
		if (e->fp[0].frame)
			fprintf(f, " #%u", e->fp[0].frame);
		if (e->fp[1].frame)
			fprintf(f, ",#%u", e->fp[1].frame);
		switch (e->kind) {
		case SL_EV_DNS:
			if (e->qname) {
				char fl[64], ed[48] = "";
				fdns_flags_str((uint16_t)e->qflags, ",", fl, sizeof(fl));
				if (e->edns >= 0)
					snprintf(ed, sizeof(ed), " edns=%d%s", e->edns,
						 e->dnssec_ok ? ",do" : "");
				fprintf(f, " %s %s -> %s %s %s rcode=%d an=%u%s%s%s%s%s%s",
					e->client, e->transport, e->server, e->qtype, e->qname,
					e->rcode, e->ancount, e->tc ? " TC" : "",
					fl[0] ? " flags=" : "", fl, ed, e->text ? " " : "",
					e->text ? e->text : "");
			}
			else
				fprintf(f, " %s: %s", e->client, e->text ? e->text : "?");
			break;
		case SL_EV_SIP_RX:
		case SL_EV_SIP_TX:
			if (e->text) {
				fprintf(f, " %s", e->text);
				break;
			}
			fprintf(f, " %s %s %s/%s", e->kind == SL_EV_SIP_RX ? e->client : e->server,
				"->", e->kind == SL_EV_SIP_RX ? e->server : e->client, e->transport);
			if (e->method)
				fprintf(f, " %s %s", e->method, e->uri);
			else
				fprintf(f, " %d (%s)", e->status, e->cseq_method ? e->cseq_method : "");
			fprintf(f, " branch=%s call-id=%s cseq=%lu via=%s/%s%s", e->branch ? e->branch : "-",
				e->call_id ? e->call_id : "-", e->cseq,
				e->via_transport ? e->via_transport : "-",
				e->via_sentby ? e->via_sentby : "-",
				e->bounced ? " (unreachable: bounced)" : "");
			break;
		case SL_EV_SUT_REQ:
			fprintf(f, " request %u: %s %s", e->req_id, e->method, e->uri);
			break;
		case SL_EV_SUT_DONE:
			fprintf(f, " request %u ended: %s", e->req_id,
				sl_sut_status_str(e->status, st, sizeof(st)));
			break;
		case SL_EV_STRAY:
		case SL_EV_REJECT:
			fprintf(f, " %s", e->text ? e->text : "");
			if (e->method)
				fprintf(f, ": %s %s branch=%s call-id=%s cseq=%lu", e->method, e->uri,
					e->branch ? e->branch : "-", e->call_id ? e->call_id : "-",
					e->cseq);
			if (e->answers)
				fprintf(f, " (answers event %u)", e->answers->idx);
			break;
		default:
			fprintf(f, " %s", e->text ? e->text : "");
		}
		fputc('\n', f);
	}
	fclose(f);
}

static json_t *check_json(const struct rec_check *c)
{
	json_t *pk = json_array();
	for (size_t i = 0; i < c->nev; i++) {
		const struct sl_event *e = c->ev[i];
		for (int k = 0; e && k < 2; k++)
			if (e->fp[k].frame)
				json_array_append_new(pk, json_integer(e->fp[k].frame));
	}
	return json_pack("{s:s, s:O, s:s, s:s, s:o}", "check", c->name, "requirements", c->reqs,
			 "verdict", c->pass ? "pass" : "fail", "detail", c->detail, "packets", pk);
}

static void set_str(json_t *o, const char *k, const char *v)
{
	if (v)
		json_object_set_new(o, k, json_string(v));
}

/* The event log as results.json carries it: what the ladder diagrams are drawn from.
 * "from"/"to" give the direction of the packet(s). */
static json_t *events_json(const struct sl_world *w)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < sl_evlog_count(w->log); i++) {
		const struct sl_event *e = sl_evlog_get(w->log, i);
		json_t *o = json_pack("{s:I, s:f, s:s}", "i", (json_int_t)i, "t", e->t_sut, "kind",
				      kind_str(e->kind));
		int to_peer = e->kind == SL_EV_SIP_RX || e->kind == SL_EV_DNS ||
			      e->kind == SL_EV_STRAY;
		if (e->client && e->server) {
			set_str(o, "from", to_peer ? e->client : e->server);
			set_str(o, "to", to_peer ? e->server : e->client);
		}
		set_str(o, "transport", e->transport);
		set_str(o, "qtype", e->qtype);
		set_str(o, "qname", e->qname);
		if (e->kind == SL_EV_DNS && e->qname) {
			json_object_set_new(o, "rcode", json_integer(e->rcode));
			json_object_set_new(o, "ancount", json_integer(e->ancount));
			json_object_set_new(o, "tc", json_boolean(e->tc));
			char fl[64];
			set_str(o, "flags", fdns_flags_str((uint16_t)e->qflags, " ", fl, sizeof(fl)));
			if (e->edns >= 0) {
				json_object_set_new(o, "edns", json_integer(e->edns));
				json_object_set_new(o, "dnssec_ok", json_boolean(e->dnssec_ok));
			}
		}
		set_str(o, "method", e->method);
		if (e->status && e->kind != SL_EV_SUT_DONE)
			json_object_set_new(o, "status", json_integer(e->status));
		if (e->kind == SL_EV_SUT_REQ || e->kind == SL_EV_SUT_DONE)
			json_object_set_new(o, "request", json_integer(e->req_id));
		if (e->kind == SL_EV_SUT_DONE) {
			char b[32];
			json_object_set_new(o, "outcome", json_string(sl_sut_status_str(e->status, b,
											   sizeof(b))));
		}
		set_str(o, "uri", e->uri);
		set_str(o, "branch", e->branch);
		set_str(o, "call_id", e->call_id);
		set_str(o, "via_transport", e->via_transport);
		set_str(o, "via_sentby", e->via_sentby);
		if (e->cseq_method) {
			json_object_set_new(o, "cseq", json_integer((json_int_t)e->cseq));
			set_str(o, "cseq_method", e->cseq_method);
		}
		set_str(o, "text", e->text);
		if (e->alarm)
			json_object_set_new(o, "alarm", json_true());
		if (e->bounced)
			json_object_set_new(o, "bounced", json_true());
		if (e->answers)
			json_object_set_new(o, "answers", json_integer(e->answers->idx));
		json_t *fr = json_array();
		for (int k = 0; k < 2; k++)
			if (e->fp[k].frame)
				json_array_append_new(fr, json_integer(e->fp[k].frame));
		json_object_set_new(o, "frames", fr);
		json_array_append_new(arr, o);
	}
	return arr;
}

/* What reached lo that no peer and no DNS server took becomes events (sl_stray.h). */
static void strays(struct sl_world *w)
{
	const char *decl[MAX_PEERS + 2];
	char buf[MAX_PEERS + 2][96];
	size_t n = 0;
	for (size_t i = 0; i < w->npeers; i++) {
		snprintf(buf[n], sizeof(buf[n]), "%s/%s", sl_peer_addr(w->peers[i]),
			 sl_peer_transport(w->peers[i]));
		decl[n] = buf[n];
		n++;
	}
	snprintf(buf[n], sizeof(buf[n]), "%s:%d/udp", DNS_ADDR, DNS_PORT);
	decl[n] = buf[n];
	n++;
	snprintf(buf[n], sizeof(buf[n]), "%s:%d/tcp", DNS_ADDR, DNS_PORT);
	decl[n] = buf[n];
	n++;
	static const char *const self[] = { SUT_ADDR, "::1" };
	if (sl_stray_events(w->cap, w->log, decl, n, self, 2) < 0)
		sl_world_note(w, "capture: out of memory while logging stray packets");
}

json_t *sl_world_finish(struct sl_world *w, const char *reason, int not_run)
{
	char err[512], why[512];
	json_t *pcap = json_null(), *keylog = NULL;
	if (w->started && !not_run)
		settle(w, 2 * w->t1_s, why, sizeof(why));
	/* A guard that fired where nobody could unwind (the last settle, a peer's callback)
	 * still makes the scenario an error. */
	if (!reason && !not_run && sl_evlog_aborted(w->log)) {
		snprintf(why, sizeof(why), "%s", sl_evlog_aborted(w->log));
		reason = why;
	}
	for (size_t i = 0; i < w->npeers; i++)
		sl_peer_finish(w->peers[i]);
	if (w->cap) {
		sl_capture_drain(w->cap, 20);
		if (sl_capture_cut(w->cap)) {
			char t[200];
			snprintf(t, sizeof(t), "capture: past %u MiB of frames, %zu later frames were "
				 "kept to their first %u bytes", SL_CAPTURE_MAX_BYTES >> 20,
				 sl_capture_cut(w->cap), SL_CAPTURE_SNAP_LATE);
			sl_world_note(w, t);
		}
		if (sl_capture_dropped(w->cap)) {
			char t[200];
			snprintf(t, sizeof(t), "capture: the kernel dropped %zu frames (capture buffer "
				 "full); their events have no frame number",
				 sl_capture_dropped(w->cap));
			sl_world_note(w, t);
		}
		sl_capture_match(w->cap, w->log);
		strays(w);
		if (sl_capture_write(w->cap, w->o.pcap_path, w->clk, err, sizeof(err)) == 0) {
			const char *base = strrchr(w->o.pcap_path, '/');
			char rel[256];
			snprintf(rel, sizeof(rel), "pcap/%s", base ? base + 1 : w->o.pcap_path);
			pcap = json_string(rel);
		}
	}
	size_t klen = 0;
	if (w->tls && (sl_tls_keylog(w->tls, &klen), klen)) {
		/* pcap/<id>.keys next to pcap/<id>.pcap: tshark -o tls.keylog_file: reads it. */
		char kp[4300];
		size_t n = strlen(w->o.pcap_path);
		if (n > 5 && !strcmp(w->o.pcap_path + n - 5, ".pcap"))
			n -= 5;
		snprintf(kp, sizeof(kp), "%.*s.keys", (int)n, w->o.pcap_path);
		if (sl_tls_write_keylog(w->tls, kp, err, sizeof(err)) == 0) {
			const char *base = strrchr(kp, '/');
			char rel[4400];
			snprintf(rel, sizeof(rel), "pcap/%s", base ? base + 1 : kp);
			keylog = json_string(rel);
		} else {
			sl_world_note(w, err);
		}
	}
	fill_times(w);
	if (!reason && !not_run) {
		invariants(w);
		coverage(w);
	}
	double sut_s = 0;
	if (w->started)
		sut_s = (double)(sl_clock_sut_ns(w->clk, sl_now_us()) -
				 (sl_world_started(w) ? w->t0_sut_ns
						      : sl_clock_sut_ns(w->clk, w->start_us))) / 1e9;
	write_log(w);
	int pass = 1;
	json_t *checks = json_array();
	for (size_t i = 0; i < w->nchecks; i++) {
		json_array_append_new(checks, check_json(&w->checks[i]));
		pass &= w->checks[i].pass;
	}
	const char *verdict = not_run ? "not-run" : reason ? "error" : pass ? "pass" : "fail";
	json_t *r = json_pack("{s:s, s:s, s:O, s:s, s:s, s:s, s:s, s:o, s:o, s:f, s:I}",
			      "id", sl_world_id(w), "file", w->file ? w->file : "",
			      "covers", w->covers, "role", w->role ? w->role : "",
			      "summary", w->summary ? w->summary : "", "verdict", verdict,
			      "reason", reason ? reason : "", "checks", checks, "pcap", pcap,
			      "sut_time_s", sut_s, "seed", (json_int_t)w->o.seed);
	if (r)
		json_object_set_new(r, "events", events_json(w));
	if (r && keylog)
		json_object_set_new(r, "keylog", keylog);
	else
		json_decref(keylog);
	if (r && w->sut) {
		json_object_set_new(r, "sut", json_pack("{s:s, s:s}", "name", sl_sut_name(w->sut),
							"version", sl_sut_version(w->sut)));
	}
	return r;
}
