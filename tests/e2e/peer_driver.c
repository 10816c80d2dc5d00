/* peer_driver.c: siploc's SIP peers without a SUT, so real clients (SIPp, openssl
 * s_client) can be pointed at them; writes the peers' event log, matched to its own
 * capture of lo.
 * Usage: peer_driver SECONDS OUTDIR SPEC[=RULES][|TLSOPT...]...   (inside `unshare -rn`)
 *   RULES  RULE[;RULE...]     RULE  KEY:STEP[,STEP...]   KEY  METHOD | default | #N
 *   STEP   CODE[@DELAY][+Header: value] | silence | reset | close | icmp-port | icmp-host
 *          | icmp-net        or the whole RULES: refuse | dropsyn
 *   TLSOPT names:N1,N2,...  (certificate names; default: the peer's address)
 *          | cert:wrong-name|expired|untrusted | abort (handshake refused)
 * Prints "ready" once every peer listens; stops after SECONDS or on SIGTERM. Out:
 * OUTDIR/events.txt (one event a line: index kind frame details), OUTDIR/peers.pcap (no
 * capture when PEER_DRIVER_NOCAP is set); with tls peers OUTDIR/ca.pem, OUTDIR/ADDR-PORT.pem
 * and .key per tls peer, and OUTDIR/peers.keys (NSS key log). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sl_capture.h"
#include "sl_clock.h"
#include "sl_evlog.h"
#include "sl_loop.h"
#include "sl_peer.h"
#include "sl_tls.h"

#define MAX_PEERS 16

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int parse_step(char *s, struct sl_behaviour *b)
{
	memset(b, 0, sizeof(*b));
	char *hdr = strchr(s, '+');
	if (hdr)
		*hdr++ = 0;
	char *at = strchr(s, '@');
	if (at) {
		*at++ = 0;
		b->delay_s = atof(at);
	}
	static const struct { const char *name; enum sl_bkind kind; enum sl_icmp_kind icmp; } k[] = {
		{ "silence", SL_B_SILENCE, 0 }, { "reset", SL_B_TCP_RESET, 0 },
		{ "close", SL_B_CLOSE, 0 }, { "icmp-port", SL_B_ICMP, SL_ICMP_PORT },
		{ "icmp-host", SL_B_ICMP, SL_ICMP_HOST }, { "icmp-net", SL_B_ICMP, SL_ICMP_NET },
	};
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		if (!strcmp(s, k[i].name)) {
			b->kind = k[i].kind;
			b->icmp = k[i].icmp;
			return 0;
		}
	}
	char *end;
	long code = strtol(s, &end, 10);
	if (*end || end == s)
		return -EINVAL;
	b->kind = SL_B_REPLY;
	b->code = (int)code;
	if (hdr) {
		/* The header line needs its CRLF; it lives in argv, which has room for none. */
		static char lines[SL_PLAN_MAX * 4][512];
		static unsigned used;
		char *l = lines[used++ % (SL_PLAN_MAX * 4)];
		snprintf(l, 512, "%s\r\n", hdr);
		b->headers = l;
	}
	return 0;
}

static int setup(struct sl_peer *p, char *rules)
{
	char err[256];
	if (!strcmp(rules, "refuse") || !strcmp(rules, "dropsyn")) {
		int rc = sl_peer_mode(p, rules[0] == 'r' ? SL_PEER_REFUSE : SL_PEER_DROP_SYN, err,
				      sizeof(err));
		if (rc < 0)
			fprintf(stderr, "peer_driver: %s\n", err);
		return rc;
	}
	char *save = NULL;
	for (char *r = strtok_r(rules, ";", &save); r; r = strtok_r(NULL, ";", &save)) {
		char *colon = strchr(r, ':');
		if (!colon) {
			fprintf(stderr, "peer_driver: rule '%s' has no ':'\n", r);
			return -EINVAL;
		}
		*colon = 0;
		struct sl_plan pl = { 0 };
		char *s2 = NULL;
		for (char *st = strtok_r(colon + 1, ",", &s2); st; st = strtok_r(NULL, ",", &s2)) {
			if (pl.n == SL_PLAN_MAX || parse_step(st, &pl.step[pl.n++]) < 0) {
				fprintf(stderr, "peer_driver: bad step '%s'\n", st);
				return -EINVAL;
			}
		}
		unsigned nth = r[0] == '#' ? (unsigned)atoi(r + 1) : 0;
		const char *method = nth || !strcmp(r, "default") ? NULL : r;
		if (sl_peer_plan(p, method, nth, &pl, err, sizeof(err)) < 0) {
			fprintf(stderr, "peer_driver: %s\n", err);
			return -EINVAL;
		}
	}
	return 0;
}

