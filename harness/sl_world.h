/* sl_world.h: everything one scenario's SUT can see (fake DNS, peers, clock) plus the
 * SUT runner, the capture and the checks recorded so far, owned by one worker.
 * Promises: the world starts lazily (first send/advance or the end of the scenario) so
 * declarations come first; every event is logged with its time; sl_world_finish() runs
 * the invariants, matches packets and leaves a pcap, a log and a result even when the
 * scenario errored. */
#ifndef SL_WORLD_H
#define SL_WORLD_H

#include <jansson.h>
#include <stddef.h>

#include "sl_check.h"
#include "sl_peer.h"
#include "sl_tls.h"

struct sl_world;
struct sl_evlog;

struct sl_world_opts {
	const char *runner;       /* siploc-sut */
	const char *adapter;      /* adapter .so */
	const char *workdir;      /* per-scenario scratch */
	const char *pcap_path;
	const char *log_path;
	double rate;
	double timeout_s;         /* wall watchdog */
	unsigned seed;
	double max_sut_s;         /* SUT seconds a transaction may stay open, beyond
				   * advance()s (0: 3600) */
	const char *exec_cmd;     /* exec adapter's command template, or NULL */
	unsigned max_worker_mb;   /* resident memory cap of the worker (0: none) */
};

int sl_world_new(struct sl_world **wp, const struct sl_world_opts *o, char *err, size_t errlen);
void sl_world_free(struct sl_world *w);

/* Metadata from scenario{} */
int sl_world_meta(struct sl_world *w, const char *id, const char *file, const char *role,
		  const char *summary, const char *const *covers, size_t ncovers,
		  const char *const *needs, size_t nneeds, double t1_s);
const char *sl_world_id(const struct sl_world *w);
/* The wall-clock watchdog of the scenario, in seconds (--timeout). */
double sl_world_timeout(const struct sl_world *w);
/* The scenario's seed: the SUT's, the script's math.random and zone shuffles derive
 * from it, so one seed replays a run. */
unsigned sl_world_seed(const struct sl_world *w);

int sl_world_zone_text(struct sl_world *w, const char *text, const char *origin,
		       const char *file, int line, char *err, size_t errlen);
struct sl_peer *sl_world_peer(struct sl_world *w, const char *spec, char *err, size_t errlen);
/* The certificate of a tls peer: names (NULL: from the zone, as sl_tls_names.h says) and
 * the faults. The world makes the test CA (work/<id>/tls-ca.pem, given to the SUT as its
 * CA file) and the certificates (work/<id>/tls-ADDR-PORT.pem/.key) when it starts. */
struct sl_world_tls_opts {
	const char *const *names;
	size_t nnames;
	enum sl_tls_cert cert;
	int abort_handshake;
};
struct sl_peer *sl_world_tls_peer(struct sl_world *w, const char *spec,
				  const struct sl_world_tls_opts *o, char *err, size_t errlen);

/* Starts DNS, capture and SUT if not yet. Returns 0, -EAGAIN when the scenario cannot
 * run here (reason in err: not-run), or another -errno (error). */
int sl_world_start(struct sl_world *w, char *err, size_t errlen);

/* How a request sent by sl_world_send() is cancelled, if at all: after cancel_after_s SUT
 * seconds (< 0: never), or as soon as a peer has sent a cancel_on response (a 1xx code,
 * 0: never) to the INVITE; whichever comes first, once. */
struct sl_send_opts {
	double cancel_after_s;
	int cancel_on;
};

/* Sends one request through the SUT and runs the world until it ends, then lets the
 * network settle. o may be NULL (no cancel). *status gets the SUT's outcome. Returns 0 or
 * -errno (SUT died, watchdog) with the reason in err. */
int sl_world_send(struct sl_world *w, const char *method, const char *uri, size_t body_len,
		  const struct sl_send_opts *o, int *status, char *err, size_t errlen);
/* The same without the settling, for a run of transactions where only the last needs
 * the network to settle (expect_weights trials): call sl_world_settle() after. */
int sl_world_send_quick(struct sl_world *w, const char *method, const char *uri,
			size_t body_len, const struct sl_send_opts *o, int *status, char *err,
			size_t errlen);
