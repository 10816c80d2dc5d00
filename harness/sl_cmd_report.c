/* sl_cmd_report.c: `siploc report` and `siploc diff`, reports rebuilt from results.json. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

#include "rpt.h"
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
