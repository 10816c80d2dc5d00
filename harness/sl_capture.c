/* sl_capture.c: libpcap on the namespace's lo, frames kept in memory, written in SUT time. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sl_addr.h"
#include "sl_capture.h"
#include "sl_clock.h"
#include "sl_evlog.h"
#include "sl_loop.h"

struct frame {
	uint64_t t_us;   /* worker monotonic time */
	uint32_t len, caplen;
	unsigned char *data;
};

struct sl_capture {
	struct sl_loop *loop;
	pcap_t *p;
	int fd;
	int linktype;
	int64_t real_minus_mono_us;
	struct frame *fr;
	size_t n, cap;
};

static void on_packet(u_char *arg, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct sl_capture *c = (void *)arg;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;
		struct frame *fr = realloc(c->fr, cap * sizeof(*fr));
		if (!fr)
			return;
		c->fr = fr;
		c->cap = cap;
	}
	unsigned char *d = malloc(h->caplen ? h->caplen : 1);
	if (!d)
		return;
	memcpy(d, bytes, h->caplen);
	int64_t real_us = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
	c->fr[c->n++] = (struct frame){ (uint64_t)(real_us - c->real_minus_mono_us), h->len,
					h->caplen, d };
}

static void on_readable(int fd, unsigned ev, void *arg)
{
	(void)fd;
	(void)ev;
	struct sl_capture *c = arg;
	pcap_dispatch(c->p, -1, on_packet, (u_char *)c);
}

int sl_capture_new(struct sl_capture **cp, struct sl_loop *loop, const char *ifname,
		   char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	int rc = -EIO;
	struct sl_capture *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->loop = loop;
	c->fd = -1;
	c->p = pcap_create(ifname, ebuf);
	if (!c->p)
		goto fail;
	pcap_set_snaplen(c->p, 65535);
	pcap_set_immediate_mode(c->p, 1);
	pcap_set_buffer_size(c->p, 8 << 20);
	if (pcap_activate(c->p) < 0) {
		snprintf(ebuf, sizeof(ebuf), "%s", pcap_geterr(c->p));
		goto fail;
	}
	if (pcap_setnonblock(c->p, 1, ebuf) < 0)
		goto fail;
	c->linktype = pcap_datalink(c->p);
	c->fd = pcap_get_selectable_fd(c->p);
	struct timespec rt, mt;
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mt);
	c->real_minus_mono_us = ((int64_t)rt.tv_sec - mt.tv_sec) * 1000000 +
				(rt.tv_nsec - mt.tv_nsec) / 1000;
	rc = sl_loop_fd_add(loop, c->fd, SL_EV_IN, on_readable, c);
	if (rc < 0) {
		snprintf(ebuf, sizeof(ebuf), "%s", strerror(-rc));
		goto fail;
	}
	*cp = c;
	return 0;
fail:
	snprintf(err, errlen, "capture on %s: %s", ifname, ebuf);
	if (c->p)
		pcap_close(c->p);
	free(c);
	return rc;
}

void sl_capture_free(struct sl_capture *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		sl_loop_fd_del(c->loop, c->fd);
	pcap_close(c->p);
	for (size_t i = 0; i < c->n; i++)
		free(c->fr[i].data);
	free(c->fr);
	free(c);
}

void sl_capture_drain(struct sl_capture *c, int quiet_ms)
{
	uint64_t last = sl_now_us();
	for (;;) {
		int got = pcap_dispatch(c->p, -1, on_packet, (u_char *)c);
		uint64_t now = sl_now_us();
		if (got > 0)
			last = now;
		else if (now - last >= (uint64_t)quiet_ms * 1000)
			break;
		else {
			struct timespec ts = { 0, 1000000 };
			nanosleep(&ts, NULL);
		}
	}
}

size_t sl_capture_frames(const struct sl_capture *c)
{
	return c->n;
}

