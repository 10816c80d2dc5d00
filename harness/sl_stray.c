/* sl_stray.c: frames no event claimed, classified (datagram to nowhere, refused or
 * unanswered SYN, kernel ICMP or RST) and logged as events in capture-time order. */
#include <arpa/inet.h>
#include <errno.h>
#include <ldns/ldns.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_addr.h"
#include "sl_capture.h"
#include "sl_evlog.h"
#include "sl_sipmsg.h"
#include "sl_stray.h"

#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10

/* Host of "127.0.0.2:5060" / "[fd00::2]:5060" (brackets kept) into out. */
static void host_part(const char *a, char *out, size_t len)
{
	const char *c = strrchr(a, ':');
	snprintf(out, len, "%.*s", c ? (int)(c - a) : (int)strlen(a), a);
}

/* What the scenario declared at dst/transport, as a clause for the event's text. */
static void declared_clause(const char *dst, const char *tp, const char *const *decl,
			    size_t ndecl, char *out, size_t len)
{
	char want[96], h[64], dh[64];
	snprintf(want, sizeof(want), "%s/%s", dst, tp);
	host_part(dst, h, sizeof(h));
	int same_host = 0;
	for (size_t i = 0; i < ndecl; i++) {
		if (!strcmp(decl[i], want)) {
			snprintf(out, len, "a peer is declared at %s", want);
			return;
		}
		host_part(decl[i], dh, sizeof(dh));
		same_host |= !strcmp(h, dh);
	}
	if (same_host)
		snprintf(out, len, "nothing is declared at %s", want);
	else
		snprintf(out, len, "nothing is declared on %s", h);
}

static void sip_fields(struct sl_event *e, const unsigned char *pl, size_t len)
{
	struct sl_sipmsg *m = NULL;
	if (sl_sipmsg_parse((const char *)pl, len, &m, NULL, 0) < 0)
		return;
	if (sl_sipmsg_is_request(m)) {
		sl_evlog_str(&e->method, sl_sipmsg_method(m));
		sl_evlog_str(&e->uri, sl_sipmsg_uri(m));
	} else {
		e->status = sl_sipmsg_status(m);
	}
	sl_evlog_str(&e->call_id, sl_sipmsg_call_id(m));
	sl_evlog_str(&e->branch, sl_sipmsg_via_branch(m));
	sl_evlog_str(&e->cseq_method, sl_sipmsg_cseq_method(m));
	sl_evlog_str(&e->from_tag, sl_sipmsg_from_tag(m));
	sl_evlog_str(&e->via_transport, sl_sipmsg_via_transport(m));
	e->cseq = sl_sipmsg_cseq_num(m);
	sl_sipmsg_free(m);
}

/* A DNS message sent where no DNS server listens: its question, for the reader. */
static void dns_fields(struct sl_event *e, const unsigned char *pl, size_t len)
{
	ldns_pkt *p = NULL;
	if (ldns_wire2pkt(&p, pl, len) != LDNS_STATUS_OK)
		return;
	ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(p), 0);
	if (q) {
		char *n = ldns_rdf2str(ldns_rr_owner(q));
		char *t = ldns_rr_type2str(ldns_rr_get_type(q));
		if (n && strlen(n) > 1 && n[strlen(n) - 1] == '.')
			n[strlen(n) - 1] = 0;
		sl_evlog_str(&e->qname, n);
		sl_evlog_str(&e->qtype, t);
		free(n);
		free(t);
	}
	ldns_pkt_free(p);
}

static struct sl_event *new_event(struct sl_evlog *log, enum sl_ev_kind k,
				  const struct sl_pkt *p, const char *tp, const char *client,
				  const char *server)
{
	struct sl_event *e = sl_evlog_insert(log, k, p->t_us);
	if (!e)
		return NULL;
	sl_evlog_str(&e->transport, tp);
	sl_evlog_str(&e->client, client);
	sl_evlog_str(&e->server, server);
	sl_fp_set(&e->fp[0], p->proto, p->src, p->dst, p->pl, p->len);
	e->fp[0].frame = p->frame;
	return e;
}

