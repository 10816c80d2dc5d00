/* rpt_pcapng.c: a scenario's pcap rewritten as pcapng whose packet comments name the
 * scenario step (event) and the checks each packet is evidence for, so Wireshark shows
 * why a packet matters; the TLS key log next to the pcap (<id>.keys) goes in as a
 * Decryption Secrets Block, so the pcapng alone decrypts SIP over TLS. Reads classic pcap
 * itself (both byte orders, us and ns). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rpt.h"
#include "rpt_int.h"

#define MAX_SNAP (256 * 1024)

struct buf {
	unsigned char *p;
	size_t n, cap;
};

static int put(struct buf *b, const void *d, size_t n)
{
	if (b->n + n + 3 > b->cap) {
		size_t cap = (b->n + n + 3) * 2 + 256;
		unsigned char *p = realloc(b->p, cap);
		if (!p)
			return -ENOMEM;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, d, n);
	b->n += n;
	return 0;
}

static int put32(struct buf *b, uint32_t v)
{
	return put(b, &v, 4);
}

static int pad4(struct buf *b)
{
	static const unsigned char z[4];
	return put(b, z, (4 - b->n % 4) % 4);
}

/* One option: code, length, value, padding to 32 bits. */
static int opt(struct buf *b, uint16_t code, const void *v, size_t len)
{
	uint16_t h[2] = { code, (uint16_t)len };
	if (len > 0xffff)
		return -EINVAL;
	int rc = put(b, h, 4);
	if (!rc && len)
		rc = put(b, v, len);
	return rc ? rc : pad4(b);
}

/* A block around body: type, total length, body, total length. */
static int block(FILE *out, uint32_t type, const struct buf *body)
{
	uint32_t len = (uint32_t)body->n + 12;
	if (fwrite(&type, 4, 1, out) != 1 || fwrite(&len, 4, 1, out) != 1 ||
	    (body->n && fwrite(body->p, body->n, 1, out) != 1) || fwrite(&len, 4, 1, out) != 1)
		return -EIO;
	return 0;
}

static uint32_t rd32(const unsigned char *p, int swap)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return swap ? __builtin_bswap32(v) : v;
}

static int comment(struct buf *b, const char *s)
{
	size_t n = strlen(s);
	return opt(b, 1, s, n > 0xfff0 ? 0xfff0 : n);
}

static void describe(const json_t *e, size_t k, char *out, size_t len)
{
	const char *kind = rpt_str(e, "kind");
	json_int_t st = json_integer_value(json_object_get(e, "status"));
	if (!strcmp(kind, "dns") && k == 0)
		snprintf(out, len, "DNS query %s %s", rpt_str(e, "qtype"), rpt_str(e, "qname"));
	else if (!strcmp(kind, "dns"))
		snprintf(out, len, "DNS response rcode %lld, %lld answer(s) to %s %s",
			 (long long)json_integer_value(json_object_get(e, "rcode")),
			 (long long)json_integer_value(json_object_get(e, "ancount")),
			 rpt_str(e, "qtype"), rpt_str(e, "qname"));
	else if (*rpt_str(e, "method"))
		snprintf(out, len, "SIP %s %s -> %s branch %s%s", rpt_str(e, "method"),
			 rpt_str(e, "from"), rpt_str(e, "to"), rpt_str(e, "branch"),
			 strcmp(kind, "stray") ? "" : " (stray: no peer took it)");
	else if (st)
		snprintf(out, len, "SIP %lld (%s) %s -> %s branch %s", (long long)st,
			 rpt_str(e, "cseq_method"), rpt_str(e, "from"), rpt_str(e, "to"),
			 rpt_str(e, "branch"));
	else if (*rpt_str(e, "text")) /* strays, the kernel's answers: the log says what */
		snprintf(out, len, "%s %s -> %s: %s", kind, rpt_str(e, "from"), rpt_str(e, "to"),
			 rpt_str(e, "text"));
	else
		snprintf(out, len, "%s %s -> %s", kind, rpt_str(e, "from"), rpt_str(e, "to"));
}

/* Which events carried each frame, so each frame's comments cost what it has, not a walk
 * over every event (a zone_farm scenario has tens of thousands of both). */
struct frame_ix {
	size_t nframes;
	size_t *head;            /* per frame: first entry + 1, 0: none */
	size_t *next;            /* per entry: next entry of the same frame + 1 */
	const json_t **ev;       /* per entry: the event */
	size_t *k;               /* per entry: which of the event's frames it is */
};

