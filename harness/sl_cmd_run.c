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
#include <time.h>
#include <unistd.h>

#include "rpt.h"
#include "sl_catalogue.h"
#include "sl_cmd.h"
#include "sl_lua.h"
#include "sl_sched.h"
#include "sl_shard.h"
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

/* Collects *.lua under path (a file or a directory; lib/ folders hold helpers, scale/
 * folders bench-sized scenarios run only when named). */
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
	if (!top && (!strcmp(base ? base + 1 : path, "lib") ||
		     !strcmp(base ? base + 1 : path, "scale")))
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
		"usage: siploc run [--sut NAME|PATH.so] [--out DIR] [-j N] [--rate R] [--timeout S]\n"
		"                  [--shard K/N] [--seed S] [--repeat K] [-q] [PATHS...]\n"
		"Runs scenarios (default: all of scenarios/) against a SUT (default: ref), each\n"
		"in its own network namespace, and writes DIR/results.json, DIR/pcap/<id>.pcap\n"
		"and DIR/log/<id>.log (DIR defaults to out).\n"
		"  --sut NAME     build/adapters/NAME.so (ref, mutant-<bug>, ...) or a path to an\n"
		"                 adapter .so\n"
		"  -j N           N scenario workers at once (default: the online CPUs); reports\n"
		"                 keep the run's order. Exclusive scenarios (scenario{ exclusive =\n"
		"                 true }, or any using expect_weights or expect_gap) run alone\n"
		"  --rate R       the SUT's clock runs R times faster than real time (default 100);\n"
		"                 an exclusive scenario (but for expect_gap's) on a loaded machine\n"
		"                 (load average above the CPUs) gets R * CPUs / load (at least\n"
		"                 R / 4), and its result says so\n"
		"  --no-rate-adapt  keep R for exclusive scenarios whatever the load\n"
		"  --timeout S    wall-clock watchdog per scenario in seconds (default 20)\n"
		"  --max-worker-mb M  resident memory cap of each scenario's worker in MiB\n"
		"                 (default 1024, 0: none): a SUT flooding the world past it\n"
		"                 ends its scenario as an error\n"
		"  --max-sut-time S  SUT seconds a transaction may stay open, beyond the\n"
		"                 scenario's advance()s (default 3600)\n"
		"  --sut exec:'CMD {uri} {method}'  any command that sends one request and exits\n"
		"                 (docs/adapters.md: how its exit status and output map)\n"
		"  --seed S       seed of every scenario's randomness: the SUT's, math.random and\n"
		"                 zone shuffles (default 1); each result records its seed, and\n"
		"                 --seed <that seed> on that scenario replays it\n"
		"  --repeat K     runs each scenario K times, repetition k>1 as <id>#k with a seed\n"
		"                 derived from S and k\n"
		"  --shard K/N    runs shard K of N: a fixed 1/N of the scenario runs, balanced by\n"
		"                 the costs in scenarios/costs.tsv (--costs FILE); siploc merge\n"
		"                 joins the shards' outputs (docs/ci.md)\n"
		"  -q             print only failures and the summary\n"
		"  -v             also print each passing check\n"
		"  --pcapng       also write DIR/pcap/<id>.pcapng, packets commented with their\n"
		"                 scenario step and checks (DIR/junit.xml and DIR/report.html are\n"
		"                 always written)\n"
		"The run ends with its SUT time, wall time and their ratio (results.json \"timing\").\n"
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

/* The seed of repetition r: the run's own seed for the first, so `--seed <a result's
 * seed>` replays that result; splitmix64 of (seed, r) for the others. */
static unsigned repeat_seed(unsigned base, int r)
{
	if (r <= 1)
		return base;
	uint64_t z = ((uint64_t)base << 32 | (unsigned)r) + 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return (unsigned)(z >> 32);
}

/* Console state while the scheduler reports scenarios as they end. */
struct console {
	json_t *done;        /* {"scenarios": [...]} in completion order, for the progress line */
	size_t total;
	int flags, quiet;
	uint64_t t0_us;
};

static uint64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000;
}

