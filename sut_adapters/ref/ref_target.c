/* ref_target.c: names and defaults of transports, numeric address helpers. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ref_target.h"

static const char *const tp_names[REF_TP_COUNT] = { "udp", "tcp", "tls", "sctp" };
static const char *const tp_vias[REF_TP_COUNT] = { "UDP", "TCP", "TLS", "SCTP" };

const char *ref_tp_name(enum ref_tp tp)
{
	return tp < REF_TP_COUNT ? tp_names[tp] : "?";
}

const char *ref_tp_via(enum ref_tp tp)
{
	return tp < REF_TP_COUNT ? tp_vias[tp] : "?";
}

int ref_tp_from_param(const char *s, enum ref_tp *tp)
{
	for (int i = 0; i < REF_TP_COUNT; i++) {
		if (strcasecmp(s, tp_names[i]) == 0) {
			*tp = (enum ref_tp)i;
			return 0;
		}
	}
	return -EINVAL;
}

uint16_t ref_tp_default_port(enum ref_tp tp)
{
	return tp == REF_TP_TLS ? 5061 : 5060;
}

int ref_ip_parse(const char *s, struct ref_ip *ip)
{
	memset(ip, 0, sizeof(*ip));
	if (inet_pton(AF_INET, s, ip->a) == 1) {
		ip->af = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, ip->a) == 1) {
		ip->af = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

void ref_ip_str(const struct ref_ip *ip, char *buf, size_t len)
{
	if (!inet_ntop(ip->af, ip->a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

void ref_target_set(struct ref_target *t, enum ref_tp tp, const struct ref_ip *ip,
		    uint16_t port)
{
	memset(t, 0, sizeof(*t));
	t->tp = tp;
	if (ip->af == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&t->sa;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, ip->a, 16);
		t->salen = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&t->sa;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, ip->a, 4);
		t->salen = sizeof(*s4);
	}
}

void ref_addr_str(const struct sockaddr *sa, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(s6->sin6_port));
	} else if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(s4->sin_port));
	} else {
		snprintf(buf, len, "?");
	}
}

bool ref_addr_equal(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

		return x->sin6_port == y->sin6_port &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
	}
	return false;
}

int ref_addr_make(const char *host, uint16_t port, struct sockaddr_storage *ss,
		  socklen_t *len)
{
	struct ref_ip ip;
	struct ref_target t;
	int rc = ref_ip_parse(host, &ip);

	if (rc < 0)
		return rc;
	ref_target_set(&t, REF_TP_UDP, &ip, port);
	*ss = t.sa;
	*len = t.salen;
	return 0;
}
