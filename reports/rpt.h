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

/* Console flags, passed where a `color` int is taken (bit 0 keeps meaning colour).
 * TTY: stdout is a terminal, so a progress line is kept and rewritten in place. */
#define RPT_CON_COLOR   1
#define RPT_CON_VERBOSE 2
#define RPT_CON_TTY     4
#define RPT_CON_QUIET   8
/* Progress after the latest scenario of run (its "scenarios" are those ended so far):
 * done/total, verdicts so far, elapsed_s of wall time. On a terminal it stays on one line,
 * rewritten by each call and erased before the next output; elsewhere it is printed only
 * with RPT_CON_VERBOSE. */
void rpt_console_progress(FILE *f, const json_t *run, size_t total, double elapsed_s,
			  int flags);

/* Reads and validates results.json: NULL with err naming the file and the JSON error's
 * line:column, or the field (scenarios[2].checks[0].verdict) that is wrong. */
json_t *rpt_load(const char *path, char *err, size_t errlen);

#define RPT_PCAPNG 1
/* Every report of a run into dir: junit.xml, report.html and, with RPT_PCAPNG, a pcapng
 * per scenario pcap. Deterministic: the same results.json gives the same bytes. */
int rpt_write_all(const json_t *run, const char *dir, int flags, char *err, size_t errlen);
int rpt_junit_write(FILE *f, const json_t *run);
int rpt_html_write(FILE *f, const json_t *run);
/* pcap at pcap_path -> pcapng at out_path, each packet commented with its scenario step
 * and the checks that cite it. */
int rpt_pcapng_write(const json_t *sc, const char *pcap_path, const char *out_path,
		     char *err, size_t errlen);

/* Merges runs (loaded results.json, labelled by their directory for messages) into one:
 * the scenarios of all, in the run's order (file, then repetition), and "merged_from" and
 * "timing" (SUT seconds summed; wall the longest input's, as shards run side by side).
 * Refuses (NULL, the reason in err naming the inputs) runs that differ in SUT, siploc
 * version, rate, seed or --repeat, a scenario id in two inputs, and shards that are not
 * exactly the N shards of one split, each complete. Requirements and summary are left to
 * rpt_run_finish(). */
json_t *rpt_merge(json_t *const *runs, const char *const *labels, size_t n, char *err,
		  size_t errlen);
/* Copies a merged scenario's pcap (and its .pcapng) and log/<id>.log from the input
 * directory it came from; files that are not there are skipped. */
int rpt_merge_files(const json_t *sc, const char *from_dir, const char *to_dir, char *err,
		    size_t errlen);

/* Writes one line per requirement whose verdict differs between old and new, and per
 * scenario added, removed or changed; returns how many lines it wrote. */
int rpt_diff(FILE *f, const json_t *old, const json_t *new_run);

/* The cross-stack matrix: runs[i] is the results of dirs[i] (one SUT each, as given on
 * the command line; links to pcaps and scenario files are made relative to the output
 * file's directory). md_path / html_path: where to write ("-" for stdout, NULL: not at
 * all). notes_dir: write-ups as <notes_dir>/<sut>/<scenario>.md, inlined for every failing
 * or erroring cell. Returns how many such cells have no write-up (each listed on missing
 * when not NULL), or -errno with err set. */
struct rpt_matrix_opts {
	const char *md_path, *html_path, *notes_dir;
};
int rpt_matrix_write(json_t *const *runs, const char *const *dirs, size_t n,
		     const struct rpt_matrix_opts *o, FILE *missing, char *err, size_t errlen);

#endif
