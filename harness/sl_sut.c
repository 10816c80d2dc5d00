/* sl_sut.c: spawns siploc-sut on the fake clock and speaks sut_proto.h with it. */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sl_clock.h"
#include "sl_loop.h"
#include "sl_sut.h"
#include "sut_adapter.h"
#include "sut_proto.h"

#define FAKETIME_LIB "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"

struct sl_sut {
	struct sl_loop *loop;
	struct sl_clock *clk;
	struct sl_sut_hooks hooks;
	pid_t pid;                     /* -1 once reaped */
	pid_t spawned;                 /* for the /dev/shm cleanup, even after reaping */
	int fd;
	int dead;
	char why[256];
	struct sut_proto_lines in;
	/* handshake and open state */
	int got_hello, opened, open_rc;
	unsigned caps;
	char name[64], version[128];
	char fatal[512];
	uint64_t ping_sent_us;
	unsigned ping_seq, pong_seq;
	char stderr_path[4200];
};

static const char *faketime_lib(void)
{
	const char *env = getenv("SIPLOC_FAKETIME_LIB");
	return env && *env ? env : FAKETIME_LIB;
}

static int send_line(struct sl_sut *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int send_line(struct sl_sut *s, const char *fmt, ...)
{
	char line[SUT_PROTO_MAX_LINE], check[SUT_PROTO_MAX_LINE];
	struct sut_proto_msg m;
	const char *why;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) - 1)
		return -E2BIG;
	/* Only what the runner can parse leaves: a URI with a space is refused here. */
	memcpy(check, line, (size_t)n + 1);
	if (memchr(line, '\n', (size_t)n) || sut_proto_parse(check, &m, &why) < 0)
		return -EINVAL;
	line[n++] = '\n';
	if (s->dead)
		return -EPIPE;
	for (int off = 0; off < n;) {
		ssize_t w = send(s->fd, line + off, (size_t)(n - off), MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		off += (int)w;
	}
	return 0;
}

static void mark_dead(struct sl_sut *s, const char *why)
{
	if (s->dead)
		return;
	s->dead = 1;
	snprintf(s->why, sizeof(s->why), "%s", why);
	sl_loop_fd_del(s->loop, s->fd);
	if (s->hooks.died)
		s->hooks.died(s->hooks.arg, s->why);
}

/* Reaps the runner if it has exited and describes how. */
static void describe_exit(struct sl_sut *s, char *buf, size_t len)
{
	int st;
	pid_t r = 0;
	for (int i = 0; i < 200 && (r = waitpid(s->pid, &st, WNOHANG)) == 0; i++) {
		struct timespec ts = { 0, 5000000 };
		nanosleep(&ts, NULL);
	}
	if (r == s->pid) {
		s->pid = -1;
		if (WIFSIGNALED(st))
			snprintf(buf, len, "SUT killed by signal %d (%s)", WTERMSIG(st),
				 strsignal(WTERMSIG(st)));
		else
			snprintf(buf, len, "SUT exited with status %d", WEXITSTATUS(st));
	} else {
		snprintf(buf, len, "SUT closed its control channel");
	}
}

/* Junk bytes would end up in JSON and on the console: show them as '?'. */
static void printable(char *t)
{
	for (; *t; t++)
		if ((unsigned char)*t < 0x20 || (unsigned char)*t > 0x7e)
			*t = '?';
}

