/* ref_dns.c: the DNS client and its cache: shared in-flight queries, TTL-bound answers on
 * CLOCK_MONOTONIC, failures never cached; retransmits after 1 s, gives up after 3 tries;
 * a truncated answer is asked again over TCP; a CNAME chain that leaves the answer is
 * followed with a new query for its target (RFC 1034 5.3.3), at most 8 hops. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ref_dns.h"
#include "ref_mutant.h"
#include "ref_target.h"

#define RETRANS_MS 1000
#define MAX_TRIES  3
#define MAX_HOPS   8
/* Cache buckets: a proxy resolving thousands of domains must not scan them all per query. */
#define CACHE_BUCKETS 4096

struct ref_dns_lookup {
	TAILQ_ENTRY(ref_dns_lookup) link;
	struct ref_dns *d;
	struct ref_dns_query *q;     /* waiting on this query, or NULL when ready */
	struct ref_dns_answer *ans;  /* set when ready */
	ref_dns_cb cb;
	void *arg;
	uint16_t type;
	int hops;                    /* CNAMEs followed with a new query so far */
};
TAILQ_HEAD(lookup_list, ref_dns_lookup);

struct ref_dns_query {
	LIST_ENTRY(ref_dns_query) link;
	struct ref_dns *d;
	char name[REF_NAME_MAX];
	uint16_t type, id;
	int tries;
	uint8_t *wire;
	size_t len;
	struct ref_timer timer;
	struct lookup_list waiters;
};

struct cache_entry {
	LIST_ENTRY(cache_entry) link;
	char name[REF_NAME_MAX];
	uint16_t type;
	uint64_t expires_ms;
	struct ref_dns_answer *ans;
};

struct ref_dns {
	struct ref_loop *loop;
	struct ref_rng *rng;
	const struct ref_log *log;
	int fd;
	struct ref_io io;
	struct sockaddr_storage srv, local; /* for the TCP retry after a truncated answer */
	socklen_t srvlen, locallen;         /* locallen 0: no local address to bind */
	LIST_HEAD(, ref_dns_query) queries;
	LIST_HEAD(, cache_entry) cache[CACHE_BUCKETS];
	struct lookup_list ready;   /* answered lookups whose callbacks are due */
	struct ref_timer deliver;   /* 0 ms timer draining ready */
};

static int attach(struct ref_dns *d, struct ref_dns_lookup *lk, const char *name);

/* NODATA that ends in a CNAME: the chain left the answer (the server did not follow it),
 * so its target is asked for, as a stub resolver restarts the query at the new name. */
static bool needs_chase(const struct ref_dns_lookup *lk)
{
	return lk->ans->status == REF_DNS_NODATA && lk->ans->cname[0] && lk->hops < MAX_HOPS;
}

static void deliver_ready(void *arg)
{
	struct ref_dns *d = arg;
	struct ref_dns_lookup *lk;

	/* One at a time from the head: a callback may cancel or add lookups. */
	while ((lk = TAILQ_FIRST(&d->ready))) {
		TAILQ_REMOVE(&d->ready, lk, link);
		if (needs_chase(lk)) {
			char name[REF_NAME_MAX];

			snprintf(name, sizeof(name), "%s", lk->ans->cname);
			ref_dns_answer_unref(lk->ans);
			lk->ans = NULL;
			lk->hops++;
			ref_logf(d->log, "dns CNAME chain continues at %s: asking %s %s (hop %d)", name,
				 ref_dns_type_name(lk->type), name, lk->hops);
			if (attach(d, lk, name) == 0)
				continue;
			/* No memory for the query: the CNAME-only answer is all there is. */
			lk->ans = ref_dns_answer_new(REF_DNS_FAIL, lk->type, "out of memory");
			if (!lk->ans) {
				free(lk);
				continue;
			}
		}
		lk->cb(lk->arg, lk->ans);
		ref_dns_answer_unref(lk->ans);
		free(lk);
	}
}

static void make_ready(struct ref_dns *d, struct ref_dns_lookup *lk, struct ref_dns_answer *a)
{
	lk->q = NULL;
	lk->ans = a;
	ref_dns_answer_ref(a);
	TAILQ_INSERT_TAIL(&d->ready, lk, link);
	if (!d->deliver.armed)
		ref_timer_start(d->loop, &d->deliver, 0);
}

static void cache_drop(struct cache_entry *e)
{
	LIST_REMOVE(e, link);
	ref_dns_answer_unref(e->ans);
	free(e);
}

