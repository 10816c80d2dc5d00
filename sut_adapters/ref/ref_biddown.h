/* ref_biddown.h: RFC 3263 section 7: remembers the domains whose NAPTR records offered
 * SIPS, and raises an alarm when a later answer for one of them no longer does (a sign
 * of a bid-down attack). The request goes on: rejecting it is only a MAY. */
#ifndef REF_BIDDOWN_H
#define REF_BIDDOWN_H

#include <stddef.h>

#include "ref_dnswire.h"
#include "ref_log.h"

#define REF_BIDDOWN_MAX 64

struct ref_biddown {
	const struct ref_log *log;
	struct {
		char domain[REF_NAME_MAX];
		int alarmed;   /* SIPS vanished and we said so; cleared when it is back */
	} seen[REF_BIDDOWN_MAX];
	size_t n;
};

void ref_biddown_init(struct ref_biddown *b, const struct ref_log *log);
/* The NAPTR answer for domain: recs (n of them; n = 0 for NXDOMAIN or NODATA, which
 * removes SIPS as surely as editing the records). Not for a failed lookup. */
void ref_biddown_naptr(struct ref_biddown *b, const char *domain, const struct ref_naptr *recs,
		       size_t n);

#endif
