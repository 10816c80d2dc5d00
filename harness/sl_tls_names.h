/* sl_tls_names.h: the names a TLS peer's certificate carries, read from the scenario's
 * zone: what an RFC 3263 client reaching that peer may check (RFC 5922 section 7.2, RFC
 * 3261 26.3.1: the SIP domain of the URI, or the host it was resolved to).
 * Promises: for the peer at address:port, in this order, without duplicates, lower case,
 * no trailing dot:
 *   1. the domain of every SRV record whose target names the peer's address and whose
 *      port is the peer's (the SRV owner without its leading _service._proto labels),
 *      then the owner of every NAPTR whose replacement is such an SRV owner;
 *   2. every name whose A/AAAA holds the peer's address, and the owner of every CNAME
 *      pointing at one of those names;
 *   3. the address itself (an iPAddress entry: numeric URIs, RFC 5922 7.1).
 * The first entry is the certificate's subject CN. */
#ifndef SL_TLS_NAMES_H
#define SL_TLS_NAMES_H

#include <stddef.h>
#include <sys/socket.h>

struct fdns_zone;

/* Fills names (each a malloc'd string, *n of them, at most max). Returns 0 or -ENOMEM. */
int sl_tls_names(const struct fdns_zone *z, const struct sockaddr *peer, char **names,
		 size_t max, size_t *n);
void sl_tls_names_free(char **names, size_t n);

#endif
