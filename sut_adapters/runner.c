/* runner.c: siploc-sut, the SUT runner: loads one adapter (.so) and speaks the line
 * protocol of sut_proto.h with the worker over --ctl-fd. Uses only libc and libdl. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#include "sut_adapter.h"
#include "sut_proto.h"

struct runner {
	int fd;
	const char *path;
	const struct sut_adapter *ad;
	void *ctx;
	bool opened;
	struct sut_config cfg;
	/* Owned copies of the string settings the config points to. */
	char *dns_addr, *bind_addr, *bind_addr6, *ca, *workdir, *exec_cmd, *role;
	char *cert, *key;
	struct sut_proto_lines in;
};

static struct runner R = { .fd = -1 };

static void shutdown_adapter(void)
{
	if (R.opened && R.ad && R.ad->close)
		R.ad->close(R.ctx);
	R.opened = false;
	R.ctx = NULL;
}

/* The worker is gone or the pipe broke: nothing more can be said to anyone but stderr. */
static void lost_worker(int err)
{
	fprintf(stderr, "siploc-sut: control fd %d: %s\n", R.fd, strerror(err));
	shutdown_adapter();
	exit(2);
}

static void write_all(const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(R.fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				/* A non-blocking fd from the worker: wait for room, nothing else. */
				struct pollfd p = { .fd = R.fd, .events = POLLOUT };

				poll(&p, 1, -1);
				continue;
			}
			lost_worker(errno);
		}
		buf += n;
		len -= (size_t)n;
	}
}

/* Sends one protocol line; anything too long is cut, embedded newlines become spaces. */
static void send_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void send_line(const char *fmt, ...)
{
	char line[SUT_PROTO_MAX_LINE + 1];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, SUT_PROTO_MAX_LINE, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n >= SUT_PROTO_MAX_LINE)
		n = SUT_PROTO_MAX_LINE - 1;
	for (int i = 0; i < n; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	line[n++] = '\n';
	write_all(line, (size_t)n);
}

/* Sends one structured message through the shared codec. */
static void send_msg(const struct sut_proto_msg *m)
{
	char line[SUT_PROTO_MAX_LINE + 1];
	int n = sut_proto_format(m, line, sizeof(line));

	if (n > 0)
		write_all(line, (size_t)n);
}

static void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fatal(const char *fmt, ...)
{
	char msg[SUT_PROTO_MAX_LINE];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "siploc-sut: fatal: %s\n", msg);
	if (R.fd >= 0)
		send_line("fatal %s", msg);
	shutdown_adapter();
	exit(2);
}

static void on_log(void *arg, const char *line)
{
	(void)arg;
	send_line("log %s", line ? line : "");
}

static void on_alarm(void *arg, const char *line)
{
	(void)arg;
	send_line("alarm %s", line ? line : "");
}

static void on_done(void *arg, unsigned id, int status)
{
	(void)arg;
	send_msg(&(struct sut_proto_msg){ .kind = SUT_MSG_DONE, .id = id, .status = status });
}

static bool parse_rate(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return errno == 0 && end != s && *end == '\0' && *out > 0;
}

static void set_str(char **slot, const char **cfg_field, const char *v)
{
	char *copy = strdup(v);

	if (!copy)
		fatal("out of memory");
	free(*slot);
	*slot = copy;
	*cfg_field = copy;
}