static void on_done(void *arg, size_t job, const json_t *res, size_t n)
{
	(void)job;
	struct console *c = arg;
	const char *v = json_string_value(json_object_get(res, "verdict"));
	if (!c->quiet || !v || strcmp(v, "pass"))
		rpt_console_scenario(stdout, res, n, c->total, c->flags);
	json_array_append(json_object_get(c->done, "scenarios"), (json_t *)res);
	rpt_console_progress(stdout, c->done, c->total, (double)(mono_us() - c->t0_us) / 1e6,
			     c->flags);
}

struct run_opts {
	const char *sut, *out, *costs;
	double rate, timeout, seed, max_sut, max_mb;
	int quiet, verbose, pcapng, adapt;
	long jobs, repeat;
	unsigned shard_k, shard_n;
};

static int parse_run_opts(int argc, char **argv, struct run_opts *o)
{
	static const struct option lo[] = {
		{ "sut", required_argument, 0, 's' }, { "out", required_argument, 0, 'o' },
		{ "rate", required_argument, 0, 'r' }, { "timeout", required_argument, 0, 't' },
		{ "seed", required_argument, 0, 'S' }, { "help", no_argument, 0, 'h' },
		{ "jobs", required_argument, 0, 'j' }, { "shard", required_argument, 0, 'K' },
		{ "repeat", required_argument, 0, 'R' }, { "costs", required_argument, 0, 'C' },
		{ "max-sut-time", required_argument, 0, 'M' },
		{ "no-rate-adapt", no_argument, 0, 'A' },
		{ "max-worker-mb", required_argument, 0, 'W' },
		{ "pcapng", no_argument, 0, 'P' }, { "verbose", no_argument, 0, 'v' },
		{ 0, 0, 0, 0 },
	};
	int c;
	double v;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+qvj:h", lo, NULL)) != -1) {
		switch (c) {
		case 's': o->sut = optarg; break;
		case 'o': o->out = optarg; break;
		case 'C': o->costs = optarg; break;
		case 'r': if (parse_num("--rate", optarg, 1, 10000, &o->rate)) return 2; break;
		case 't': if (parse_num("--timeout", optarg, 1, 86400, &o->timeout)) return 2; break;
		case 'S': if (parse_num("--seed", optarg, 0, 4294967295.0, &o->seed)) return 2; break;
		case 'M': if (parse_num("--max-sut-time", optarg, 1, 1e7, &o->max_sut)) return 2; break;
		case 'W':
			if (parse_num("--max-worker-mb", optarg, 0, 1 << 20, &o->max_mb))
				return 2;
			break;
		case 'j':
			if (parse_num("-j", optarg, 1, 256, &v) || v != (long)v) {
				fprintf(stderr, "siploc run: -j takes a whole number of workers\n");
				return 2;
			}
			o->jobs = (long)v;
			break;
		case 'R':
			if (parse_num("--repeat", optarg, 1, 10000, &v) || v != (long)v) {
				fprintf(stderr, "siploc run: --repeat takes a whole number\n");
				return 2;
			}
			o->repeat = (long)v;
			break;
		case 'K':
			if (sl_shard_parse(optarg, &o->shard_k, &o->shard_n) < 0) {
				fprintf(stderr, "siploc run: --shard '%s': expected K/N with 1 <= K <= N "
					"<= 1000\n", optarg);
				return 2;
			}
			break;
		case 'A': o->adapt = 0; break;
		case 'q': o->quiet = 1; break;
		case 'v': o->verbose = 1; break;
		case 'P': o->pcapng = 1; break;
		case 'h': sl_cmd_run_usage(stdout); return 0;
		default: sl_cmd_run_usage(stderr); return 2;
		}
	}
	return -1;
}

/* The run's timing: what the SUT lived through against what it cost (issue #7). */
static json_t *timing(const json_t *run, double wall_s, long jobs)
{
	double sut = 0, work = 0;
	size_t i;
	json_t *sc;
	json_array_foreach(json_object_get(run, "scenarios"), i, sc) {
		sut += json_number_value(json_object_get(sc, "sut_time_s"));
		work += json_number_value(json_object_get(sc, "wall_s"));
	}
	return json_pack("{s:f, s:f, s:f, s:f, s:I}", "sut_s", sut, "wall_s", wall_s,
			 "compression", wall_s > 0 ? sut / wall_s : 0.0, "scenario_wall_s", work,
			 "jobs", (json_int_t)jobs);
}