/* One frame's layer 4 as matching needs it. */
struct l4 {
	int proto;                       /* 17 udp, 6 tcp, 1 icmp, 58 icmpv6 */
	char src[SL_ADDRSTRLEN], dst[SL_ADDRSTRLEN];  /* ports 0 for ICMP */
	const unsigned char *pl;         /* udp/tcp payload, or the whole ICMP message */
	size_t len;
	uint32_t seq;                    /* tcp */
	unsigned flags;                  /* tcp */
};

static void set_port(struct sockaddr_storage *s, uint16_t port)
{
	if (s->ss_family == AF_INET)
		((struct sockaddr_in *)s)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)s)->sin6_port = htons(port);
}

/* Finds the layer 4 of a frame. Returns 0, or -1 for what we do not match. */
static int frame_l4(const struct sl_capture *c, const struct frame *f, struct l4 *o)
{
	const unsigned char *p = f->data;
	size_t n = f->caplen;
	uint16_t etype;
	if (c->linktype == DLT_EN10MB) {
		if (n < 14)
			return -1;
		etype = (uint16_t)(p[12] << 8 | p[13]);
		p += 14;
		n -= 14;
	} else if (c->linktype == DLT_LINUX_SLL) {
		if (n < 16)
			return -1;
		etype = (uint16_t)(p[14] << 8 | p[15]);
		p += 16;
		n -= 16;
	} else {
		return -1;
	}
	struct sockaddr_storage s = { 0 }, d = { 0 };
	size_t l4off, end;
	int l4;
	if (etype == 0x0800 && n >= 20) {
		size_t ihl = (size_t)(p[0] & 0x0f) * 4, tot = (size_t)(p[2] << 8 | p[3]);
		if (ihl < 20 || n < ihl)
			return -1;
		l4 = p[9];
		struct sockaddr_in *si = (void *)&s, *di = (void *)&d;
		si->sin_family = di->sin_family = AF_INET;
		memcpy(&si->sin_addr, p + 12, 4);
		memcpy(&di->sin_addr, p + 16, 4);
		l4off = ihl;
		end = tot >= ihl && tot <= n ? tot : n;
	} else if (etype == 0x86dd && n >= 40) {
		l4 = p[6];
		struct sockaddr_in6 *si = (void *)&s, *di = (void *)&d;
		si->sin6_family = di->sin6_family = AF_INET6;
		memcpy(&si->sin6_addr, p + 8, 16);
		memcpy(&di->sin6_addr, p + 24, 16);
		l4off = 40;
		size_t plen = (size_t)(p[4] << 8 | p[5]);
		end = 40 + plen <= n ? 40 + plen : n;
	} else {
		return -1;
	}
	const unsigned char *u = p + l4off;
	size_t ulen = end - l4off;
	memset(o, 0, sizeof(*o));
	o->proto = l4;
	if ((l4 == 1 && s.ss_family == AF_INET) || (l4 == 58 && s.ss_family == AF_INET6)) {
		if (ulen < 8)
			return -1;
		o->pl = u;
		o->len = ulen;
	} else if (l4 == 17 || l4 == 6) {
		size_t hl = 8;
		if (ulen < 8)
			return -1;
		set_port(&s, (uint16_t)(u[0] << 8 | u[1]));
		set_port(&d, (uint16_t)(u[2] << 8 | u[3]));
		if (l4 == 6) {
			if (ulen < 20 || (hl = (size_t)(u[12] >> 4) * 4) < 20 || ulen < hl)
				return -1;
			o->seq = (uint32_t)u[4] << 24 | (uint32_t)u[5] << 16 | (uint32_t)u[6] << 8 | u[7];
			o->flags = u[13];
		}
		o->pl = u + hl;
		o->len = ulen - hl;
	} else {
		return -1;
	}
	sl_addr_fmt((void *)&s, o->src, SL_ADDRSTRLEN);
	sl_addr_fmt((void *)&d, o->dst, SL_ADDRSTRLEN);
	return 0;
}

/* TCP flows seen so far: the initial sequence number of each direction (the latest SYN
 * wins, so a reused 4-tuple starts over). */
