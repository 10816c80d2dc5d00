/* sl_cmd.h: the siploc subcommands (one file each) and what they share. Each returns the
 * process exit status: 0 success, 1 checks failed or findings, 2 usage or input error. */
#ifndef SL_CMD_H
#define SL_CMD_H

#include <limits.h>
#include <stdio.h>

#define SIPLOC_VERSION "0.1.0"

struct sl_catalogue;

struct sl_paths {
	char bindir[PATH_MAX];  /* where siploc, siploc-sut and adapters/ live */
	char root[PATH_MAX];    /* source tree: docs/, scenarios/ (SIPLOC_HOME overrides) */
};

/* Loads root/docs/requirements.md; prints the reason and returns -1 on failure. */
int sl_cmd_catalogue(const struct sl_paths *p, struct sl_catalogue **cat);

int sl_cmd_run(const struct sl_paths *p, int argc, char **argv);
void sl_cmd_run_usage(FILE *f);
int sl_cmd_list(const struct sl_paths *p, int argc, char **argv);
void sl_cmd_list_usage(FILE *f);
int sl_cmd_dns(const struct sl_paths *p, int argc, char **argv);
void sl_cmd_dns_usage(FILE *f);
int sl_cmd_report(const struct sl_paths *p, int argc, char **argv);
void sl_cmd_report_usage(FILE *f);
int sl_cmd_diff(const struct sl_paths *p, int argc, char **argv);
void sl_cmd_diff_usage(FILE *f);
int sl_cmd_matrix(const struct sl_paths *p, int argc, char **argv);
void sl_cmd_matrix_usage(FILE *f);
int sl_cmd_merge(const struct sl_paths *p, int argc, char **argv);
void sl_cmd_merge_usage(FILE *f);

int sl_cmd_lint(const struct sl_paths *p, int argc, char **argv);
void sl_cmd_lint_usage(FILE *f);
int sl_cmd_coverage(const struct sl_paths *p, int argc, char **argv);
void sl_cmd_coverage_usage(FILE *f);

/* The scenario files under paths (every *.lua, lib/ folders left out; no paths: the
 * tree's scenarios/), sorted. *files is a malloc'd array of malloc'd strings. Returns 0
 * or -errno (the reason printed). */
int sl_cmd_scenario_files(const struct sl_paths *p, int npaths, char **paths, char ***files,
			  size_t *n);

#endif