/* The latest event before frame whose packet went src -> dst over proto. */
static struct sl_event *answered(struct sl_evlog *log, int proto, const char *src,
				 const char *dst, unsigned frame)
{
	struct sl_event *best = NULL;
	unsigned best_fr = 0;
	for (size_t i = 0; i < sl_evlog_count(log); i++) {
		struct sl_event *e = sl_evlog_get(log, i);
		for (int k = 0; k < 2; k++) {
			const struct sl_fp *f = &e->fp[k];
			if (f->proto == proto && f->frame && f->frame < frame && f->frame >= best_fr &&
			    !strcmp(f->src, src) && !strcmp(f->dst, dst)) {
				best = e;
				best_fr = f->frame;
			}
		}
	}
	return best;
}

static void fmt_quoted(int v6, const unsigned char *ip, unsigned port, char *out, size_t len)
{
	struct sockaddr_storage ss = { 0 };
	if (v6) {
		struct sockaddr_in6 *s = (void *)&ss;
		s->sin6_family = AF_INET6;
		memcpy(&s->sin6_addr, ip, 16);
		s->sin6_port = htons((uint16_t)port);
	} else {
		struct sockaddr_in *s = (void *)&ss;
		s->sin_family = AF_INET;
		memcpy(&s->sin_addr, ip, 4);
		s->sin_port = htons((uint16_t)port);
	}
	sl_addr_fmt((void *)&ss, out, len);
}

static const char *unreach_name(int v6, unsigned code)
{
	if (v6) {
		static const char *const n6[] = { "no route", "administratively prohibited",
						  "beyond scope", "address unreachable",
						  "port unreachable" };
		return code < 5 ? n6[code] : "unreachable";
	}
	static const char *const n4[] = { "network unreachable", "host unreachable",
					  "protocol unreachable", "port unreachable",
					  "fragmentation needed", "source route failed" };
	return code < 6 ? n4[code] : code == 13 ? "administratively prohibited" : "unreachable";
}

/* An ICMP/ICMPv6 destination unreachable no peer forged: the kernel's. */
static int icmp_event(struct sl_evlog *log, const struct sl_pkt *p)
{
	int v6 = p->proto == 58;
	const unsigned char *m = p->pl;
	if (p->len < 8 || m[0] != (v6 ? 1 : 3))
		return 0; /* echo, neighbour discovery...: not an answer to anything we sent */
	const unsigned char *q = m + 8;
	size_t ql = p->len - 8, ihl;
	const unsigned char *osrc, *odst;
	int oproto;
	if (v6) {
		if (ql < 40)
			return 0;
		ihl = 40;
		oproto = q[6];
		osrc = q + 8;
		odst = q + 24;
	} else {
		if (ql < 20 || (ihl = (size_t)(q[0] & 0x0f) * 4) < 20 || ql < ihl)
			return 0;
		oproto = q[9];
		osrc = q + 12;
		odst = q + 16;
	}
	unsigned sport = 0, dport = 0;
	if ((oproto == 17 || oproto == 6) && ql >= ihl + 4) {
		sport = (unsigned)(q[ihl] << 8 | q[ihl + 1]);
		dport = (unsigned)(q[ihl + 2] << 8 | q[ihl + 3]);
	}
	char src[SL_ADDRSTRLEN], dst[SL_ADDRSTRLEN];
	fmt_quoted(v6, osrc, sport, src, sizeof(src));
	fmt_quoted(v6, odst, dport, dst, sizeof(dst));
	struct sl_event *e = new_event(log, SL_EV_REJECT, p, v6 ? "icmpv6" : "icmp", src, dst);
	if (!e)
		return -ENOMEM;
	e->answers = answered(log, oproto, src, dst, p->frame);
	char t[256];
	snprintf(t, sizeof(t), "kernel: ICMP%s %s for %s %s -> %s", v6 ? "v6" : "",
		 unreach_name(v6, m[1]), oproto == 17 ? "UDP" : oproto == 6 ? "TCP" : "IP",
		 src, dst);
	sl_evlog_str(&e->text, t);
	return 1;
}

/* Index of the first frame after i going dst -> src of p with any of flags, or n. */
static size_t tcp_answer(const struct sl_capture *c, size_t i, const struct sl_pkt *p,
			 struct sl_pkt *out)
{
	for (size_t j = i + 1; sl_capture_pkt(c, j, out) != -ENOENT; j++) {
		if (out->proto != 6)
			continue;
		if (!strcmp(out->src, p->src) && !strcmp(out->dst, p->dst) && (out->flags & TH_SYN) &&
		    !(out->flags & TH_ACK) && out->seq != p->seq)
			break; /* a new connection from the same port: this SYN was never answered */
		if (strcmp(out->src, p->dst) || strcmp(out->dst, p->src))
			continue;
		if ((out->flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK) || (out->flags & TH_RST))
			return j;
	}
	return (size_t)-1;
}