static int handle_line(void *arg, char *line)
{
	struct sl_sut *s = arg;
	char copy[256], why[700];
	struct sut_proto_msg m;
	const char *perr;

	snprintf(copy, sizeof(copy), "%s", line);
	if (sut_proto_parse(line, &m, &perr) < 0 || !sut_proto_from_runner(m.kind)) {
		printable(copy);
		snprintf(why, sizeof(why), "garbage on the control channel (%s): '%s'",
			 perr ? perr : "a worker's message", copy);
		mark_dead(s, why);
		return -EPROTO;
	}
	switch (m.kind) {
	case SUT_MSG_DONE:
		if (s->hooks.done)
			s->hooks.done(s->hooks.arg, (unsigned)m.id, m.status);
		break;
	case SUT_MSG_LOG:
		if (s->hooks.log)
			s->hooks.log(s->hooks.arg, m.text);
		break;
	case SUT_MSG_ALARM:
		if (s->hooks.alarm)
			s->hooks.alarm(s->hooks.arg, m.text);
		break;
	case SUT_MSG_PONG:
		/* A late pong of an earlier ping is harmless: only the awaited one counts. */
		if (m.seq == s->ping_seq) {
			sl_clock_calibrate(s->clk, s->ping_sent_us, sl_now_us(), m.ns);
			s->pong_seq = (unsigned)m.seq;
		}
		break;
	case SUT_MSG_HELLO:
		s->caps = m.caps;
		snprintf(s->name, sizeof(s->name), "%s", m.name);
		snprintf(s->version, sizeof(s->version), "%s", m.text);
		s->got_hello = 1;
		break;
	case SUT_MSG_OPENED:
		s->open_rc = m.rc;
		s->opened = 1;
		break;
	case SUT_MSG_FATAL:
		snprintf(s->fatal, sizeof(s->fatal), "%s", m.text);
		snprintf(why, sizeof(why), "SUT runner: %s", m.text);
		mark_dead(s, why);
		return -EPROTO;
	default:
		break;
	}
	return 0;
}

static void on_ctl(int fd, unsigned ev, void *arg)
{
	(void)ev;
	struct sl_sut *s = arg;
	size_t room;
	char *dst = sut_proto_lines_space(&s->in, &room);
	ssize_t n = read(fd, dst, room);
	if (n <= 0) {
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			return;
		char why[256];
		describe_exit(s, why, sizeof(why));
		mark_dead(s, why);
		return;
	}
	int rc = sut_proto_lines_commit(&s->in, (size_t)n, handle_line, s);
	if (rc == -EILSEQ)
		mark_dead(s, "garbage on the control channel: a NUL byte in a line");
	else if (rc == -E2BIG)
		mark_dead(s, "garbage on the control channel: line too long");
}

/* Runs the loop until *flag is set, the runner dies or the deadline passes. */
static int wait_for(struct sl_sut *s, const int *flag, uint64_t deadline_us)
{
	while (!*flag && !s->dead) {
		if (sl_now_us() >= deadline_us)
			return -ETIMEDOUT;
		sl_loop_run_once(s->loop, 5);
	}
	return *flag ? 0 : -EPIPE;
}

static void child_exec(const struct sl_sut_cfg *cfg, int fd, const char *clock_path,
		       const char *stderr_path, pid_t worker)
{
	/* Whatever kills the worker (watchdog, SIGINT to the run) takes the SUT with it. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != worker)
		_exit(127);
	int efd = open(stderr_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (efd >= 0) {
		dup2(efd, 2);
		close(efd);
	}
	int nul = open("/dev/null", O_RDWR);
	if (nul >= 0) {
		dup2(nul, 0);
		dup2(nul, 1);
		close(nul);
	}
	if (fd != 3) {
		dup2(fd, 3);
		close(fd);
	}
	fcntl(3, F_SETFD, 0);
	setenv("LD_PRELOAD", faketime_lib(), 1);
	/* Absolute: a SUT that changes directory (kamailio -w) must still find its clock. */
	char abs_clock[PATH_MAX];
	if (!realpath(clock_path, abs_clock))
		snprintf(abs_clock, sizeof(abs_clock), "%s", clock_path);
	setenv("FAKETIME_TIMESTAMP_FILE", abs_clock, 1);
	setenv("FAKETIME_NO_CACHE", "1", 1);
	/* Each runner is alone on its clock: no shared-memory sync with children. */
	setenv("FAKETIME_DISABLE_SHM", "1", 1);
	unsetenv("FAKETIME");
	/* libfaketime comes before the ASan runtime in the library list. */
	const char *ao = getenv("ASAN_OPTIONS");
	char asan[512];
	snprintf(asan, sizeof(asan), "%s%sverify_asan_link_order=0", ao ? ao : "",
		 ao && *ao ? ":" : "");
	setenv("ASAN_OPTIONS", asan, 1);
	execl(cfg->runner, cfg->runner, "--ctl-fd", "3", cfg->adapter, (char *)NULL);
	fprintf(stderr, "siploc: exec %s: %s\n", cfg->runner, strerror(errno));
	_exit(127);
}

