/* sl_worker.c: fork, new network namespace, run the scenario's world, hand back a result. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sl_catalogue.h"
#include "sl_clock.h"
#include "sl_loop.h"
#include "sl_lua.h"
#include "sl_sut.h"
#include "sl_worker.h"
#include "sl_world.h"

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -EIO;
}

/* A namespace of our own: port 53, every 127/8 address and raw sockets, clashing with
 * nobody. Without root a user namespace maps us to root inside it. */
static int enter_namespace(char *err, size_t errlen)
{
	int rc = 0;
	if (geteuid() == 0) {
		if (unshare(CLONE_NEWNET) < 0)
			rc = -errno;
	} else {
		uid_t uid = geteuid();
		gid_t gid = getegid();
		char map[64];
		if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0) {
			rc = -errno;
		} else {
			write_str("/proc/self/setgroups", "deny");
			snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
			rc = write_str("/proc/self/uid_map", map);
			snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
			if (!rc)
				rc = write_str("/proc/self/gid_map", map);
		}
	}
	if (rc) {
		snprintf(err, errlen, "needs network namespace: unshare failed (%s)",
			 strerror(-rc));
		return rc;
	}
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = { 0 };
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0 ||
	    (ifr.ifr_flags |= IFF_UP, ioctl(s, SIOCSIFFLAGS, &ifr) < 0)) {
		rc = -errno;
		snprintf(err, errlen, "cannot bring lo up in the namespace: %s", strerror(errno));
	}
	if (s >= 0)
		close(s);
	return rc;
}

json_t *sl_worker_error_result(const char *id, const char *path, const char *reason)
{
	return json_pack("{s:s, s:s, s:[], s:s, s:s, s:s, s:s, s:[], s:n, s:f, s:f}", "id", id,
			 "file", path, "covers", "role", "", "summary", "", "verdict", "error",
			 "reason", reason, "checks", "pcap", "sut_time_s", 0.0, "wall_s", 0.0);
}

static void mkdirs(const char *out, const char *id, char *work, size_t len)
{
	char p[4200];
	mkdir(out, 0755);
	snprintf(p, sizeof(p), "%s/pcap", out);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/log", out);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/work", out);
	mkdir(p, 0755);
	snprintf(work, len, "%s/work/%s", out, id);
	mkdir(work, 0755);
}

/* Child side: never returns. */
static void child(const struct sl_worker_opts *o, const struct sl_catalogue *cat,
		  const char *path, const char *id, const char *work, const char *result)
{
	char err[2048] = "", pcap[4200], logp[4200];
	json_t *r = NULL;
	struct sl_world *w = NULL;
	uint64_t t0 = sl_now_us();
	signal(SIGPIPE, SIG_IGN);
	/* The parent decides what an interrupt means; here it just ends the worker. */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	snprintf(pcap, sizeof(pcap), "%s/pcap/%s.pcap", o->out_dir, id);
	snprintf(logp, sizeof(logp), "%s/log/%s.log", o->out_dir, id);
	int ns = enter_namespace(err, sizeof(err));
	struct sl_world_opts wo = {
		.runner = o->runner, .adapter = o->adapter, .workdir = work, .pcap_path = pcap,
		.log_path = logp, .rate = o->rate, .timeout_s = o->timeout_s,
		.seed = o->seed, .max_sut_s = o->max_sut_s,
		.exec_cmd = o->exec_cmd, .max_worker_mb = o->max_worker_mb,
	};
	char werr[512];
	if (sl_world_new(&w, &wo, werr, sizeof(werr)) < 0) {
		r = sl_worker_error_result(id, path, werr);
		goto out;
	}
	if (ns < 0) {
		/* Still read the declaration so the report shows what was not run. */
		struct sl_scn_meta m;
		char merr[512];
		if (sl_lua_meta(path, cat, &m, merr, sizeof(merr)) == 0) {
			sl_world_meta(w, m.id, m.file, m.role, m.summary,
				      (const char *const *)m.covers, m.ncovers,
				      (const char *const *)m.needs, m.nneeds, 0);
			sl_lua_meta_clear(&m);
		}
		r = sl_world_finish(w, err, 1);
		goto out;
	}
	int rc = sl_lua_run(path, w, cat, err, sizeof(err));
	r = sl_world_finish(w, rc < 0 ? err : NULL, rc == -EAGAIN);
	if (r && sl_clock_calibrated(sl_world_clock(w)))
		json_object_set_new(r, "clock", json_pack("{s:f, s:I, s:f}", "rate", o->rate,
			"rtt_us", (json_int_t)sl_clock_rtt_us(sl_world_clock(w)),
			/* half the round trip, in SUT time: how far off any SUT timestamp may be */
			"error_ms", (double)sl_clock_rtt_us(sl_world_clock(w)) / 2 * o->rate / 1000));
out:
	if (r) {
		/* A repetition ("x#2") is its own result; the scenario{} id stays in "scenario". */
		if (strcmp(json_string_value(json_object_get(r, "id")) ?: "", id)) {
			json_object_set(r, "scenario", json_object_get(r, "id"));
			json_object_set_new(r, "id", json_string(id));
		}
		json_object_set_new(r, "wall_s", json_real((double)(sl_now_us() - t0) / 1e6));
		/* The worker's peak memory: what a scale scenario costs (bench/scale.sh). */
		struct rusage ru;
		if (getrusage(RUSAGE_SELF, &ru) == 0)
			json_object_set_new(r, "worker_max_rss_kb", json_integer(ru.ru_maxrss));
		json_dump_file(r, result, JSON_COMPACT);
	}
	json_decref(r);
	sl_world_free(w);
	/* exit, not _exit: under ASan the leak check must run in the worker too. */
	exit(r ? 0 : 3);
}

