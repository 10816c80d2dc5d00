/* sl_cmd_run.c: `siploc run` and `siploc list`: find scenarios, run each in a worker,
 * write results.json and the console summary. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rpt.h"
#include "sl_catalogue.h"
#include "sl_cmd.h"
#include "sl_lua.h"
#include "sl_sut.h"
#include "sl_worker.h"

struct list {
	char **v;
	size_t n, cap;
};

static int list_add(struct list *l, const char *s)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		char **v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n] = strdup(s);
	return l->v[l->n++] ? 0 : -ENOMEM;
}

static void list_free(struct list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collects *.lua under path (a file or a directory; lib/ folders hold helpers). */
static int collect(const char *path, struct list *out, int top)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		fprintf(stderr, "siploc: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	if (S_ISREG(st.st_mode)) {
		size_t l = strlen(path);
		if (!top && (l < 4 || strcmp(path + l - 4, ".lua")))
			return 0;
		return list_add(out, path);
	}
	if (!S_ISDIR(st.st_mode))
		return 0;
	const char *base = strrchr(path, '/');
	if (!top && !strcmp(base ? base + 1 : path, "lib"))
		return 0;
	DIR *d = opendir(path);
	if (!d) {
		fprintf(stderr, "siploc: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	struct dirent *e;
	int rc = 0;
	while (!rc && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char sub[PATH_MAX + 256];
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		rc = collect(sub, out, 0);
	}
	closedir(d);
	return rc;
}

static int gather(const struct sl_paths *p, int argc, char **argv, struct list *files)
{
	int rc = 0;
	if (argc == 0) {
		char def[PATH_MAX + 16], cwd[PATH_MAX], root[PATH_MAX];
		/* Relative when run from the tree, so results name portable paths. */
		if (getcwd(cwd, sizeof(cwd)) && realpath(p->root, root) && !strcmp(cwd, root))
			snprintf(def, sizeof(def), "scenarios");
		else
			snprintf(def, sizeof(def), "%s/scenarios", p->root);
		rc = collect(def, files, 1);
	}
	for (int i = 0; i < argc && !rc; i++)
		rc = collect(argv[i], files, 1);
	if (!rc)
		qsort(files->v, files->n, sizeof(char *), cmp_str);
	return rc;
}

int sl_cmd_catalogue(const struct sl_paths *p, struct sl_catalogue **cat)
{
	char path[PATH_MAX + 32], err[512];
	snprintf(path, sizeof(path), "%s/docs/requirements.md", p->root);
	if (sl_catalogue_load(cat, path, err, sizeof(err)) < 0) {
		fprintf(stderr, "siploc: requirement catalogue: %s (set SIPLOC_HOME to the "
			"siploc source tree)\n", err);
		return -1;
	}
	return 0;
}

void sl_cmd_run_usage(FILE *f)
{
	fprintf(f,
		"usage: siploc run [--sut NAME|PATH.so] [--out DIR] [--rate R] [--timeout S]\n"
		"                  [--seed S] [-q] [PATHS...]\n"
		"Runs scenarios (default: all of scenarios/) against a SUT (default: ref), each\n"
		"in its own network namespace, and writes DIR/results.json, DIR/pcap/<id>.pcap\n"
		"and DIR/log/<id>.log (DIR defaults to out).\n"
		"  --sut NAME     build/adapters/NAME.so (ref, mutant-<bug>, ...) or a path to an\n"
		"                 adapter .so\n"
		"  --rate R       the SUT's clock runs R times faster than real time (default 100)\n"
		"  --timeout S    wall-clock watchdog per scenario in seconds (default 20)\n"
		"  --max-worker-mb M  resident memory cap of each scenario's worker in MiB\n"
		"                 (default 1024, 0: none): a SUT flooding the world past it\n"
		"                 ends its scenario as an error\n"
		"  --max-sut-time S  SUT seconds a transaction may stay open, beyond the\n"
		"                 scenario's advance()s (default 3600)\n"
		"  --sut exec:'CMD {uri} {method}'  any command that sends one request and exits\n"
		"                 (docs/adapters.md: how its exit status and output map)\n"
		"  --seed S       base seed for the SUT's randomness (default 1)\n"
		"  -q             print only failures and the summary\n"
		"  -v             also print each passing check\n"
		"  --pcapng       also write DIR/pcap/<id>.pcapng, packets commented with their\n"
		"                 scenario step and checks (DIR/junit.xml and DIR/report.html are\n"
		"                 always written)\n"
		"Exit status: 0 all checks passed, 1 some failed or errored, 2 usage or input error\n"
		"(an adapter that cannot be loaded is one), 130/143 interrupted by SIGINT/SIGTERM\n"
		"(results.json then lists the scenarios finished before the signal).\n");
}

void sl_cmd_list_usage(FILE *f)
{
	fprintf(f, "usage: siploc list [--json] [PATHS...]\n"
		   "Lists scenarios with the requirement IDs they cover.\n");
}

static int resolve_sut(const struct sl_paths *p, const char *sut, char *out, size_t len)
{
	if (!strncmp(sut, "exec:", 5)) {
		if (!sut[5] || strchr(sut, '\n')) {
			fprintf(stderr, "siploc: --sut exec: needs a one-line command\n");
			return -1;
		}
		snprintf(out, len, "%s/adapters/exec.so", p->bindir);
	} else if (strchr(sut, '/'))
		snprintf(out, len, "%s", sut);
	else
		snprintf(out, len, "%s/adapters/%s.so", p->bindir, sut);
	if (access(out, R_OK) < 0) {
		fprintf(stderr, "siploc: SUT '%s': %s: %s\n", sut, out, strerror(errno));
		return -1;
	}
	return 0;
}

static int parse_num(const char *opt, const char *s, double lo, double hi, double *v)
{
	char *end;
	errno = 0;
	*v = strtod(s, &end);
	if (errno || end == s || *end || *v < lo || *v > hi) {
		fprintf(stderr, "siploc: %s '%s': expected a number from %g to %g\n", opt, s, lo,
			hi);
		return -1;
	}
	return 0;
}

int sl_cmd_run(const struct sl_paths *p, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "sut", required_argument, 0, 's' }, { "out", required_argument, 0, 'o' },
		{ "rate", required_argument, 0, 'r' }, { "timeout", required_argument, 0, 't' },
		{ "seed", required_argument, 0, 'S' }, { "help", no_argument, 0, 'h' },
		{ "jobs", required_argument, 0, 'j' }, { "shard", required_argument, 0, 'K' },
		{ "repeat", required_argument, 0, 'R' },
		{ "max-sut-time", required_argument, 0, 'M' },
		{ "max-worker-mb", required_argument, 0, 'W' },
		{ "pcapng", no_argument, 0, 'P' }, { "verbose", no_argument, 0, 'v' },
		{ 0, 0, 0, 0 },
	};
	const char *sut = "ref", *out = "out";
	double rate = 100, timeout = 20, seed = 1, max_sut = 3600, max_mb = 1024;
	int quiet = 0, c;
	int verbose = 0, pcapng = 0; /* -v, --pcapng: reports/ */
	optind = 1;
	while ((c = getopt_long(argc, argv, "+qvj:h", lo, NULL)) != -1) {
		switch (c) {
		case 's': sut = optarg; break;
		case 'o': out = optarg; break;
		case 'r': if (parse_num("--rate", optarg, 1, 10000, &rate)) return 2; break;
		case 't': if (parse_num("--timeout", optarg, 1, 86400, &timeout)) return 2; break;
		case 'S': if (parse_num("--seed", optarg, 0, 4294967295.0, &seed)) return 2; break;
		case 'M': if (parse_num("--max-sut-time", optarg, 1, 1e7, &max_sut)) return 2; break;
		case 'W': if (parse_num("--max-worker-mb", optarg, 0, 1 << 20, &max_mb)) return 2; break;
		case 'q': quiet = 1; break;
		case 'v': verbose = 1; break;
		case 'P': pcapng = 1; break;
		case 'h': sl_cmd_run_usage(stdout); return 0;
		case 'j': case 'K': case 'R':
			fprintf(stderr, "siploc run: %s is not implemented yet\n", argv[optind - 1]);
			return 2;
		default: sl_cmd_run_usage(stderr); return 2;
		}
	}
	char adapter[PATH_MAX + 64], runner[PATH_MAX + 32];
	if (resolve_sut(p, sut, adapter, sizeof(adapter)) < 0)
		return 2;
	snprintf(runner, sizeof(runner), "%s/siploc-sut", p->bindir);
	if (access(runner, X_OK) < 0) {
		fprintf(stderr, "siploc: SUT runner %s: %s (run make)\n", runner, strerror(errno));
		return 2;
	}
	char perr[1024];
	if (sl_sut_probe(runner, adapter, 10, perr, sizeof(perr)) < 0) {
		fprintf(stderr, "siploc: SUT '%s': %s\n", sut, perr);
		return 2;
	}
	struct sl_catalogue *cat = NULL;
	if (sl_cmd_catalogue(p, &cat) < 0)
		return 2;
	struct list files = { 0 };
	int rc = 2;
	if (gather(p, argc - optind, argv + optind, &files) < 0)
		goto out;
	if (!files.n) {
		fprintf(stderr, "siploc run: no scenario files found\n");
		goto out;
	}
	struct stat ost;
	const char *why = NULL;
	if (mkdir(out, 0755) < 0 && errno != EEXIST)
		why = strerror(errno);
	else if (stat(out, &ost) < 0 || !S_ISDIR(ost.st_mode))
		why = "not a directory";
	else if (access(out, W_OK) < 0)
		why = strerror(errno);
	if (why) {
		fprintf(stderr, "siploc: --out %s: %s\n", out, why);
		goto out;
	}
	int con = (isatty(1) ? RPT_CON_TTY : 0) | (verbose ? RPT_CON_VERBOSE : 0) |
		  (quiet ? RPT_CON_QUIET : 0) |
		  (isatty(1) && !getenv("NO_COLOR") ? RPT_CON_COLOR : 0);
	int input_error = 0;
	struct sl_worker_opts wo = { runner, adapter, out, rate, timeout, (unsigned)seed,
				     max_sut, strncmp(sut, "exec:", 5) ? NULL : sut + 5,
				     (unsigned)max_mb };
	sl_worker_catch_signals();
	json_t *run = rpt_run_new(SIPLOC_VERSION, sut, "", rate);
	/* Read every declaration first: ids must be unique and a bad file is reported
	 * before anything runs (it still gets its error line in the results). */
	struct sl_scn_meta *meta = calloc(files.n, sizeof(*meta));
	char **errs = calloc(files.n, sizeof(*errs));
	for (size_t i = 0; i < files.n; i++) {
		char err[1024];
		if (sl_lua_meta(files.v[i], cat, &meta[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "siploc: %s\n", err);
			errs[i] = strdup(err);
			input_error = 1;
			continue;
		}
		for (size_t k = 0; k < i; k++) {
			if (meta[k].id && !strcmp(meta[k].id, meta[i].id)) {
				snprintf(err, sizeof(err), "%s: scenario id '%s' already used by %s",
					 files.v[i], meta[i].id, files.v[k]);
				fprintf(stderr, "siploc: %s\n", err);
				errs[i] = strdup(err);
				input_error = 1;
			}
		}
	}
	rpt_console_progress(stdout, run, files.n, con);
	for (size_t i = 0; i < files.n && !sl_worker_interrupted(); i++) {
		json_t *res;
		if (errs[i]) {
			char id[256];
			const char *b = strrchr(files.v[i], '/');
			snprintf(id, sizeof(id), "%s", b ? b + 1 : files.v[i]);
			res = sl_worker_error_result(id, files.v[i], errs[i]);
		} else {
			res = sl_worker_run(&wo, cat, files.v[i], meta[i].id);
			if (!res)
				break; /* interrupted: the scenario did not finish */
		}
		json_t *s = json_object_get(res, "sut");
		if (s) {
			json_object_set(json_object_get(run, "sut"), "name", json_object_get(s, "name"));
			json_object_set(json_object_get(run, "sut"), "version",
					json_object_get(s, "version"));
		}
		const char *v = json_string_value(json_object_get(res, "verdict"));
		if (!quiet || !v || strcmp(v, "pass"))
			rpt_console_scenario(stdout, res, i + 1, files.n, con);
		rpt_run_add(run, res);
		rpt_console_progress(stdout, run, files.n, con);
	}
	size_t nreq = sl_catalogue_count(cat);
	struct rpt_req *reqs = calloc(nreq, sizeof(*reqs));
	for (size_t i = 0; i < nreq; i++) {
		const struct sl_req *r = sl_catalogue_at(cat, i);
		reqs[i] = (struct rpt_req){ r->id, r->level, r->text };
	}
	rpt_run_finish(run, reqs, nreq);
	char path[PATH_MAX + 32], err[512];
	snprintf(path, sizeof(path), "%s/results.json", out);
	rc = rpt_json_write(run, path, err, sizeof(err)) < 0 ? 2 : rpt_exit_status(run);
	if (rc == 2)
		fprintf(stderr, "siploc: %s\n", err);
	else if (rpt_write_all(run, out, pcapng ? RPT_PCAPNG : 0, err, sizeof(err)) < 0) {
		fprintf(stderr, "siploc: %s\n", err);
		rc = 2;
	}
	rpt_console_summary(stdout, run, con);
	printf("results: %s\n", path);
	if (input_error)
		rc = 2;
	if (sl_worker_interrupted()) {
		fprintf(stderr, "siploc: interrupted by %s: results.json lists the scenarios "
			"finished before it\n", strsignal(sl_worker_interrupted()));
		rc = 128 + sl_worker_interrupted();
	}
	free(reqs);
	json_decref(run);
	for (size_t i = 0; i < files.n; i++) {
		sl_lua_meta_clear(&meta[i]);
		free(errs[i]);
	}
	free(meta);
	free(errs);
out:
	list_free(&files);
	sl_catalogue_free(cat);
	return rc;
}

