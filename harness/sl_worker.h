/* sl_worker.h: runs one scenario in a forked worker inside a fresh network namespace.
 * Promises: the worker always leaves a result object (pass/fail/error/not-run), even when
 * it crashes or hangs (then the parent writes the error); the parent's namespace and
 * files other than the scenario's own outputs are never touched. */
#ifndef SL_WORKER_H
#define SL_WORKER_H

#include <jansson.h>

struct sl_catalogue;

struct sl_worker_opts {
	const char *runner, *adapter;
	const char *out_dir;      /* pcap/, log/, work/ live under it */
	double rate, timeout_s;
	unsigned seed;            /* the scenario's own seed, used as given (results record it) */
	double max_sut_s;         /* SUT-time cap per transaction (0: 3600) */
	const char *exec_cmd;     /* exec adapter: the command template, else NULL */
	unsigned max_worker_mb;   /* resident memory cap per worker (0: none) */
};

/* Makes SIGINT/SIGTERM stop the run instead of killing siploc: the running worker and
 * its SUT are killed, sl_worker_run() returns NULL and sl_worker_interrupted() tells
 * which signal came. Also makes this process the reaper of SUTs orphaned by a killed
 * worker, so their faketime files can be removed. */
void sl_worker_catch_signals(void);
int sl_worker_interrupted(void);

/* Runs path (whose id is already known) and returns its result (new reference), or NULL
 * when the run was interrupted (the scenario did not finish). id names the outputs
 * (pcap/<id>.pcap, log/<id>.log, work/<id>/) and the result: a repetition's "x#2". */
json_t *sl_worker_run(const struct sl_worker_opts *o, const struct sl_catalogue *cat,
		      const char *path, const char *id);

/* The same, without waiting, for a scheduler running several at once. */
struct sl_worker;
/* Forks the worker; -errno when it cannot (nothing is left running then). */
int sl_worker_start(const struct sl_worker_opts *o, const struct sl_catalogue *cat,
		    const char *path, const char *id, struct sl_worker **wp);
/* Never blocks: 1 when the worker has ended (its result is ready), 0 while it runs. A
 * worker stuck past its watchdog (--timeout + 15 s) is killed here and ends with an
 * error result. */
int sl_worker_poll(struct sl_worker *w);
/* The result of an ended worker (new reference; an error result when it left none). */
json_t *sl_worker_result(struct sl_worker *w);
/* Kills a running worker (its SUT dies with it) and waits for it. */
void sl_worker_kill(struct sl_worker *w);
void sl_worker_free(struct sl_worker *w);
/* Reaps SUT runners orphaned by killed workers and removes their faketime files; with
 * wait, keeps at it until none is left (at most 2 s). */
void sl_worker_reap_orphans(int wait);

/* An error result for a scenario that could not even be loaded. */
json_t *sl_worker_error_result(const char *id, const char *path, const char *reason);

#endif
