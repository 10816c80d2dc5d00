/* ref_dns.h: ref's asynchronous stub resolver: one UDP socket to the configured server,
 * random IDs, retransmission, and a TTL-honouring cache shared by all transactions. */
#ifndef REF_DNS_H
#define REF_DNS_H

#include <stdint.h>

#include "ref_dnswire.h"
#include "ref_log.h"
#include "ref_loop.h"
#include "ref_rand.h"

struct ref_dns;
struct ref_dns_lookup;

/* The answer is only valid during the call; copy what is needed. */
typedef void (*ref_dns_cb)(void *arg, const struct ref_dns_answer *a);

int ref_dns_new(struct ref_dns **out, struct ref_loop *loop, struct ref_rng *rng,
		const struct ref_log *log, const char *server, uint16_t port,
		const char *bind_addr);
void ref_dns_free(struct ref_dns *d);

/* Starts a lookup; cb runs exactly once, always later from the loop (never inside this
 * call), unless the lookup is cancelled first. *out identifies it until cb has run. */
int ref_dns_lookup(struct ref_dns *d, const char *name, uint16_t type, ref_dns_cb cb,
		   void *arg, struct ref_dns_lookup **out);
void ref_dns_lookup_cancel(struct ref_dns_lookup *lk);

#endif