static unsigned cache_bucket(const char *name, uint16_t type)
{
	uint32_t h = 2166136261u ^ type;

	for (; *name; name++) {
		unsigned char c = (unsigned char)*name;
		h = (h ^ (c >= 'A' && c <= 'Z' ? c + 32 : c)) * 16777619u;
	}
	return h % CACHE_BUCKETS;
}

static struct cache_entry *cache_find(struct ref_dns *d, const char *name, uint16_t type)
{
	uint64_t now = ref_now_ms();
	struct cache_entry *e, *next;

	for (e = LIST_FIRST(&d->cache[cache_bucket(name, type)]); e; e = next) {
		next = LIST_NEXT(e, link);
		if (e->expires_ms <= now) {
			cache_drop(e);
			continue;
		}
		if (e->type == type && strcasecmp(e->name, name) == 0)
			return e;
	}
	return NULL;
}

static void cache_put(struct ref_dns *d, const char *name, uint16_t type,
		      struct ref_dns_answer *a)
{
	struct cache_entry *e;

	if (a->status == REF_DNS_FAIL || (a->ttl == 0 && !ref_mutant("ttl-forever")) ||
	    ref_mutant("no-cache"))
		return;
	e = cache_find(d, name, type);
	if (e)
		cache_drop(e);
	e = calloc(1, sizeof(*e));
	if (!e)
		return; /* not caching only costs a query later */
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->type = type;
	e->expires_ms = ref_mutant("ttl-forever") ? UINT64_MAX :
						   ref_now_ms() + (uint64_t)a->ttl * 1000u;
	e->ans = a;
	ref_dns_answer_ref(a);
	LIST_INSERT_HEAD(&d->cache[cache_bucket(name, type)], e, link);
}

static void log_answer(struct ref_dns *d, const char *name, uint16_t type,
		       const struct ref_dns_answer *a, const char *how)
{
	char recs[700];

	ref_dns_answer_str(a, recs, sizeof(recs));
	ref_logf(d->log, "dns %s %s %s: %s%s%s ttl=%u%s%s%s%s%s", how, ref_dns_type_name(type), name,
		 ref_dns_status_name(a->status), a->n ? " " : "", recs, a->ttl,
		 a->cname[0] && a->n ? " (alias: records of " : "",
		 a->cname[0] && a->n ? a->cname : "", a->cname[0] && a->n ? ")" : "",
		 a->why[0] ? " " : "", a->why);
}

static void query_free(struct ref_dns_query *q)
{
	ref_timer_stop(q->d->loop, &q->timer);
	LIST_REMOVE(q, link);
	free(q->wire);
	free(q);
}

/* Hands a to every waiter and retires the query. */
static void query_finish(struct ref_dns_query *q, struct ref_dns_answer *a)
{
	struct ref_dns_lookup *lk;

	while ((lk = TAILQ_FIRST(&q->waiters))) {
		TAILQ_REMOVE(&q->waiters, lk, link);
		make_ready(q->d, lk, a);
	}
	query_free(q);
}

static void query_send(struct ref_dns_query *q)
{
	struct ref_dns *d = q->d;

	q->tries++;
	ref_logf(d->log, "dns query %s %s id=%u (try %d/%d)", ref_dns_type_name(q->type), q->name,
		 q->id, q->tries, MAX_TRIES);
	/* A lost send is handled like a lost packet: the retransmission timer covers it. */
	if (send(d->fd, q->wire, q->len, MSG_DONTWAIT) < 0)
		ref_logf(d->log, "dns send failed: %s", strerror(errno));
	ref_timer_start(d->loop, &q->timer, RETRANS_MS);
}

static void query_timeout(void *arg)
{
	struct ref_dns_query *q = arg;
	struct ref_dns_answer *a;

	if (q->tries < MAX_TRIES) {
		query_send(q);
		return;
	}
	a = ref_dns_answer_new(REF_DNS_FAIL, q->type, "timeout, no answer after 3 tries");
	if (!a) {
		/* Without memory the waiters cannot be told; retry later rather than hang. */
		ref_timer_start(q->d->loop, &q->timer, RETRANS_MS);
		return;
	}
	log_answer(q->d, q->name, q->type, a, "answer");
	query_finish(q, a);
	ref_dns_answer_unref(a);
}

/* Reads exactly len bytes; 0 or -errno (-ECONNRESET when the server closes early). */
static int read_full(int fd, uint8_t *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = recv(fd, buf + got, len - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ECONNRESET;
		got += (size_t)n;
	}
	return 0;
}

/* RFC 7766: the same query over TCP, each message behind a 2-byte length. A blocking
 * exchange, bounded by 2 s socket timeouts: the server is the configured resolver on a
 * local link and truncation is rare, so ref stays one loop without a TCP state machine. */
