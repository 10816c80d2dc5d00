/* rpt_svg.c: the ladder diagram of one scenario: who sent what to whom, in SUT time,
 * drawn from results.json "events", with the packets of failed checks marked. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpt_int.h"

#define MAX_COLS  256 /* the world declares at most 64 peers; strays add their addresses */
#define LABEL_MAX 46
#define ROW_H     30
#define TOP       78
#define GUTTER    150 /* x of the first column */
#define MARGIN_R  200 /* room for the failed-check marks */
#define GAP_S     1.0 /* a quiet stretch longer than this gets its own row */
#define HEAD_EVERY 24 /* rows between repeated column headers in a long ladder */
#define HEAD_H    46

enum { COL_DNS, COL_SUT };

struct cols {
	const char *addr[MAX_COLS]; /* column address (NULL for the SUT) */
	int peer[MAX_COLS];         /* a peer answered there (else: only strays reached it) */
	size_t n;
	const char *sut[8];         /* the SUT's addresses, as events name them */
	size_t nsut;
};

enum row_kind { ROW_ARROW, ROW_BOX, ROW_GAP };

struct row {
	enum row_kind kind;
	double t;
	int from, to;     /* columns; a box sits on from */
	json_int_t frame; /* 0: none */
	char label[LABEL_MAX * 4 + 8];
	int dashed;       /* 1: seen on the wire only (stray, kernel answer); 2: forged */
	const json_t *ev;
};

#define LADDER_MAX_ROWS 1500

static int find(const char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] && !strcmp(v[i], s))
			return (int)i;
	return -1;
}

static void add_sut(struct cols *c, const char *a)
{
	if (*a && find(c->sut, c->nsut, a) < 0 && c->nsut < 8)
		c->sut[c->nsut++] = a;
}

static int peer_col(struct cols *c, const char *a)
{
	int i = find(c->addr, c->n, a);
	if (i >= 0)
		return i;
	if (c->n == MAX_COLS)
		return -1;
	c->addr[c->n] = a;
	return (int)c->n++;
}

/* Host part of "1.2.3.4:5" / "[::1]:5" into out, for events (ICMP) that carry no port. */
static void host_of(const char *a, char *out, size_t len)
{
	const char *end = a[0] == '[' ? strchr(a, ']') : strrchr(a, ':');
	if (a[0] == '[' && end)
		snprintf(out, len, "%.*s", (int)(end - a - 1), a + 1);
	else if (end && strchr(a, ':') == end)
		snprintf(out, len, "%.*s", (int)(end - a), a);
	else
		snprintf(out, len, "%s", a);
}

/* Column of an address seen in an event of a kind we do not know the direction of. */
static int col_of(struct cols *c, const char *a)
{
	if (find(c->sut, c->nsut, a) >= 0)
		return COL_SUT;
	int i = find(c->addr, c->n, a);
	if (i >= 0)
		return i;
	char h[128], x[128];
	host_of(a, h, sizeof(h));
	for (size_t k = 2; k < c->n; k++) {
		host_of(c->addr[k], x, sizeof(x));
		if (!strcmp(h, x))
			return (int)k;
	}
	for (size_t k = 0; k < c->nsut; k++) {
		host_of(c->sut[k], x, sizeof(x));
		if (!strcmp(h, x))
			return COL_SUT;
	}
	return peer_col(c, a);
}

static void columns(struct cols *c, const json_t *evs)
{
	size_t i;
	json_t *e;
	c->n = 2;
	c->addr[COL_DNS] = NULL;
	c->addr[COL_SUT] = NULL;
	/* The SUT's addresses first, so a peer is never mistaken for it. */
	json_array_foreach(evs, i, e) {
		const char *k = rpt_str(e, "kind");
		if (!strcmp(k, "sip-rx"))
			add_sut(c, rpt_str(e, "from"));
		else if (!strcmp(k, "sip-tx"))
			add_sut(c, rpt_str(e, "to"));
	}
	json_array_foreach(evs, i, e) {
		if (strcmp(rpt_str(e, "kind"), "dns"))
			continue;
		add_sut(c, rpt_str(e, "from"));
		if (!c->addr[COL_DNS] && *rpt_str(e, "to"))
			c->addr[COL_DNS] = rpt_str(e, "to");
	}
	json_array_foreach(evs, i, e) {
		const char *k = rpt_str(e, "kind");
		int col = -1;
		if (!strcmp(k, "sip-rx") && *rpt_str(e, "to"))
			col = peer_col(c, rpt_str(e, "to"));
		else if (!strcmp(k, "sip-tx") && *rpt_str(e, "from"))
			col = peer_col(c, rpt_str(e, "from"));
		else if (!strcmp(k, "stray") && *rpt_str(e, "to") &&
			 find(c->sut, c->nsut, rpt_str(e, "to")) < 0 &&
			 (!c->addr[COL_DNS] || strcmp(rpt_str(e, "to"), c->addr[COL_DNS])))
			peer_col(c, rpt_str(e, "to")); /* where a request went and nobody was */
		if (col >= 0)
			c->peer[col] = 1;
	}
}