static void frame_ix_free(struct frame_ix *x)
{
	free(x->head);
	free(x->next);
	free(x->ev);
	free(x->k);
}

static int frame_ix_build(struct frame_ix *x, const json_t *sc)
{
	size_t i, k, n = 0;
	json_t *e, *f;
	memset(x, 0, sizeof(*x));
	json_array_foreach(json_object_get(sc, "events"), i, e)
		json_array_foreach(json_object_get(e, "frames"), k, f) {
			json_int_t fr = json_integer_value(f);
			if (fr > 0 && (size_t)fr > x->nframes)
				x->nframes = (size_t)fr;
			n++;
		}
	x->head = calloc(x->nframes + 1, sizeof(*x->head));
	x->next = calloc(n + 1, sizeof(*x->next));
	x->ev = calloc(n + 1, sizeof(*x->ev));
	x->k = calloc(n + 1, sizeof(*x->k));
	size_t *tail = calloc(x->nframes + 1, sizeof(*tail));
	if (!x->head || !x->next || !x->ev || !x->k || !tail) {
		free(tail);
		frame_ix_free(x);
		return -ENOMEM;
	}
	n = 0;
	json_array_foreach(json_object_get(sc, "events"), i, e)
		json_array_foreach(json_object_get(e, "frames"), k, f) {
			json_int_t fr = json_integer_value(f);
			if (fr < 1)
				continue;
			x->ev[n] = e;
			x->k[n] = k;
			/* appended, so a frame's events keep the log's order */
			if (tail[fr])
				x->next[tail[fr] - 1] = n + 1;
			else
				x->head[fr] = n + 1;
			tail[fr] = ++n;
		}
	free(tail);
	return 0;
}

/* The comments of frame fr: the steps that carried it, then the checks citing it. */
static int comments(struct buf *b, const json_t *sc, const struct frame_ix *ix, json_int_t fr)
{
	char line[1536];
	size_t i, k;
	json_t *e, *x;
	int rc = 0;
	for (size_t n = (size_t)fr <= ix->nframes ? ix->head[fr] : 0; n; n = ix->next[n - 1]) {
		const json_t *ev = ix->ev[n - 1];
		char what[1024];
		describe(ev, ix->k[n - 1], what, sizeof(what));
		snprintf(line, sizeof(line), "%s step %lld (SUT t=%.4f s): %s", rpt_str(sc, "id"),
			 (long long)json_integer_value(json_object_get(ev, "i")),
			 json_number_value(json_object_get(ev, "t")), what);
		if (!rc)
			rc = comment(b, line);
	}
	json_array_foreach(json_object_get(sc, "checks"), i, e) {
		if (!rpt_has_int(json_object_get(e, "packets"), fr))
			continue;
		char reqs[256] = "";
		size_t off = 0;
		json_array_foreach(json_object_get(e, "requirements"), k, x)
			if (off < sizeof(reqs))
				off += (size_t)snprintf(reqs + off, sizeof(reqs) - off, "%s%s",
							k ? " " : "", json_string_value(x));
		snprintf(line, sizeof(line), "check %s: %s [%s]: %s",
			 strcmp(rpt_str(e, "verdict"), "pass") ? "FAIL" : "pass",
			 rpt_str(e, "check"), reqs, rpt_str(e, "detail"));
		if (!rc)
			rc = comment(b, line);
	}
	return rc;
}

static int header(FILE *out, uint32_t linktype, uint32_t snap, int nsec)
{
	struct buf b = { 0 };
	uint32_t bom = 0x1a2b3c4d;
	uint16_t ver[2] = { 1, 0 };
	int64_t seclen = -1;
	unsigned char res = nsec ? 9 : 6;
	uint16_t lt[2] = { (uint16_t)linktype, 0 };
	int rc = put(&b, &bom, 4) || put(&b, ver, 4) || put(&b, &seclen, 8) ||
		 opt(&b, 4, "siploc", 6) || opt(&b, 0, NULL, 0) ? -ENOMEM : 0;
	if (!rc)
		rc = block(out, 0x0a0d0d0a, &b);
	b.n = 0;
	if (!rc)
		rc = put(&b, lt, 4) || put32(&b, snap) || opt(&b, 9, &res, 1) ||
		     opt(&b, 0, NULL, 0) ? -ENOMEM : 0;
	if (!rc)
		rc = block(out, 1, &b);
	free(b.p);
	return rc;
}

