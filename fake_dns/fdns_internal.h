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

/* fdns_answer, and also fills qname, qtype, id, rcode, ancount, tc and error of lg (the
 * other fields are the caller's). lg may be NULL. */
int fdns_answer_log(struct fdns_zone *z, const uint8_t *query, size_t len, size_t udp_limit,
		    uint8_t **resp, size_t *resp_len, struct fdns_query_log *lg);

#endif
