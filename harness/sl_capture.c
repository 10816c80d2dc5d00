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
	int matched;     /* some event's fingerprint claimed it */
};

struct sl_capture {
	struct sl_loop *loop;
	pcap_t *p;
	int fd;
	int linktype;
	int64_t real_minus_mono_us;
	struct frame *fr;
	size_t n, cap;
	size_t bytes, cut;  /* kept so far; frames cut short by the budget */
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
	uint32_t keep = h->caplen;
	/* A flooding SUT must not run the worker out of memory: headers still tell the tale. */
	if (c->bytes + keep > SL_CAPTURE_MAX_BYTES && keep > SL_CAPTURE_SNAP_LATE) {
		keep = SL_CAPTURE_SNAP_LATE;
		c->cut++;
	}
	unsigned char *d = malloc(keep ? keep : 1);
	if (!d)
		return;
	memcpy(d, bytes, keep);
	c->bytes += keep;
	int64_t real_us = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
	c->fr[c->n++] = (struct frame){ (uint64_t)(real_us - c->real_minus_mono_us), h->len,
					keep, d, 0 };
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

size_t sl_capture_cut(const struct sl_capture *c)
{
	return c->cut;
}

size_t sl_capture_dropped(const struct sl_capture *c)
{
	struct pcap_stat st;
	return pcap_stats(c->p, &st) == 0 ? st.ps_drop : 0;
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
	uint32_t seq, ack;               /* tcp */
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
			o->ack = (uint32_t)u[8] << 24 | (uint32_t)u[9] << 16 | (uint32_t)u[10] << 8 | u[11];
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

/* The event fingerprints still to match, grouped by what a frame must agree on (its
 * ends, and for datagrams its length and hash), each group in log order: a frame finds
 * its events in O(1) (datagrams, resets) or O(log n) (TCP offsets) instead of a scan of
 * the whole log, so a flood of packets costs linear time. */
enum grp_kind { G_HASH, G_RST, G_OFF };

struct member {
	struct sl_fp *fp;
	size_t seq;     /* log order, the tie-break when sorting by offset */
};

struct grp {
	enum grp_kind kind;
	int proto;
	const char *src, *dst;
	size_t len;
	uint64_t hash;
	struct member *m;
	size_t n, cap, next;  /* next: first member not matched yet (G_HASH, G_RST) */
};

struct fpindex {
	struct grp *g;
	size_t ng, capg;
	/* Datagrams whose source port is unknown (any_sport: a DNS answer sent from another
	 * port on purpose): few, so kept in a list matched by host. */
	struct member *loose;
	size_t nloose;
	size_t *slot;         /* open addressing: group index + 1, 0 for empty */
	size_t nslot;         /* a power of two */
};

static uint64_t grp_hash(enum grp_kind k, int proto, const char *src, const char *dst,
			 size_t len, uint64_t h)
{
	uint64_t v = sl_fp_hash(src, strlen(src)) * 31 + sl_fp_hash(dst, strlen(dst));
	v = v * 31 + (uint64_t)k * 7 + (uint64_t)proto;
	if (k == G_HASH)
		v = (v * 31 + len) * 31 + h;
	return v ^ (v >> 29);
}

static int grp_is(const struct grp *g, enum grp_kind k, int proto, const char *src,
		  const char *dst, size_t len, uint64_t h)
{
	return g->kind == k && g->proto == proto && !strcmp(g->src, src) &&
	       !strcmp(g->dst, dst) && (k != G_HASH || (g->len == len && g->hash == h));
}

/* The group for these fields, created when create is set; NULL when absent or no memory. */
static struct grp *grp_get(struct fpindex *ix, enum grp_kind k, int proto, const char *src,
			   const char *dst, size_t len, uint64_t h, int create)
{
	if (!ix->nslot)
		return NULL;
	size_t i = grp_hash(k, proto, src, dst, len, h) & (ix->nslot - 1);
	for (; ix->slot[i]; i = (i + 1) & (ix->nslot - 1))
		if (grp_is(&ix->g[ix->slot[i] - 1], k, proto, src, dst, len, h))
			return &ix->g[ix->slot[i] - 1];
	if (!create || ix->ng == ix->capg)
		return NULL;
	struct grp *g = &ix->g[ix->ng++];
	*g = (struct grp){ .kind = k, .proto = proto, .src = src, .dst = dst, .len = len,
			   .hash = h };
	ix->slot[i] = ix->ng;
	return g;
}

static int member_cmp(const void *a, const void *b)
{
	const struct member *x = a, *y = b;
	if (x->fp->off != y->fp->off)
		return x->fp->off < y->fp->off ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void index_free(struct fpindex *ix)
{
	for (size_t i = 0; i < ix->ng; i++)
		free(ix->g[i].m);
	free(ix->g);
	free(ix->slot);
	free(ix->loose);
}

static int index_build(struct fpindex *ix, struct sl_evlog *log)
{
	size_t nev = sl_evlog_count(log), nfp = 2 * nev + 1, seq = 0;
	memset(ix, 0, sizeof(*ix));
	ix->capg = nfp;
	for (ix->nslot = 16; ix->nslot < 2 * nfp; ix->nslot *= 2)
		;
	ix->g = calloc(ix->capg, sizeof(*ix->g));
	ix->slot = calloc(ix->nslot, sizeof(*ix->slot));
	ix->loose = calloc(nfp, sizeof(*ix->loose));
	if (!ix->g || !ix->slot || !ix->loose)
		goto fail;
	for (size_t e = 0; e < nev; e++) {
		struct sl_event *ev = sl_evlog_get(log, e);
		for (int k = 0; k < 2; k++) {
			struct sl_fp *fp = &ev->fp[k];
			if (!fp->proto || fp->frame)
				continue;
			enum grp_kind kind = !fp->has_off ? G_HASH
					     : fp->tcp_flags & 0x04 ? G_RST
					     : fp->tcp_flags ? (enum grp_kind)-1 : G_OFF;
			if ((int)kind < 0)
				continue;
			if (fp->any_sport && kind == G_HASH) {
				ix->loose[ix->nloose++] = (struct member){ fp, seq++ };
				continue;
			}
			struct grp *g = grp_get(ix, kind, fp->proto, fp->src, fp->dst, fp->len,
						fp->hash, 1);
			if (!g)
				goto fail;
			if (g->n == g->cap) {
				size_t cap = g->cap ? 2 * g->cap : 4;
				struct member *m = realloc(g->m, cap * sizeof(*m));
				if (!m)
					goto fail;
				g->m = m;
				g->cap = cap;
			}
			g->m[g->n++] = (struct member){ fp, seq++ };
		}
	}
	for (size_t i = 0; i < ix->ng; i++)
		if (ix->g[i].kind == G_OFF)
			qsort(ix->g[i].m, ix->g[i].n, sizeof(*ix->g[i].m), member_cmp);
	return 0;
fail:
	index_free(ix);
	memset(ix, 0, sizeof(*ix));
	return -ENOMEM;
}

/* a and b name the same host ("127.0.0.1:53" and "127.0.0.1:40000"). */
static int same_host(const char *a, const char *b)
{
	const char *pa = strrchr(a, ':'), *pb = strrchr(b, ':');
	return pa && pb && pa - a == pb - b && !strncmp(a, b, (size_t)(pa - a));
}

/* The earliest fingerprint of the group not matched yet takes the frame; failing that,
 * the earliest loose one (any source port) from the same host. Returns how many took it. */
static int match_next(struct fpindex *ix, struct grp *g, const struct l4 *x, uint64_t h,
		      unsigned frame)
{
	while (g && g->next < g->n && g->m[g->next].fp->frame)
		g->next++;
	if (g && g->next < g->n) {
		g->m[g->next++].fp->frame = frame;
		return 1;
	}
	for (size_t i = 0; x && i < ix->nloose; i++) {
		struct sl_fp *fp = ix->loose[i].fp;
		if (!fp->frame && fp->proto == x->proto && fp->len == x->len && fp->hash == h &&
		    same_host(fp->src, x->src) && !strcmp(fp->dst, x->dst)) {
			fp->frame = frame;
			return 1;
		}
	}
	return 0;
}

/* Every unmatched TCP message whose first byte lies in [rel, rel + len) takes the frame. */
static int match_range(struct grp *g, unsigned long long rel, size_t len, unsigned frame)
{
	int n = 0;
	if (!g)
		return 0;
	size_t lo = 0, hi = g->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (g->m[mid].fp->off < rel)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < g->n && g->m[i].fp->off < rel + len; i++)
		if (!g->m[i].fp->frame) {
			g->m[i].fp->frame = frame;
			n++;
		}
	return n;
}

void sl_capture_match(struct sl_capture *c, struct sl_evlog *log)
{
	struct flow *fl = NULL;
	size_t nfl = 0;
	struct fpindex ix;
	if (index_build(&ix, log) < 0)
		return; /* out of memory: the events keep frame 0, the pcap is still written */
	for (size_t i = 0; i < c->n; i++) {
		struct l4 x;
		unsigned frame = (unsigned)i + 1;
		if (frame_l4(c, &c->fr[i], &x) < 0)
			continue;
		if (x.proto == 17) {
			/* Retransmissions carry the same bytes and were logged in capture order. */
			uint64_t h = sl_fp_hash(x.pl, x.len);
			c->fr[i].matched = match_next(&ix, grp_get(&ix, G_HASH, 17, x.src, x.dst,
								   x.len, h, 0), &x, h, frame);
		} else if (x.proto == 1 || x.proto == 58) {
			unsigned char m[1500];
			size_t n = x.len < sizeof(m) ? x.len : sizeof(m);
			memcpy(m, x.pl, n);
			m[2] = m[3] = 0;
			uint64_t h = sl_fp_hash(m, n);
			x.len = n;
			c->fr[i].matched = match_next(&ix, grp_get(&ix, G_HASH, x.proto, x.src,
								   x.dst, n, h, 0), &x, h, frame);
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
			c->fr[i].matched = match_next(&ix, grp_get(&ix, G_RST, 6, x.src, x.dst, 0,
								   0, 0), NULL, 0, frame);
		} else if (x.len) {
			struct flow *f = flow_find(fl, nfl, &x);
			if (!f)
				continue;
			unsigned long long rel = (uint32_t)(x.seq - f->isn - 1);
			c->fr[i].matched = match_range(grp_get(&ix, G_OFF, 6, x.src, x.dst, 0, 0, 0),
						       rel, x.len, frame);
		}
	}
	index_free(&ix);
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

int sl_capture_pkt(const struct sl_capture *c, size_t i, struct sl_pkt *p)
{
	if (i >= c->n)
		return -ENOENT;
	struct l4 x;
	if (frame_l4(c, &c->fr[i], &x) < 0)
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	p->frame = (unsigned)i + 1;
	p->t_us = c->fr[i].t_us;
	p->matched = c->fr[i].matched;
	p->proto = x.proto;
	snprintf(p->src, sizeof(p->src), "%s", x.src);
	snprintf(p->dst, sizeof(p->dst), "%s", x.dst);
	p->pl = x.pl;
	p->len = x.len;
	p->seq = x.seq;
	p->ack = x.ack;
	p->flags = x.flags;
	return 0;
}