struct flow {
	char src[SL_ADDRSTRLEN], dst[SL_ADDRSTRLEN];
	uint32_t isn;
};

static struct flow *flow_find(struct flow *fl, size_t n, const struct l4 *x)
{
	for (size_t i = n; i-- > 0;)
		if (!strcmp(fl[i].src, x->src) && !strcmp(fl[i].dst, x->dst))
			return &fl[i];
	return NULL;
}

static int same_ends(const struct sl_fp *fp, const struct l4 *x)
{
	return fp->proto == x->proto && !fp->frame && !strcmp(fp->src, x->src) &&
	       !strcmp(fp->dst, x->dst);
}

/* Earliest unmatched fingerprint accepted by want(); every one when all. */
static void match_events(struct sl_evlog *log, const struct l4 *x, unsigned frame, int all,
			 int (*want)(const struct sl_fp *fp, const struct l4 *x, const void *arg),
			 const void *arg)
{
	size_t nev = sl_evlog_count(log);
	for (size_t e = 0; e < nev; e++) {
		struct sl_event *ev = sl_evlog_get(log, e);
		for (int k = 0; k < 2; k++) {
			struct sl_fp *fp = &ev->fp[k];
			if (same_ends(fp, x) && want(fp, x, arg)) {
				fp->frame = frame;
				if (!all)
					return;
			}
		}
	}
}

static int want_hash(const struct sl_fp *fp, const struct l4 *x, const void *arg)
{
	const uint64_t *h = arg;
	return !fp->has_off && fp->len == x->len && fp->hash == *h;
}

static int want_rst(const struct sl_fp *fp, const struct l4 *x, const void *arg)
{
	(void)x;
	(void)arg;
	return fp->has_off && (fp->tcp_flags & 0x04);
}

/* A TCP message goes with the segment that carries its first byte. */
static int want_off(const struct sl_fp *fp, const struct l4 *x, const void *arg)
{
	const unsigned long long *rel = arg;
	return fp->has_off && !fp->tcp_flags && fp->off >= *rel && fp->off < *rel + x->len;
}

/* Datagram fingerprints by hash, in log order: a frame finds its candidates at once
 * instead of walking the whole log (a zone_farm run has tens of thousands of each). */
struct fp_ix {
	size_t nb;
	uint32_t *head;          /* per bucket: first entry + 1 */
	uint32_t *next;          /* per entry: next entry of the bucket + 1 */
	struct sl_fp **fp;
};

static void fp_ix_free(struct fp_ix *x)
{
	free(x->head);
	free(x->next);
	free(x->fp);
}

static int fp_ix_build(struct fp_ix *x, struct sl_evlog *log)
{
	size_t nev = sl_evlog_count(log), n = 0;
	memset(x, 0, sizeof(*x));
	x->nb = 64;
	while (x->nb < nev * 2)
		x->nb *= 2;
	x->head = calloc(x->nb, sizeof(*x->head));
	uint32_t *tail = calloc(x->nb, sizeof(*tail));
	x->next = calloc(nev * 2 + 1, sizeof(*x->next));
	x->fp = calloc(nev * 2 + 1, sizeof(*x->fp));
	if (!x->head || !tail || !x->next || !x->fp) {
		free(tail);
		fp_ix_free(x);
		return -ENOMEM;
	}
	for (size_t e = 0; e < nev; e++) {
		struct sl_event *ev = sl_evlog_get(log, e);
		for (int k = 0; k < 2; k++) {
			struct sl_fp *fp = &ev->fp[k];
			if (!fp->proto || fp->has_off)
				continue;
			size_t b = (fp->hash ^ fp->len) & (x->nb - 1);
			x->fp[n] = fp;
			if (tail[b])
				x->next[tail[b] - 1] = (uint32_t)n + 1;
			else
				x->head[b] = (uint32_t)n + 1;
			tail[b] = (uint32_t)++n;
		}
	}
	free(tail);
	return 0;
}

