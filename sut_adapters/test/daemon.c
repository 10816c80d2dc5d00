/* daemon.c: test daemon adapter: open() writes a tiny SIP client daemon (Perl, core
 * modules only) into the workdir and starts it with sut_daemon.h; it finds targets only
 * through /etc/resolv.conf (gethostbyname: A records, port 5060), which the runner bound
 * to the fake DNS. request() hands it "id method uri" over UDP; it answers "id status". */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/sut_daemon.h"
#include "sut_adapter.h"

#define CTL_ADDR "127.0.0.1"
#define CTL_PORT 5098

/* The daemon: one request at a time, UDP, no retransmissions (loopback only). */
static const char daemon_pl[] =
	"use strict; use warnings; use IO::Socket::INET; use Socket;\n"
	"my ($addr, $port) = @ARGV; $| = 1;\n"
	"my $ctl = IO::Socket::INET->new(LocalAddr => $addr, LocalPort => $port,\n"
	"  Proto => 'udp') or die \"bind $addr:$port: $!\\n\";\n"
	"$SIG{TERM} = sub { print \"stopping\\n\"; exit 0 };\n"
	"print \"listening on $addr:$port\\n\";\n"
	"while (1) {\n"
	"  my $from = $ctl->recv(my $msg, 65535) or next;\n"
	"  my ($id, $method, $uri) = split ' ', $msg;\n"
	"  my ($host) = $uri =~ /\\@([^;>:?]+)/;\n"
	"  my $ip = $host ? gethostbyname($host) : undef;\n"
	"  if (!$ip) { print \"$host: no address\\n\"; $ctl->send(\"$id -3\", 0, $from); next }\n"
	"  my $a = inet_ntoa($ip);\n"
	"  my $s = IO::Socket::INET->new(PeerAddr => $a, PeerPort => 5060, Proto => 'udp')\n"
	"    or do { $ctl->send(\"$id -2\", 0, $from); next };\n"
	"  my ($la, $lp, $r) = ($s->sockhost, $s->sockport, int(rand(1e9)));\n"
	"  $s->send(\"$method $uri SIP/2.0\\r\\nVia: SIP/2.0/UDP $la:$lp;branch=z9hG4bKd$r\\r\\n\"\n"
	"    . \"Max-Forwards: 70\\r\\nFrom: <sip:daemon\\@siploc.test>;tag=$r\\r\\nTo: <$uri>\\r\\n\"\n"
	"    . \"Call-ID: d$r\\@siploc.test\\r\\nCSeq: 1 $method\\r\\nContent-Length: 0\\r\\n\\r\\n\");\n"
	"  my ($st, $rin) = (-1, '');\n"
	"  vec($rin, fileno($s), 1) = 1;\n"
	"  while (select(my $rout = $rin, undef, undef, 32)) {\n"
	"    $s->recv(my $resp, 65535);\n"
	"    if ($resp =~ m{^SIP/2\\.0 (\\d{3})} && $1 >= 200) { $st = $1; last }\n"
	"  }\n"
	"  print \"$method $uri -> $a:5060: $st\\n\";\n"
	"  $ctl->send(\"$id $st\", 0, $from);\n"
	"}\n";

struct dctx {
	struct sut_daemon d;
	const struct sut_config *cfg;
	int sock;               /* connected to the daemon's control port */
};

static int d_open(const struct sut_config *cfg, void **ctxp)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(CTL_PORT) };
	char path[4200], port[16];
	struct dctx *c = calloc(1, sizeof(*c));
	int rc;

	if (!c)
		return -ENOMEM;
	c->cfg = cfg;
	c->sock = -1;
	c->d.log_fd = -1;
	rc = sut_daemon_write_file(cfg, "daemon.pl", daemon_pl, path, sizeof(path));
	if (rc < 0)
		goto fail;
	snprintf(port, sizeof(port), "%d", CTL_PORT);
	char *const argv[] = { "perl", path, CTL_ADDR, port, NULL };
	rc = sut_daemon_start(&c->d, cfg, "test-daemon", argv);
	if (rc < 0)
		goto fail;
	/* SUT ms: at rate 100 this is 10 s of wall time for perl to start on a busy
	 * machine; the harness's own open timeout (wall) comes first anyway. */
	rc = sut_daemon_wait_udp(&c->d, CTL_ADDR, CTL_PORT, 1000000);
	sut_daemon_forward_log(&c->d);
	if (rc < 0)
		goto fail;
	inet_pton(AF_INET, CTL_ADDR, &sa.sin_addr);
	c->sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->sock < 0 || connect(c->sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		goto fail;
	}
	*ctxp = c;
	return 0;
fail:
	sut_daemon_stop(&c->d, 2000);
	if (c->sock >= 0)
		close(c->sock);
	free(c);
	return rc;
}

static int d_request(void *ctx, unsigned id, const struct sut_request *req)
{
	struct dctx *c = ctx;
	char msg[2048];
	int n = snprintf(msg, sizeof(msg), "%u %s %s", id, req->method, req->uri);

	if (n < 0 || (size_t)n >= sizeof(msg))
		return -E2BIG;
	return send(c->sock, msg, (size_t)n, 0) < 0 ? -errno : 0;
}

static int d_run(void *ctx, int timeout_ms, sut_done_fn on_done, void *arg)
{
	struct dctx *c = ctx;
	struct pollfd p[2] = { { .fd = c->cfg->wake_fd, .events = POLLIN },
			       { .fd = c->sock, .events = POLLIN } };
	char buf[128];
	ssize_t n;

	/* Short turns: the daemon's log and its death are noticed by polling. */
	if (poll(p, 2, timeout_ms < 100 ? timeout_ms : 100) < 0 && errno != EINTR)
		return -errno;
	while ((n = recv(c->sock, buf, sizeof(buf) - 1, 0)) > 0) {
		unsigned id;
		int st;

		buf[n] = '\0';
		if (sscanf(buf, "%u %d", &id, &st) == 2)
			on_done(arg, id, st);
	}
	sut_daemon_forward_log(&c->d);
	/* A daemon that died cannot finish anything: that is the SUT failing. */
	return sut_daemon_alive(&c->d) ? 0 : -ECHILD;
}

static void d_close(void *ctx)
{
	struct dctx *c = ctx;

	sut_daemon_stop(&c->d, 2000);
	close(c->sock);
	free(c);
}

static const struct sut_adapter daemon_adapter = {
	.abi_version = SUT_ABI_VERSION,
	.name = "test-daemon",
	.version = "1",
	.caps = SUT_CAP_UDP,
	.open = d_open,
	.request = d_request,
	.run = d_run,
	.close = d_close,
};

const struct sut_adapter *sut_adapter_v1(void);

const struct sut_adapter *sut_adapter_v1(void)
{
	return &daemon_adapter;
}