int sl_sut_start(struct sl_sut **sp, struct sl_loop *loop, struct sl_clock *clk,
		 const struct sl_sut_cfg *cfg, const struct sl_sut_hooks *hooks,
		 char *err, size_t errlen)
{
	int sv[2] = { -1, -1 };
	int rc;
	struct sl_sut *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->loop = loop;
	s->clk = clk;
	s->hooks = *hooks;
	s->pid = -1;
	s->fd = -1;
	snprintf(s->stderr_path, sizeof(s->stderr_path), "%s/sut.stderr", cfg->workdir);
	if (access(faketime_lib(), R_OK) < 0) {
		snprintf(err, errlen, "libfaketime not found at %s (run scripts/deps.sh)",
			 faketime_lib());
		rc = -ENOENT;
		goto fail;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		rc = -errno;
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		goto fail;
	}
	pid_t worker = getpid();
	s->pid = fork();
	if (s->pid < 0) {
		rc = -errno;
		snprintf(err, errlen, "fork: %s", strerror(errno));
		goto fail;
	}
	s->spawned = s->pid;
	if (s->pid == 0) {
		close(sv[0]);
		child_exec(cfg, sv[1], sl_clock_path(clk), s->stderr_path, worker);
	}
	close(sv[1]);
	sv[1] = -1;
	s->fd = sv[0];
	sv[0] = -1;
	fcntl(s->fd, F_SETFL, fcntl(s->fd, F_GETFL) | O_NONBLOCK);
	rc = sl_loop_fd_add(loop, s->fd, SL_EV_IN, on_ctl, s);
	if (rc < 0) {
		snprintf(err, errlen, "loop: %s", strerror(-rc));
		goto fail;
	}
	uint64_t deadline = sl_now_us() + (uint64_t)(cfg->open_timeout_s * 1e6);
	rc = wait_for(s, &s->got_hello, deadline);
	if (rc < 0)
		goto fail_msg;
	/* Clock handshake: the best of a few round trips fixes the SUT-time origin. */
	for (unsigned i = 1; i <= 7 && !s->dead; i++) {
		s->ping_seq = i;
		s->ping_sent_us = sl_now_us();
		if ((rc = send_line(s, "ping %u", i)) < 0)
			goto fail_msg;
		while (s->pong_seq != i && !s->dead && sl_now_us() < deadline)
			sl_loop_run_once(loop, 5);
		if (s->pong_seq != i) {
			rc = s->dead ? -EPIPE : -ETIMEDOUT;
			goto fail_msg;
		}
	}
	if (s->hooks.log) {
		char note[200];
		uint64_t rtt = sl_clock_rtt_us(clk);
		snprintf(note, sizeof(note), "clock handshake: best of 7 round trips %llu us: SUT "
			 "timestamps within +-%.1f ms at rate %g", (unsigned long long)rtt,
			 (double)rtt / 2 * sl_clock_rate(clk) / 1000, sl_clock_rate(clk));
		s->hooks.log(s->hooks.arg, note);
	}
	rc = 0;
	rc |= send_line(s, "cfg dns_addr %s", cfg->dns_addr);
	rc |= send_line(s, "cfg dns_port %u", cfg->dns_port);
	rc |= send_line(s, "cfg bind_addr %s", cfg->bind_addr);
	if (cfg->bind_addr6)
		rc |= send_line(s, "cfg bind_addr6 %s", cfg->bind_addr6);
	rc |= send_line(s, "cfg caps %u", cfg->caps_wanted);
	rc |= send_line(s, "cfg t1 %u", cfg->t1_ms);
	rc |= send_line(s, "cfg timer_b %u", cfg->timer_b_ms);
	rc |= send_line(s, "cfg timer_f %u", cfg->timer_f_ms);
	rc |= send_line(s, "cfg workdir %s", cfg->workdir);
	rc |= send_line(s, "cfg seed %u", cfg->seed);
	rc |= send_line(s, "cfg role %s", cfg->role ? cfg->role : "client");
	rc |= send_line(s, "cfg listen %u", cfg->listen_port ? cfg->listen_port : 5060);
	rc |= send_line(s, "cfg rate %.17g", cfg->rate > 0 ? cfg->rate : sl_clock_rate(clk));
	if (cfg->tls_ca_file)
		rc |= send_line(s, "cfg ca %s", cfg->tls_ca_file);
	if (cfg->tls_cert_file && cfg->tls_key_file) {
		rc |= send_line(s, "cfg cert %s", cfg->tls_cert_file);
		rc |= send_line(s, "cfg key %s", cfg->tls_key_file);
	}
	if (cfg->tls_listen_port)
		rc |= send_line(s, "cfg tls_listen %u", cfg->tls_listen_port);
	if (cfg->exec_cmd)
		rc |= send_line(s, "cfg exec %s", cfg->exec_cmd);
	rc |= send_line(s, "open");
	if (rc < 0) {
		rc = -EPIPE;
		goto fail_msg;
	}
	rc = wait_for(s, &s->opened, deadline);
	if (rc < 0)
		goto fail_msg;
	if (s->open_rc < 0) {
		rc = s->open_rc;
		snprintf(err, errlen, "SUT %s: open failed: %s", s->name, strerror(-rc));
		goto fail;
	}
	*sp = s;
	return 0;
fail_msg:
	if (s->fatal[0])
		snprintf(err, errlen, "SUT runner: %s", s->fatal);
	else if (s->dead)
		snprintf(err, errlen, "%s", s->why);
	else
		snprintf(err, errlen, "SUT did not answer within %.0f s", cfg->open_timeout_s);
	if (!s->fatal[0]) {
		char tail[512];
		sl_sut_stderr_tail(s, tail, sizeof(tail));
		if (tail[0]) {
			size_t l = strlen(err);
			snprintf(err + l, errlen - l, "; stderr: %s", tail);
		}
	}
fail:
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	sl_sut_free(s);
	return rc;
}

