/* sl_addr.c: address formatting and peer-spec parsing shared by peers, DNS log and capture. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_addr.h"

const char *sl_addr_fmt(const struct sockaddr *sa, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;
		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, ntohs(in6->sin6_port));
	} else {
		snprintf(buf, len, "?");
	}
	return buf;
}

int sl_addr_parse(const char *spec, struct sockaddr_storage *ss, socklen_t *slen,
		  char transport[8], char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *p = spec, *hend, *port_s;
	memset(ss, 0, sizeof(*ss));
	if (*p == '[') {
		hend = strchr(p, ']');
		if (!hend || hend[1] != ':')
			goto bad;
		if ((size_t)(hend - p - 1) >= sizeof(host))
			goto bad;
		memcpy(host, p + 1, (size_t)(hend - p - 1));
		host[hend - p - 1] = 0;
		port_s = hend + 2;
	} else {
		hend = strchr(p, ':');
		if (!hend || (size_t)(hend - p) >= sizeof(host))
			goto bad;
		memcpy(host, p, (size_t)(hend - p));
		host[hend - p] = 0;
		port_s = hend + 1;
	}
	char *end;
	errno = 0;
	unsigned long port = strtoul(port_s, &end, 10);
	if (end == port_s || errno || port == 0 || port > 65535 || (*end && *end != '/'))
		goto bad;
	const char *tp = *end == '/' ? end + 1 : "udp";
	if (strcmp(tp, "udp") && strcmp(tp, "tcp") && strcmp(tp, "tls")) {
		snprintf(err, errlen, "'%s': transport must be udp, tcp or tls", spec);
		return -EINVAL;
	}
	snprintf(transport, 8, "%s", tp);
	struct sockaddr_in *in = (void *)ss;
	struct sockaddr_in6 *in6 = (void *)ss;
	if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		*slen = sizeof(*in);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*slen = sizeof(*in6);
		return 0;
	}
bad:
	snprintf(err, errlen, "'%s' is not ADDRESS:PORT[/udp|tcp|tls] (IPv6 as [addr]:port)",
		 spec);
	return -EINVAL;
}
