/* sl_dnsview.h: what DNS told the SUT, read back from the response bytes the event log
 * keeps (answer and additional sections): NAPTR, SRV and address records by owner name,
 * CNAMEs followed.
 * Promises: only DNS events before a given index count, so a check never credits the
 * SUT with an answer it had not received yet; names compare case-insensitively without
 * the trailing dot; records keep their wire order; nothing but the log is read. */
#ifndef SL_DNSVIEW_H
#define SL_DNSVIEW_H

#include <stddef.h>

struct sl_evlog;
struct sl_dnsidx;
struct sl_dnsview;

enum sl_dv_state {
	SL_DV_UNASKED,  /* the SUT never asked, and no answer carried such records */
	SL_DV_EMPTY,    /* asked, and no record came (NXDOMAIN, NODATA, SERVFAIL, silence) */
	SL_DV_RECORDS,
};

struct sl_dv_srv {
	unsigned prio, weight, port;
	char target[256];       /* "sip1.example.test", "." for the service-not-offered record */
};

struct sl_dv_naptr {
	unsigned order, pref;
	char flags[32], service[64], regexp[256], replacement[256];
};

struct sl_dv_addr {
	int family;             /* AF_INET, AF_INET6 */
	unsigned char ip[16];
};

/* Every DNS answer of the log, parsed once: views cut at any event are then cheap (a
 * check over tens of thousands of requests asks at each one). The log must not change
 * while the index lives. 0 or -ENOMEM. */
int sl_dnsidx_new(struct sl_dnsidx **xp, const struct sl_evlog *l);
void sl_dnsidx_free(struct sl_dnsidx *x);

/* A view of what the events before index upto told the SUT. latest: each RRset as the
 * latest answer carrying it gave it (what a resolver that follows its cache uses); 0:
 * every record any answer gave. _at reads x (which must outlive the view); _new builds
 * an index of its own. Returns 0 or -ENOMEM. */
int sl_dnsview_at(struct sl_dnsview **vp, const struct sl_dnsidx *x, size_t upto, int latest);
int sl_dnsview_new(struct sl_dnsview **vp, const struct sl_evlog *l, size_t upto, int latest);
void sl_dnsview_free(struct sl_dnsview *v);

/* The records (valid while v lives) and, in *ev, the event of the answer that gave the
 * first one (or of the query, for EMPTY); *ev untouched for UNASKED. */
enum sl_dv_state sl_dnsview_srv(const struct sl_dnsview *v, const char *name,
				const struct sl_dv_srv **rr, size_t *n, unsigned *ev);
enum sl_dv_state sl_dnsview_naptr(const struct sl_dnsview *v, const char *name,
				  const struct sl_dv_naptr **rr, size_t *n, unsigned *ev);
/* A and AAAA records of name and of the names its CNAMEs lead to; at most cap. */
enum sl_dv_state sl_dnsview_addrs(const struct sl_dnsview *v, const char *name,
				  struct sl_dv_addr *out, size_t cap, size_t *n, unsigned *ev);

/* 1 if a and b are the same DNS name (case, trailing dot ignored). */
int sl_dname_eq(const char *a, const char *b);

#endif
