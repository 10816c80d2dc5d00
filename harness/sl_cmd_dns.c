/* sl_cmd_dns.c: `siploc dns`, the fake DNS serving a zone file on its own (loopback only),
 * with the scenario API's options and faults as command-line flags. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <ldns/ldns.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdns.h"
#include "sl_addr.h"
#include "sl_cmd.h"
#include "sl_loop.h"

#define DEFAULT_LISTEN "127.0.0.1:5353"
#define DEFAULT_TTL 3600
#define MAX_FAULTS 64

static volatile sig_atomic_t stop_sig;

static void on_signal(int sig)
{
	stop_sig = sig;
}

void sl_cmd_dns_usage(FILE *f)
{
	fprintf(f,
		"usage: siploc dns --zone FILE [--listen ADDR:PORT] [--tcp] [--log]\n"
		"                  [--origin NAME] [--shuffle] [--seed N] [--additional]\n"
		"                  [--fault SPEC]... [--exit-after SECONDS]\n"
		"Serves a zone on loopback for work with dig, kdig or any stack; Ctrl-C stops it.\n"
		"  --zone FILE        RFC 1035 master file (errors name FILE:LINE, exit 2)\n"
		"  --listen ADDR:PORT default " DEFAULT_LISTEN "; 127.0.0.0/8, ::1 ([::1]:PORT) or\n"
		"                     fd00::/8 only; port 0 picks a free one (printed)\n"
		"  --tcp              serve TCP (RFC 7766) as well as UDP\n"
		"  --log              one line per query on stderr\n"
		"  --origin NAME      $ORIGIN before the file's own (default .)\n"
		"  --shuffle          each RRset in a new order per answer (--seed N, default 1)\n"
		"  --additional       A/AAAA of SRV targets in the additional section\n"
		"  --fault SPEC       ACTION[,name=N][,type=T][,transport=udp|tcp][,nth=N]\n"
		"                     [,times=N][,delay=SECONDS]; ACTION: servfail nxdomain\n"
		"                     refused notimp drop delay truncate wrong-id wrong-port\n"
		"                     bad-pointer truncated-rdata ttl0 (as dns_fault{} in a scenario)\n"
		"  --exit-after S     stop by itself after S seconds (for scripts)\n");
}

static int is_local(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		uint32_t a = ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr);
		return (a >> 24) == 127;
	}
	const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
	return IN6_IS_ADDR_LOOPBACK(a) || a->s6_addr[0] == 0xfd;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	char *end = NULL;
	errno = 0;
	unsigned long x = strtoul(s, &end, 10);
	if (errno || !*s || *end || x > max || *s == '-')
		return -EINVAL;
	*v = x;
	return 0;
}

/* "servfail,name=x.test,type=NAPTR,nth=2": the name points into spec (kept by argv). */
static int parse_fault(char *spec, struct fdns_fault *f, char *err, size_t errlen)
{
	char *save = NULL;
	char *tok = strtok_r(spec, ",", &save);
	memset(f, 0, sizeof(*f));
	if (!tok || fdns_action_parse(tok, &f->action) < 0) {
		snprintf(err, errlen, "unknown fault action '%s'", tok ? tok : "");
		return -EINVAL;
	}
	while ((tok = strtok_r(NULL, ",", &save))) {
		char *eq = strchr(tok, '=');
		unsigned long v = 0;
		if (!eq) {
			snprintf(err, errlen, "'%s' is not key=value", tok);
			return -EINVAL;
		}
		*eq++ = '\0';
		if (!strcmp(tok, "name")) {
			f->name = eq;
		} else if (!strcmp(tok, "type")) {
			f->qtype = (uint16_t)ldns_get_rr_type_by_name(eq);
			if (!f->qtype) {
				snprintf(err, errlen, "unknown type '%s'", eq);
				return -EINVAL;
			}
		} else if (!strcmp(tok, "transport") && (!strcmp(eq, "udp") || !strcmp(eq, "tcp"))) {
			f->transport = !strcmp(eq, "udp") ? FDNS_UDP : FDNS_TCP;
		} else if ((!strcmp(tok, "nth") || !strcmp(tok, "times")) &&
			   parse_uint(eq, UINT_MAX, &v) == 0 && v > 0) {
			*(!strcmp(tok, "nth") ? &f->nth : &f->times) = (unsigned)v;
		} else if (!strcmp(tok, "delay")) {
			char *end = NULL;
			double d = strtod(eq, &end);
			if (!*eq || *end || !(d > 0 && d <= 86400)) {
				snprintf(err, errlen, "delay '%s' must be seconds > 0", eq);
				return -EINVAL;
			}
			f->delay_us = (uint64_t)(d * 1e6);
			if (!f->delay_us)
				f->delay_us = 1;
		} else {
			snprintf(err, errlen, "bad fault key or value '%s=%s'", tok, eq);
			return -EINVAL;
		}
	}
	if (f->delay_us && f->action != FDNS_ACT_DELAY) {
		snprintf(err, errlen, "delay= goes with action delay only");
		return -EINVAL;
	}
	return 0;
}