/* Is host of a ("127.0.0.1:5060", "[::1]:5060") one of self ("127.0.0.1", "::1")? */
static int is_self(const char *a, const char *const *self, size_t nself)
{
	char h[64];
	host_part(a, h, sizeof(h));
	const char *x = h;
	size_t l = strlen(h);
	if (h[0] == '[' && l > 1 && h[l - 1] == ']') {
		h[l - 1] = 0;
		x = h + 1;
	}
	for (size_t i = 0; i < nself; i++)
		if (!strcmp(x, self[i]))
			return 1;
	return 0;
}

int sl_stray_events(const struct sl_capture *c, struct sl_evlog *log,
		    const char *const *declared, size_t ndeclared, const char *const *self,
		    size_t nself)
{
	size_t n = sl_capture_frames(c);
	unsigned char *used = calloc(n ? n : 1, 1); /* RSTs already told as a SYN's answer */
	if (!used)
		return -ENOMEM;
	int added = 0, rc = 0;
	for (size_t i = 0; i < n && rc >= 0; i++) {
		struct sl_pkt p, a;
		if (used[i] || sl_capture_pkt(c, i, &p) < 0 || p.matched ||
		    (is_self(p.src, self, nself) && is_self(p.dst, self, nself)))
			continue;
		char why[160], t[512];
		if (p.proto == 17) {
			struct sl_event *e = new_event(log, SL_EV_STRAY, &p, "udp", p.src, p.dst);
			if (!e) {
				rc = -ENOMEM;
				break;
			}
			sip_fields(e, p.pl, p.len);
			if (!e->method && !e->status)
				dns_fields(e, p.pl, p.len);
			declared_clause(p.dst, "udp", declared, ndeclared, why, sizeof(why));
			snprintf(t, sizeof(t), "UDP %s%s%s to %s that no peer or DNS server took "
				 "(%s)", e->method ? e->method : e->status ? "response" :
				 e->qtype ? "DNS query" : "datagram", e->qtype ? " " : "",
				 e->qtype ? e->qtype : "", p.dst, why);
			sl_evlog_str(&e->text, t);
			added++;
		} else if (p.proto == 1 || p.proto == 58) {
			rc = icmp_event(log, &p);
			added += rc > 0;
		} else if (p.proto == 6 && (p.flags & TH_SYN) && !(p.flags & TH_ACK)) {
			size_t j = tcp_answer(c, i, &p, &a);
			if (j != (size_t)-1 && (a.flags & TH_SYN))
				continue; /* accepted: the connection's messages are logged */
			struct sl_event *e = new_event(log, SL_EV_STRAY, &p, "tcp", p.src, p.dst);
			if (!e) {
				rc = -ENOMEM;
				break;
			}
			declared_clause(p.dst, "tcp", declared, ndeclared, why, sizeof(why));
			snprintf(t, sizeof(t), "TCP SYN to %s, %s (%s)", p.dst,
				 j == (size_t)-1 ? "never answered" : "refused", why);
			sl_evlog_str(&e->text, t);
			added++;
			if (j == (size_t)-1)
				continue;
			used[j] = 1;
			struct sl_event *r = new_event(log, SL_EV_REJECT, &a, "tcp", p.src, p.dst);
			if (!r) {
				rc = -ENOMEM;
				break;
			}
			r->answers = e;
			snprintf(t, sizeof(t), "kernel: TCP RST, connection to %s refused", p.dst);
			sl_evlog_str(&r->text, t);
			added++;
		} else if (p.proto == 6 && (p.flags & TH_RST)) {
			struct sl_event *r = new_event(log, SL_EV_REJECT, &p, "tcp", p.dst, p.src);
			if (!r) {
				rc = -ENOMEM;
				break;
			}
			snprintf(t, sizeof(t), "TCP RST from %s to %s that no peer logged", p.src, p.dst);
			sl_evlog_str(&r->text, t);
			added++;
		}
	}
	free(used);
	return rc < 0 ? rc : added;
}