/* The key log beside pcap_path (x.pcap -> x.keys) as a Decryption Secrets Block of TLS
 * secrets (pcapng: type 0x0000000A, secrets type "TLSK"), before the packets it opens.
 * No key log, no block. */
static int secrets(FILE *out, const char *pcap_path)
{
	char kp[4200];
	size_t n = strlen(pcap_path);
	if (n > 5 && !strcmp(pcap_path + n - 5, ".pcap"))
		n -= 5;
	snprintf(kp, sizeof(kp), "%.*s.keys", (int)n, pcap_path);
	FILE *f = fopen(kp, "rb");
	if (!f)
		return 0;
	struct buf k = { 0 }, b = { 0 };
	unsigned char tmp[4096];
	size_t got;
	int rc = 0;
	while (!rc && (got = fread(tmp, 1, sizeof(tmp), f)) > 0)
		rc = put(&k, tmp, got);
	fclose(f);
	if (!rc && k.n)
		rc = put32(&b, 0x544c534b) || put32(&b, (uint32_t)k.n) || put(&b, k.p, k.n) ||
		     pad4(&b) ? -ENOMEM : 0;
	if (!rc && k.n)
		rc = block(out, 0x0000000a, &b);
	free(k.p);
	free(b.p);
	return rc;
}

int rpt_pcapng_write(const json_t *sc, const char *pcap_path, const char *out_path,
		     char *err, size_t errlen)
{
	FILE *in = fopen(pcap_path, "rb"), *out = NULL;
	unsigned char gh[24], ph[16];
	unsigned char *data = malloc(MAX_SNAP);
	struct buf b = { 0 };
	int rc = -EINVAL;
	if (errlen)
		*err = 0;
	if (!in || !data) {
		rc = in ? -ENOMEM : -errno;
		snprintf(err, errlen, "%s: %s", pcap_path, strerror(-rc));
		goto out;
	}
	if (fread(gh, sizeof(gh), 1, in) != 1) {
		snprintf(err, errlen, "%s: truncated pcap header", pcap_path);
		goto out;
	}
	uint32_t magic = rd32(gh, 0);
	int swap = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1;
	int nsec = magic == 0xa1b23c4d || magic == 0x4d3cb2a1;
	if (!swap && !nsec && magic != 0xa1b2c3d4) {
		snprintf(err, errlen, "%s: not a pcap file (magic %08x)", pcap_path, magic);
		goto out;
	}
	out = fopen(out_path, "wb");
	if (!out) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", out_path, strerror(-rc));
		goto out;
	}
	struct frame_ix ix;
	rc = frame_ix_build(&ix, sc);
	if (rc) {
		snprintf(err, errlen, "%s: %s", out_path, strerror(-rc));
		goto out;
	}
	rc = header(out, rd32(gh + 20, swap), rd32(gh + 16, swap), nsec);
	if (!rc)
		rc = secrets(out, pcap_path);
	for (json_int_t fr = 1; !rc; fr++) {
		size_t got = fread(ph, 1, sizeof(ph), in);
		if (got == 0)
			break;
		uint32_t caplen = rd32(ph + 8, swap);
		if (got != sizeof(ph) || caplen > MAX_SNAP || fread(data, 1, caplen, in) != caplen) {
			snprintf(err, errlen, "%s: packet %lld is truncated or corrupt", pcap_path,
				 (long long)fr);
			rc = -EINVAL;
			break;
		}
		uint64_t ts = (uint64_t)rd32(ph, swap) * (nsec ? 1000000000u : 1000000u) +
			      rd32(ph + 4, swap);
		b.n = 0;
		if (put32(&b, 0) || put32(&b, (uint32_t)(ts >> 32)) || put32(&b, (uint32_t)ts) ||
		    put32(&b, caplen) || put32(&b, rd32(ph + 12, swap)) || put(&b, data, caplen) ||
		    pad4(&b) || comments(&b, sc, &ix, fr) || opt(&b, 0, NULL, 0))
			rc = -ENOMEM;
		if (!rc)
			rc = block(out, 6, &b);
	}
	frame_ix_free(&ix);
	if (rc && !*err)
		snprintf(err, errlen, "%s: %s", out_path, strerror(-rc));
out:
	if (out && fclose(out) && !rc) {
		snprintf(err, errlen, "%s: %s", out_path, strerror(errno));
		rc = -EIO;
	}
	if (in)
		fclose(in);
	free(data);
	free(b.p);
	return rc;
}