/* One job per scenario and repetition, in the run's order (file order, each scenario's
 * repetitions together): the order of every report. With --shard, only this shard's,
 * and run gets "shard". *ids holds every unit's id (files->n * repeat of them). */
static int make_jobs(const struct run_opts *ro, const struct list *files,
		     const struct sl_scn_meta *meta, char *const *errs,
		     const struct sl_costs *costs, json_t *run, struct sl_job **jobsp,
		     char ***idsp, size_t *njobsp)
{
	size_t nunits = files->n * (size_t)ro->repeat, njobs = nunits;
	struct sl_job *jobs = calloc(nunits, sizeof(*jobs));
	char **ids = calloc(nunits, sizeof(*ids));
	uint64_t *cost = calloc(nunits, sizeof(*cost));
	unsigned *shard = calloc(nunits, sizeof(*shard));
	int rc = jobs && ids && cost && shard ? 0 : -ENOMEM;
	for (size_t i = 0; !rc && i < files->n; i++) {
		char base[256];
		if (errs[i]) {
			const char *b = strrchr(files->v[i], '/');
			snprintf(base, sizeof(base), "%s", b ? b + 1 : files->v[i]);
		} else {
			snprintf(base, sizeof(base), "%s", meta[i].id);
		}
		for (long r = 1; !rc && r <= ro->repeat; r++) {
			size_t u = i * (size_t)ro->repeat + (size_t)(r - 1);
			char id[300];
			if (r == 1)
				snprintf(id, sizeof(id), "%s", base);
			else
				snprintf(id, sizeof(id), "%s#%ld", base, r);
			if (!(ids[u] = strdup(id)))
				rc = -ENOMEM;
			cost[u] = sl_costs_ms(costs, errs[i] ? files->v[i] : meta[i].id);
			jobs[u] = (struct sl_job){
				.path = files->v[i], .id = ids[u],
				.seed = repeat_seed((unsigned)ro->seed, (int)r), .repeat = (int)r,
				.exclusive = !errs[i] && meta[i].exclusive,
				.why = errs[i] ? NULL : meta[i].exclusive_why,
				/* A timing window is wall-time jitter times the rate: a lower
				 * rate would not widen it, only slow the scenario down. */
				.adapt = !errs[i] && meta[i].exclusive &&
					 strcmp(meta[i].exclusive_why, "uses expect_gap"),
				.cost = (double)cost[u] / 1000, .error = errs[i],
			};
		}
	}
	if (!rc && ro->shard_n) {
		uint64_t plan = 0;
		rc = sl_shard_assign((const char *const *)ids, cost, nunits, ro->shard_n, shard,
				     &plan);
		njobs = 0;
		for (size_t u = 0; !rc && u < nunits; u++)
			if (shard[u] == ro->shard_k - 1)
				jobs[njobs++] = jobs[u];
		char digest[32];
		snprintf(digest, sizeof(digest), "%016llx", (unsigned long long)plan);
		json_object_set_new(run, "shard", json_pack("{s:i, s:i, s:I, s:I, s:s}", "index",
			(int)ro->shard_k, "count", (int)ro->shard_n, "total", (json_int_t)nunits,
			"scenarios", (json_int_t)njobs, "plan", digest));
		if (!ro->quiet)
			printf("shard %u/%u: %zu of %zu scenario runs\n", ro->shard_k, ro->shard_n,
			       njobs, nunits);
	}
	free(cost);
	free(shard);
	*jobsp = jobs;
	*idsp = ids;
	*njobsp = njobs;
	return rc;
}

