/* sl_uri.c: sip:/sips: URI pieces (RFC 3261 19.1.1) as RFC 3263 needs them. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sl_uri.h"

static void lower_copy(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	for (size_t i = 0; i < n; i++)
		dst[i] = (char)tolower((unsigned char)s[i]);
	dst[n] = 0;
}

/* 4 or 6 for an IP literal (IPv6 already without brackets), else 0. */
static int numeric(const char *h)
{
	unsigned char b[16];
	if (inet_pton(AF_INET, h, b) == 1)
		return 4;
	if (inet_pton(AF_INET6, h, b) == 1)
		return 6;
	return 0;
}

int sl_uri_parse(const char *s, struct sl_uri *u, char *err, size_t errlen)
{
	memset(u, 0, sizeof(*u));
	const char *p;
	if (!strncasecmp(s, "sips:", 5)) {
		u->sips = 1;
		p = s + 5;
	} else if (!strncasecmp(s, "sip:", 4)) {
		p = s + 4;
	} else {
		snprintf(err, errlen, "'%s' is not a sip: or sips: URI", s);
		return -EINVAL;
	}
	/* Headers (?...) are not part of the address; userinfo ends at the last '@'. */
	size_t end = strcspn(p, "?");
	const char *at = NULL;
	for (const char *q = p; q < p + end; q++)
		if (*q == '@')
			at = q;
	const char *h = at ? at + 1 : p;
	const char *stop = p + end;
	const char *hend;
	if (*h == '[') {
		const char *rb = memchr(h, ']', (size_t)(stop - h));
		if (!rb) {
			snprintf(err, errlen, "'%s': unterminated IPv6 reference", s);
			return -EINVAL;
		}
		lower_copy(u->host, sizeof(u->host), h + 1, (size_t)(rb - h - 1));
		hend = rb + 1;
	} else {
		hend = h;
		while (hend < stop && *hend != ':' && *hend != ';')
			hend++;
		lower_copy(u->host, sizeof(u->host), h, (size_t)(hend - h));
	}
	if (!u->host[0]) {
		snprintf(err, errlen, "'%s' has no host", s);
		return -EINVAL;
	}
	u->host_numeric = numeric(u->host);
	const char *q = hend;
	if (q < stop && *q == ':') {
		char *e;
		unsigned long port = strtoul(q + 1, &e, 10);
		if (e == q + 1 || port == 0 || port > 65535 || (e < stop && *e != ';')) {
			snprintf(err, errlen, "'%s': bad port", s);
			return -EINVAL;
		}
		u->port = (unsigned)port;
		q = e;
	}
	while (q < stop && *q == ';') {
		const char *name = q + 1, *v = name;
		while (v < stop && *v != ';' && *v != '=')
			v++;
		const char *vend = v;
		if (v < stop && *v == '=')
			for (vend = v + 1; vend < stop && *vend != ';'; vend++)
				;
		size_t nl = (size_t)(v - name);
		const char *val = v < stop && *v == '=' ? v + 1 : v;
		size_t vl = (size_t)(vend - val);
		if (nl == 9 && !strncasecmp(name, "transport", 9))
			lower_copy(u->transport, sizeof(u->transport), val, vl);
		else if (nl == 5 && !strncasecmp(name, "maddr", 5)) {
			if (vl > 2 && val[0] == '[' && val[vl - 1] == ']')
				lower_copy(u->maddr, sizeof(u->maddr), val + 1, vl - 2);
			else
				lower_copy(u->maddr, sizeof(u->maddr), val, vl);
			u->maddr_numeric = numeric(u->maddr);
		}
		q = vend;
	}
	return 0;
}

const char *sl_uri_target(const struct sl_uri *u, int *num)
{
	if (u->maddr[0]) {
		*num = u->maddr_numeric;
		return u->maddr;
	}
	*num = u->host_numeric;
	return u->host;
}
