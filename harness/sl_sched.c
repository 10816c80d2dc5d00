/* sl_sched.c: the run's scheduler: starts jobs in workers, up to N at once, exclusive jobs
 * alone, and files each result under its job's index. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sl_sched.h"

double sl_sched_load(void)
{
	const char *env = getenv("SIPLOC_LOADAVG");
	double l = 0;
	if (env && *env)
		return strtod(env, NULL);
	FILE *f = fopen("/proc/loadavg", "r");
	if (f) {
		if (fscanf(f, "%lf", &l) != 1)
			l = 0;
		fclose(f);
	}
	return l;
}

int sl_sched_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}

double sl_sched_rate(double rate, double load, int cpus)
{
	if (cpus < 1 || load <= cpus)
		return rate;
	/* At most 4 times slower: past that the scenario costs more wall time than the
	 * margin buys (a heavily loaded machine would take the rate to a crawl). */
	double r = rate * cpus / load;
	if (r < rate / 4)
		r = rate / 4;
	r = (double)(long)r;
	return r < 1 ? 1 : r;
}

struct slot {
	size_t job;
	struct sl_worker *w;
	json_t *schedule;          /* what was decided for it at start, or NULL */
};

struct state {
	const struct sl_sched_opts *o;
	const struct sl_job *jobs;
	json_t **results;
	struct slot *run;
	size_t nrun, ndone;
	int alone;                 /* an exclusive job is running */
};

static void done(struct state *s, size_t j, json_t *res, json_t *schedule)
{
	const struct sl_job *job = &s->jobs[j];
	if (res && job->repeat > 1)
		json_object_set_new(res, "repeat", json_integer(job->repeat));
	if (res && schedule)
		json_object_set(res, "schedule", schedule);
	s->results[j] = res;
	s->ndone++;
	if (s->o->on_done && res)
		s->o->on_done(s->o->arg, j, res, s->ndone);
}

static json_t *schedule_of(const struct sl_job *job, double base, double rate, double load,
			   int cpus)
{
	if (!job->exclusive)
		return NULL;
	return json_pack("{s:b, s:s, s:b, s:f, s:b, s:f, s:i}", "exclusive", 1, "why",
			 job->why ? job->why : "declared", "alone", 1, "rate", rate, "lowered",
			 rate < base, "load", load, "cpus", cpus);
}

/* Starts job j; a job that cannot run (bad file, fork failure) ends at once. */
static void start(struct state *s, size_t j)
{
	const struct sl_job *job = &s->jobs[j];
	if (job->error) {
		done(s, j, sl_worker_error_result(job->id, job->path, job->error), NULL);
		return;
	}
	struct sl_worker_opts wo = *s->o->wo;
	wo.seed = job->seed;
	double load = 0;
	int cpus = sl_sched_cpus();
	if (job->exclusive) {
		load = sl_sched_load();
		if (s->o->adapt_rate && job->adapt)
			wo.rate = sl_sched_rate(wo.rate, load, cpus);
	}
	struct sl_worker *w = NULL;
	int rc = sl_worker_start(&wo, s->o->cat, job->path, job->id, &w);
	if (rc < 0) {
		char why[256];
		snprintf(why, sizeof(why), "fork: %s", strerror(-rc));
		done(s, j, sl_worker_error_result(job->id, job->path, why), NULL);
		return;
	}
	s->run[s->nrun++] = (struct slot){ j, w, schedule_of(job, s->o->wo->rate, wo.rate, load,
								   cpus) };
	s->alone = job->exclusive;
}

static int can_start(const struct state *s, const struct sl_job *job)
{
	if (s->alone)
		return 0;
	if (job->exclusive)
		return s->nrun == 0;
	return s->nrun < s->o->jobs;
}

/* Polls the running workers; returns how many ended. */
static size_t reap(struct state *s)
{
	size_t ended = 0;
	for (size_t i = 0; i < s->nrun;) {
		struct slot *sl = &s->run[i];
		if (!sl_worker_poll(sl->w)) {
			i++;
			continue;
		}
		json_t *res = sl_worker_result(sl->w);
		if (s->jobs[sl->job].exclusive)
			s->alone = 0;
		done(s, sl->job, res, sl->schedule);
		json_decref(sl->schedule);
		sl_worker_free(sl->w);
		*sl = s->run[--s->nrun];
		ended++;
	}
	return ended;
}

static int cmp_start(const void *a, const void *b, void *arg)
{
	const struct sl_job *jobs = arg;
	size_t i = *(const size_t *)a, k = *(const size_t *)b;
	/* Exclusive jobs first (the machine holds nothing of ours yet), then the longest. */
	if (jobs[i].exclusive != jobs[k].exclusive)
		return jobs[k].exclusive - jobs[i].exclusive;
	if (jobs[i].cost != jobs[k].cost)
		return jobs[i].cost < jobs[k].cost ? 1 : -1;
	return i < k ? -1 : i > k;
}

int sl_sched_run(const struct sl_sched_opts *o, const struct sl_job *jobs, size_t n,
		 json_t **results)
{
	struct state s = { .o = o, .jobs = jobs, .results = results };
	size_t *order = calloc(n ? n : 1, sizeof(*order));
	size_t width = o->jobs ? o->jobs : 1;
	s.run = calloc(width, sizeof(*s.run));
	if (!order || !s.run) {
		free(order);
		free(s.run);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		order[i] = i;
		results[i] = NULL;
	}
	qsort_r(order, n, sizeof(*order), cmp_start, (void *)jobs);
	size_t next = 0;
	int sig = 0;
	while (s.ndone < n) {
		if ((sig = sl_worker_interrupted()))
			break;
		int moved = 0;
		while (next < n && can_start(&s, &jobs[order[next]])) {
			start(&s, order[next++]);
			moved = 1;
		}
		if (!reap(&s) && !moved) {
			struct timespec ts = { 0, 2000000 };
			nanosleep(&ts, NULL);
		}
	}
	/* Interrupted: the running workers and their SUTs go, their jobs stay unfinished. */
	for (size_t i = 0; i < s.nrun; i++) {
		sl_worker_free(s.run[i].w);
		json_decref(s.run[i].schedule);
	}
	sl_worker_reap_orphans(1);
	free(order);
	free(s.run);
	return sig;
}