/* "127.0.0.1:5353" or "[::1]:5353"; port 0 allowed (the kernel picks). */
static int parse_listen(const char *spec, char *host, size_t hlen, uint16_t *port)
{
	const char *colon = strrchr(spec, ':');
	const char *h = spec, *hend = colon;
	unsigned long v = 0;
	if (!colon || parse_uint(colon + 1, 65535, &v) < 0)
		return -EINVAL;
	if (spec[0] == '[') {
		h = spec + 1;
		if (colon == spec || colon[-1] != ']')
			return -EINVAL;
		hend = colon - 1;
	}
	if ((size_t)(hend - h) >= hlen || hend == h)
		return -EINVAL;
	memcpy(host, h, (size_t)(hend - h));
	host[hend - h] = '\0';
	*port = (uint16_t)v;
	return 0;
}

static int numeric_addr(const char *host, struct sockaddr_storage *ss)
{
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)ss)->sin_addr) == 1)
		ss->ss_family = AF_INET;
	else if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1)
		ss->ss_family = AF_INET6;
	else
		return -EINVAL;
	return 0;
}

static void fmt_ss(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	sl_addr_fmt((const struct sockaddr *)ss, buf, len);
}

/* The query log is the one thing done per query besides answering, so its line is put
 * together by hand: printf and inet_ntop cost ten times what the answer does. */
struct line {
	char b[1024];
	size_t n;
};

static void put_s(struct line *l, const char *s)
{
	size_t k = strlen(s);
	if (k > sizeof(l->b) - l->n)
		k = sizeof(l->b) - l->n;
	memcpy(l->b + l->n, s, k);
	l->n += k;
}

static void put_u(struct line *l, unsigned long v)
{
	char d[24];
	size_t i = sizeof(d);
	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (sizeof(d) - i > sizeof(l->b) - l->n)
		return;
	memcpy(l->b + l->n, d + i, sizeof(d) - i);
	l->n += sizeof(d) - i;
}

static void put_i(struct line *l, long v)
{
	if (v < 0) {
		put_s(l, "-");
		put_u(l, (unsigned long)-v);
	} else {
		put_u(l, (unsigned long)v);
	}
}

/* sl_addr_fmt's text; IPv4 by hand, IPv6 (rare here) through it. */
static void put_addr(struct line *l, const struct sockaddr_storage *ss)
{
	if (ss->ss_family != AF_INET) {
		char buf[SL_ADDRSTRLEN];
		fmt_ss(ss, buf, sizeof(buf));
		put_s(l, buf);
		return;
	}
	const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
	const uint8_t *a = (const uint8_t *)&in->sin_addr;
	for (int i = 0; i < 4; i++) {
		put_u(l, a[i]);
		put_s(l, i < 3 ? "." : ":");
	}
	put_u(l, ntohs(in->sin_port));
}

/* ldns_rr_type2str, remembered for the types below 256 (a malloc per call otherwise). */
static const char *type_name(uint16_t t, char *buf, size_t len)
{
	static char *names[256];
	if (t < 256 && names[t])
		return names[t];
	char *s = ldns_rr_type2str((ldns_rr_type)t);
	snprintf(buf, len, "%s", s ? s : "?");
	if (t < 256 && s) {
		names[t] = s;
		return s;
	}
	free(s);
	return buf;
}