static void cmd_cfg(const char *key, const char *val, const char *line)
{
	unsigned long n;

	if (R.opened)
		fatal("bad control line: cfg after open: %s", line);
	if (strcmp(key, "dns_addr") == 0)
		set_str(&R.dns_addr, &R.cfg.dns_addr, val);
	else if (strcmp(key, "bind_addr") == 0)
		set_str(&R.bind_addr, &R.cfg.bind_addr, val);
	else if (strcmp(key, "bind_addr6") == 0)
		set_str(&R.bind_addr6, &R.cfg.bind_addr6, val);
	else if (strcmp(key, "ca") == 0)
		set_str(&R.ca, &R.cfg.tls_ca_file, val);
	else if (strcmp(key, "workdir") == 0)
		set_str(&R.workdir, &R.cfg.workdir, val);
	else if (strcmp(key, "exec") == 0)
		set_str(&R.exec_cmd, &R.cfg.exec_cmd, val);
	else if (strcmp(key, "role") == 0 && (!strcmp(val, "client") ||
		 !strcmp(val, "stateless-proxy") || !strcmp(val, "server")))
		set_str(&R.role, &R.cfg.role, val);
	else if (strcmp(key, "listen") == 0 && sut_proto_ulong(val, 65535, &n))
		R.cfg.listen_port = (uint16_t)n;
	else if (strcmp(key, "cert") == 0)
		set_str(&R.cert, &R.cfg.tls_cert_file, val);
	else if (strcmp(key, "key") == 0)
		set_str(&R.key, &R.cfg.tls_key_file, val);
	else if (strcmp(key, "tls_listen") == 0 && sut_proto_ulong(val, 65535, &n))
		R.cfg.tls_listen_port = (uint16_t)n;
	else if (strcmp(key, "dns_port") == 0 && sut_proto_ulong(val, 65535, &n))
		R.cfg.dns_port = (uint16_t)n;
	else if (strcmp(key, "caps") == 0 && sut_proto_ulong(val, UINT_MAX, &n))
		R.cfg.caps_wanted = (unsigned)n;
	else if (strcmp(key, "t1") == 0 && sut_proto_ulong(val, UINT_MAX, &n))
		R.cfg.t1_ms = (unsigned)n;
	else if (strcmp(key, "timer_b") == 0 && sut_proto_ulong(val, UINT_MAX, &n))
		R.cfg.timer_b_ms = (unsigned)n;
	else if (strcmp(key, "timer_f") == 0 && sut_proto_ulong(val, UINT_MAX, &n))
		R.cfg.timer_f_ms = (unsigned)n;
	else if (strcmp(key, "seed") == 0 && sut_proto_ulong(val, UINT_MAX, &n))
		R.cfg.seed = (unsigned)n;
	else if (strcmp(key, "rate") == 0 && parse_rate(val, &R.cfg.rate))
		;
	else
		fatal("bad control line: %s", line);
}

/* A stack that only reads /etc/resolv.conf (a daemon, an exec command, glibc) must talk
 * to the fake DNS: give this process a private mount namespace with our own resolv.conf
 * bound over it. The worker's network namespace keeps 127.0.0.1:53 ours. */
