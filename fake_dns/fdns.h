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

/* Number of records held (for tests and logs). */
size_t fdns_zone_count(const struct fdns_zone *z);

enum fdns_transport { FDNS_UDP = 'U', FDNS_TCP = 'T' };

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
	int rcode;                       /* rcode answered, or -1: no answer sent / unparsable */
	unsigned ancount;
	int tc;                          /* TC bit set in the answer */
	const uint8_t *query;
	size_t query_len;
	const uint8_t *resp;             /* NULL when no answer was sent */
	size_t resp_len;
	const char *error;               /* why a query could not be parsed, else NULL */
};

typedef void (*fdns_log_fn)(void *arg, const struct fdns_query_log *q);

/* Serves zone (borrowed, must outlive the server) on addr:port (numeric, v4 or v6),
 * UDP and TCP. Returns 0 or -errno; err gets a human-readable reason. */
int fdns_server_new(struct fdns_server **sp, struct sl_loop *loop, struct fdns_zone *zone,
		    const char *addr, uint16_t port, fdns_log_fn log, void *log_arg,
		    char *err, size_t errlen);
void fdns_server_free(struct fdns_server *s);

/* Builds the answer for one wire query (what the server sends; exposed for tests and
 * fuzzing). udp_limit: 0 for TCP, else the client's UDP payload size (512 or EDNS0).
 * Returns 0 and a malloc'd *resp, or -EBADMSG when the query cannot be parsed. */
int fdns_answer(struct fdns_zone *z, const uint8_t *query, size_t len, size_t udp_limit,
		uint8_t **resp, size_t *resp_len);

#endif