/* names:a,b | cert:KIND | abort, for a tls peer. */
static int tls_setup(struct sl_peer *p, struct sl_tls *tls, char *opts, const char *out,
		     struct sl_tls_id **idp)
{
	const char *names[16];
	size_t n = 0;
	enum sl_tls_cert kind = SL_TLS_CERT_VALID;
	int abort_hs = 0;
	char self[64], err[256], cert[4200], key[4200];
	char *save = NULL;
	for (char *o = opts ? strtok_r(opts, "|", &save) : NULL; o; o = strtok_r(NULL, "|", &save)) {
		if (!strncmp(o, "names:", 6)) {
			char *s2 = NULL;
			for (char *nm = strtok_r(o + 6, ",", &s2); nm && n < 16; nm = strtok_r(NULL, ",", &s2))
				names[n++] = nm;
		} else if (!strcmp(o, "cert:wrong-name")) {
			kind = SL_TLS_CERT_WRONG_NAME;
		} else if (!strcmp(o, "cert:expired")) {
			kind = SL_TLS_CERT_EXPIRED;
		} else if (!strcmp(o, "cert:untrusted")) {
			kind = SL_TLS_CERT_UNTRUSTED;
		} else if (!strcmp(o, "abort")) {
			abort_hs = 1;
		} else {
			fprintf(stderr, "peer_driver: bad tls option '%s'\n", o);
			return -EINVAL;
		}
	}
	/* "127.0.0.2:5061" or "[fd00::2]:5061": the address alone by default. */
	const char *a = sl_peer_addr(p);
	snprintf(self, sizeof(self), "%s", a[0] == '[' ? a + 1 : a);
	*strrchr(self, a[0] == '[' ? ']' : ':') = 0;
	if (!n)
		names[n++] = self;
	if (sl_tls_id_new(idp, tls, names, n, kind, abort_hs, err, sizeof(err)) < 0) {
		fprintf(stderr, "peer_driver: %s: %s\n", sl_peer_spec(p), err);
		return -EINVAL;
	}
	snprintf(cert, sizeof(cert), "%s/%s-%s.pem", out, self, strrchr(a, ':') + 1);
	snprintf(key, sizeof(key), "%s/%s-%s.key", out, self, strrchr(a, ':') + 1);
	if (sl_tls_id_write(*idp, cert, key, err, sizeof(err)) < 0) {
		fprintf(stderr, "peer_driver: %s\n", err);
		return -EIO;
	}
	sl_peer_set_tls(p, *idp, tls);
	return 0;
}