void sl_sut_remove_shm(int pid)
{
	/* libfaketime 0.9.10 leaves faketime_shm_<pid> and its semaphore
	 * sem.faketime_sem_<pid> behind (FAKETIME_DISABLE_SHM or not) when killed. */
	static const char *const pats[] = { "/dev/shm/faketime_*_%d",
					    "/dev/shm/sem.faketime_*_%d" };
	for (size_t k = 0; k < sizeof(pats) / sizeof(pats[0]); k++) {
		char pat[64];
		glob_t g;
		snprintf(pat, sizeof(pat), pats[k], pid);
		if (glob(pat, 0, NULL, &g) == 0) {
			for (size_t i = 0; i < g.gl_pathc; i++)
				unlink(g.gl_pathv[i]);
			globfree(&g);
		}
	}
}

void sl_sut_free(struct sl_sut *s)
{
	if (!s)
		return;
	pid_t pid = s->spawned;
	if (s->pid > 0 && !s->dead)
		send_line(s, "quit");
	if (s->fd >= 0) {
		if (!s->dead)
			sl_loop_fd_del(s->loop, s->fd);
		close(s->fd);
	}
	if (s->pid > 0) {
		int st;
		pid_t r = 0;
		for (int i = 0; i < 400 && (r = waitpid(s->pid, &st, WNOHANG)) == 0; i++) {
			struct timespec ts = { 0, 5000000 };
			nanosleep(&ts, NULL);
		}
		if (r == 0) {
			kill(s->pid, SIGKILL);
			waitpid(s->pid, &st, 0);
		}
	}
	if (pid > 0)
		sl_sut_remove_shm(pid);
	free(s);
}

int sl_sut_request(struct sl_sut *s, unsigned id, const char *method, const char *uri,
		   size_t body_len)
{
	if (strpbrk(method, " \r\n") || strpbrk(uri, " \r\n"))
		return -EINVAL;
	return send_line(s, "req %u %s %s %zu", id, method, uri, body_len);
}

int sl_sut_cancel(struct sl_sut *s, unsigned id)
{
	return send_line(s, "cancel %u", id);
}

int sl_sut_alive(const struct sl_sut *s)
{
	return !s->dead;
}

const char *sl_sut_name(const struct sl_sut *s)
{
	return s->name;
}

