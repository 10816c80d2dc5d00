/* sl_netfault.c: ICMP unreachables forged with raw sockets, nft SYN drops and ULA
 * addresses, all inside the worker's own network namespace. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sl_netfault.h"

/* An ICMP error carries as much of the offending packet as fits in the minimum MTU. */
#define V4_MAX (576 - 20)
#define V6_MAX (1280 - 40)

static uint16_t csum(const unsigned char *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void put16(unsigned char *p, size_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

int sl_net_icmp_unreach(enum sl_icmp_kind kind, const struct sockaddr *local,
			const struct sockaddr *remote, const void *payload, size_t len,
			unsigned char *out, size_t *outlen)
{
	int v6 = local->sa_family == AF_INET6;
	size_t iph = v6 ? 40 : 20, max = v6 ? V6_MAX : V4_MAX;
	size_t n = 8 + iph + 8 + len;
	if (n > max)
		n = max;
	if (n > *outlen || remote->sa_family != local->sa_family)
		return -EINVAL;
	unsigned char *m = out, *ip = out + 8, *udp = out + 8 + iph;
	memset(m, 0, 8 + iph + 8);
	static const int code4[] = { [SL_ICMP_PORT] = 3, [SL_ICMP_HOST] = 1, [SL_ICMP_NET] = 0 };
	static const int code6[] = { [SL_ICMP_PORT] = 4, [SL_ICMP_HOST] = 3, [SL_ICMP_NET] = 0 };
	if (kind < SL_ICMP_PORT || kind > SL_ICMP_NET)
		return -EINVAL;
	uint16_t sport, dport;
	if (v6) {
		const struct sockaddr_in6 *l = (const void *)local, *r = (const void *)remote;
		m[0] = 1; /* destination unreachable */
		m[1] = (unsigned char)code6[kind];
		ip[0] = 0x60;
		put16(ip + 4, 8 + len);
		ip[6] = 17;
		ip[7] = 64;
		memcpy(ip + 8, &r->sin6_addr, 16);
		memcpy(ip + 24, &l->sin6_addr, 16);
		sport = r->sin6_port;
		dport = l->sin6_port;
	} else {
		const struct sockaddr_in *l = (const void *)local, *r = (const void *)remote;
		m[0] = 3;
		m[1] = (unsigned char)code4[kind];
		ip[0] = 0x45;
		put16(ip + 2, 20 + 8 + len);
		ip[8] = 64;
		ip[9] = 17;
		memcpy(ip + 12, &r->sin_addr, 4);
		memcpy(ip + 16, &l->sin_addr, 4);
		put16(ip + 10, csum(ip, 20));
		sport = r->sin_port;
		dport = l->sin_port;
	}
	memcpy(udp, &sport, 2);
	memcpy(udp + 2, &dport, 2);
	put16(udp + 4, 8 + len);
	memcpy(udp + 8, payload, n - (8 + iph + 8));
	*outlen = n;
	int fd = socket(local->sa_family, SOCK_RAW | SOCK_CLOEXEC, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
	if (fd < 0)
		return -errno;
	int rc = 0;
	struct sockaddr_storage from, to;
	socklen_t sl = v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	memcpy(&from, local, sl);
	memcpy(&to, remote, sl);
	/* Raw sockets take no port: the source address alone says who sends. */
	if (v6) {
		((struct sockaddr_in6 *)&from)->sin6_port = 0;
		((struct sockaddr_in6 *)&to)->sin6_port = 0;
	} else {
		((struct sockaddr_in *)&from)->sin_port = 0;
		((struct sockaddr_in *)&to)->sin_port = 0;
		put16(m + 2, csum(m, n)); /* ICMPv6 checksums are the kernel's job */
	}
	if (bind(fd, (void *)&from, sl) < 0 || sendto(fd, m, n, 0, (void *)&to, sl) < 0)
		rc = -errno;
	close(fd);
	m[2] = m[3] = 0;
	return rc;
}

/* Runs argv with input on its stdin; 0 when it exits 0. */
static int run(char *const argv[], const char *input, char *err, size_t errlen)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -errno;
	}
	if (pid == 0) {
		dup2(pfd[0], 0);
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0)
			dup2(null, 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pfd[0]);
	if (input && write(pfd[1], input, strlen(input)) < 0)
		(void)0; /* the exit status tells */
	close(pfd[1]);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	snprintf(err, errlen, "%s failed (%s %d)", argv[0],
		 WIFEXITED(st) ? "exit status" : "signal",
		 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	return -EIO;
}

int sl_net_drop_syn(const struct sockaddr *local, char *err, size_t errlen)
{
	char addr[INET6_ADDRSTRLEN], script[512];
	int v6 = local->sa_family == AF_INET6;
	unsigned port;
	if (v6) {
		const struct sockaddr_in6 *a = (const void *)local;
		inet_ntop(AF_INET6, &a->sin6_addr, addr, sizeof(addr));
		port = ntohs(a->sin6_port);
	} else {
		const struct sockaddr_in *a = (const void *)local;
		inet_ntop(AF_INET, &a->sin_addr, addr, sizeof(addr));
		port = ntohs(a->sin_port);
	}
	snprintf(script, sizeof(script),
		 "table inet siploc {\n"
		 "  chain input { type filter hook input priority 0; policy accept; }\n"
		 "}\n"
		 "add rule inet siploc input %s daddr %s tcp dport %u tcp flags & (syn|ack) == syn drop\n",
		 v6 ? "ip6" : "ip", addr, port);
	char *const argv[] = { "nft", "-f", "-", NULL };
	return run(argv, script, err, errlen);
}

int sl_net_test_addr(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const unsigned char *b = (const void *)&((const struct sockaddr_in *)sa)->sin_addr;
		return b[0] == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		static const unsigned char ula[8] = { 0xfd, 0 };
		return IN6_IS_ADDR_LOOPBACK(a) || !memcmp(a->s6_addr, ula, 8);
	}
	return 0;
}

/* 1 if a datagram sent to addr arrives there within 10 ms. */
static int loops_back(const struct sockaddr_in6 *a)
{
	int ok = 0, fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in6 b = *a;
	socklen_t bl = sizeof(b);
	b.sin6_port = 0;
	if (fd >= 0 && bind(fd, (void *)&b, sizeof(b)) == 0 &&
	    getsockname(fd, (void *)&b, &bl) == 0 && sendto(fd, "x", 1, 0, (void *)&b, bl) == 1) {
		struct pollfd pf = { fd, POLLIN, 0 };
		ok = poll(&pf, 1, 10) == 1;
	} else {
		struct timespec ts = { 0, 10000000 };
		nanosleep(&ts, NULL);
	}
	if (fd >= 0)
		close(fd);
	return ok;
}

int sl_net_add_ula(const struct sockaddr *addr, char *err, size_t errlen)
{
	if (addr->sa_family != AF_INET6)
		return 0;
	const struct sockaddr_in6 *a = (const void *)addr;
	if (IN6_IS_ADDR_LOOPBACK(&a->sin6_addr))
		return 0;
	char ip[INET6_ADDRSTRLEN + 4];
	inet_ntop(AF_INET6, &a->sin6_addr, ip, INET6_ADDRSTRLEN);
	strcat(ip, "/64");
	/* An address already there is fine: several peers share one. */
	int probe = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (probe >= 0) {
		struct sockaddr_in6 b = *a;
		b.sin6_port = 0;
		int ok = bind(probe, (void *)&b, sizeof(b)) == 0;
		close(probe);
		if (ok)
			return 0;
	}
	char *const argv[] = { "ip", "-6", "addr", "add", ip, "dev", "lo", "nodad", NULL };
	int rc = run(argv, NULL, err, errlen);
	if (rc < 0)
		return rc;
	/* The kernel finishes a new address (its local route) asynchronously: until then
	 * packets to it vanish. Wait until a datagram to it arrives. */
	for (int i = 0; i < 100; i++)
		if (loops_back(a))
			return 0;
	snprintf(err, errlen, "address %s added to lo but not usable after 1 s", ip);
	return -EADDRNOTAVAIL;
}