static void write_events(const struct sl_evlog *log, const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return;
	for (size_t i = 0; i < sl_evlog_count(log); i++) {
		const struct sl_event *e = sl_evlog_get(log, i);
		static const char *const kinds[] = { "dns", "rx", "tx", "req", "done", "note" };
		fprintf(f, "%zu %s %u", i, kinds[e->kind], e->fp[0].frame);
		if (e->kind == SL_EV_NOTE) {
			fprintf(f, " %s\n", e->text ? e->text : "");
			continue;
		}
		if (e->text)
			fprintf(f, " %s %s MALFORMED %s\n", e->transport, e->server, e->text);
		else if (e->method)
			fprintf(f, " %s %s %s %s %lu %s %s\n", e->transport, e->server, e->method,
				e->call_id ? e->call_id : "-", e->cseq,
				e->via_transport ? e->via_transport : "-",
				e->via_sentby ? e->via_sentby : "-");
		else
			fprintf(f, " %s %s %d %s %lu %s %s\n", e->transport, e->server, e->status,
				e->call_id ? e->call_id : "-", e->cseq,
				e->via_transport ? e->via_transport : "-",
				e->via_sentby ? e->via_sentby : "-");
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: peer_driver SECONDS OUTDIR SPEC[=RULES]...\n");
		return 2;
	}
	double secs = atof(argv[1]);
	const char *out = argv[2];
	struct sl_loop *loop = NULL;
	struct sl_evlog *log = NULL;
	struct sl_clock *clk = NULL;
	struct sl_capture *cap = NULL;
	struct sl_peer *peers[MAX_PEERS];
	struct sl_tls_id *ids[MAX_PEERS] = { 0 };
	struct sl_tls *tls = NULL;
	int npeers = 0, rc = 1;
	char err[512], path[4200];
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (sl_loop_new(&loop) || sl_evlog_new(&log) || sl_clock_new(&clk, out, 1) < 0) {
		fprintf(stderr, "peer_driver: setup failed\n");
		goto out;
	}
	/* Rate 1, SUT time = real time: the clock maps our monotonic time to wall time. */
	struct timespec rt;
	clock_gettime(CLOCK_REALTIME, &rt);
	uint64_t now = sl_now_us();
	sl_clock_calibrate(clk, now, now, (int64_t)rt.tv_sec * 1000000000 + rt.tv_nsec);
	/* Benchmarks measure the peers, not libpcap. */
	int capture = !getenv("PEER_DRIVER_NOCAP");
	if (capture && sl_capture_new(&cap, loop, "lo", err, sizeof(err)) < 0) {
		fprintf(stderr, "peer_driver: %s\n", err);
		goto out;
	}
	for (int i = 3; i < argc && npeers < MAX_PEERS; i++) {
		char *bar = strchr(argv[i], '|');
		if (bar)
			*bar++ = 0;
		char *eq = strchr(argv[i], '=');
		if (eq)
			*eq = 0;
		if (sl_peer_new(&peers[npeers], loop, log, clk, argv[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "peer_driver: %s\n", err);
			goto out;
		}
		struct sl_peer *p = peers[npeers++];
		if (eq && setup(p, eq + 1) < 0)
			goto out;
		if (!strcmp(sl_peer_transport(p), "tls")) {
			if (!tls) {
				snprintf(path, sizeof(path), "%s/ca.pem", out);
				if (sl_tls_new(&tls, err, sizeof(err)) < 0 ||
				    sl_tls_write_ca(tls, path, err, sizeof(err)) < 0) {
					fprintf(stderr, "peer_driver: %s\n", err);
					goto out;
				}
			}
			if (tls_setup(p, tls, bar, out, &ids[npeers - 1]) < 0)
				goto out;
		}
	}
	printf("ready\n");
	fflush(stdout);
	uint64_t until = sl_now_us() + (uint64_t)(secs * 1e6);
	while (!stop && sl_now_us() < until)
		sl_loop_run_once(loop, 20);
	for (int i = 0; i < npeers; i++)
		sl_peer_finish(peers[i]);
	snprintf(path, sizeof(path), "%s/peers.pcap", out);
	if (cap) {
		sl_capture_drain(cap, 50);
		sl_capture_match(cap, log);
		if (sl_capture_write(cap, path, clk, err, sizeof(err)) < 0)
			fprintf(stderr, "peer_driver: %s\n", err);
	}
	snprintf(path, sizeof(path), "%s/events.txt", out);
	write_events(log, path);
	snprintf(path, sizeof(path), "%s/peers.keys", out);
	if (tls && sl_tls_write_keylog(tls, path, err, sizeof(err)) < 0)
		fprintf(stderr, "peer_driver: %s\n", err);
	rc = 0;
out:
	for (int i = 0; i < npeers; i++)
		sl_peer_free(peers[i]);
	for (int i = 0; i < npeers; i++)
		sl_tls_id_free(ids[i]);
	sl_tls_free(tls);
	sl_capture_free(cap);
	if (clk) {
		unlink(sl_clock_path(clk));
		sl_clock_free(clk);
	}
	sl_evlog_free(log);
	sl_loop_free(loop);
	return rc;
}