int sl_world_settle(struct sl_world *w, char *err, size_t errlen);
/* send_many: n requests (one per uri) with at most window open at once, and one settle
 * after the last ends, not one per request. statuses[i] gets request i's outcome. Returns
 * 0 or -errno as sl_world_send (the SUT-time cap counts from the last request that ended). */
int sl_world_send_many(struct sl_world *w, const char *method, const char *const *uris,
		       size_t n, size_t window, size_t body_len, int *statuses, char *err,
		       size_t errlen);
/* The fake DNS keeps at least max queries for dns_queries() (default FDNS_HISTORY_DEFAULT);
 * the event log keeps every query whatever this says. */
void sl_world_dns_history(struct sl_world *w, size_t max);
/* Jumps the SUT clock (only between transactions). */
int sl_world_advance(struct sl_world *w, double seconds, char *err, size_t errlen);
void sl_world_note(struct sl_world *w, const char *text);

/* Records a check. reqs NULL: the scenario's covers. */
int sl_world_check(struct sl_world *w, const char *name, const char *const *reqs,
		   size_t nreqs, const struct sl_check_out *o);
/* The log with every event's SUT time filled in, as checks need it. */
struct sl_evlog *sl_world_log(struct sl_world *w);
double sl_world_timer_b(const struct sl_world *w);
/* scenario{ limits = { events = N } }: the flood cap of this scenario's event log. */
#define SL_WORLD_MAX_EVENTS 20000
void sl_world_set_max_events(struct sl_world *w, size_t max);

/* Access for the scenario-API modules (sl_lua_*.c). */
struct sl_loop *sl_world_loop(struct sl_world *w);
struct sl_clock *sl_world_clock(struct sl_world *w);
struct fdns_zone *sl_world_zone(struct sl_world *w);
struct fdns_server *sl_world_dns(struct sl_world *w);  /* NULL before the start */
int sl_world_started(const struct sl_world *w);
/* SUT seconds since the world started (0 before). */
double sl_world_now(const struct sl_world *w);
/* Runs fn(arg) once, at SUT time t (seconds since the world's start; clock jumps count).
 * Before the start, the call is kept and armed when the world starts. */
int sl_world_at(struct sl_world *w, double t, void (*fn)(void *arg), void *arg);
/* Runs fn(arg, w) right after the world has started (DNS server up, SUT open), in
 * registration order; for extensions that need the live server. */
int sl_world_on_start(struct sl_world *w, void (*fn)(void *arg, struct sl_world *w),
		      void *arg);

/* For the roles where the SUT receives requests (sl_lua_uac.c). */
const char *sl_world_role(const struct sl_world *w);
/* "127.0.0.1:5060": where the SUT listens in the proxy and server roles. */
const char *sl_world_sut_addr(const struct sl_world *w);
/* "127.0.0.1:5060/udp", ".../tcp", "127.0.0.1:5061/tls": where it listens for tp. */
void sl_world_sut_listen(const struct sl_world *w, const char *tp, char *buf, size_t len);
double sl_world_t1(const struct sl_world *w);
/* The peer declared at spec ("127.0.0.2:5060/udp", normalised), or NULL. */
struct sl_peer *sl_world_find_peer(struct sl_world *w, const char *spec);
/* The harness UAC (sl_uac.h), created on first use; NULL with the reason in err. */
struct sl_uac *sl_world_uac(struct sl_world *w, char *err, size_t errlen);
/* Starts the world if needed, then runs it until done(arg) returns non-zero or sut_s SUT
 * seconds have passed. Returns 1 (done), 0 (time up), or -errno (the SUT died, the wall
 * watchdog fired) with the reason in err. */
int sl_world_wait(struct sl_world *w, int (*done)(void *arg), void *arg, double sut_s,
		  char *err, size_t errlen);
/* Ends the scenario: verdict is "pass"/"fail" (from the checks) unless reason is given
 * (then "error", or "not-run" when not_run). Writes pcap and log; returns the scenario's
 * result object (new reference). */
json_t *sl_world_finish(struct sl_world *w, const char *reason, int not_run);

#endif
