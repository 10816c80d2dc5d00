/* fdns_internal.h: what the fake DNS files share among themselves (and their tests) and
 * nobody else: zone lookups for the answer builder, the builder's report for the log, and
 * the precompiled answers of the fast path. */
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

/* Lower-cased copy of a wire name (len bytes) into out; returns len. Length bytes are
 * below 64, so folding them with the label bytes is harmless. */
size_t fdns_name_lower(uint8_t *out, const uint8_t *name, size_t len);
/* FNV-1a of a lower-cased wire name. */
uint64_t fdns_name_hash(const uint8_t *lname, size_t len);

/* Changes with every record change and answer option (precompiled answers go stale). */
uint64_t fdns_zone_gen(const struct fdns_zone *z);
struct fdns_cache *fdns_zone_cache(struct fdns_zone *z);
/* The shuffle generator's state, to undo the draws of an answer built only to learn
 * whether it is the same for every query. */
uint64_t fdns_zone_rng_state(const struct fdns_zone *z);
void fdns_zone_rng_restore(struct fdns_zone *z, uint64_t state);

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

/* 1 if a rule's match fields (name, type, transport) take this query, whatever its count:
 * such queries must go through fdns_rules_match to be counted. */
int fdns_rules_filter(const struct fdns_rules *r, const ldns_rdf *qname, uint16_t qtype,
		      enum fdns_transport t);

/* Damages a wire answer in place for bad-pointer / truncated-rdata / wrong-id; *len may
 * shrink. Returns 0, or -EINVAL for another action. */
int fdns_wire_mangle(enum fdns_action a, uint8_t *wire, size_t *len);

/* The three answers fdns_answer_log can send for one question, as finish() picks them by
 * size limit: the whole answer, the answer without its additional section (NULL when that
 * is empty: then full is the one), and the truncated one (TC=1, no records). malloc'd. */
struct fdns_forms {
	uint8_t *full, *noadd, *tc;
	size_t full_len, noadd_len, tc_len;
};
/* Builds forms for a wire query through the ldns path, no fault applied: full and noadd
 * when tc_rcode < 0; else only tc, for an answer whose rcode was tc_rcode (a truncated
 * answer keeps the rcode; built when first needed, as most answers never are). Returns
 * 0, -EBADMSG for an unparsable query, -ENOMEM. */
int fdns_answer_compile(struct fdns_zone *z, const uint8_t *query, size_t len, int tc_rcode,
			struct fdns_forms *f);
void fdns_forms_free(struct fdns_forms *f);

/* The fast path (fdns_fast.c): answers a plain query from answers precompiled per (name,
 * type, EDNS, DO), patching in the ID, RD, CD and the asker's spelling; the same bytes
 * and log fields as the ldns path. Returns 1 when it answered (*resp malloc'd, lg filled
 * as fdns_answer_log fills it), 0 when the query is the ldns path's: unusual shape, a
 * fault rule takes it, an answer that changes per query, or no memory (the ldns path
 * then reports that). */
int fdns_fast_answer(struct fdns_zone *z, const uint8_t *query, size_t len, size_t udp_limit,
		     enum fdns_transport transport, uint8_t **resp, size_t *resp_len,
		     struct fdns_query_log *lg);
struct fdns_cache;
int fdns_cache_new(struct fdns_cache **cp);
void fdns_cache_free(struct fdns_cache *c);
/* on = 0: every query takes the ldns path (differential tests compare the two). */
void fdns_cache_enable(struct fdns_cache *c, int on);
/* Precompiled questions held, and answers the fast path gave (tests). */
size_t fdns_cache_count(const struct fdns_cache *c);
size_t fdns_cache_hits(const struct fdns_cache *c);

/* The log's qname: the wire name in ldns's presentation form, no trailing dot (the root
 * stays "."); out has room for 4 bytes per wire byte. */
void fdns_qname_str(const uint8_t *name, size_t len, char *out, size_t outlen);

/* snprintf into err (when given): the one error writer of fake_dns. */
__attribute__((format(printf, 3, 4)))
void fdns_set_err(char *err, size_t errlen, const char *fmt, ...);

#endif
