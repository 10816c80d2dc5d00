/* ref_select.h: the pure decisions of RFC 3263 4.1 and RFC 2782: which NAPTR records a
 * client may use and in what order, and the order in which SRV targets are tried. */
#ifndef REF_SELECT_H
#define REF_SELECT_H

#include <stdbool.h>
#include <stddef.h>

#include "ref_dnswire.h"
#include "ref_rand.h"

/* Maps a NAPTR services field to a transport for a sip: or sips: URI, given the mask of
 * transports the client supports; -1 when the record must be discarded. */
int ref_naptr_service_tp(const char *services, bool sips_uri, unsigned tp_mask);

/* Keeps the usable records of v (terminal "s" flag, empty regexp, a supported SIP
 * service, a replacement), sets their tp, and sorts them by order then preference
 * (stable, so equal records keep their wire order). Returns how many are kept. */
size_t ref_naptr_filter(struct ref_naptr *v, size_t n, bool sips_uri, unsigned tp_mask);

/* True when the set is the single "." record: the service is decidedly not offered. */
bool ref_srv_is_dot(const struct ref_srv *v, size_t n);

/* Reorders v in place per RFC 2782 "Usage rules": priority ascending, and within each
 * priority a weighted random order drawn with the running-sum algorithm. */
void ref_srv_order(struct ref_srv *v, size_t n, struct ref_rng *rng);

/* RFC 3263 4.4: the deterministic order a stateless proxy needs, so every retransmission
 * reaches the same server: priority ascending, equal priorities by target name (ASCII,
 * case-insensitive), then port. No randomness, whatever the weights. */
void ref_srv_order_det(struct ref_srv *v, size_t n);
/* The same for NAPTR records kept by ref_naptr_filter(): records of equal order and
 * preference sorted by replacement name instead of their wire order. */
void ref_naptr_order_det(struct ref_naptr *v, size_t n);
/* RFC 3261 18.1.1: a request over 1300 bytes (the path MTU being unknown) that would go
 * over UDP goes over TCP when the client has it; any other choice stands. */
#define REF_MTU_LIMIT 1300
enum ref_tp ref_tp_for_size(enum ref_tp tp, size_t len, unsigned tp_mask);

/* Orders the addresses of one name for trying (RFC 3263 4.2 leaves A against AAAA open):
 * IPv6 before IPv4 (RFC 8305 4, RFC 6724 for global addresses), DNS order kept within a
 * family; IPv6 addresses are dropped when ipv6 is false. Returns how many are kept. */
size_t ref_addr_order(struct ref_ip *v, size_t n, bool ipv6);

#endif