static void private_resolv_conf(void)
{
	char path[4200];
	FILE *f;

	if (!R.cfg.workdir || !R.cfg.dns_addr)
		return;
	if (R.cfg.dns_port != 53) {
		send_line("log runner: fake DNS on port %u: /etc/resolv.conf left alone",
			  R.cfg.dns_port);
		return;
	}
	snprintf(path, sizeof(path), "%s/resolv.conf", R.cfg.workdir);
	f = fopen(path, "w");
	if (!f || fprintf(f, "nameserver %s\n", R.cfg.dns_addr) < 0 || fclose(f) != 0) {
		send_line("log runner: cannot write %s: %s", path, strerror(errno));
		return;
	}
	if (unshare(CLONE_NEWNS) < 0) {
		send_line("log runner: no private mount namespace (%s): /etc/resolv.conf is "
			  "not the fake DNS", strerror(errno));
		return;
	}
	/* Never let the bind mount propagate back to the host's namespace. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		send_line("log runner: cannot make mounts private (%s): /etc/resolv.conf left "
			  "alone", strerror(errno));
		return;
	}
	if (mount(path, "/etc/resolv.conf", NULL, MS_BIND, NULL) < 0) {
		send_line("log runner: bind %s over /etc/resolv.conf: %s", path, strerror(errno));
		return;
	}
	send_line("log runner: /etc/resolv.conf is nameserver %s (private mount namespace)",
		  R.cfg.dns_addr);
}

static void cmd_open(void)
{
	int rc;

	if (R.opened)
		fatal("bad control line: open twice");
	R.cfg.wake_fd = R.fd;
	R.cfg.log = on_log;
	R.cfg.alarm = on_alarm;
	R.cfg.log_arg = NULL;
	if (!R.cfg.t1_ms)
		R.cfg.t1_ms = 500;
	if (!R.cfg.role)
		R.cfg.role = "client";
	if (!R.cfg.listen_port)
		R.cfg.listen_port = 5060;
	if (!R.cfg.tls_listen_port)
		R.cfg.tls_listen_port = R.cfg.listen_port + 1;
	if (!R.cfg.timer_b_ms)
		R.cfg.timer_b_ms = 64 * R.cfg.t1_ms;
	if (!R.cfg.timer_f_ms)
		R.cfg.timer_f_ms = 64 * R.cfg.t1_ms;
	if (!(R.cfg.rate > 0))
		R.cfg.rate = 1;
	private_resolv_conf();
	rc = R.ad->open(&R.cfg, &R.ctx);
	R.opened = rc == 0;
	if (!R.opened)
		R.ctx = NULL;
	send_msg(&(struct sut_proto_msg){ .kind = SUT_MSG_OPENED, .rc = rc });
}

static void cmd_req(const struct sut_proto_msg *m)
{
	struct sut_request req;
	int rc;

	if (!R.opened) {
		send_line("log runner: req %lu before a successful open", m->id);
		on_done(NULL, (unsigned)m->id, SUT_E_INTERNAL);
		return;
	}
	req.method = m->method;
	req.uri = m->uri;
	req.body_len = m->body_len;
	rc = R.ad->request(R.ctx, (unsigned)m->id, &req);
	if (rc < 0) {
		send_line("log runner: request %lu refused by the adapter: %s", m->id,
			  strerror(-rc));
		on_done(NULL, (unsigned)m->id, SUT_E_INTERNAL);
	}
}

static void cmd_cancel(unsigned long id)
{
	int rc;

	if (!R.opened || !R.ad->cancel) {
		send_line("log runner: cancel %lu: nothing to cancel", id);
		return;
	}
	rc = R.ad->cancel(R.ctx, (unsigned)id);
	if (rc < 0)
		send_line("log runner: cancel %lu: %s", id, strerror(-rc));
}

static void cmd_ping(unsigned long seq)
{
	struct timespec ts;

	/* CLOCK_REALTIME as libfaketime shows it to this process: the worker's handshake. */
	clock_gettime(CLOCK_REALTIME, &ts);
	send_msg(&(struct sut_proto_msg){ .kind = SUT_MSG_PONG, .seq = seq,
					  .ns = (long long)ts.tv_sec * 1000000000 + ts.tv_nsec });
}

static void quit(void)
{
	shutdown_adapter();
	exit(0);
}

static int handle_line(void *arg, char *line)
{
	char copy[SUT_PROTO_MAX_LINE + 1];
	struct sut_proto_msg m;
	const char *why;

	(void)arg;
	snprintf(copy, sizeof(copy), "%s", line); /* for error messages: parsing cuts it */
	if (sut_proto_parse(line, &m, &why) < 0)
		fatal("bad control line (%s): %s", why, copy);
	switch (m.kind) {
	case SUT_MSG_CFG:
		cmd_cfg(m.key, m.text, copy);
		break;
	case SUT_MSG_OPEN:
		cmd_open();
		break;
	case SUT_MSG_REQ:
		cmd_req(&m);
		break;
	case SUT_MSG_CANCEL:
		cmd_cancel(m.id);
		break;
	case SUT_MSG_PING:
		cmd_ping(m.seq);
		break;
	case SUT_MSG_QUIT:
		quit();
		break;
	default:
		fatal("bad control line (a runner's message, not a worker's): %s", copy);
	}
	return 0;
}

/* Reads what is available and handles every complete line. */
static void read_ctl(void)
{
	size_t room;
	char *dst = sut_proto_lines_space(&R.in, &room);
	ssize_t n = read(R.fd, dst, room);
	int rc;

	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		lost_worker(errno);
	}
	if (n == 0)
		quit(); /* EOF: the worker closed its end */
	rc = sut_proto_lines_commit(&R.in, (size_t)n, handle_line, NULL);
	if (rc == -EILSEQ)
		fatal("bad control line: it holds a NUL byte");
	if (rc == -E2BIG) {
		R.in.buf[40] = '\0';
		fatal("bad control line: longer than %d bytes: %s...", SUT_PROTO_MAX_LINE,
		      R.in.buf);
	}
}