static int tcp_exchange(struct ref_dns *d, const struct ref_dns_query *q,
			struct ref_dns_answer **out)
{
	struct timeval tv = { .tv_sec = 2 };
	uint8_t hdr[2] = { (uint8_t)(q->len >> 8), (uint8_t)q->len };
	struct iovec iov[2] = { { hdr, 2 }, { q->wire, q->len } };
	uint8_t *buf = NULL;
	size_t len;
	int fd, rc;

	fd = socket(d->srv.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	rc = -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    (d->locallen && bind(fd, (void *)&d->local, d->locallen) < 0) ||
	    connect(fd, (void *)&d->srv, d->srvlen) < 0) {
		rc = -errno;
		goto out;
	}
	if (writev(fd, iov, 2) != (ssize_t)(q->len + 2)) {
		rc = -EIO;
		goto out;
	}
	rc = read_full(fd, hdr, 2);
	if (rc < 0)
		goto out;
	len = (size_t)hdr[0] << 8 | hdr[1];
	buf = malloc(len ? len : 1);
	rc = -ENOMEM;
	if (!buf)
		goto out;
	rc = read_full(fd, buf, len);
	if (rc == 0)
		rc = ref_dns_parse_response(buf, len, q->id, q->name, q->type, out);
out:
	free(buf);
	close(fd);
	return rc;
}

static void on_readable(void *arg, uint32_t events)
{
	struct ref_dns *d = arg;
	uint8_t buf[65536];

	(void)events;
	for (;;) {
		ssize_t n = recv(d->fd, buf, sizeof(buf), MSG_DONTWAIT);
		struct ref_dns_query *q;
		struct ref_dns_answer *a = NULL;
		uint16_t id;
		int rc = -ENOMSG;

		if (n < 0) {
			if (errno == EINTR || errno == ECONNREFUSED)
				continue; /* ICMP from the server: retransmission handles it */
			return;
		}
		if (n < 12)
			continue;
		id = (uint16_t)(buf[0] << 8 | buf[1]);
		LIST_FOREACH(q, &d->queries, link) {
			if (q->id != id)
				continue;
			/* TC: the UDP answer is incomplete (RFC 2181 9): ask again over TCP. */
			if (buf[2] & 0x02) {
				if (ref_mutant("ignore-tc")) {
					buf[2] &= (uint8_t)~0x02; /* the truncated answer used as is */
				} else {
					ref_logf(d->log, "dns answer %s %s truncated (TC): retry over TCP",
						 ref_dns_type_name(q->type), q->name);
					rc = tcp_exchange(d, q, &a);
					if (rc < 0 && rc != -ENOMEM) {
						ref_logf(d->log, "dns TCP retry for %s %s failed: %s",
							 ref_dns_type_name(q->type), q->name,
							 strerror(-rc));
						rc = ref_dns_parse_response(buf, (size_t)n, id, q->name,
									    q->type, &a);
					}
					break;
				}
			}
			rc = ref_dns_parse_response(buf, (size_t)n, id, q->name, q->type, &a);
			break;
		}
		if (rc == -ENOMSG) {
			ref_logf(d->log, "dns ignored a response (id=%u) matching no query", id);
			continue;
		}
		if (rc < 0) {
			/* Malformed: keep waiting, a retransmission may get a usable one. */
			ref_logf(d->log, "dns unparsable response id=%u for %s %s", id,
				 ref_dns_type_name(q->type), q->name);
			continue;
		}
		log_answer(d, q->name, q->type, a, "answer");
		cache_put(d, q->name, q->type, a);
		query_finish(q, a);
		ref_dns_answer_unref(a);
	}
}

static uint16_t fresh_id(struct ref_dns *d)
{
	for (;;) {
		uint16_t id = (uint16_t)ref_rng_below(d->rng, 65536);
		struct ref_dns_query *q;
		bool used = false;

		LIST_FOREACH(q, &d->queries, link)
			used |= q->id == id;
		if (!used)
			return id;
	}
}

