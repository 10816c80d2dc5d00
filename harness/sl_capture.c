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

/* Finds the transport payload of a frame; fills src/dst strings. Returns 0 or -1. */
static int frame_payload(const struct sl_capture *c, const struct frame *f, int *proto,
			 char *src, char *dst, const unsigned char **pl, size_t *pllen)
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
	size_t l4off;
	int l4;
	if (etype == 0x0800 && n >= 20) {
		size_t ihl = (size_t)(p[0] & 0x0f) * 4;
		if (ihl < 20 || n < ihl)
			return -1;
		l4 = p[9];
		struct sockaddr_in *si = (void *)&s, *di = (void *)&d;
		si->sin_family = di->sin_family = AF_INET;
		memcpy(&si->sin_addr, p + 12, 4);
		memcpy(&di->sin_addr, p + 16, 4);
		l4off = ihl;
	} else if (etype == 0x86dd && n >= 40) {
		l4 = p[6];
		struct sockaddr_in6 *si = (void *)&s, *di = (void *)&d;
		si->sin6_family = di->sin6_family = AF_INET6;
		memcpy(&si->sin6_addr, p + 8, 16);
		memcpy(&di->sin6_addr, p + 24, 16);
		l4off = 40;
	} else {
		return -1;
	}
	if (l4 != 17 || n < l4off + 8)
		return -1;
	const unsigned char *u = p + l4off;
	uint16_t sport = (uint16_t)(u[0] << 8 | u[1]), dport = (uint16_t)(u[2] << 8 | u[3]);
	if (s.ss_family == AF_INET) {
		((struct sockaddr_in *)&s)->sin_port = htons(sport);
		((struct sockaddr_in *)&d)->sin_port = htons(dport);
	} else {
		((struct sockaddr_in6 *)&s)->sin6_port = htons(sport);
		((struct sockaddr_in6 *)&d)->sin6_port = htons(dport);
	}
	sl_addr_fmt((void *)&s, src, SL_ADDRSTRLEN);
	sl_addr_fmt((void *)&d, dst, SL_ADDRSTRLEN);
	*proto = 17;
	*pl = u + 8;
	*pllen = n - l4off - 8;
	return 0;
}

void sl_capture_match(struct sl_capture *c, struct sl_evlog *log)
{
	size_t nev = sl_evlog_count(log);
	for (size_t i = 0; i < c->n; i++) {
		char src[SL_ADDRSTRLEN], dst[SL_ADDRSTRLEN];
		const unsigned char *pl;
		size_t pllen;
		int proto;
		if (frame_payload(c, &c->fr[i], &proto, src, dst, &pl, &pllen) < 0)
			continue;
		uint64_t h = sl_fp_hash(pl, pllen);
		/* Earliest unmatched event with this datagram: retransmissions carry the same
		 * bytes, and are logged in the order they were captured. */
		for (size_t e = 0; e < nev; e++) {
			struct sl_event *ev = sl_evlog_get(log, e);
			int done = 0;
			for (int k = 0; k < 2 && !done; k++) {
				struct sl_fp *fp = &ev->fp[k];
				if (fp->proto == proto && !fp->frame && fp->len == pllen &&
				    fp->hash == h && !strcmp(fp->src, src) && !strcmp(fp->dst, dst)) {
					fp->frame = (unsigned)i + 1;
					done = 1;
				}
			}
			if (done)
				break;
		}
	}
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
