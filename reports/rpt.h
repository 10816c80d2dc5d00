/* rpt.h: the results model (results.json, schema in docs/results.md) and its writers.
 * Promises: every report is computed from the model alone, so `siploc report` can
 * rebuild them from results.json; requirement verdicts and the summary are derived,
 * never stored by hand. */
#ifndef RPT_H
#define RPT_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

struct rpt_req {
	const char *id, *level, *text;
};

/* A new run: {"siploc_version", "sut", "rate", "scenarios": []}. */
json_t *rpt_run_new(const char *version, const char *sut_name, const char *sut_version,
		    double rate);
/* Appends a scenario result (reference stolen). */
int rpt_run_add(json_t *run, json_t *scenario);
/* Derives "requirements" (catalogue order) and "summary" from the scenarios. */
int rpt_run_finish(json_t *run, const struct rpt_req *reqs, size_t nreqs);

int rpt_json_write(const json_t *run, const char *path, char *err, size_t errlen);

/* Console: one line per scenario as it ends, then failures and the totals. */
void rpt_console_scenario(FILE *f, const json_t *sc, size_t n, size_t total, int color);
void rpt_console_summary(FILE *f, const json_t *run, int color);

/* 0: everything that ran passed; 1: a check failed or a scenario errored. */
int rpt_exit_status(const json_t *run);

#endif