static const char *rcode_name(json_int_t rc)
{
	static const char *const n[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
					 "NOTIMP", "REFUSED" };
	return rc >= 0 && rc < 6 ? n[rc] : "RCODE";
}

static const char *reason(json_int_t st)
{
	static const struct {
		int st;
		const char *r;
	} t[] = { { 100, "Trying" }, { 180, "Ringing" }, { 183, "Session Progress" },
		  { 200, "OK" }, { 302, "Moved Temporarily" }, { 404, "Not Found" },
		  { 408, "Request Timeout" }, { 480, "Temporarily Unavailable" },
		  { 486, "Busy Here" }, { 487, "Request Terminated" },
		  { 500, "Server Internal Error" }, { 503, "Service Unavailable" },
		  { 504, "Server Time-out" }, { 603, "Decline" } };
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].st == st)
			return t[i].r;
	return "";
}

/* Cuts at LABEL_MAX characters (never inside a UTF-8 sequence), marking the cut. */
static void clip(char *s)
{
	size_t chars = 0, i = 0;
	for (; s[i]; i++) {
		if (((unsigned char)s[i] & 0xc0) == 0x80)
			continue;
		if (++chars > LABEL_MAX - 1) {
			strcpy(s + i, "\xe2\x80\xa6");
			return;
		}
	}
}

static size_t nchars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static json_int_t frame_at(const json_t *e, size_t k)
{
	return json_integer_value(json_array_get(json_object_get(e, "frames"), k));
}

/* Requests seen so far, by (kind, method, branch, destination): the same request to the
 * same place again is a retransmission, worth telling apart from a new transaction in
 * the picture. A hash set, so a ladder of thousands of transactions stays linear. */
struct seen {
	char **key;
	size_t cap, n;
};

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* 1 if e's request was seen before (then or now it is remembered); 0 otherwise. */
static int is_retransmission(struct seen *st, const json_t *e)
{
	if (!*rpt_str(e, "method") || !*rpt_str(e, "branch"))
		return 0;
	char k[512];
	snprintf(k, sizeof(k), "%s\x01%s\x01%s\x01%s", rpt_str(e, "kind"), rpt_str(e, "method"),
		 rpt_str(e, "branch"), rpt_str(e, "to"));
	if (st->n * 2 >= st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 256;
		char **nk = calloc(cap, sizeof(*nk));
		if (!nk)
			return 0;
		for (size_t i = 0; i < st->cap; i++) {
			if (!st->key[i])
				continue;
			size_t h = (size_t)str_hash(st->key[i]) & (cap - 1);
			while (nk[h])
				h = (h + 1) & (cap - 1);
			nk[h] = st->key[i];
		}
		free(st->key);
		st->key = nk;
		st->cap = cap;
	}
	size_t h = (size_t)str_hash(k) & (st->cap - 1);
	for (; st->key[h]; h = (h + 1) & (st->cap - 1))
		if (!strcmp(st->key[h], k))
			return 1;
	st->key[h] = strdup(k);
	st->n += st->key[h] != NULL;
	return 0;
}

static void seen_free(struct seen *st)
{
	for (size_t i = 0; i < st->cap; i++)
		free(st->key[i]);
	free(st->key);
}

