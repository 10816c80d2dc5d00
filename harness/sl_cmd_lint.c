/* sl_cmd_lint.c: `siploc lint`, a domain's RFC 3263 DNS set-up checked from its zone file
 * or from a live authoritative server. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_cmd.h"
#include "sl_lint.h"

void sl_cmd_lint_usage(FILE *f)
{
	fprintf(f, "usage: siploc lint ZONEFILE [--domain D] [--json]\n"
		   "       siploc lint --server ADDR[:PORT] DOMAIN [--json]\n"
		   "Checks a SIP domain's DNS against RFC 3263 (the Z-* rows of the requirement\n"
		   "catalogue) and faults that break RFC 3263 clients; see docs/lint.md.\n"
		   "Exit status: 0 no error-level finding, 1 error-level findings, 2 unusable input.\n");
}

/* "127.0.0.1", "127.0.0.1:5353", "[::1]:53", "::1" */
static int parse_server(const char *s, char *addr, size_t len, unsigned *port)
{
	*port = 53;
	const char *colon = strrchr(s, ':');
	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		if (!end || (size_t)(end - s - 1) >= len)
			return -EINVAL;
		memcpy(addr, s + 1, (size_t)(end - s - 1));
		addr[end - s - 1] = 0;
		if (end[1] == ':')
			return sscanf(end + 2, "%u", port) == 1 && *port && *port < 65536 ? 0 : -EINVAL;
		return end[1] ? -EINVAL : 0;
	}
	if (colon && strchr(s, ':') == colon) {
		if ((size_t)(colon - s) >= len)
			return -EINVAL;
		memcpy(addr, s, (size_t)(colon - s));
		addr[colon - s] = 0;
		char *e;
		unsigned long p = strtoul(colon + 1, &e, 10);
		if (*e || !p || p > 65535)
			return -EINVAL;
		*port = (unsigned)p;
		return 0;
	}
	snprintf(addr, len, "%s", s);
	return 0;
}

int sl_cmd_lint(const struct sl_paths *p, int argc, char **argv)
{
	(void)p;
	static const struct option lo[] = {
		{ "domain", required_argument, 0, 'd' }, { "server", required_argument, 0, 's' },
		{ "json", no_argument, 0, 'J' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	const char *domain = NULL, *server = NULL;
	int as_json = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", lo, NULL)) != -1) {
		switch (c) {
		case 'd': domain = optarg; break;
		case 's': server = optarg; break;
		case 'J': as_json = 1; break;
		case 'h': sl_cmd_lint_usage(stdout); return 0;
		default: sl_cmd_lint_usage(stderr); return 2;
		}
	}
	if (argc - optind != 1) {
		sl_cmd_lint_usage(stderr);
		return 2;
	}
	struct sl_lint *l = NULL;
	char err[1400], addr[128];
	const char *source = argv[optind];
	int rc;
	if (server) {
		unsigned port;
		if (domain) {
			fprintf(stderr, "siploc lint: with --server the domain is the argument\n");
			return 2;
		}
		if (parse_server(server, addr, sizeof(addr), &port) < 0) {
			fprintf(stderr, "siploc lint: --server '%s' is not ADDR[:PORT]\n", server);
			return 2;
		}
		rc = sl_lint_new_server(&l, addr, (uint16_t)port, argv[optind], err, sizeof(err));
		source = server;
	} else {
		rc = sl_lint_new_file(&l, argv[optind], domain, err, sizeof(err));
	}
	if (rc < 0) {
		fprintf(stderr, "siploc lint: %s\n", err);
		return 2;
	}
	const struct sl_lint_finding *f;
	int n = sl_lint_run(l, &f, err, sizeof(err));
	if (n < 0) {
		fprintf(stderr, "siploc lint: %s\n", err);
		sl_lint_free(l);
		return 2;
	}
	int count[3] = { 0 };
	json_t *arr = json_array();
	for (int i = 0; i < n; i++) {
		count[f[i].level]++;
		const char *lv = sl_lint_level_str(f[i].level);
		if (as_json) {
			json_array_append_new(arr, json_pack("{s:s, s:s, s:i, s:s, s:s}", "id", f[i].id,
							     "level", lv, "line", f[i].line,
							     "record", f[i].record, "message",
							     f[i].message));
			continue;
		}
		if (f[i].line)
			printf("%s:%d: %s %s: %s\n", source, f[i].line, lv, f[i].id, f[i].message);
		else
			printf("%s: %s %s: %s\n", server ? sl_lint_domain(l) : source, lv, f[i].id,
			       f[i].message);
		if (f[i].record[0])
			printf("    %s\n", f[i].record);
	}
	if (as_json) {
		json_t *o = json_pack("{s:s, s:s, s:o, s:{s:i, s:i, s:i}}", "source", source,
				      "domain", sl_lint_domain(l), "findings", arr, "summary",
				      "errors", count[SL_LINT_ERROR], "warnings",
				      count[SL_LINT_WARNING], "notes", count[SL_LINT_NOTE]);
		json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(o);
	} else {
		json_decref(arr);
		printf("lint %s: %d error(s), %d warning(s), %d note(s)\n", sl_lint_domain(l),
		       count[SL_LINT_ERROR], count[SL_LINT_WARNING], count[SL_LINT_NOTE]);
	}
	sl_lint_free(l);
	return count[SL_LINT_ERROR] ? 1 : 0;
}
