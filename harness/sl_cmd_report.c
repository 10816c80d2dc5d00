/* sl_cmd_report.c: `siploc report`, `siploc diff`, `siploc matrix` and `siploc merge`:
 * reports rebuilt from results.json. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rpt.h"
#include "sl_catalogue.h"
#include "sl_cmd.h"

void sl_cmd_report_usage(FILE *f)
{
	fprintf(f, "usage: siploc report DIR\n"
		   "Rebuilds every report of DIR from DIR/results.json: DIR/junit.xml,\n"
		   "DIR/report.html and, for each pcap still in DIR/pcap, its .pcapng.\n"
		   "Exit status: 0 written, 2 bad or missing results.json or a write error.\n");
}

void sl_cmd_diff_usage(FILE *f)
{
	fprintf(f, "usage: siploc diff OLD NEW\n"
		   "Lists the requirements whose verdict changed between two runs, and the\n"
		   "scenarios added, removed or changed. OLD and NEW are results directories or\n"
		   "results.json files.\n"
		   "Exit status: 0 nothing changed, 1 something changed, 2 bad input.\n");
}

void sl_cmd_merge_usage(FILE *f)
{
	fprintf(f, "usage: siploc merge --out DIR IN...\n"
		   "Merges the results of several runs of one SUT (the shards of siploc run\n"
		   "--shard K/N, or runs of different scenarios) into DIR: results.json with\n"
		   "every scenario in the run's order, junit.xml, report.html, and the pcap/ and\n"
		   "log/ files of each scenario. Refuses inputs of different SUTs, siploc\n"
		   "versions, rates, seeds or --repeat, a scenario found in two inputs, and\n"
		   "shards that are not all N shards of one split, each complete.\n"
		   "Exit status: 0 merged and every check passed, 1 merged with failures,\n"
		   "2 refused or bad input (the message names the inputs and the conflict).\n");
}

/* "-h"/"--help" or an unknown option: returns the exit status to use, or -1 to go on. */
static int options(int argc, char **argv, void (*usage)(FILE *))
{
	static const struct option lo[] = { { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", lo, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		usage(stderr);
		return 2;
	}
	return -1;
}

/* A results directory or a results.json path. */
static json_t *load(const char *arg)
{
	char path[PATH_MAX + 16], err[PATH_MAX + 512];
	struct stat st;
	if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode))
		snprintf(path, sizeof(path), "%s/results.json", arg);
	else
		snprintf(path, sizeof(path), "%s", arg);
	json_t *run = rpt_load(path, err, sizeof(err));
	if (!run)
		fprintf(stderr, "siploc: %s\n", err);
	return run;
}

int sl_cmd_report(const struct sl_paths *p, int argc, char **argv)
{
	(void)p;
	int rc = options(argc, argv, sl_cmd_report_usage);
	if (rc >= 0)
		return rc;
	if (argc - optind != 1) {
		sl_cmd_report_usage(stderr);
		return 2;
	}
	const char *dir = argv[optind];
	char path[PATH_MAX + 16], err[PATH_MAX + 512];
	snprintf(path, sizeof(path), "%s/results.json", dir);
	json_t *run = rpt_load(path, err, sizeof(err));
	if (!run) {
		fprintf(stderr, "siploc: %s\n", err);
		return 2;
	}
	rc = rpt_write_all(run, dir, RPT_PCAPNG, err, sizeof(err));
	if (rc)
		fprintf(stderr, "siploc report: %s\n", err);
	else
		printf("reports: %s/junit.xml %s/report.html\n", dir, dir);
	json_decref(run);
	return rc ? 2 : 0;
}

int sl_cmd_diff(const struct sl_paths *p, int argc, char **argv)
{
	(void)p;
	int rc = options(argc, argv, sl_cmd_diff_usage);
	if (rc >= 0)
		return rc;
	if (argc - optind != 2) {
		sl_cmd_diff_usage(stderr);
		return 2;
	}
	json_t *old = load(argv[optind]), *new_run = load(argv[optind + 1]);
	rc = 2;
	if (old && new_run) {
		int n = rpt_diff(stdout, old, new_run);
		if (!n)
			printf("no changes\n");
		rc = n ? 1 : 0;
	}
	json_decref(old);
	json_decref(new_run);
	return rc;
}

void sl_cmd_matrix_usage(FILE *f)
{
	fprintf(f, "usage: siploc matrix [--md FILE] [--html FILE] [--notes DIR] RESULTS_DIR...\n"
		   "The cross-stack matrix from one results directory per SUT: requirement x\n"
		   "stack and scenario x stack (pass, fail, error, not-run), each failing cell\n"
		   "linked to its scenario, its pcap and its write-up.\n"
		   "  --md FILE     Markdown (default: stdout when neither --md nor --html)\n"
		   "  --html FILE   one self-contained HTML file\n"
		   "  --notes DIR   write-ups DIR/<sut>/<scenario>.md, inlined for every failing\n"
		   "                cell; a failing cell without one is listed on stderr\n"
		   "Links are relative to the output file's directory.\n"
		   "Exit status: 0 written and every failing cell has a write-up, 1 some lack\n"
		   "one (with --notes), 2 bad input.\n");
}