int sl_cmd_run(const struct sl_paths *p, int argc, char **argv)
{
	struct run_opts ro = { .sut = "ref", .out = "out", .rate = 100, .timeout = 20,
			       .seed = 1, .max_sut = 3600, .max_mb = 1024, .adapt = 1, .jobs = sl_sched_cpus(),
			       .repeat = 1 };
	int prc = parse_run_opts(argc, argv, &ro);
	if (prc >= 0)
		return prc;
	const char *sut = ro.sut, *out = ro.out;
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
	struct sl_costs *costs = NULL;
	struct sl_scn_meta *meta = NULL;
	char **errs = NULL;
	struct sl_job *jobs = NULL;
	char **ids = NULL;
	json_t **results = NULL;
	size_t njobs = 0;
	int rc = 2;
	if (gather(p, argc - optind, argv + optind, &files) < 0)
		goto out;
	if (!files.n) {
		fprintf(stderr, "siploc run: no scenario files found\n");
		goto out;
	}
	char cpath[PATH_MAX + 32], cerr[PATH_MAX + 128];
	if (!ro.costs)
		snprintf(cpath, sizeof(cpath), "%s/scenarios/costs.tsv", p->root);
	else
		snprintf(cpath, sizeof(cpath), "%s", ro.costs);
	if (ro.costs && access(cpath, R_OK) < 0) {
		fprintf(stderr, "siploc: --costs %s: %s\n", cpath, strerror(errno));
		goto out;
	}
	if (sl_costs_load(&costs, cpath, cerr, sizeof(cerr)) < 0) {
		fprintf(stderr, "siploc: %s\n", cerr);
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
	int con = (isatty(1) ? RPT_CON_TTY : 0) | (ro.verbose ? RPT_CON_VERBOSE : 0) |
		  (ro.quiet ? RPT_CON_QUIET : 0) |
		  (isatty(1) && !getenv("NO_COLOR") ? RPT_CON_COLOR : 0);
	int input_error = 0;
	struct sl_worker_opts wo = { runner, adapter, out, ro.rate, ro.timeout,
				     (unsigned)ro.seed, ro.max_sut,
				     strncmp(sut, "exec:", 5) ? NULL : sut + 5, (unsigned)ro.max_mb };
	sl_worker_catch_signals();
	json_t *run = rpt_run_new(SIPLOC_VERSION, sut, "", ro.rate);
	/* Read every declaration first: ids must be unique and a bad file is reported
	 * before anything runs (it still gets its error line in the results). */
	meta = calloc(files.n, sizeof(*meta));
	errs = calloc(files.n, sizeof(*errs));
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
	if (make_jobs(&ro, &files, meta, errs, costs, run, &jobs, &ids, &njobs) < 0) {
		fprintf(stderr, "siploc run: out of memory\n");
		json_decref(run);
		goto out;
	}
	json_object_set_new(run, "seed", json_integer((json_int_t)ro.seed));
	json_object_set_new(run, "repeat", json_integer(ro.repeat));
	results = calloc(njobs ? njobs : 1, sizeof(*results));
	struct console cs = { json_pack("{s:[]}", "scenarios"), njobs, con, ro.quiet,
			      mono_us() };
	rpt_console_progress(stdout, cs.done, njobs, 0, con);
	struct sl_sched_opts so = { (size_t)ro.jobs, &wo, cat, ro.adapt, on_done, &cs };
	if (sl_sched_run(&so, jobs, njobs, results) < 0) {
		fprintf(stderr, "siploc run: out of memory scheduling %zu jobs\n", njobs);
		input_error = 1;
	}
	double wall = (double)(mono_us() - cs.t0_us) / 1e6;
	json_decref(cs.done);
	for (size_t j = 0; j < njobs; j++) {
		if (!results[j])
			continue; /* interrupted before it finished */
		json_t *s = json_object_get(results[j], "sut");
		if (s) {
			json_object_set(json_object_get(run, "sut"), "name", json_object_get(s, "name"));
			json_object_set(json_object_get(run, "sut"), "version",
					json_object_get(s, "version"));
		}
		rpt_run_add(run, results[j]);
		results[j] = NULL;
	}
	json_object_set_new(run, "timing", timing(run, wall, ro.jobs));
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
	else if (rpt_write_all(run, out, ro.pcapng ? RPT_PCAPNG : 0, err, sizeof(err)) < 0) {
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
out:
	for (size_t i = 0; meta && i < files.n; i++) {
		sl_lua_meta_clear(&meta[i]);
		free(errs[i]);
	}
	for (size_t u = 0; ids && u < files.n * (size_t)ro.repeat; u++)
		free(ids[u]);
	free(ids);
	free(jobs);
	free(results);
	free(meta);
	free(errs);
	sl_costs_free(costs);
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
