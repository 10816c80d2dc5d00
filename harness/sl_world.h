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

/* Starts DNS, capture and SUT if not yet. Returns 0, -EAGAIN when the scenario cannot
 * run here (reason in err: not-run), or another -errno (error). */
int sl_world_start(struct sl_world *w, char *err, size_t errlen);

/* Sends one request through the SUT and runs the world until it ends, then lets the
 * network settle. *status gets the SUT's outcome. Returns 0 or -errno (SUT died,
 * watchdog) with the reason in err. */
int sl_world_send(struct sl_world *w, const char *method, const char *uri, size_t body_len,
		  int *status, char *err, size_t errlen);
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

/* Ends the scenario: verdict is "pass"/"fail" (from the checks) unless reason is given
 * (then "error", or "not-run" when not_run). Writes pcap and log; returns the scenario's
 * result object (new reference). */
json_t *sl_world_finish(struct sl_world *w, const char *reason, int not_run);

#endif
