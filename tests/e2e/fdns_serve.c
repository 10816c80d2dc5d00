/* fdns_serve.c: the fake DNS as a standalone server, so real clients (dig, kdig) can be
 * pointed at it. Usage: fdns_serve ZONEFILE ADDR PORT MAX_SECONDS */
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fdns.h"
#include "sl_loop.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void fmt(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(a->sin6_port));
	} else {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(a->sin_port));
	}
}

static void log_query(void *arg, const struct fdns_query_log *q)
{
	char cl[64], sv[64];
	(void)arg;
	fmt(&q->client, cl, sizeof(cl));
	fmt(&q->server, sv, sizeof(sv));
	fprintf(stderr, "%llu %c %s -> %s id=%u qname=%s qtype=%u rcode=%d an=%u tc=%d len=%zu/%zu%s%s\n",
		(unsigned long long)q->t_us, (char)q->transport, cl, sv, q->id, q->qname, q->qtype,
		q->rcode, q->ancount, q->tc, q->query_len, q->resp_len,
		q->error ? " error=" : "", q->error ? q->error : "");
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	if (!f)
		return NULL;
	do {
		if (cap - len < 4096) {
			char *p = realloc(buf, cap += 65536);
			if (!p) {
				free(buf);
				buf = NULL;
				goto out;
			}
			buf = p;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	buf[len] = '\0';
out:
	fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	int rc = 1;
	char err[512] = "";
	char *text = NULL;
	struct fdns_zone *z = NULL;
	struct sl_loop *loop = NULL;
	struct fdns_server *s = NULL;

	if (argc != 5) {
		fprintf(stderr, "usage: %s ZONEFILE ADDR PORT MAX_SECONDS\n", argv[0]);
		return 2;
	}
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	text = slurp(argv[1]);
	if (!text) {
		fprintf(stderr, "fdns_serve: %s: %s\n", argv[1], strerror(errno));
		goto out;
	}
	if (fdns_zone_new(&z) < 0 || sl_loop_new(&loop) < 0) {
		fprintf(stderr, "fdns_serve: out of memory\n");
		goto out;
	}
	if (fdns_zone_load_text(z, text, NULL, 3600, argv[1], 1, err, sizeof(err)) < 0 ||
	    fdns_server_new(&s, loop, z, argv[2], (uint16_t)atoi(argv[3]), log_query, NULL, err,
			    sizeof(err)) < 0) {
		fprintf(stderr, "fdns_serve: %s\n", err);
		goto out;
	}
	printf("ready\n");
	fflush(stdout);
	uint64_t end = sl_now_us() + (uint64_t)atoi(argv[4]) * 1000000u;
	while (!stop && sl_now_us() < end)
		if (sl_loop_run_once(loop, 100) < 0)
			goto out;
	rc = 0;
out:
	fdns_server_free(s);
	sl_loop_free(loop);
	fdns_zone_free(z);
	free(text);
	return rc;
}