static void sip_label(const json_t *e, char *out, size_t len)
{
	json_int_t st = json_integer_value(json_object_get(e, "status"));
	const char *br = rpt_str(e, "branch");
	size_t bl = strlen(br);
	char brs[16] = "";
	if (bl)
		snprintf(brs, sizeof(brs), " ;%s", bl > 8 ? br + bl - 8 : br);
	if (*rpt_str(e, "method"))
		snprintf(out, len, "%s%s", rpt_str(e, "method"), brs);
	else if (st) /* a response's branch is its request's: left out to keep it short */
		snprintf(out, len, "%lld %s (%s)", (long long)st, reason(st),
			 rpt_str(e, "cseq_method"));
	else
		snprintf(out, len, "SIP (unparsed)");
}

/* What a packet only the capture saw (or a peer forged) is, in a few words. */
static void wire_label(const json_t *e, const char *k, char *out, size_t len)
{
	const char *t = rpt_str(e, "text");
	const char *icmp = strstr(t, "ICMP");
	if (!strcmp(k, "stray")) {
		if (*rpt_str(e, "method") || json_integer_value(json_object_get(e, "status"))) {
			sip_label(e, out, len);
			size_t l = strlen(out);
			snprintf(out + l, len - l, " (stray)");
		} else if (*rpt_str(e, "qtype")) {
			snprintf(out, len, "DNS %s %s (stray)", rpt_str(e, "qtype"), rpt_str(e, "qname"));
		} else if (!strcmp(rpt_str(e, "transport"), "tcp")) {
			snprintf(out, len, "TCP SYN%s", strstr(t, "never answered") ? " (unanswered)" : "");
		} else {
			snprintf(out, len, "UDP datagram (stray)");
		}
	} else if (icmp) {
		/* "ICMP port unreachable for ..." / "ICMPv6 ..." / "peer ...: ICMP port unreachable to" */
		const char *end = strstr(icmp, " for ");
		if (!end)
			end = strstr(icmp, " to ");
		int n = end ? (int)(end - icmp) : (int)strlen(icmp);
		snprintf(out, len, "%.*s", n, icmp);
	} else if (strstr(t, "RST") || strstr(t, "reset")) {
		snprintf(out, len, "TCP RST");
	} else {
		snprintf(out, len, "%s", k);
	}
}

