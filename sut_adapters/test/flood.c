/* flood.c: test adapter: ref, but a request to sip:misbehave@HOST[:PORT];attack=KIND;n=N
 * first attacks the world at HOST:PORT (numeric) the way a hostile or broken stack would,
 * then hands the request to ref. KIND: garbage (N random datagrams), bigdgram (N 64 kB
 * datagrams), sipflood (N well-formed OPTIONS, each a new transaction), dnsflood (N
 * queries to the fake DNS), conns (N TCP connections held open, each with half a
 * request), tcpstream (N kB of header bytes on one connection, never a blank line). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>

#define WRAP_NAME "test-flood"
#define WRAP_CAPS_DROP 0
#include "wrap.h"

/* Connections the attack keeps open until the runner exits: never closed on purpose. */
static int held[1024];
static unsigned nheld;

static int param(const char *uri, const char *name, char *out, size_t len)
{
	char key[32];
	snprintf(key, sizeof(key), ";%s=", name);
	const char *p = strstr(uri, key);
	if (!p)
		return -ENOENT;
	p += strlen(key);
	size_t n = strcspn(p, ";?>");
	if (n >= len)
		return -EINVAL;
	memcpy(out, p, n);
	out[n] = 0;
	return 0;
}

/* HOST[:PORT] after the '@', numeric IPv4 only: the attack needs no DNS of its own. */
static int target(const char *uri, struct sockaddr_in *sa)
{
	const char *at = strchr(uri, '@');
	char host[64];
	if (!at)
		return -EINVAL;
	size_t n = strcspn(at + 1, ":;>");
	if (n >= sizeof(host))
		return -EINVAL;
	memcpy(host, at + 1, n);
	host[n] = 0;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons(at[1 + n] == ':' ? (uint16_t)atoi(at + 2 + n) : 5060);
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -EINVAL;
}

static void fill_random(char *buf, size_t len, unsigned *seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)(rand_r(seed) & 0xff);
}

static int udp_burst(const struct sockaddr_in *dst, unsigned n, size_t size, int sip,
		     unsigned seed)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	char *buf = malloc(size + 512);
	if (fd < 0 || !buf) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < n; i++) {
		size_t len = size;
		if (sip) {
			len = (size_t)snprintf(buf, size + 512,
				"OPTIONS sip:flood@127.0.0.2 SIP/2.0\r\n"
				"Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKflood%u\r\n"
				"From: <sip:flood@127.0.0.1>;tag=f%u\r\nTo: <sip:flood@127.0.0.2>\r\n"
				"Call-ID: flood-%u@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
				"Content-Length: 0\r\n\r\n", i, i, i);
		} else {
			fill_random(buf, len, &seed);
			if (size > 64)
				memcpy(buf, "INVITE sip:x SIP/2.0\r\n", 22);
		}
		/* lo drops what its queue cannot hold: that is a flood too, not an error. */
		sendto(fd, buf, len, 0, (const struct sockaddr *)dst, sizeof(*dst));
	}
	free(buf);
	close(fd);
	return 0;
}

static int dns_burst(const struct sut_config *cfg, unsigned n)
{
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(cfg->dns_port) };
	if (inet_pton(AF_INET, cfg->dns_addr, &dst.sin_addr) != 1)
		return -EINVAL;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -errno;
	for (unsigned i = 0; i < n; i++) {
		/* id, RD, one question: "f<i>.flood.test" A IN */
		unsigned char q[64] = { (unsigned char)(i >> 8), (unsigned char)i, 1, 0, 0, 1 };
		char label[16];
		int l = snprintf(label, sizeof(label), "f%u", i);
		size_t off = 12;
		q[off++] = (unsigned char)l;
		memcpy(q + off, label, (size_t)l);
		off += (size_t)l;
		memcpy(q + off, "\5flood\4test\0\0\1\0\1", 16);
		off += 16;
		sendto(fd, q, off, 0, (const struct sockaddr *)&dst, sizeof(dst));
	}
	close(fd);
	return 0;
}

static int tcp_connect(const struct sockaddr_in *dst)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)dst, sizeof(*dst)) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

static int tcp_conns(const struct sockaddr_in *dst, unsigned n)
{
	static const char half[] = "OPTIONS sip:x@127.0.0.2 SIP/2.0\r\nVia: SIP/2.0/TCP 1";
	for (unsigned i = 0; i < n && nheld < sizeof(held) / sizeof(held[0]); i++) {
		int fd = tcp_connect(dst);
		if (fd < 0)
			return fd;
		if (write(fd, half, sizeof(half) - 1) < 0) {
			close(fd);
			continue;
		}
		held[nheld++] = fd;
	}
	return 0;
}

static int tcp_stream(const struct sockaddr_in *dst, unsigned kb)
{
	int fd = tcp_connect(dst);
	if (fd < 0)
		return fd;
	char line[1024];
	memset(line, 'a', sizeof(line));
	memcpy(line, "X-Flood: ", 9);
	/* The peer must give up on the message and close; a write error then ends it. */
	for (unsigned i = 0; i < kb; i++)
		if (send(fd, line, sizeof(line), MSG_NOSIGNAL) < 0)
			break;
	if (nheld < sizeof(held) / sizeof(held[0]))
		held[nheld++] = fd;
	else
		close(fd);
	return 0;
}

static int wrap_misbehave(const struct sut_config *cfg, unsigned id,
			  const struct sut_request *req)
{
	char kind[32], num[16];
	struct sockaddr_in dst;
	int rc;

	if (param(req->uri, "attack", kind, sizeof(kind)) < 0 || target(req->uri, &dst) < 0) {
		fprintf(stderr, "test-flood: say ;attack=KIND after a numeric host: %s\n", req->uri);
		return -EINVAL;
	}
	unsigned n = param(req->uri, "n", num, sizeof(num)) == 0 ? (unsigned)atoi(num) : 1000;
	fprintf(stderr, "test-flood: %s x %u at %s:%u\n", kind, n, inet_ntoa(dst.sin_addr),
		ntohs(dst.sin_port));
	if (!strcmp(kind, "garbage"))
		rc = udp_burst(&dst, n, 700, 0, cfg->seed);
	else if (!strcmp(kind, "bigdgram"))
		rc = udp_burst(&dst, n, 65507, 0, cfg->seed);
	else if (!strcmp(kind, "sipflood"))
		rc = udp_burst(&dst, n, 0, 1, cfg->seed);
	else if (!strcmp(kind, "dnsflood"))
		rc = dns_burst(cfg, n);
	else if (!strcmp(kind, "conns"))
		rc = tcp_conns(&dst, n);
	else if (!strcmp(kind, "tcpstream"))
		rc = tcp_stream(&dst, n);
	else
		rc = -EINVAL;
	if (rc < 0) {
		fprintf(stderr, "test-flood: %s: %s\n", kind, strerror(-rc));
		return rc;
	}
	return wrap_ref->request(wrap_ref_ctx, id, req);
}
