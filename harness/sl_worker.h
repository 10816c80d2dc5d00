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
	unsigned seed;
};

/* Runs path (whose id is already known) and returns its result (new reference). */
json_t *sl_worker_run(const struct sl_worker_opts *o, const struct sl_catalogue *cat,
		      const char *path, const char *id);

/* An error result for a scenario that could not even be loaded. */
json_t *sl_worker_error_result(const char *id, const char *path, const char *reason);

#endif