int sl_cmd_matrix(const struct sl_paths *p, int argc, char **argv)
{
	static const struct option lo[] = { { "md", required_argument, 0, 'm' },
					    { "html", required_argument, 0, 'H' },
					    { "notes", required_argument, 0, 'n' },
					    { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
	struct rpt_matrix_opts o = { 0 };
	char err[PATH_MAX + 512];
	json_t **runs = NULL;
	int c, n, rc = 2;

	(void)p;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", lo, NULL)) != -1) {
		switch (c) {
		case 'm': o.md_path = optarg; break;
		case 'H': o.html_path = optarg; break;
		case 'n': o.notes_dir = optarg; break;
		case 'h': sl_cmd_matrix_usage(stdout); return 0;
		default: sl_cmd_matrix_usage(stderr); return 2;
		}
	}
	n = argc - optind;
	if (n < 1) {
		sl_cmd_matrix_usage(stderr);
		return 2;
	}
	if (!o.md_path && !o.html_path)
		o.md_path = "-";
	runs = calloc((size_t)n, sizeof(*runs));
	if (!runs)
		return 2;
	for (int i = 0; i < n; i++)
		if (!(runs[i] = load(argv[optind + i])))
			goto out;
	rc = rpt_matrix_write(runs, (const char *const *)argv + optind, (size_t)n, &o, stderr,
			      err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "siploc matrix: %s\n", err);
		rc = 2;
	} else if (rc > 0) {
		fprintf(stderr, "siploc matrix: %d failing cell(s) without a write-up (listed "
			"above)\n", rc);
		rc = 1;
	}
out:
	for (int i = 0; i < n; i++)
		json_decref(runs[i]);
	free(runs);
	return rc;
}

int sl_cmd_merge(const struct sl_paths *p, int argc, char **argv)
{
	static const struct option lo[] = { { "out", required_argument, 0, 'o' },
					    { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
	const char *out = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", lo, NULL)) != -1) {
		if (c == 'o') {
			out = optarg;
			continue;
		}
		sl_cmd_merge_usage(c == 'h' ? stdout : stderr);
		return c == 'h' ? 0 : 2;
	}
	size_t n = (size_t)(argc - optind);
	if (!out || !n) {
		sl_cmd_merge_usage(stderr);
		return 2;
	}
	char rout[PATH_MAX], rin[PATH_MAX];
	if (mkdir(out, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "siploc merge: --out %s: %s\n", out, strerror(errno));
		return 2;
	}
	if (!realpath(out, rout)) {
		fprintf(stderr, "siploc merge: --out %s: %s\n", out, strerror(errno));
		return 2;
	}
	json_t **runs = calloc(n, sizeof(*runs));
	const char **labels = calloc(n, sizeof(*labels));
	struct sl_catalogue *cat = NULL;
	json_t *run = NULL;
	int rc = 2;
	char err[PATH_MAX + 512];
	if (!runs || !labels)
		goto out;
	for (size_t i = 0; i < n; i++) {
		labels[i] = argv[optind + (int)i];
		if (realpath(labels[i], rin) && !strcmp(rin, rout)) {
			fprintf(stderr, "siploc merge: --out %s is also an input\n", out);
			goto out;
		}
		char path[PATH_MAX + 16];
		snprintf(path, sizeof(path), "%s/results.json", labels[i]);
		if (!(runs[i] = rpt_load(path, err, sizeof(err)))) {
			fprintf(stderr, "siploc merge: %s\n", err);
			goto out;
		}
	}
	if (!(run = rpt_merge(runs, labels, n, err, sizeof(err)))) {
		fprintf(stderr, "siploc merge: %s\n", err);
		goto out;
	}
	if (sl_cmd_catalogue(p, &cat) < 0)
		goto out;
	size_t nreq = sl_catalogue_count(cat);
	struct rpt_req *reqs = calloc(nreq ? nreq : 1, sizeof(*reqs));
	for (size_t i = 0; reqs && i < nreq; i++) {
		const struct sl_req *r = sl_catalogue_at(cat, i);
		reqs[i] = (struct rpt_req){ r->id, r->level, r->text };
	}
	rpt_run_finish(run, reqs, reqs ? nreq : 0);
	free(reqs);
	for (size_t i = 0; i < n; i++) {
		size_t k;
		json_t *sc;
		json_array_foreach(json_object_get(runs[i], "scenarios"), k, sc) {
			if (rpt_merge_files(sc, labels[i], out, err, sizeof(err)) < 0) {
				fprintf(stderr, "siploc merge: %s\n", err);
				goto out;
			}
		}
	}
	char path[PATH_MAX + 16];
	snprintf(path, sizeof(path), "%s/results.json", out);
	if (rpt_json_write(run, path, err, sizeof(err)) < 0 ||
	    rpt_write_all(run, out, 0, err, sizeof(err)) < 0) {
		fprintf(stderr, "siploc merge: %s\n", err);
		goto out;
	}
	rpt_console_summary(stdout, run, 0);
	printf("merged %zu inputs: %s\n", n, path);
	rc = rpt_exit_status(run);
out:
	for (size_t i = 0; runs && i < n; i++)
		json_decref(runs[i]);
	free(runs);
	free(labels);
	json_decref(run);
	sl_catalogue_free(cat);
	return rc;
}