/* Makes lk wait for (name, lk->type): a cached answer, a query in flight, or a new one. */
static int attach(struct ref_dns *d, struct ref_dns_lookup *lk, const char *name)
{
	struct ref_dns_query *q = NULL;
	struct cache_entry *e;
	int rc;

	e = cache_find(d, name, lk->type);
	if (e) {
		log_answer(d, name, lk->type, e->ans, "cached");
		make_ready(d, lk, e->ans);
		return 0;
	}
	LIST_FOREACH(q, &d->queries, link)
		if (q->type == lk->type && strcasecmp(q->name, name) == 0)
			break;
	if (!q) {
		q = calloc(1, sizeof(*q));
		if (!q)
			return -ENOMEM;
		q->d = d;
		snprintf(q->name, sizeof(q->name), "%s", name);
		q->type = lk->type;
		q->id = fresh_id(d);
		TAILQ_INIT(&q->waiters);
		ref_timer_init(&q->timer, query_timeout, q);
		rc = ref_dns_build_query(name, lk->type, q->id, &q->wire, &q->len);
		if (rc < 0) {
			free(q);
			return rc;
		}
		LIST_INSERT_HEAD(&d->queries, q, link);
		query_send(q);
	}
	lk->q = q;
	TAILQ_INSERT_TAIL(&q->waiters, lk, link);
	return 0;
}

int ref_dns_lookup(struct ref_dns *d, const char *name, uint16_t type, ref_dns_cb cb,
		   void *arg, struct ref_dns_lookup **out)
{
	struct ref_dns_lookup *lk = calloc(1, sizeof(*lk));
	int rc = -ENOMEM;

	*out = NULL;
	if (!lk)
		return rc;
	lk->d = d;
	lk->cb = cb;
	lk->arg = arg;
	lk->type = type;
	rc = attach(d, lk, name);
	if (rc < 0) {
		free(lk);
		return rc;
	}
	*out = lk;
	return 0;
}

void ref_dns_lookup_cancel(struct ref_dns_lookup *lk)
{
	if (!lk)
		return;
	if (lk->q) {
		/* The query itself goes on: its answer still fills the cache. */
		TAILQ_REMOVE(&lk->q->waiters, lk, link);
	} else {
		TAILQ_REMOVE(&lk->d->ready, lk, link);
		ref_dns_answer_unref(lk->ans);
	}
	free(lk);
}

int ref_dns_new(struct ref_dns **out, struct ref_loop *loop, struct ref_rng *rng,
		const struct ref_log *log, const char *server, uint16_t port,
		const char *bind_addr)
{
	struct ref_dns *d = calloc(1, sizeof(*d));
	struct sockaddr_storage srv, local;
	socklen_t srvlen, locallen;
	int rc = -ENOMEM;

	*out = NULL;
	if (!d)
		return rc;
	d->loop = loop;
	d->rng = rng;
	d->log = log;
	d->fd = -1;
	d->io.fd = -1;
	LIST_INIT(&d->queries);
	for (unsigned b = 0; b < CACHE_BUCKETS; b++)
		LIST_INIT(&d->cache[b]);
	TAILQ_INIT(&d->ready);
	ref_timer_init(&d->deliver, deliver_ready, d);
	rc = ref_addr_make(server ? server : "", port, &srv, &srvlen);
	if (rc < 0)
		goto fail;
	d->srv = srv;
	d->srvlen = srvlen;
	d->fd = socket(srv.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (d->fd < 0) {
		rc = -errno;
		goto fail;
	}
	/* Queries leave from the SUT's own address when it is of the server's family. */
	if (bind_addr && ref_addr_make(bind_addr, 0, &local, &locallen) == 0 &&
	    local.ss_family == srv.ss_family) {
		if (bind(d->fd, (void *)&local, locallen) < 0) {
			rc = -errno;
			goto fail;
		}
		d->local = local;
		d->locallen = locallen;
	}
	/* Connected: the kernel drops datagrams from anyone but the server. */
	if (connect(d->fd, (void *)&srv, srvlen) < 0) {
		rc = -errno;
		goto fail;
	}
	rc = ref_loop_add(loop, &d->io, d->fd, EPOLLIN, on_readable, d);
	if (rc < 0)
		goto fail;
	*out = d;
	return 0;
fail:
	ref_dns_free(d);
	return rc;
}

void ref_dns_free(struct ref_dns *d)
{
	struct ref_dns_lookup *lk;
	struct ref_dns_query *q;
	struct cache_entry *e;

	if (!d)
		return;
	while ((q = LIST_FIRST(&d->queries))) {
		while ((lk = TAILQ_FIRST(&q->waiters))) {
			TAILQ_REMOVE(&q->waiters, lk, link);
			free(lk);
		}
		query_free(q);
	}
	while ((lk = TAILQ_FIRST(&d->ready)))
		ref_dns_lookup_cancel(lk);
	for (unsigned b = 0; b < CACHE_BUCKETS; b++)
		while ((e = LIST_FIRST(&d->cache[b])))
			cache_drop(e);
	ref_timer_stop(d->loop, &d->deliver);
	if (d->io.fd >= 0)
		ref_loop_del(d->loop, &d->io);
	if (d->fd >= 0)
		close(d->fd);
	free(d);
}
