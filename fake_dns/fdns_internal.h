/* fdns_internal.h: what the fake DNS files share among themselves and nobody else:
 * zone lookups for the answer builder, and the answer builder's report for the log. */
#ifndef FDNS_INTERNAL_H
#define FDNS_INTERNAL_H

#include <ldns/ldns.h>

#include "fdns.h"

/* Appends clones of name's records of type (class IN, zone order) to out, each with its
 * owner replaced by a clone of owner, so answers echo the asker's spelling.
 * Returns how many were appended, or -ENOMEM. */
int fdns_zone_rrset(const struct fdns_zone *z, const ldns_rdf *name, ldns_rr_type type,
		    const ldns_rdf *owner, ldns_rr_list *out);

/* 1 if name owns records or is an ancestor of a name that does (empty non-terminal). */
int fdns_zone_name_exists(const struct fdns_zone *z, const ldns_rdf *name);

/* The SOA for the authority section of negative answers: the zone's first SOA, else one
 * synthesized at the common suffix of all owners. Owned by the zone. */
const ldns_rr *fdns_zone_soa(const struct fdns_zone *z);

/* fdns_answer for a query that came over transport; fills qname, qtype, id, rcode,
 * ancount, tc, error, fault and delay_us of lg (the other fields are the caller's). The
 * caller carries out drop (*resp NULL), delay and wrong-port, as lg->fault says. */
int fdns_answer_log(struct fdns_zone *z, const uint8_t *query, size_t len, size_t udp_limit,
		    enum fdns_transport transport, uint8_t **resp, size_t *resp_len,
		    struct fdns_query_log *lg);

/* Answer options the zone holds. */
int fdns_zone_additional(const struct fdns_zone *z);
int fdns_zone_shuffled(const struct fdns_zone *z);
/* Next draw of the zone's shuffle generator, in [0, n). */
size_t fdns_zone_rand(struct fdns_zone *z, size_t n);

/* Fault rules (fdns_fault.c), owned by a zone. */
struct fdns_rules;
int fdns_rules_new(struct fdns_rules **rp);
void fdns_rules_free(struct fdns_rules *r);
int fdns_rules_add(struct fdns_rules *r, const struct fdns_fault *f, char *err, size_t errlen);
/* Counts the query against every rule it matches; returns the action of the first rule
 * that applies (FDNS_ACT_NONE if none), and its delay in *delay_us. */
enum fdns_action fdns_rules_match(struct fdns_rules *r, const ldns_rdf *qname, uint16_t qtype,
				  enum fdns_transport t, uint64_t *delay_us);
struct fdns_rules *fdns_zone_rules(struct fdns_zone *z);

/* Damages a wire answer in place for bad-pointer / truncated-rdata / wrong-id; *len may
 * shrink. Returns 0, or -EINVAL for another action. */
int fdns_wire_mangle(enum fdns_action a, uint8_t *wire, size_t *len);

/* snprintf into err (when given): the one error writer of fake_dns. */
__attribute__((format(printf, 3, 4)))
void fdns_set_err(char *err, size_t errlen, const char *fmt, ...);

#endif
