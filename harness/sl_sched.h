/* sl_sched.h: runs a run's scenario jobs in up to N workers at once (`siploc run -j N`).
 * Promises: never more than `jobs` workers at a time; an exclusive job runs with no other
 * worker beside it; every job's result lands in results[i], so reports follow the job
 * order whatever the completion order; on_done sees each result as it ends (console);
 * after SIGINT/SIGTERM (sl_worker_catch_signals) every running worker and its SUT are
 * killed and reaped before sl_sched_run returns, and unfinished jobs keep a NULL result. */
#ifndef SL_SCHED_H
#define SL_SCHED_H

#include <jansson.h>
#include <stddef.h>

#include "sl_worker.h"

struct sl_catalogue;

struct sl_job {
	const char *path;
	const char *id;           /* instance id: the scenario's, or "id#k" for repetition k */
	unsigned seed;
	int repeat;               /* 1-based repetition number */
	int exclusive;            /* scenario{ exclusive = true }: runs alone */
	const char *why;          /* why it is exclusive ("declared", "uses expect_weights") */
	int adapt;                /* exclusive: may run at a lower rate on a loaded machine */
	double cost;              /* recorded wall seconds: longer jobs start first */
	const char *error;        /* set: not run, the result is an error with this reason */
};

struct sl_sched_opts {
	size_t jobs;                       /* workers at once (>= 1) */
	const struct sl_worker_opts *wo;   /* seed and rate are set per job */
	const struct sl_catalogue *cat;
	/* Exclusive jobs with adapt: when the machine is loaded (1-minute load average above
	 * the online CPUs), the rate is divided by load / CPUs, so a statistical scenario's
	 * SUT timers (T1 is 5 ms of wall time at rate 100) keep their margins. 0 keeps it. */
	int adapt_rate;
	/* Called once per job, in completion order, with n = how many have ended so far. */
	void (*on_done)(void *arg, size_t job, const json_t *res, size_t n);
	void *arg;
};

/* Runs every job. Each result gets "schedule" {"exclusive", "why", "alone", "rate",
 * "lowered", "load", "cpus"} for an exclusive job, "repeat" for repetitions. Returns 0,
 * or the interrupting signal (results of unfinished jobs are NULL). */
int sl_sched_run(const struct sl_sched_opts *o, const struct sl_job *jobs, size_t n,
		 json_t **results);

/* The 1-minute load average (SIPLOC_LOADAVG overrides it, for tests) and online CPUs. */
double sl_sched_load(void);
int sl_sched_cpus(void);

/* Rate for an exclusive scenario at this load: rate * cpus / load when load > cpus, but
 * never below rate / 4 nor 1, in whole numbers; else rate. */
double sl_sched_rate(double rate, double load, int cpus);

#endif
