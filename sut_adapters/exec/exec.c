/* exec.c: the exec adapter: each request runs a command line (--sut exec:'CMD') that sends
 * one SIP request and exits; its output or exit status says the outcome.
 * The command runs inside the runner: on the fake clock and in the worker's namespace.
 *
 * Template fields, replaced shell-quoted: {uri} {method} {dns_addr} {dns_port}
 * {bind_addr} {t1} {timer_b} {id} {ca} (the TLS CA file, "" without tls peers); the same
 * values are in the environment as SIPLOC_URI, SIPLOC_METHOD, SIPLOC_DNS_ADDR,
 * SIPLOC_DNS_PORT, SIPLOC_BIND_ADDR, SIPLOC_T1_MS, SIPLOC_TIMER_B_MS, SIPLOC_ID, SIPLOC_CA.
 * Outcome table (first match wins):
 *   a stdout line "status NNN" (200..699, final; the last such line) -> NNN
 *   a stdout line "error timeout|transport|dns|no-target|internal"  -> that error
 *   exit status 0                                                  -> 200
 *   any other exit status or a signal                              -> internal-error
 * Every stdout/stderr line goes to the scenario log as "exec <id>: ...". */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sut_adapter.h"

#define EXEC_MAX 16
#define EXEC_LINE 1024
#define EXEC_CMD_MAX 8192

struct exec_job {
	unsigned id;
	pid_t pid;
	int fd;                 /* read end of the child's stdout+stderr, -1 after EOF */
	int status;             /* from a "status"/"error" line; 0: none yet */
	int wstatus;
	char line[EXEC_LINE];
	size_t len;
};

struct exec_ctx {
	const struct sut_config *cfg;
	char *tmpl;
	struct exec_job jobs[EXEC_MAX];
};