/* match_events() for a datagram (hash match), through the index. */
static void match_hashed(const struct fp_ix *ix, const struct l4 *x, unsigned frame,
			 uint64_t h)
{
	for (uint32_t n = ix->head[(h ^ x->len) & (ix->nb - 1)]; n; n = ix->next[n - 1]) {
		struct sl_fp *fp = ix->fp[n - 1];
		if (same_ends(fp, x) && want_hash(fp, x, &h)) {
			fp->frame = frame;
			return;
		}
	}
}

void sl_capture_match(struct sl_capture *c, struct sl_evlog *log)
{
	struct flow *fl = NULL;
	size_t nfl = 0;
	struct fp_ix ix;
	int indexed = fp_ix_build(&ix, log) == 0;
	for (size_t i = 0; i < c->n; i++) {
		struct l4 x;
		unsigned frame = (unsigned)i + 1;
		if (frame_l4(c, &c->fr[i], &x) < 0)
			continue;
		if (x.proto == 17) {
			/* Retransmissions carry the same bytes and were logged in capture order. */
			uint64_t h = sl_fp_hash(x.pl, x.len);
			if (indexed)
				match_hashed(&ix, &x, frame, h);
			else
				match_events(log, &x, frame, 0, want_hash, &h);
		} else if (x.proto == 1 || x.proto == 58) {
			unsigned char m[1500];
			size_t n = x.len < sizeof(m) ? x.len : sizeof(m);
			memcpy(m, x.pl, n);
			m[2] = m[3] = 0;
			uint64_t h = sl_fp_hash(m, n);
			x.len = n;
			if (indexed)
				match_hashed(&ix, &x, frame, h);
			else
				match_events(log, &x, frame, 0, want_hash, &h);
		} else if (x.flags & 0x02) {            /* SYN: a direction starts */
			struct flow *f = flow_find(fl, nfl, &x);
			if (!f) {
				struct flow *g = realloc(fl, (nfl + 1) * sizeof(*fl));
				if (!g)
					continue;
				fl = g;
				f = &fl[nfl++];
				snprintf(f->src, sizeof(f->src), "%s", x.src);
				snprintf(f->dst, sizeof(f->dst), "%s", x.dst);
			}
			f->isn = x.seq;
		} else if (x.flags & 0x04) {
			match_events(log, &x, frame, 0, want_rst, NULL);
		} else if (x.len) {
			struct flow *f = flow_find(fl, nfl, &x);
			if (!f)
				continue;
			unsigned long long rel = (uint32_t)(x.seq - f->isn - 1);
			match_events(log, &x, frame, 1, want_off, &rel);
		}
	}
	if (indexed)
		fp_ix_free(&ix);
	free(fl);
}

int sl_capture_write(struct sl_capture *c, const char *path, const struct sl_clock *clk,
		     char *err, size_t errlen)
{
	pcap_t *dead = pcap_open_dead_with_tstamp_precision(c->linktype, 65535,
							     PCAP_TSTAMP_PRECISION_NANO);
	if (!dead) {
		snprintf(err, errlen, "pcap_open_dead failed");
		return -ENOMEM;
	}
	int rc = 0;
	pcap_dumper_t *d = pcap_dump_open(dead, path);
	if (!d) {
		snprintf(err, errlen, "%s: %s", path, pcap_geterr(dead));
		rc = -EIO;
		goto out;
	}
	for (size_t i = 0; i < c->n; i++) {
		int64_t ns = sl_clock_sut_ns(clk, c->fr[i].t_us);
		struct pcap_pkthdr h = { .caplen = c->fr[i].caplen, .len = c->fr[i].len };
		/* With nanosecond precision the dumper reads tv_usec as nanoseconds. */
		h.ts.tv_sec = ns / 1000000000;
		h.ts.tv_usec = ns % 1000000000;
		pcap_dump((u_char *)d, &h, c->fr[i].data);
	}
	if (pcap_dump_flush(d) < 0) {
		snprintf(err, errlen, "%s: write failed", path);
		rc = -EIO;
	}
	pcap_dump_close(d);
out:
	pcap_close(dead);
	return rc;
}
