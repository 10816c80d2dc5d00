/* main.c: the siploc command line: dispatches to the commands. Exit 0 success,
 * 1 checks failed or findings, 2 usage, setup or input error. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sl_cmd.h"

static int find_paths(struct sl_paths *p)
{
	ssize_t n = readlink("/proc/self/exe", p->bindir, sizeof(p->bindir) - 1);
	if (n < 0)
		return -errno;
	p->bindir[n] = 0;
	dirname(p->bindir);
	const char *home = getenv("SIPLOC_HOME");
	if (home && *home) {
		snprintf(p->root, sizeof(p->root), "%s", home);
	} else {
		/* build/siploc lives one level under the source tree. */
		snprintf(p->root, sizeof(p->root), "%s", p->bindir);
		dirname(p->root);
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "siploc %s: RFC 3263 (Locating SIP Servers) conformance harness\n"
		   "usage: siploc COMMAND [OPTIONS]\n"
		   "  run      run scenarios against a SUT\n"
		   "  list     list scenarios and the requirements they cover\n"
		   "  lint     check a domain's RFC 3263 DNS set-up (zone file or live server)\n"
		   "  coverage each catalogue requirement with the scenarios that cover it\n"
		   "  merge    merge the outputs of several runs or shards into one\n"
		   "  help     help on a command (siploc help run)\n"
		   "  version  print the version\n", SIPLOC_VERSION);
}

static const struct {
	const char *name;
	int (*fn)(const struct sl_paths *p, int argc, char **argv);
	void (*help)(FILE *f);
} cmds[] = {
	{ "run", sl_cmd_run, sl_cmd_run_usage },
	{ "list", sl_cmd_list, sl_cmd_list_usage },
	{ "dns", sl_cmd_dns, sl_cmd_dns_usage },
	{ "report", sl_cmd_report, sl_cmd_report_usage },
	{ "diff", sl_cmd_diff, sl_cmd_diff_usage },
	{ "matrix", sl_cmd_matrix, sl_cmd_matrix_usage },
	{ "merge", sl_cmd_merge, sl_cmd_merge_usage },
	{ "lint", sl_cmd_lint, sl_cmd_lint_usage },
	{ "coverage", sl_cmd_coverage, sl_cmd_coverage_usage },
};

int main(int argc, char **argv)
{
	struct sl_paths p;
	if (find_paths(&p) < 0) {
		fprintf(stderr, "siploc: cannot find its own executable\n");
		return 2;
	}
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(cmd, cmds[i].name))
			return cmds[i].fn(&p, argc - 1, argv + 1);
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		printf("siploc %s\n", SIPLOC_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		for (size_t i = 0; argc > 2 && i < sizeof(cmds) / sizeof(cmds[0]); i++) {
			if (!strcmp(argv[2], cmds[i].name)) {
				cmds[i].help(stdout);
				return 0;
			}
		}
		usage(stdout);
		return 0;
	}
	static const char *const later[] = { NULL };
	for (const char *const *l = later; *l; l++) {
		if (!strcmp(cmd, *l)) {
			fprintf(stderr, "siploc %s: not implemented yet\n", cmd);
			return 2;
		}
	}
	fprintf(stderr, "siploc: unknown command '%s'\n", cmd);
	usage(stderr);
	return 2;
}
