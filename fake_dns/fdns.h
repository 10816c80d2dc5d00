/* fdns.h: siploc's fake authoritative DNS: a zone store and a server on the worker's loop.
 * Promises: every query the server receives is reported through the log hook, whatever
 * became of it; the zone is authoritative for every name (absent names are NXDOMAIN).
 * Knows nothing of Lua, SIP, adapters or reports. */
#ifndef FDNS_H
#define FDNS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct sl_loop;
struct fdns_zone;
struct fdns_server;

int fdns_zone_new(struct fdns_zone **zp);
void fdns_zone_free(struct fdns_zone *z);

/* Adds RFC 1035 master-file text ($ORIGIN, $TTL, relative names, parentheses across
 * lines, comments). origin may be NULL (then "." unless the text sets $ORIGIN);
 * default_ttl applies where no TTL is given. On error returns -EINVAL and writes
 * "file:line: reason" into err, where line counts from first_line. */
int fdns_zone_load_text(struct fdns_zone *z, const char *text, const char *origin,
			uint32_t default_ttl, const char *file, int first_line,
			char *err, size_t errlen);

/* Reads a master file (whole) and loads it as fdns_zone_load_text does, errors naming
 * path:line. */
int fdns_zone_load_file(struct fdns_zone *z, const char *path, const char *origin,
			uint32_t default_ttl, char *err, size_t errlen);

/* Number of records held (for tests and logs). */
size_t fdns_zone_count(const struct fdns_zone *z);
/* The i-th record (an ldns_rr) in zone order, NULL past the end: for readers of the zone
 * outside the server (the names of the TLS peers' certificates). Owned by the zone. */
struct ldns_struct_rr;
const struct ldns_struct_rr *fdns_zone_record(const struct fdns_zone *z, size_t i);

/* Answer options of the zone. shuffle: each RRset goes out in a new order drawn from a
 * generator seeded with seed (same seed and queries, same orders); off: zone order.
 * additional: answers to SRV queries carry the targets' A/AAAA in the additional section. */
void fdns_zone_set_shuffle(struct fdns_zone *z, int on, uint64_t seed);
void fdns_zone_set_additional(struct fdns_zone *z, int on);
/* chase (on by default): a CNAME chain is followed inside the answer. Off: the answer
 * holds the first CNAME alone, as an authoritative server sends for a target outside its
 * zones, so the client must ask for the target itself (RFC 1034 4.3.2 and 5.3.3). */
void fdns_zone_set_chase(struct fdns_zone *z, int on);
int fdns_zone_chase(const struct fdns_zone *z);

/* Copies src's records into z (replace: z's records are dropped first). All or nothing. */
int fdns_zone_merge(struct fdns_zone *z, const struct fdns_zone *src, int replace);

/* A change kept for later (zone_at): z takes change over and frees it with itself, applied
 * or not; fdns_staged_apply() merges it once (later calls do nothing). */
struct fdns_staged;
int fdns_zone_stage(struct fdns_zone *z, struct fdns_zone *change, int replace, void *user,
		    struct fdns_staged **hp);
int fdns_staged_apply(struct fdns_staged *h);
void *fdns_staged_user(const struct fdns_staged *h);
size_t fdns_staged_count(const struct fdns_staged *h); /* records in the change */

enum fdns_transport { FDNS_UDP = 'U', FDNS_TCP = 'T' };

/* What a fault rule does to a query it applies to. */
enum fdns_action {
	FDNS_ACT_NONE = 0,
	FDNS_ACT_SERVFAIL,        /* rcode 2, no records */
	FDNS_ACT_NXDOMAIN,        /* rcode 3 with the SOA, as a real negative answer */
	FDNS_ACT_REFUSED,         /* rcode 5 */
	FDNS_ACT_NOTIMP,          /* rcode 4 */
	FDNS_ACT_DROP,            /* no answer at all */
	FDNS_ACT_DELAY,           /* the true answer, delay_us later */
	FDNS_ACT_TRUNCATE,        /* TC=1 and empty sections (UDP queries only) */
	FDNS_ACT_WRONG_ID,        /* the true answer with another message ID */
	FDNS_ACT_WRONG_PORT,      /* the true answer from another source port (UDP only) */
	FDNS_ACT_BAD_POINTER,     /* first record's owner: compression pointer out of the message */
	FDNS_ACT_TRUNCATED_RDATA, /* the message ends inside the first record's RDATA */
	FDNS_ACT_TTL0,            /* every record with TTL 0 */
};

/* The header flag bits set in flags (bytes 2-3 of a message) as dig names them, lower
 * case, in header order, joined by sep: "rd cd". Empty when none is set. Returns buf. */
char *fdns_flags_str(uint16_t flags, const char *sep, char *buf, size_t len);

