/* sut_daemon.h: what a daemon adapter needs around its daemon: start it with a generated
 * config in its own process group (log in the workdir, lines forwarded to the scenario
 * log), wait until it listens, see it die, stop it for good. Header-only (static
 * functions), so an adapter is still one .c file; uses only libc. The runner has already
 * bound a resolv.conf naming the fake DNS over /etc/resolv.conf (docs/adapters.md). */
#ifndef SUT_DAEMON_H
#define SUT_DAEMON_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sut_adapter.h"

struct sut_daemon {
	const struct sut_config *cfg;
	char name[32];
	char log_path[4200];
	pid_t pid;              /* 0: not running (never started, or reaped) */
	int status;             /* wait status once reaped */
	int log_fd;             /* read side of the log, for forwarding */
	char line[1024];
	size_t len;
	/* Optional: sees every log line first; returns 1 to keep it out of the scenario log
	 * (a daemon's debug chatter), 0 to forward it. Set after sut_daemon_start(). */
	int (*line_hook)(void *arg, const char *line);
	void *hook_arg;
};

/* Writes text to <workdir>/<file> (a generated config); its path goes to path. */
static int sut_daemon_write_file(const struct sut_config *cfg, const char *file,
				 const char *text, char *path, size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", cfg->workdir, file);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	if (fputs(text, f) < 0) {
		fclose(f);
		return -EIO;
	}
	return fclose(f) == 0 ? 0 : -errno;
}

/* Starts argv (argv[0] looked up in PATH) in its own process group, stdout and stderr
 * appended to <workdir>/<name>.log. It inherits the fake clock and the mount namespace.
 * It dies with the runner (PR_SET_PDEATHSIG): run daemons in the foreground. */
static int sut_daemon_start(struct sut_daemon *d, const struct sut_config *cfg,
			    const char *name, char *const argv[])
{
	int wfd;

	memset(d, 0, sizeof(*d));
	d->cfg = cfg;
	d->log_fd = -1;
	snprintf(d->name, sizeof(d->name), "%s", name);
	snprintf(d->log_path, sizeof(d->log_path), "%s/%s.log", cfg->workdir, name);
	wfd = open(d->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (wfd < 0)
		return -errno;
	d->log_fd = open(d->log_path, O_RDONLY | O_CLOEXEC);
	d->pid = fork();
	if (d->pid < 0) {
		int e = errno;

		d->pid = 0;
		close(wfd);
		return -e;
	}
	if (d->pid == 0) {
		int nul = open("/dev/null", O_RDONLY);

		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (nul >= 0)
			dup2(nul, 0);
		dup2(wfd, 1);
		dup2(wfd, 2);
		execvp(argv[0], argv);
		fprintf(stderr, "%s: exec %s: %s\n", name, argv[0], strerror(errno));
		_exit(127);
	}
	close(wfd);
	return 0;
}

/* Sends the log's new complete lines through cfg->log as "<name>: line". */
static void sut_daemon_forward_log(struct sut_daemon *d)
{
	char buf[512];
	ssize_t n;

	if (d->log_fd < 0)
		return;
	while ((n = read(d->log_fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n' || d->len == sizeof(d->line) - 1) {
				char out[sizeof(d->line) + 40];

				d->line[d->len] = '\0';
				snprintf(out, sizeof(out), "%s: %s", d->name, d->line);
				if (d->line_hook && d->line_hook(d->hook_arg, d->line))
					;
				else if (d->cfg->log)
					d->cfg->log(d->cfg->log_arg, out);
				d->len = 0;
			}
			if (buf[i] != '\n')
				d->line[d->len++] = buf[i];
		}
	}
}

/* 1 while the daemon runs; 0 once it has exited (reaped, the reason logged). */
static int sut_daemon_alive(struct sut_daemon *d)
{
	char why[128];

	if (!d->pid)
		return 0;
	if (waitpid(d->pid, &d->status, WNOHANG) != d->pid)
		return 1;
	d->pid = 0;
	sut_daemon_forward_log(d);
	if (WIFSIGNALED(d->status))
		snprintf(why, sizeof(why), "%s: killed by signal %d", d->name, WTERMSIG(d->status));
	else
		snprintf(why, sizeof(why), "%s: exited with status %d", d->name,
			 WEXITSTATUS(d->status));
	if (d->cfg->log)
		d->cfg->log(d->cfg->log_arg, why);
	return 0;
}

static void sut_daemon_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* 1 when /proc/net/udp lists a socket bound to addr:port (network byte order). Looking,
 * not binding: a probe bind() would race the daemon's own and make it fail. */
static int sut_daemon_udp_bound(const struct sockaddr_in *sa)
{
	char want[32], line[256];
	FILE *f = fopen("/proc/net/udp", "r");
	int found = 0;

	if (!f)
		return -errno;
	/* the kernel prints the address as the hex of its in-memory u32 */
	snprintf(want, sizeof(want), "%08X:%04X", (unsigned)sa->sin_addr.s_addr,
		 (unsigned)ntohs(sa->sin_port));
	while (!found && fgets(line, sizeof(line), f)) {
		char local[32];

		if (sscanf(line, " %*d: %31s", local) == 1 && !strcmp(local, want))
			found = 1;
	}
	fclose(f);
	return found;
}

/* Waits up to timeout_ms (SUT time) until something listens on UDP addr:port (it shows
 * in /proc/net/udp). -ECHILD when the daemon died first, -ETIMEDOUT. */
static int sut_daemon_wait_udp(struct sut_daemon *d, const char *addr, unsigned port,
			       long timeout_ms)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };

	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return -EINVAL;
	for (long waited = 0; waited <= timeout_ms; waited += 10) {
		int rc = sut_daemon_udp_bound(&sa);

		if (rc < 0)
			return rc;
		if (rc)
			return 0;
		if (!sut_daemon_alive(d))
			return -ECHILD;
		sut_daemon_sleep_ms(10);
	}
	return -ETIMEDOUT;
}

/* SIGTERM to its process group, up to grace_ms (SUT time) to go, then SIGKILL; reaps. */
static void sut_daemon_stop(struct sut_daemon *d, long grace_ms)
{
	if (d->pid > 0) {
		kill(-d->pid, SIGTERM);
		for (long w = 0; w < grace_ms && waitpid(d->pid, &d->status, WNOHANG) == 0; w += 10)
			sut_daemon_sleep_ms(10);
		if (waitpid(d->pid, &d->status, WNOHANG) == 0) {
			kill(-d->pid, SIGKILL);
			waitpid(d->pid, &d->status, 0);
		}
		d->pid = 0;
	}
	sut_daemon_forward_log(d);
	if (d->log_fd >= 0)
		close(d->log_fd);
	d->log_fd = -1;
}

#endif