static const char *describe(int st, char *buf, size_t len)
{
	if (WIFSIGNALED(st))
		snprintf(buf, len, "worker killed by signal %d (%s)", WTERMSIG(st),
			 strsignal(WTERMSIG(st)));
	else
		snprintf(buf, len, "worker exited with status %d and no result", WEXITSTATUS(st));
	return buf;
}

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
	interrupted = sig;
}

void sl_worker_catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_interrupt };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
}

int sl_worker_interrupted(void)
{
	return interrupted;
}

/* Reaps our children that are SUT runners (comm "siploc-sut"); returns how many remain.
 * Only runners: other children (workers of a parallel run) are someone else's to wait. */
static int reap_runners(void)
{
	char path[64], pids[4096];
	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)gettid());
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = fread(pids, 1, sizeof(pids) - 1, f);
	fclose(f);
	pids[n] = 0;
	int left = 0;
	for (char *tok = strtok(pids, " \n"); tok; tok = strtok(NULL, " \n")) {
		pid_t p = (pid_t)atoi(tok);
		char comm[32] = "";
		snprintf(path, sizeof(path), "/proc/%d/comm", (int)p);
		FILE *c = fopen(path, "r");
		if (c) {
			if (!fgets(comm, sizeof(comm), c))
				comm[0] = 0;
			fclose(c);
		}
		if (strcmp(comm, "siploc-sut\n"))
			continue;
		int st;
		if (waitpid(p, &st, WNOHANG) == p)
			sl_sut_remove_shm(p);
		else
			left++;
	}
	return left;
}

/* SUTs whose worker was killed die of PDEATHSIG and are re-parented here (we are a child
 * subreaper): reap them and remove what libfaketime left in /dev/shm. */
void sl_worker_reap_orphans(int wait)
{
	uint64_t until = sl_now_us() + 2000000;
	while (reap_runners() > 0 && wait && sl_now_us() < until) {
		struct timespec ts = { 0, 2000000 };
		nanosleep(&ts, NULL);
	}
}

struct sl_worker {
	pid_t pid;                /* 0 once waited for */
	int st;                   /* its wait status */
	uint64_t deadline_us;
	double timeout_s;
	char *id, *path;
	char result[4300];
	char why[512];            /* set when the parent ended it (hung) */
};

void sl_worker_free(struct sl_worker *w)
{
	if (!w)
		return;
	sl_worker_kill(w);
	free(w->id);
	free(w->path);
	free(w);
}

int sl_worker_start(const struct sl_worker_opts *o, const struct sl_catalogue *cat,
		    const char *path, const char *id, struct sl_worker **wp)
{
	char work[4200];
	struct sl_worker *w = calloc(1, sizeof(*w));
	if (!w || !(w->id = strdup(id)) || !(w->path = strdup(path))) {
		sl_worker_free(w);
		return -ENOMEM;
	}
	mkdirs(o->out_dir, id, work, sizeof(work));
	snprintf(w->result, sizeof(w->result), "%s/result.json", work);
	unlink(w->result);
	w->timeout_s = o->timeout_s;
	/* The worker has its own watchdog; this one catches a worker that is itself stuck. */
	w->deadline_us = sl_now_us() + (uint64_t)((o->timeout_s + 15) * 1e6);
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		sl_worker_free(w);
		return -e;
	}
	if (pid == 0)
		child(o, cat, path, id, work, w->result);
	w->pid = pid;
	*wp = w;
	return 0;
}

void sl_worker_kill(struct sl_worker *w)
{
	if (!w || !w->pid)
		return;
	kill(w->pid, SIGKILL);
	waitpid(w->pid, &w->st, 0);
	w->pid = 0;
	sl_worker_reap_orphans(0);
}

int sl_worker_poll(struct sl_worker *w)
{
	if (!w->pid)
		return 1;
	pid_t r = waitpid(w->pid, &w->st, WNOHANG);
	if (r == w->pid || (r < 0 && errno == ECHILD)) {
		w->pid = 0;
		sl_worker_reap_orphans(0);
		return 1;
	}
	if (sl_now_us() > w->deadline_us) {
		sl_worker_kill(w);
		snprintf(w->why, sizeof(w->why), "worker hung: killed after %.0f s of wall time",
			 w->timeout_s + 15);
		return 1;
	}
	return 0;
}

json_t *sl_worker_result(struct sl_worker *w)
{
	char why[512];
	if (w->why[0])
		return sl_worker_error_result(w->id, w->path, w->why);
	json_error_t jerr;
	json_t *res = json_load_file(w->result, 0, &jerr);
	if (!res || !json_is_object(res)) {
		json_decref(res);
		return sl_worker_error_result(w->id, w->path, describe(w->st, why, sizeof(why)));
	}
	return res;
}

json_t *sl_worker_run(const struct sl_worker_opts *o, const struct sl_catalogue *cat,
		      const char *path, const char *id)
{
	struct sl_worker *w = NULL;
	int rc = sl_worker_start(o, cat, path, id, &w);
	if (rc < 0) {
		char why[512];
		snprintf(why, sizeof(why), "fork: %s", strerror(-rc));
		return sl_worker_error_result(id, path, why);
	}
	json_t *res = NULL;
	while (!sl_worker_poll(w)) {
		if (interrupted) {
			sl_worker_kill(w);
			sl_worker_reap_orphans(1);
			sl_worker_free(w);
			return NULL;
		}
		struct timespec ts = { 0, 2000000 };
		nanosleep(&ts, NULL);
	}
	sl_worker_reap_orphans(1);
	res = sl_worker_result(w);
	sl_worker_free(w);
	return res;
}