static void load_adapter(const char *path)
{
	sut_adapter_fn fn;
	void *h;

	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		fatal("cannot load adapter %s: %s", path, dlerror());
	dlerror();
	fn = (sut_adapter_fn)dlsym(h, SUT_ADAPTER_SYMBOL);
	if (!fn) {
		const char *err = dlerror();

		fatal("adapter %s does not export %s: %s", path, SUT_ADAPTER_SYMBOL,
		      err ? err : "the symbol is NULL");
	}
	R.ad = fn();
	if (!R.ad)
		fatal("adapter %s: %s() returned NULL", path, SUT_ADAPTER_SYMBOL);
	if (R.ad->abi_version != SUT_ABI_VERSION)
		fatal("adapter %s has ABI version %d, this runner speaks %d", path,
		      R.ad->abi_version, SUT_ABI_VERSION);
	if (!R.ad->open || !R.ad->request || !R.ad->run || !R.ad->close)
		fatal("adapter %s lacks one of open/request/run/close", path);
	if (!R.ad->name || !*R.ad->name || strlen(R.ad->name) >= SUT_PROTO_MAX_NAME ||
	    strpbrk(R.ad->name, " \t\r\n"))
		fatal("adapter %s has no usable name (empty, over %d bytes or with a space)",
		      path, SUT_PROTO_MAX_NAME - 1);
}

static void usage(void)
{
	fprintf(stderr, "usage: siploc-sut --ctl-fd N ADAPTER.so\n"
		"       siploc-sut --probe ADAPTER.so   (load, print the hello line, exit)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long fd;

	/* --probe: the harness checks an adapter once before a run, so an adapter that
	 * cannot be loaded is a setup error (exit 2) rather than one error per scenario. */
	if (argc == 3 && strcmp(argv[1], "--probe") == 0) {
		R.path = argv[2];
		load_adapter(R.path);
		printf("hello %d %u %s %s\n", SUT_ABI_VERSION, R.ad->caps, R.ad->name,
		       R.ad->version ? R.ad->version : "?");
		return fflush(stdout) == 0 ? 0 : 2;
	}
	if (argc != 4 || strcmp(argv[1], "--ctl-fd") != 0 ||
	    !sut_proto_ulong(argv[2], INT_MAX, &fd))
		usage();
	if (fcntl((int)fd, F_GETFD) < 0) {
		fprintf(stderr, "siploc-sut: fatal: --ctl-fd %lu is not an open fd\n", fd);
		return 2;
	}
	R.fd = (int)fd;
	R.path = argv[3];
	/* A dead worker must show up as EPIPE, not kill the runner mid-cleanup. */
	signal(SIGPIPE, SIG_IGN);
	/* Daemon adapters start children: they must not hold the worker's channel open. */
	fcntl(R.fd, F_SETFD, FD_CLOEXEC);
	load_adapter(R.path);
	send_msg(&(struct sut_proto_msg){ .kind = SUT_MSG_HELLO, .abi = SUT_ABI_VERSION,
					  .caps = R.ad->caps, .name = R.ad->name,
					  .text = R.ad->version ? R.ad->version : "?" });
	for (;;) {
		struct pollfd p = { .fd = R.fd, .events = POLLIN };
		int n;

		if (R.opened) {
			int rc = R.ad->run(R.ctx, 1000, on_done, NULL);

			if (rc < 0)
				fatal("adapter %s: run() failed: %s", R.path, strerror(-rc));
		}
		/* Before open nothing else can happen: block on the control channel. */
		n = poll(&p, 1, R.opened ? 0 : -1);
		if (n < 0 && errno != EINTR)
			lost_worker(errno);
		if (n > 0)
			read_ctl();
	}
}