static void exec_log(struct exec_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void exec_log(struct exec_ctx *c, const char *fmt, ...)
{
	char buf[EXEC_LINE + 64];
	va_list ap;

	if (!c->cfg->log)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	c->cfg->log(c->cfg->log_arg, buf);
}

static int exec_open(const struct sut_config *cfg, void **ctxp)
{
	struct exec_ctx *c;

	if (!cfg->exec_cmd || !*cfg->exec_cmd) {
		if (cfg->log)
			cfg->log(cfg->log_arg, "exec adapter: no command (use --sut exec:'CMD')");
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->cfg = cfg;
	c->tmpl = strdup(cfg->exec_cmd);
	if (!c->tmpl) {
		free(c);
		return -ENOMEM;
	}
	for (int i = 0; i < EXEC_MAX; i++)
		c->jobs[i].fd = -1;
	exec_log(c, "exec adapter: command template: %s", c->tmpl);
	*ctxp = c;
	return 0;
}

/* Appends s single-quoted for sh; returns -E2BIG when out is full. */
static int put_quoted(char *out, size_t len, size_t *n, const char *s)
{
	char tmp[EXEC_LINE * 2];
	size_t k = 0;

	tmp[k++] = '\'';
	for (; *s && k + 5 < sizeof(tmp); s++) {
		if (*s == '\'') {
			memcpy(tmp + k, "'\\''", 4);
			k += 4;
		} else {
			tmp[k++] = *s;
		}
	}
	if (*s)
		return -E2BIG;
	tmp[k++] = '\'';
	if (*n + k >= len)
		return -E2BIG;
	memcpy(out + *n, tmp, k);
	*n += k;
	out[*n] = '\0';
	return 0;
}

static const char *field_value(const char *name, size_t nlen, char vals[][64],
			       const struct sut_request *req, const char *ca)
{
	static const char *const names[] = { "dns_addr", "dns_port", "bind_addr", "t1",
					     "timer_b", "id" };

	if (nlen == 3 && !strncmp(name, "uri", 3))
		return req->uri;
	if (nlen == 6 && !strncmp(name, "method", 6))
		return req->method;
	if (nlen == 2 && !strncmp(name, "ca", 2))
		return ca;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == nlen && !strncmp(name, names[i], nlen))
			return vals[i];
	return NULL;
}

/* The command line with every {field} replaced; -EINVAL names an unknown field. */
static int expand(struct exec_ctx *c, unsigned id, const struct sut_request *req,
		  char vals[][64], char *out, size_t len)
{
	size_t n = 0;
	const char *p = c->tmpl;

	out[0] = '\0';
	while (*p) {
		const char *close = *p == '{' ? strchr(p, '}') : NULL;
		const char *v = close ? field_value(p + 1, (size_t)(close - p - 1), vals, req,
						 c->cfg->tls_ca_file ? c->cfg->tls_ca_file : "")
			      : NULL;

		if (close && !v) {
			exec_log(c, "exec %u: unknown field %.*s in the command template", id,
			      (int)(close - p + 1), p);
			return -EINVAL;
		}
		if (v) {
			if (put_quoted(out, len, &n, v) < 0)
				return -E2BIG;
			p = close + 1;
			continue;
		}
		if (n + 1 >= len)
			return -E2BIG;
		out[n++] = *p++;
		out[n] = '\0';
	}
	return 0;
}

static int exec_request(void *ctx, unsigned id, const struct sut_request *req)
{
	struct exec_ctx *c = ctx;
	const struct sut_config *cfg = c->cfg;
	struct exec_job *j = NULL;
	char vals[6][64], *cmd;
	int pfd[2], rc;
	pid_t pid;

	for (int i = 0; i < EXEC_MAX && !j; i++)
		if (!c->jobs[i].pid)
			j = &c->jobs[i];
	if (!j)
		return -EBUSY;
	snprintf(vals[0], sizeof(vals[0]), "%s", cfg->dns_addr ? cfg->dns_addr : "");
	snprintf(vals[1], sizeof(vals[1]), "%u", cfg->dns_port);
	snprintf(vals[2], sizeof(vals[2]), "%s", cfg->bind_addr ? cfg->bind_addr : "");
	snprintf(vals[3], sizeof(vals[3]), "%u", cfg->t1_ms);
	snprintf(vals[4], sizeof(vals[4]), "%u", cfg->timer_b_ms);
	snprintf(vals[5], sizeof(vals[5]), "%u", id);
	cmd = malloc(EXEC_CMD_MAX);
	if (!cmd)
		return -ENOMEM;
	rc = expand(c, id, req, vals, cmd, EXEC_CMD_MAX);
	if (rc < 0)
		goto out;
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		rc = -errno;
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		close(pfd[0]);
		close(pfd[1]);
		goto out;
	}
	if (pid == 0) {
		static const char *const env[] = { "SIPLOC_DNS_ADDR", "SIPLOC_DNS_PORT",
						   "SIPLOC_BIND_ADDR", "SIPLOC_T1_MS",
						   "SIPLOC_TIMER_B_MS", "SIPLOC_ID" };
		int nul = open("/dev/null", O_RDONLY);

		if (nul >= 0)
			dup2(nul, 0);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		for (int i = 0; i < 6; i++)
			setenv(env[i], vals[i], 1);
		setenv("SIPLOC_URI", req->uri, 1);
		setenv("SIPLOC_METHOD", req->method, 1);
		setenv("SIPLOC_CA", cfg->tls_ca_file ? cfg->tls_ca_file : "", 1);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	fcntl(pfd[0], F_SETFL, fcntl(pfd[0], F_GETFL) | O_NONBLOCK);
	*j = (struct exec_job){ .id = id, .pid = pid, .fd = pfd[0] };
	exec_log(c, "exec %u: pid %d: %s", id, (int)pid, cmd);
	rc = 0;
out:
	free(cmd);
	return rc;
}

static int parse_outcome(const char *line)
{
	static const struct { const char *name; int st; } errs[] = {
		{ "timeout", SUT_E_TIMEOUT }, { "transport", SUT_E_TRANSPORT },
		{ "dns", SUT_E_DNS }, { "no-target", SUT_E_NOTARGET },
		{ "internal", SUT_E_INTERNAL },
	};
	char *end;
	long code;

	if (!strncmp(line, "status ", 7)) {
		code = strtol(line + 7, &end, 10);
		if (end != line + 7 && (*end == '\0' || *end == ' ') && code >= 200 && code <= 699)
			return (int)code;
	}
	if (!strncmp(line, "error ", 6))
		for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
			if (!strcmp(line + 6, errs[i].name))
				return errs[i].st;
	return 0;
}

static void take_line(struct exec_ctx *c, struct exec_job *j)
{
	int st;

	j->line[j->len] = '\0';
	exec_log(c, "exec %u: %s", j->id, j->line);
	st = parse_outcome(j->line);
	if (st)
		j->status = st;
	j->len = 0;
}

static void drain(struct exec_ctx *c, struct exec_job *j)
{
	char buf[512];
	ssize_t n;

	while ((n = read(j->fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n' || j->len == EXEC_LINE - 1)
				take_line(c, j);
			if (buf[i] != '\n')
				j->line[j->len++] = buf[i];
		}
	}
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		if (j->len)
			take_line(c, j);
		close(j->fd);
		j->fd = -1;
	}
}

static int exec_run(void *ctx, int timeout_ms, sut_done_fn on_done, void *arg)
{
	struct exec_ctx *c = ctx;
	struct pollfd p[EXEC_MAX + 1];
	int n = 0, reaping = 0;

	p[n++] = (struct pollfd){ .fd = c->cfg->wake_fd, .events = POLLIN };
	for (int i = 0; i < EXEC_MAX; i++) {
		if (c->jobs[i].pid && c->jobs[i].fd >= 0)
			p[n++] = (struct pollfd){ .fd = c->jobs[i].fd, .events = POLLIN };
		reaping |= c->jobs[i].pid && c->jobs[i].fd < 0;
	}
	/* A command that closed its output but has not exited yet: look again soon. */
	if (reaping && timeout_ms > 10)
		timeout_ms = 10;
	if (poll(p, (nfds_t)n, timeout_ms) < 0 && errno != EINTR)
		return -errno;
	for (int i = 0; i < EXEC_MAX; i++) {
		struct exec_job *j = &c->jobs[i];
		unsigned id = j->id;
		int st;

		if (!j->pid)
			continue;
		if (j->fd >= 0)
			drain(c, j);
		if (j->fd >= 0 || waitpid(j->pid, &j->wstatus, WNOHANG) != j->pid)
			continue;
		st = j->status;
		if (!st)
			st = WIFEXITED(j->wstatus) && WEXITSTATUS(j->wstatus) == 0 ? 200
											: SUT_E_INTERNAL;
		if (st == SUT_E_INTERNAL && !j->status) {
			if (WIFSIGNALED(j->wstatus))
				exec_log(c, "exec %u: killed by signal %d", id, WTERMSIG(j->wstatus));
			else
				exec_log(c, "exec %u: exit status %d and no outcome line", id,
				      WEXITSTATUS(j->wstatus));
		}
		*j = (struct exec_job){ .fd = -1 };
		on_done(arg, id, st);
	}
	return 0;
}

static void exec_close(void *ctx)
{
	struct exec_ctx *c = ctx;

	if (!c)
		return;
	for (int i = 0; i < EXEC_MAX; i++) {
		struct exec_job *j = &c->jobs[i];

		if (j->fd >= 0)
			close(j->fd);
		if (j->pid) {
			kill(j->pid, SIGKILL);
			waitpid(j->pid, NULL, 0);
		}
	}
	free(c->tmpl);
	free(c);
}

static struct sut_adapter exec_adapter = {
	.abi_version = SUT_ABI_VERSION,
	.name = "exec",
	.version = "1",
	/* What the command does is its own business: plain UDP unless the user says more
	 * (SIPLOC_EXEC_CAPS), and no timer control (the command keeps its own). */
	.caps = SUT_CAP_UDP,
	.open = exec_open,
	.request = exec_request,
	.run = exec_run,
	.close = exec_close,
};

/* SIPLOC_EXEC_CAPS="udp,tcp,tls,ipv6,ack2xx": what the command can do, so scenarios it
 * cannot run are not-run and the invariants judge it by the transports it has. */
static int parse_caps(const char *s, unsigned *caps)
{
	static const struct { const char *w; unsigned bit; } map[] = {
		{ "udp", SUT_CAP_UDP }, { "tcp", SUT_CAP_TCP }, { "tls", SUT_CAP_TLS },
		{ "ipv6", SUT_CAP_IPV6 }, { "ack2xx", SUT_CAP_ACK2XX },
	};
	*caps = 0;
	while (*s) {
		size_t n = strcspn(s, ", "), k;
		for (k = 0; k < sizeof(map) / sizeof(map[0]); k++)
			if (strlen(map[k].w) == n && !strncmp(map[k].w, s, n))
				break;
		if (n && k == sizeof(map) / sizeof(map[0])) {
			fprintf(stderr, "exec: SIPLOC_EXEC_CAPS: unknown capability '%.*s' "
				"(udp tcp tls ipv6 ack2xx)\n", (int)n, s);
			return -EINVAL;
		}
		if (n)
			*caps |= map[k].bit;
		s += n;
		s += strspn(s, ", ");
	}
	return 0;
}

const struct sut_adapter *sut_adapter_v1(void);

/* SIPLOC_EXEC_NAME / SIPLOC_EXEC_VERSION: what reports call the stack behind the command
 * (a column of siploc matrix), instead of "exec" "1". A word of [A-Za-z0-9._+~-]. */
static int word_env(const char *var, const char **out)
{
	const char *v = getenv(var);
	if (!v || !*v)
		return 0;
	if (strlen(v) > 64 || strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				       "0123456789._+~-") != strlen(v)) {
		fprintf(stderr, "exec: %s: '%s' must be 1..64 of A-Z a-z 0-9 . _ + ~ -\n", var, v);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

const struct sut_adapter *sut_adapter_v1(void)
{
	const char *env = getenv("SIPLOC_EXEC_CAPS");
	if (env && *env && parse_caps(env, &exec_adapter.caps) < 0)
		return NULL;
	if (word_env("SIPLOC_EXEC_NAME", &exec_adapter.name) < 0 ||
	    word_env("SIPLOC_EXEC_VERSION", &exec_adapter.version) < 0)
		return NULL;
	return &exec_adapter;
}