/* The rows of the diagram; returns how many were filled (at most cap). */
static size_t rows(struct cols *c, const json_t *evs, struct row *r, size_t cap)
{
	size_t n = 0, i;
	json_t *e;
	double last = 0;
	int any = 0;
	struct seen st = { 0 };
	json_array_foreach(evs, i, e) {
		/* Room for this event's rows (a gap and two arrows) and the closing note. */
		if (n + 4 > cap)
			break;
		const char *k = rpt_str(e, "kind");
		double t = json_number_value(json_object_get(e, "t"));
		struct row w = { .kind = ROW_ARROW, .t = t, .ev = e };
		struct row w2 = w;
		int two = 0;
		if (!strcmp(k, "dns")) {
			w.from = COL_SUT;
			w.to = COL_DNS;
			w.frame = frame_at(e, 0);
			snprintf(w.label, sizeof(w.label), "%s %s%s", rpt_str(e, "qtype"),
				 rpt_str(e, "qname"),
				 strcmp(rpt_str(e, "transport"), "tcp") ? "" : " (tcp)");
			json_t *rc = json_object_get(e, "rcode");
			if (json_is_integer(rc) && json_integer_value(rc) >= 0) {
				two = 1;
				w2.from = COL_DNS;
				w2.to = COL_SUT;
				w2.frame = frame_at(e, 1);
				json_int_t an = json_integer_value(json_object_get(e, "ancount"));
				snprintf(w2.label, sizeof(w2.label), "%s, %lld answer%s%s",
					 rcode_name(json_integer_value(rc)), (long long)an,
					 an == 1 ? "" : "s",
					 json_is_true(json_object_get(e, "tc")) ? ", TC" : "");
			}
		} else if (!strcmp(k, "sip-rx") || !strcmp(k, "sip-tx")) {
			int rx = !strcmp(k, "sip-rx");
			int peer = peer_col(c, rpt_str(e, rx ? "to" : "from"));
			if (peer < 0)
				continue;
			w.from = rx ? COL_SUT : peer;
			w.to = rx ? peer : COL_SUT;
			w.frame = frame_at(e, 0);
			sip_label(e, w.label, sizeof(w.label));
			if (is_retransmission(&st, e)) {
				size_t l = strlen(w.label);
				snprintf(w.label + l, sizeof(w.label) - l, " (retransmission)");
			}
			if (json_is_true(json_object_get(e, "bounced"))) {
				size_t l = strlen(w.label);
				snprintf(w.label + l, sizeof(w.label) - l, " (unreachable)");
			}
		} else if (!strcmp(k, "sut-request") || !strcmp(k, "sut-done")) {
			w.kind = ROW_BOX;
			w.from = w.to = COL_SUT;
			if (!strcmp(k, "sut-request"))
				snprintf(w.label, sizeof(w.label), "request %lld: %s %s",
					 (long long)json_integer_value(json_object_get(e, "request")),
					 rpt_str(e, "method"), rpt_str(e, "uri"));
			else
				snprintf(w.label, sizeof(w.label), "request %lld: %s",
					 (long long)json_integer_value(json_object_get(e, "request")),
					 rpt_str(e, "outcome"));
		} else if (*rpt_str(e, "from") && *rpt_str(e, "to")) {
			/* Strays, the kernel's ICMP and RST, what peers forge; kinds this writer
			 * does not know yet are still drawn, named by their kind. */
			w.from = col_of(c, rpt_str(e, "from"));
			w.to = col_of(c, rpt_str(e, "to"));
			if (w.from < 0 || w.to < 0 || w.from == w.to)
				continue;
			w.dashed = strcmp(k, "note") ? 1 : 2;
			w.frame = frame_at(e, 0);
			wire_label(e, k, w.label, sizeof(w.label));
		} else {
			continue;
		}
		if (any && t - last > GAP_S && n < cap) {
			r[n] = (struct row){ .kind = ROW_GAP, .t = t - last };
			snprintf(r[n].label, sizeof(r[n].label), "%.1f s later", t - last);
			n++;
		}
		any = 1;
		last = t;
		clip(w.label);
		if (n < cap)
			r[n++] = w;
		if (two && n < cap) {
			clip(w2.label);
			r[n++] = w2;
		}
	}
	seen_free(&st);
	return n;
}

static int col_x(int col, int spacing)
{
	return GUTTER + col * spacing;
}

/* The failed checks citing frame fr, as "REQ REQ" (marks) or check: detail (tooltip). */
static int failed_for(FILE *f, const json_t *sc, json_int_t fr, int detail)
{
	size_t i, k;
	json_t *ck, *r;
	int n = 0;
	if (!fr)
		return 0;
	json_array_foreach(json_object_get(sc, "checks"), i, ck) {
		if (!strcmp(rpt_str(ck, "verdict"), "pass") ||
		    !rpt_has_int(json_object_get(ck, "packets"), fr))
			continue;
		if (!f) {
			n++;
			continue;
		}
		if (detail) {
			fputs("\nFAILED ", f);
			rpt_xml_esc(f, rpt_str(ck, "check"), 0);
			fputs(": ", f);
			rpt_xml_esc(f, rpt_str(ck, "detail"), 0);
		} else {
			json_array_foreach(json_object_get(ck, "requirements"), k, r) {
				fputs(n++ ? " " : "", f);
				rpt_xml_esc(f, json_string_value(r), 0);
			}
		}
	}
	return n;
}