/* "servfail", "wrong-id", ...: 0, or -EINVAL for an unknown name. */
int fdns_action_parse(const char *name, enum fdns_action *a);
const char *fdns_action_name(enum fdns_action a);

/* A fault rule: which queries (all fields optional) and what to do. Rules are tried in the
 * order added; the first that applies wins. Every rule counts the queries it matches,
 * whether or not it or another rule acted on them. */
struct fdns_fault {
	const char *name;              /* NULL: any; else case-insensitive, trailing dot optional */
	uint16_t qtype;                /* 0: any */
	enum fdns_transport transport; /* 0: any */
	unsigned nth;                  /* 0: every matching query; n: only the nth */
	unsigned times;                /* 0: no limit; n: at most n queries */
	enum fdns_action action;
	uint64_t delay_us;             /* FDNS_ACT_DELAY: real microseconds */
};

/* Adds a rule to the zone (copied). -EINVAL with a reason in err for a bad name, a
 * delay without delay_us, or truncate/wrong-port restricted to TCP. */
int fdns_zone_add_fault(struct fdns_zone *z, const struct fdns_fault *f, char *err,
			size_t errlen);

/* One query as the server saw it, and what it answered. Pointers are valid only during
 * the log call. */
struct fdns_query_log {
	uint64_t t_us;                   /* sl_now_us() when the query arrived */
	enum fdns_transport transport;
	struct sockaddr_storage client;  /* the SUT's address and port */
	struct sockaddr_storage server;  /* the address it was sent to */
	char qname[256];                 /* as on the wire (case kept), no trailing dot */
	uint16_t qtype;                  /* RR type number */
	uint16_t id;
	uint16_t flags;                  /* the query's header bytes 2-3 (RD, CD, ...), 0 if short */
	int edns;                        /* the query's EDNS0 payload size; -1: no OPT (or unparsable) */
	int dnssec_ok;                   /* the query's EDNS0 DO bit */
	int rcode;                       /* rcode answered, or -1: no answer sent / unparsable */
	unsigned ancount;
	int tc;                          /* TC bit set in the answer */
	const uint8_t *query;
	size_t query_len;
	const uint8_t *resp;             /* NULL when no answer was sent */
	size_t resp_len;
	const char *error;               /* why a query could not be parsed, else NULL */
	const char *fault;               /* fault action applied ("servfail"...), else NULL */
	uint64_t delay_us;               /* "delay": the answer leaves this much later */
	struct sockaddr_storage resp_from; /* where the answer left from: server, but another
					    * port for "wrong-port" (when an answer was sent) */
	/* TCP: stream offsets (0 = the first byte after the SYN) of the query's and of the
	 * answer's length prefix, so the capture can find their segments. resp_off is
	 * FDNS_OFF_UNKNOWN for an answer a delay holds back: its place is not known yet. */
	uint64_t query_off, resp_off;
};
#define FDNS_OFF_UNKNOWN UINT64_MAX

typedef void (*fdns_log_fn)(void *arg, const struct fdns_query_log *q);

/* Serves zone (borrowed, must outlive the server) on addr:port (numeric, v4 or v6),
 * UDP and TCP. Returns 0 or -errno; err gets a human-readable reason. */
int fdns_server_new(struct fdns_server **sp, struct sl_loop *loop, struct fdns_zone *zone,
		    const char *addr, uint16_t port, fdns_log_fn log, void *log_arg,
		    char *err, size_t errlen);
void fdns_server_free(struct fdns_server *s);

/* The address and port the server's UDP socket is bound to (the port it picked for 0). */
void fdns_server_local(const struct fdns_server *s, struct sockaddr_storage *ss);
/* Stops accepting TCP (UDP only from now on); connections already open are closed. */
void fdns_server_stop_tcp(struct fdns_server *s);

/* The server keeps a copy of the first max queries' logs (pointers cleared, fault kept) for
 * dns_queries(); FDNS_HISTORY_DEFAULT unless set (zone_farm raises it); 0 keeps none.
 * Memory grows with the queries kept, not with max. A max below what is kept is ignored. */
#define FDNS_HISTORY_DEFAULT 10000
void fdns_server_set_history(struct fdns_server *s, size_t max);
const struct fdns_query_log *fdns_server_history(const struct fdns_server *s, size_t *n);

/* Builds the answer for one wire query (what the server sends; exposed for tests and
 * fuzzing). udp_limit: 0 for TCP, else the client's UDP payload size (512 or EDNS0).
 * The zone's fault rules apply (transport from udp_limit); a dropped query gives 0 and
 * *resp NULL; delay and wrong-port are the server's part and give the plain answer here.
 * Returns 0 and a malloc'd *resp, or -EBADMSG when the query cannot be parsed. */
int fdns_answer(struct fdns_zone *z, const uint8_t *query, size_t len, size_t udp_limit,
		uint8_t **resp, size_t *resp_len);

#endif
