/* ref_biddown.c: SIPS memory per domain and the bid-down alarm (RFC 3263 section 7). */
#include <string.h>
#include <strings.h>

#include "ref_biddown.h"
#include "ref_mutant.h"

void ref_biddown_init(struct ref_biddown *b, const struct ref_log *log)
{
	memset(b, 0, sizeof(*b));
	b->log = log;
}

void ref_biddown_naptr(struct ref_biddown *b, const char *domain, const struct ref_naptr *recs,
		       size_t n)
{
	int sips = 0;
	for (size_t i = 0; i < n; i++)
		sips |= !strncasecmp(recs[i].services, "SIPS+", 5);
	size_t k;
	for (k = 0; k < b->n; k++)
		if (!strcasecmp(b->seen[k].domain, domain))
			break;
	if (k == b->n) {
		/* Only domains that offered SIPS are worth remembering; when the table is full
		 * the oldest goes (a client forgets what it has not used for longest). */
		if (!sips)
			return;
		if (b->n == REF_BIDDOWN_MAX) {
			memmove(&b->seen[0], &b->seen[1], (b->n - 1) * sizeof(b->seen[0]));
			b->n--;
		}
		k = b->n++;
		strncpy(b->seen[k].domain, domain, sizeof(b->seen[k].domain) - 1);
		b->seen[k].domain[sizeof(b->seen[k].domain) - 1] = 0;
		b->seen[k].alarmed = 0;
		return;
	}
	if (sips) {
		b->seen[k].alarmed = 0;
		return;
	}
	if (b->seen[k].alarmed || ref_mutant("no-biddown-alarm"))
		return;
	b->seen[k].alarmed = 1;
	ref_alarmf(b->log, "bid-down: %s offered SIPS in its NAPTR records, the answer now "
		   "has %s (RFC 3263 section 7: a possible attack); going on without TLS",
		   domain, n ? "no SIPS service" : "no NAPTR records");
}