static void arrow(FILE *f, const json_t *sc, const struct row *w, int y, int spacing)
{
	int x1 = col_x(w->from, spacing), x2 = col_x(w->to, spacing);
	int failed = failed_for(NULL, sc, w->frame, 0);
	const char *colr = failed ? "#c62828" : w->dashed == 1 ? "#e65100" : w->dashed ? "#8d6e63" :
			   "#37474f";
	int dir = x2 > x1 ? 1 : -1;
	fprintf(f, "<g class=\"msg%s%s\">", w->dashed == 1 ? " wire" : "",
		failed ? " failed" : "");
	fputs("<title>", f);
	rpt_xml_esc(f, w->label, 0);
	if (w->frame)
		fprintf(f, " (frame %lld)", (long long)w->frame);
	if (w->dashed && *rpt_str(w->ev, "text")) {
		fputs("\n", f);
		rpt_xml_esc(f, rpt_str(w->ev, "text"), 0);
	}
	failed_for(f, sc, w->frame, 1);
	fputs("</title>", f);
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" "
		   "stroke-width=\"%s\"%s/>", x1, y, x2 - dir * 8, y, colr, failed ? "2.2" : "1.4",
		w->dashed ? " stroke-dasharray=\"5 3\"" : "");
	fprintf(f, "<polygon points=\"%d,%d %d,%d %d,%d\" fill=\"%s\"/>", x2, y, x2 - dir * 9,
		y - 4, x2 - dir * 9, y + 4, colr);
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"%s\"%s>",
		(x1 + x2) / 2, y - 5, colr, failed ? " font-weight=\"bold\"" : "");
	rpt_xml_esc(f, w->label, 0);
	fputs("</text>", f);
	if (w->frame)
		fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"9\" fill=\"#90a4ae\" "
			   "text-anchor=\"%s\">#%lld</text>", x1 + dir * 4, y + 11,
			dir > 0 ? "start" : "end", (long long)w->frame);
	fputs("</g>\n", f);
}

static void box(FILE *f, const struct row *w, int y, int spacing)
{
	int x = col_x(w->from, spacing);
	int wd = (int)nchars(w->label) * 7 + 14;
	fprintf(f, "<g class=\"app\"><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"18\" rx=\"4\" "
		   "fill=\"#e3f2fd\" stroke=\"#90caf9\"/><text x=\"%d\" y=\"%d\" "
		   "text-anchor=\"middle\" fill=\"#0d47a1\">", x - wd / 2, y - 13, wd, x, y);
	rpt_xml_esc(f, w->label, 0);
	fputs("</text></g>\n", f);
}

/* The column heads at y (their boxes' top): DNS server, SUT, each peer, and the places
 * strays reached where no peer was. */
static void header(FILE *f, const struct cols *c, int spacing, int y)
{
	fprintf(f, "<g class=\"heads\">");
	for (size_t i = 0; i < c->n; i++) {
		int x = col_x((int)i, spacing);
		const char *name = i == COL_DNS ? "DNS server" : i == COL_SUT ? "SUT" :
				   c->peer[i] ? "peer" : "not listening";
		const char *addr = i == COL_SUT ? (c->nsut ? c->sut[0] : "") : c->addr[i];
		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"160\" height=\"40\" rx=\"5\" "
			   "fill=\"%s\" stroke=\"#546e7a\"%s/>", x - 80, y,
			i == COL_SUT ? "#fff8e1" : i > COL_SUT && !c->peer[i] ? "#fbe9e7" : "#eceff1",
			i > COL_SUT && !c->peer[i] ? " stroke-dasharray=\"4 2\"" : "");
		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-weight=\"bold\" "
			   "font-family=\"sans-serif\" font-size=\"12\">%s</text>", x, y + 16, name);
		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"#455a64\">", x,
			y + 32);
		char host[128], other[128];
		int one_host = i == COL_SUT && c->nsut > 1;
		if (one_host) {
			host_of(c->sut[0], host, sizeof(host));
			for (size_t k = 1; k < c->nsut && one_host; k++) {
				host_of(c->sut[k], other, sizeof(other));
				one_host = !strcmp(host, other);
			}
		}
		/* The SUT uses several ports (SIP, DNS): its host says it all then. */
		rpt_xml_esc(f, one_host ? host : addr ? addr : "", 0);
		if (i == COL_SUT && c->nsut > 1 && !one_host)
			fprintf(f, " +%zu", c->nsut - 1);
		fputs("</text>\n", f);
	}
	fputs("</g>\n", f);
}

/* Column spacing: room for each arrow's label over the columns it spans (so a wide
 * ladder does not give every column the longest label's width). */
static int spacing_for(const struct row *r, size_t n)
{
	int sp = 190;
	for (size_t i = 0; i < n; i++) {
		if (r[i].kind != ROW_ARROW)
			continue;
		int span = abs(r[i].to - r[i].from);
		int need = ((int)nchars(r[i].label) * 7 + 24) / (span ? span : 1);
		if (need > sp)
			sp = need;
	}
	return sp;
}

