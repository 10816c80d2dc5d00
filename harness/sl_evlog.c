/* sl_evlog.c: growable array of scenario events; the single source the checks read. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_evlog.h"

struct sl_evlog {
	struct sl_event **ev;  /* pointers stay valid while the array grows */
	size_t n, cap;
	size_t max;            /* 0: no cap */
	char *abort_reason;
};

int sl_evlog_new(struct sl_evlog **lp)
{
	*lp = calloc(1, sizeof(**lp));
	return *lp ? 0 : -ENOMEM;
}

static void event_free(struct sl_event *e)
{
	char **strs[] = { &e->transport, &e->client, &e->server, &e->qname, &e->qtype,
			  &e->method, &e->uri, &e->call_id, &e->branch, &e->cseq_method,
			  &e->from_tag, &e->via_transport, &e->via_sentby, &e->text, &e->to_tag,
			  &e->contact };
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		free(*strs[i]);
	free(e->dns_resp);
	free(e);
}

void sl_evlog_free(struct sl_evlog *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		event_free(l->ev[i]);
	free(l->ev);
	free(l->abort_reason);
	free(l);
}

void sl_evlog_set_max(struct sl_evlog *l, size_t max)
{
	l->max = max;
}

void sl_evlog_abort(struct sl_evlog *l, const char *fmt, ...)
{
	va_list ap;
	if (l->abort_reason)
		return;
	va_start(ap, fmt);
	if (vasprintf(&l->abort_reason, fmt, ap) < 0)
		l->abort_reason = NULL;
	va_end(ap);
	/* Out of memory here still has to stop the world. */
	if (!l->abort_reason)
		l->abort_reason = strdup("aborted (out of memory)");
}

const char *sl_evlog_aborted(const struct sl_evlog *l)
{
	return l->abort_reason;
}

static int grow(struct sl_evlog *l)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct sl_event **ev = realloc(l->ev, cap * sizeof(*ev));
		if (!ev)
			return -1;
		l->ev = ev;
		l->cap = cap;
	}
	return 0;
}

struct sl_event *sl_evlog_add(struct sl_evlog *l, enum sl_ev_kind kind, uint64_t t_us)
{
	/* Notes keep a small reserve past the cap, so the world can still say what it did
	 * (the capture's losses, the guard that stopped the SUT). */
	if (l->max && l->n >= l->max + (kind == SL_EV_NOTE ? 64 : 0)) {
		sl_evlog_abort(l, "flood: more than %zu events (SIP messages, DNS queries, notes) "
			       "in one scenario; the SUT was stopped there (scenario{ limits = { "
			       "events = N } } raises the cap)", l->max);
		return NULL;
	}
	if (grow(l) < 0)
		return NULL;
	struct sl_event *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->idx = (unsigned)l->n;
	e->kind = kind;
	e->t_us = t_us;
	e->rcode = -1;
	l->ev[l->n++] = e;
	return e;
}

struct sl_event *sl_evlog_insert(struct sl_evlog *l, enum sl_ev_kind kind, uint64_t t_us)
{
	size_t at = l->n;
	while (at > 0 && l->ev[at - 1]->t_us > t_us)
		at--;
	struct sl_event *e = sl_evlog_add(l, kind, t_us);
	if (!e)
		return NULL;
	memmove(&l->ev[at + 1], &l->ev[at], (l->n - 1 - at) * sizeof(*l->ev));
	l->ev[at] = e;
	for (size_t i = at; i < l->n; i++)
		l->ev[i]->idx = (unsigned)i;
	return e;
}

int sl_evlog_dns_resp(struct sl_event *e, const void *data, size_t len)
{
	free(e->dns_resp);
	e->dns_resp = NULL;
	e->dns_resp_len = 0;
	if (!data)
		return 0;
	e->dns_resp = malloc(len ? len : 1);
	if (!e->dns_resp)
		return -ENOMEM;
	memcpy(e->dns_resp, data, len);
	e->dns_resp_len = len;
	return 0;
}

int sl_evlog_str(char **field, const char *s)
{
	free(*field);
	*field = NULL;
	if (!s)
		return 0;
	*field = strdup(s);
	return *field ? 0 : -ENOMEM;
}

size_t sl_evlog_count(const struct sl_evlog *l)
{
	return l->n;
}

struct sl_event *sl_evlog_get(const struct sl_evlog *l, size_t i)
{
	return i < l->n ? l->ev[i] : NULL;
}

uint64_t sl_fp_hash(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ull;
	}
	return h;
}

void sl_fp_set(struct sl_fp *fp, int proto, const char *src, const char *dst,
	       const void *data, size_t len)
{
	fp->proto = proto;
	snprintf(fp->src, sizeof(fp->src), "%s", src);
	snprintf(fp->dst, sizeof(fp->dst), "%s", dst);
	fp->len = len;
	fp->hash = sl_fp_hash(data, len);
	fp->frame = 0;
}
