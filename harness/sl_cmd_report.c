/* sl_cmd_report.c: `siploc report` and `siploc diff`, reports rebuilt from results.json. */
#include <stdio.h>

#include "sl_cmd.h"

void sl_cmd_report_usage(FILE *f)
{
	fprintf(f, "usage: siploc report DIR\nRebuilds every report of DIR from results.json.\n");
}

void sl_cmd_diff_usage(FILE *f)
{
	fprintf(f, "usage: siploc diff OLD NEW\nLists the requirements whose verdict changed.\n");
}

int sl_cmd_report(const struct sl_paths *p, int argc, char **argv)
{
	(void)p;
	(void)argc;
	(void)argv;
	fprintf(stderr, "siploc report: not implemented yet\n");
	return 2;
}

int sl_cmd_diff(const struct sl_paths *p, int argc, char **argv)
{
	(void)p;
	(void)argc;
	(void)argv;
	fprintf(stderr, "siploc diff: not implemented yet\n");
	return 2;
}