/* The query log's lines, written to stderr in blocks of many lines: after each wakeup of
 * the loop (so no line waits for the next query) or when the block is full. stdio's
 * buffer would be 4 KiB whatever setvbuf asks for, a write every 30-odd lines. */
struct qlog {
	char b[1 << 18];
	size_t n;
};

static void qlog_flush(struct qlog *ql)
{
	for (size_t off = 0; off < ql->n;) {
		ssize_t k = write(STDERR_FILENO, ql->b + off, ql->n - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break; /* nowhere to log to: answering matters more */
		off += (size_t)k;
	}
	ql->n = 0;
}

static void log_query(void *arg, const struct fdns_query_log *q)
{
	struct qlog *ql = arg;
	struct line l;
	char tbuf[32];
	l.n = 0;
	put_s(&l, q->transport == FDNS_TCP ? "tcp " : "udp ");
	put_addr(&l, &q->client);
	put_s(&l, " -> ");
	put_addr(&l, &q->server);
	put_s(&l, " id=");
	put_u(&l, q->id);
	put_s(&l, " qname=");
	put_s(&l, q->qname);
	put_s(&l, " qtype=");
	put_s(&l, type_name(q->qtype, tbuf, sizeof(tbuf)));
	put_s(&l, " rcode=");
	put_i(&l, q->rcode);
	put_s(&l, " an=");
	put_u(&l, q->ancount);
	put_s(&l, " tc=");
	put_i(&l, q->tc);
	if (q->flags & 0x07F0) { /* AA TC RD RA Z AD CD: what a client asks with */
		char fl[64];
		put_s(&l, " flags=");
		put_s(&l, fdns_flags_str(q->flags & 0x07F0, ",", fl, sizeof(fl)));
	}
	if (q->edns >= 0) {
		put_s(&l, " edns=");
		put_i(&l, q->edns);
		if (q->dnssec_ok)
			put_s(&l, ",do");
	}
	put_s(&l, " len=");
	put_u(&l, q->query_len);
	put_s(&l, "/");
	put_u(&l, q->resp_len);
	if (q->fault) {
		put_s(&l, " fault=");
		put_s(&l, q->fault);
	}
	if (q->resp && memcmp(&q->resp_from, &q->server, sizeof(q->server)) != 0) {
		put_s(&l, " from=");
		put_addr(&l, &q->resp_from);
	}
	if (q->delay_us) {
		char d[40];
		snprintf(d, sizeof(d), " delay=%.3fs", (double)q->delay_us / 1e6);
		put_s(&l, d);
	}
	if (q->error) {
		put_s(&l, " error=");
		put_s(&l, q->error);
	}
	if (l.n == sizeof(l.b))
		l.n--;
	l.b[l.n++] = '\n';
	if (sizeof(ql->b) - ql->n < l.n)
		qlog_flush(ql);
	memcpy(ql->b + ql->n, l.b, l.n);
	ql->n += l.n;
}

int sl_cmd_dns(const struct sl_paths *p, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "zone", required_argument, NULL, 'z' },
		{ "listen", required_argument, NULL, 'l' },
		{ "tcp", no_argument, NULL, 't' },
		{ "log", no_argument, NULL, 'L' },
		{ "origin", required_argument, NULL, 'o' },
		{ "shuffle", no_argument, NULL, 's' },
		{ "seed", required_argument, NULL, 'S' },
		{ "additional", no_argument, NULL, 'a' },
		{ "fault", required_argument, NULL, 'f' },
		{ "exit-after", required_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *zone = NULL, *listen = DEFAULT_LISTEN, *origin = NULL;
	int tcp = 0, log = 0, shuffle = 0, additional = 0, rc = 2;
	unsigned long seed = 1;
	double exit_after = 0;
	char *faults[MAX_FAULTS];
	size_t nfaults = 0;
	char err[768] = "";
	struct fdns_zone *z = NULL;
	struct sl_loop *loop = NULL;
	struct fdns_server *s = NULL;
	struct qlog *ql = NULL;
	(void)p;

	optind = 1;
	for (int c; (c = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
		switch (c) {
		case 'z': zone = optarg; break;
		case 'l': listen = optarg; break;
		case 't': tcp = 1; break;
		case 'L': log = 1; break;
		case 'o': origin = optarg; break;
		case 's': shuffle = 1; break;
		case 'a': additional = 1; break;
		case 'S':
			if (parse_uint(optarg, ULONG_MAX, &seed) < 0) {
				fprintf(stderr, "siploc dns: --seed '%s': not a number\n", optarg);
				return 2;
			}
			break;
		case 'f':
			if (nfaults == MAX_FAULTS) {
				fprintf(stderr, "siploc dns: at most %d --fault\n", MAX_FAULTS);
				return 2;
			}
			faults[nfaults++] = optarg;
			break;
		case 'x': {
			char *end = NULL;
			exit_after = strtod(optarg, &end);
			if (!*optarg || *end || !(exit_after > 0)) {
				fprintf(stderr, "siploc dns: --exit-after '%s': seconds > 0\n", optarg);
				return 2;
			}
			break;
		}
		case 'h':
			sl_cmd_dns_usage(stdout);
			return 0;
		default:
			sl_cmd_dns_usage(stderr);
			return 2;
		}
	}
	if (!zone || optind != argc) {
		sl_cmd_dns_usage(stderr);
		return 2;
	}
	struct sockaddr_storage ss;
	char host[INET6_ADDRSTRLEN];
	uint16_t port = 0;
	memset(&ss, 0, sizeof(ss));
	if (parse_listen(listen, host, sizeof(host), &port) < 0 || numeric_addr(host, &ss) < 0) {
		fprintf(stderr, "siploc dns: --listen %s: not ADDR:PORT (IPv6 as [ADDR]:PORT)\n",
			listen);
		return 2;
	}
	if (!is_local(&ss)) {
		fprintf(stderr, "siploc dns: --listen %s: only 127.0.0.0/8, ::1 or fd00::/8\n",
			listen);
		return 2;
	}

	if (fdns_zone_new(&z) < 0 || sl_loop_new(&loop) < 0 ||
	    (log && !(ql = calloc(1, sizeof(*ql))))) {
		fprintf(stderr, "siploc dns: out of memory\n");
		goto out;
	}
	if (fdns_zone_load_file(z, zone, origin, DEFAULT_TTL, err, sizeof(err)) < 0) {
		fprintf(stderr, "siploc dns: %s\n", err);
		goto out;
	}
	fdns_zone_set_shuffle(z, shuffle, seed);
	fdns_zone_set_additional(z, additional);
	for (size_t i = 0; i < nfaults; i++) {
		struct fdns_fault f;
		char spec[512];
		snprintf(spec, sizeof(spec), "%s", faults[i]);
		if (parse_fault(faults[i], &f, err, sizeof(err)) < 0 ||
		    fdns_zone_add_fault(z, &f, err, sizeof(err)) < 0) {
			fprintf(stderr, "siploc dns: --fault %s: %s\n", spec, err);
			goto out;
		}
	}
	if (fdns_server_new(&s, loop, z, host, port, log ? log_query : NULL, ql, err,
			    sizeof(err)) < 0) {
		fprintf(stderr, "siploc dns: %s\n", err);
		goto out;
	}
	fdns_server_set_history(s, 0); /* nobody reads it here: memory stays flat under load */
	if (!tcp)
		fdns_server_stop_tcp(s);
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	struct sockaddr_storage bound;
	char where[SL_ADDRSTRLEN];
	fdns_server_local(s, &bound);
	fmt_ss(&bound, where, sizeof(where));
	printf("siploc dns: serving %s (%zu records) on %s %s\n", zone, fdns_zone_count(z), where,
	       tcp ? "udp+tcp" : "udp");
	fflush(stdout);
	uint64_t end = exit_after > 0 ? sl_now_us() + (uint64_t)(exit_after * 1e6) : 0;
	while (!stop_sig && (!end || sl_now_us() < end)) {
		int n = sl_loop_run_once(loop, 200);
		if (ql)
			qlog_flush(ql);
		if (n < 0) {
			fprintf(stderr, "siploc dns: event loop: %s\n", strerror(-n));
			goto out;
		}
	}
	if (stop_sig)
		fprintf(stderr, "siploc dns: stopped by %s\n", stop_sig == SIGINT ? "SIGINT" : "SIGTERM");
	rc = 0;
out:
	fdns_server_free(s);
	sl_loop_free(loop);
	fdns_zone_free(z);
	free(ql);
	return rc;
}