int sl_cmd_list(const struct sl_paths *p, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "json", no_argument, 0, 'J' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	int as_json = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", lo, NULL)) != -1) {
		switch (c) {
		case 'J': as_json = 1; break;
		case 'h': sl_cmd_list_usage(stdout); return 0;
		default: sl_cmd_list_usage(stderr); return 2;
		}
	}
	struct sl_catalogue *cat = NULL;
	if (sl_cmd_catalogue(p, &cat) < 0)
		return 2;
	struct list files = { 0 };
	int rc = 0;
	if (gather(p, argc - optind, argv + optind, &files) < 0) {
		rc = 2;
		goto out;
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < files.n; i++) {
		struct sl_scn_meta m;
		char err[1024];
		if (sl_lua_meta(files.v[i], cat, &m, err, sizeof(err)) < 0) {
			fprintf(stderr, "siploc: %s\n", err);
			rc = 2;
			continue;
		}
		json_t *cov = json_array();
		for (size_t k = 0; k < m.ncovers; k++)
			json_array_append_new(cov, json_string(m.covers[k]));
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:o, s:s}", "id", m.id,
						     "file", m.file, "role", m.role, "covers", cov,
						     "summary", m.summary));
		sl_lua_meta_clear(&m);
	}
	if (as_json) {
		json_dumpf(arr, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else {
		size_t i;
		json_t *s;
		json_array_foreach(arr, i, s) {
			printf("%-36s", json_string_value(json_object_get(s, "id")));
			size_t k;
			json_t *r;
			json_array_foreach(json_object_get(s, "covers"), k, r)
				printf(" %s", json_string_value(r));
			printf("\n");
		}
	}
	json_decref(arr);
out:
	list_free(&files);
	sl_catalogue_free(cat);
	return rc;
}


int sl_cmd_scenario_files(const struct sl_paths *p, int npaths, char **paths, char ***files,
			  size_t *n)
{
	struct list l = { 0 };
	int rc = gather(p, npaths, paths, &l);
	if (rc < 0) {
		list_free(&l);
		return rc;
	}
	*files = l.v;
	*n = l.n;
	return 0;
}
