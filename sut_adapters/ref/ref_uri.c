/* ref_uri.c: a strict little parser for sip:/sips: URIs (RFC 3261 19.1.1, 25.1):
 * scheme, optional userinfo, host (name, IPv4, [IPv6]), port, and uri-parameters. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ref_uri.h"

/* hostname = *( domainlabel "." ) toplabel [ "." ]; toplabel starts with a letter. */
static bool valid_hostname(const char *h)
{
	size_t len = strlen(h), label = 0;
	const char *last_label = h;
	char prev = '.';

	if (len == 0 || len >= REF_NAME_MAX - 1)
		return false;
	for (const char *p = h; *p; p++) {
		if (*p == '.') {
			if (prev == '.' || prev == '-')
				return false;
			label = 0;
			if (p[1])
				last_label = p + 1;
		} else if (isalnum((unsigned char)*p) || *p == '-') {
			if (prev == '.' && *p == '-')
				return false;
			if (++label > 63)
				return false;
		} else {
			return false;
		}
		prev = *p;
	}
	if (prev == '-')
		return false;
	return isalpha((unsigned char)*last_label);
}

/* Host in its URI form: "[v6]", dotted IPv4 or a hostname. Fills out and *is_ip. */
static int parse_host(const char *s, size_t n, char *out, bool *is_ip)
{
	char buf[REF_NAME_MAX];
	struct ref_ip ip;

	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (buf[0] == '[') {
		if (n < 3 || buf[n - 1] != ']')
			return -EINVAL;
		buf[n - 1] = '\0';
		if (ref_ip_parse(buf + 1, &ip) < 0 || ip.af != AF_INET6)
			return -EINVAL;
		strcpy(out, buf + 1);
		*is_ip = true;
		return 0;
	}
	if (ref_ip_parse(buf, &ip) == 0) {
		if (ip.af != AF_INET) /* a bare IPv6 address needs brackets */
			return -EINVAL;
		strcpy(out, buf);
		*is_ip = true;
		return 0;
	}
	if (!valid_hostname(buf))
		return -EINVAL;
	/* Names compare case-insensitively; one spelling keeps logs and cache keys simple. */
	for (char *p = buf; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (n > 1 && buf[n - 1] == '.')
		buf[n - 1] = '\0';
	strcpy(out, buf);
	*is_ip = false;
	return 0;
}

static int parse_param(const char *s, size_t n, struct ref_uri *u)
{
	const char *eq = memchr(s, '=', n);
	size_t nlen = eq ? (size_t)(eq - s) : n;
	const char *val = eq ? eq + 1 : NULL;
	size_t vlen = eq ? n - nlen - 1 : 0;
	char v[REF_NAME_MAX];

	if (nlen == 0)
		return -EINVAL;
	if (val && (vlen == 0 || vlen >= sizeof(v)))
		return -EINVAL;
	if (val) {
		memcpy(v, val, vlen);
		v[vlen] = '\0';
	}
	if (nlen == 9 && strncasecmp(s, "transport", 9) == 0) {
		if (!val)
			return -EINVAL;
		if (ref_tp_from_param(v, &u->transport) < 0)
			return -EPROTONOSUPPORT;
		u->has_transport = true;
		return 0;
	}
	if (nlen == 5 && strncasecmp(s, "maddr", 5) == 0) {
		if (!val)
			return -EINVAL;
		return parse_host(v, vlen, u->maddr, &u->maddr_is_ip);
	}
	return 0; /* lr, user=, method=, ttl=, others: irrelevant to resolution */
}

int ref_uri_parse(const char *s, struct ref_uri *u)
{
	const char *p, *at, *host, *end;
	size_t hlen;
	int rc;

	memset(u, 0, sizeof(*u));
	if (!s)
		return -EINVAL;
	if (strncasecmp(s, "sips:", 5) == 0) {
		u->sips = true;
		p = s + 5;
	} else if (strncasecmp(s, "sip:", 4) == 0) {
		p = s + 4;
	} else {
		return -EINVAL;
	}
	for (const char *q = s; *q; q++)
		if ((unsigned char)*q <= ' ' || *q == '<' || *q == '>' || *q == '"')
			return -EINVAL;
	/* userinfo never holds a raw '@' (it must be escaped), so the first one ends it. */
	at = strchr(p, '@');
	host = at ? at + 1 : p;
	if (at && at == p)
		return -EINVAL;
	if (*host == '[') {
		end = strchr(host, ']');
		if (!end)
			return -EINVAL;
		end++;
	} else {
		end = host + strcspn(host, ":;?");
	}
	hlen = (size_t)(end - host);
	rc = parse_host(host, hlen, u->host, &u->host_is_ip);
	if (rc < 0)
		return rc;
	p = end;
	if (*p == ':') {
		char *num_end;
		unsigned long port;

		p++;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		port = strtoul(p, &num_end, 10);
		if (port == 0 || port > 65535 || num_end - p > 5)
			return -EINVAL;
		u->port = (uint16_t)port;
		p = num_end;
	}
	while (*p == ';') {
		size_t n;

		p++;
		n = strcspn(p, ";?");
		rc = parse_param(p, n, u);
		if (rc < 0)
			return rc;
		p += n;
	}
	if (*p && *p != '?')
		return -EINVAL;
	return 0;
}

const char *ref_uri_target(const struct ref_uri *u)
{
	return u->maddr[0] ? u->maddr : u->host;
}

bool ref_uri_target_is_ip(const struct ref_uri *u)
{
	return u->maddr[0] ? u->maddr_is_ip : u->host_is_ip;
}