int rpt_svg_ladder(FILE *f, const json_t *sc)
{
	const json_t *evs = json_object_get(sc, "events");
	struct cols c = { 0 };
	size_t nev = json_array_size(evs);
	size_t cap = 3 * nev + 4; /* two arrows and a gap each, and a closing note */
	/* A flood of thousands of packets makes no picture anyone reads, and every row
	 * costs: the ladder stops at LADDER_MAX_ROWS and says where the rest is. */
	if (cap > LADDER_MAX_ROWS)
		cap = LADDER_MAX_ROWS;
	struct row *r = calloc(cap, sizeof(*r));
	if (!r)
		return -ENOMEM;
	columns(&c, evs);
	size_t n = rows(&c, evs, r, cap);
	int rc = -EINVAL;
	if (!n)
		goto out;
	if (cap == LADDER_MAX_ROWS && n + 4 > cap) {
		r[n] = (struct row){ .kind = ROW_GAP, .t = r[n - 1].t };
		snprintf(r[n].label, sizeof(r[n].label), "ladder cut here after %zu rows; all %zu "
			 "events are in the log and the pcap", n, nev);
		n++;
	}
	int spacing = spacing_for(r, n);
	int width = col_x((int)c.n - 1, spacing) + 80 + MARGIN_R;
	/* A long ladder repeats its column heads, so the columns stay named far down. */
	size_t nheads = n > HEAD_EVERY ? (n - 1) / HEAD_EVERY : 0;
	int height = TOP + (int)n * ROW_H + (int)nheads * HEAD_H;
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"ladder\" width=\"%d\" "
		   "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"monospace\" "
		   "font-size=\"11\" role=\"img\" aria-label=\"ladder diagram of ", width, height,
		width, height);
	rpt_xml_esc(f, rpt_str(sc, "id"), 1);
	fputs("\">\n", f);
	fprintf(f, "<text x=\"8\" y=\"%d\" fill=\"#78909c\">SUT time</text>\n", TOP - 18);
	for (size_t i = 0; i < c.n; i++)
		fprintf(f, "<line x1=\"%d\" y1=\"48\" x2=\"%d\" y2=\"%d\" stroke=\"#b0bec5\" "
			   "stroke-dasharray=\"3 3\"/>\n", col_x((int)i, spacing),
			col_x((int)i, spacing), height - 6);
	header(f, &c, spacing, 8);
	for (size_t i = 0; i < n; i++) {
		const struct row *w = &r[i];
		int heads = (int)(i / HEAD_EVERY);
		int y = TOP + (int)i * ROW_H + heads * HEAD_H + 12;
		if (i && i % HEAD_EVERY == 0)
			header(f, &c, spacing, y - HEAD_H - 16);
		if (w->kind == ROW_GAP) {
			fprintf(f, "<g class=\"gap\"><line x1=\"8\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
				   "stroke=\"#cfd8dc\" stroke-dasharray=\"1 4\"/><text x=\"%d\" "
				   "y=\"%d\" fill=\"#78909c\" font-style=\"italic\">",
				y - 4, width - MARGIN_R, y - 4, GUTTER + spacing / 2, y - 8);
			rpt_xml_esc(f, w->label, 0);
			fputs("</text></g>\n", f);
			continue;
		}
		/* The band under a failed packet goes first so the text stays on top. */
		if (w->kind == ROW_ARROW && failed_for(NULL, sc, w->frame, 0))
			fprintf(f, "<rect x=\"4\" y=\"%d\" width=\"%d\" height=\"%d\" "
				   "fill=\"#ffebee\"/>", y - 19, width - 8, ROW_H - 4);
		fprintf(f, "<text x=\"8\" y=\"%d\" fill=\"#607d8b\">%.3f s</text>\n", y + 3, w->t);
		if (w->kind == ROW_BOX) {
			box(f, w, y + 3, spacing);
			continue;
		}
		arrow(f, sc, w, y, spacing);
		if (failed_for(NULL, sc, w->frame, 0)) {
			fprintf(f, "<text x=\"%d\" y=\"%d\" fill=\"#c62828\" font-weight=\"bold\">"
				   "\xe2\x9c\x97 ", width - MARGIN_R + 10, y + 3);
			failed_for(f, sc, w->frame, 0);
			fputs("</text>\n", f);
		}
	}
	fputs("</svg>\n", f);
	rc = 0;
out:
	free(r);
	return rc;
}