const char *sl_sut_version(const struct sl_sut *s)
{
	return s->version;
}

unsigned sl_sut_caps(const struct sl_sut *s)
{
	return s->caps;
}

void sl_sut_stderr_tail(const struct sl_sut *s, char *buf, size_t len)
{
	buf[0] = 0;
	FILE *f = fopen(s->stderr_path, "r");
	if (!f)
		return;
	char tail[4096];
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	long off = size > (long)sizeof(tail) - 1 ? size - (long)sizeof(tail) + 1 : 0;
	fseek(f, off, SEEK_SET);
	size_t n = fread(tail, 1, sizeof(tail) - 1, f);
	fclose(f);
	tail[n] = 0;
	while (n && (tail[n - 1] == '\n' || tail[n - 1] == ' '))
		tail[--n] = 0;
	/* Last three lines are what a reader needs to see why it died. */
	const char *p = tail + n;
	int lines = 0;
	while (p > tail && lines < 3)
		if (*--p == '\n')
			lines++;
	if (*p == '\n')
		p++;
	snprintf(buf, len, "%s", p);
	for (char *q = buf; *q; q++)
		if (*q == '\n')
			*q = '|';
}

const char *sl_sut_status_str(int status, char *buf, size_t len)
{
	switch (status) {
	case SUT_E_TIMEOUT: return "timeout";
	case SUT_E_TRANSPORT: return "transport-error";
	case SUT_E_DNS: return "dns-error";
	case SUT_E_NOTARGET: return "no-target";
	case SUT_E_INTERNAL: return "internal-error";
	case SUT_E_CANCELLED: return "cancelled";
	default:
		snprintf(buf, len, "%d", status);
		return buf;
	}
}

/* Reads the probe's combined output until EOF or the deadline. */
static size_t read_until(int fd, char *buf, size_t len, uint64_t deadline_us)
{
	size_t n = 0;
	while (n + 1 < len) {
		uint64_t now = sl_now_us();
		if (now >= deadline_us)
			break;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int ms = (int)((deadline_us - now) / 1000) + 1;
		if (poll(&p, 1, ms) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		ssize_t r = read(fd, buf + n, len - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	buf[n] = 0;
	return n;
}

int sl_sut_probe(const char *runner, const char *adapter, double timeout_s, char *err,
		 size_t errlen)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -errno;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(pfd[0]);
		close(pfd[1]);
		snprintf(err, errlen, "fork: %s", strerror(e));
		return -e;
	}
	if (pid == 0) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		execl(runner, runner, "--probe", adapter, (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", runner, strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	char out[1024];
	uint64_t deadline = sl_now_us() + (uint64_t)(timeout_s * 1e6);
	read_until(pfd[0], out, sizeof(out), deadline);
	close(pfd[0]);
	int st = 0, rc = 0;
	pid_t r;
	/* EOF comes a moment before the exit status does. */
	while ((r = waitpid(pid, &st, WNOHANG)) == 0 && sl_now_us() < deadline) {
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	if (r == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		snprintf(err, errlen, "adapter %s: loading it did not finish within %g s", adapter,
			 timeout_s);
		return -ETIMEDOUT;
	}
	size_t n = strlen(out);
	while (n && (out[n - 1] == '\n' || out[n - 1] == ' '))
		out[--n] = 0;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0 && !strncmp(out, "hello ", 6))
		return 0;
	/* The runner's own message names the path and the cause; keep its last line. */
	const char *last = strrchr(out, '\n');
	last = last ? last + 1 : out;
	const char *line = last;
	if (!strncmp(last, "siploc-sut: fatal: ", 19))
		last += 19;
	if (WIFSIGNALED(st))
		snprintf(err, errlen, "adapter %s: loading it killed the runner with signal %d "
			 "(%s)%s%s", adapter, WTERMSIG(st), strsignal(WTERMSIG(st)),
			 *last ? ": " : "", last);
	else if (line > out) /* the adapter said why before the runner gave up */
		snprintf(err, errlen, "%s (it said: %.*s)", last, (int)(line - out - 1), out);
	else
		snprintf(err, errlen, "%s", *last ? last : "adapter could not be loaded");
	rc = -ENOEXEC;
	return rc;
}
