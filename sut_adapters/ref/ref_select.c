/* ref_select.c: NAPTR filtering and ordering (RFC 3263 4.1, RFC 3403) and SRV target
 * ordering (RFC 2782). Pure functions: no I/O, randomness only through the given rng. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ref_mutant.h"
#include "ref_select.h"

int ref_naptr_service_tp(const char *services, bool sips_uri, unsigned tp_mask)
{
	static const struct {
		const char *svc;
		bool sips;
		enum ref_tp tp;
	} map[] = {
		{ "SIP+D2U", false, REF_TP_UDP },
		{ "SIP+D2T", false, REF_TP_TCP },
		{ "SIP+D2S", false, REF_TP_SCTP },
		{ "SIPS+D2T", true, REF_TP_TLS },
		/* SIPS+D2U (TLS over UDP) does not exist; SIPS+D2S is not supported by ref. */
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		/* Seeded bug: any service not known is taken for the first one (SIP+D2U). */
		if (ref_mutant("naptr-any-service") && i == 0 && !sips_uri)
			return (int)REF_TP_UDP;
		if (strcasecmp(services, map[i].svc) != 0)
			continue;
		/* RFC 3263 4.1: a sips: URI discards every non-SIPS service. */
		if (sips_uri && !map[i].sips)
			return -1;
		if (!(tp_mask & REF_TPM(map[i].tp)))
			return -1;
		return (int)map[i].tp;
	}
	return -1;
}

static bool naptr_before(const struct ref_naptr *a, const struct ref_naptr *b)
{
	return a->order != b->order ? a->order < b->order : a->pref < b->pref;
}

size_t ref_naptr_filter(struct ref_naptr *v, size_t n, bool sips_uri, unsigned tp_mask)
{
	size_t kept = 0;

	for (size_t i = 0; i < n; i++) {
		int tp;

		/* Only terminal "s" records with no regexp lead straight to an SRV name; "a",
		 * "u", "p" or a regexp would need RFC 3403 processing ref does not do. */
		if ((strcasecmp(v[i].flags, "s") != 0 || v[i].regexp[0] != '\0') &&
		    !ref_mutant("naptr-any-flags"))
			continue;
		if (v[i].replacement[0] == '\0' || strcmp(v[i].replacement, ".") == 0)
			continue;
		tp = ref_naptr_service_tp(v[i].services, sips_uri, tp_mask);
		if (tp < 0)
			continue;
		v[kept] = v[i];
		v[kept].tp = (enum ref_tp)tp;
		kept++;
	}
	/* Insertion sort: a handful of records, and stability keeps wire order for ties. */
	for (size_t i = 1; i < kept && !ref_mutant("naptr-wire-order"); i++) {
		struct ref_naptr x = v[i];
		size_t j = i;

		while (j > 0 && naptr_before(&x, &v[j - 1])) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
	return kept;
}

bool ref_srv_is_dot(const struct ref_srv *v, size_t n)
{
	return n == 1 && strcmp(v[0].target, ".") == 0;
}

static bool prio_before(const struct ref_srv *a, const struct ref_srv *b)
{
	if (ref_mutant("priority-desc"))
		return a->prio > b->prio;
	return a->prio < b->prio;
}

static void shuffle(struct ref_srv *v, size_t n, struct ref_rng *rng)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = ref_rng_below(rng, (uint32_t)i);
		struct ref_srv x = v[i - 1];

		v[i - 1] = v[j];
		v[j] = x;
	}
}

/* RFC 2782: within one priority, put weight-0 records first in the unordered list, then
 * repeatedly draw r uniform in [0, sum of weights] and take the first record whose
 * running sum is >= r. */
static void order_weights(struct ref_srv *v, size_t n, struct ref_rng *rng)
{
	struct ref_srv *tmp = malloc(n * sizeof(*tmp));
	size_t m = 0, zeros;

	/* Without memory the group keeps its wire order: still a valid priority order. */
	if (!tmp)
		return;
	if (ref_mutant("first-equal")) {
		free(tmp);
		return;
	}
	if (ref_mutant("ignore-weights")) {
		shuffle(v, n, rng);
		free(tmp);
		return;
	}
	if (ref_mutant("weight-sort")) {
		/* Heaviest first, as a sort key: the lighter records never get a first try. */
		for (size_t i = 1; i < n; i++)
			for (size_t j = i; j > 0 && v[j].weight > v[j - 1].weight; j--) {
				struct ref_srv x = v[j];

				v[j] = v[j - 1];
				v[j - 1] = x;
			}
		free(tmp);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (v[i].weight == 0)
			tmp[m++] = v[i];
	zeros = m;
	for (size_t i = 0; i < n; i++)
		if (v[i].weight != 0)
			tmp[m++] = v[i];
	/* "Arrange them in any order": shuffled, so that records of equal weight (all 0, say)
	 * share the load instead of the first on the wire always winning the r = 0 draw. */
	shuffle(tmp, zeros, rng);
	shuffle(tmp + zeros, m - zeros, rng);
	for (size_t out = 0; out < n; out++) {
		uint32_t total = 0, run = 0, r;
		size_t pick = m - 1;

		for (size_t i = 0; i < m; i++)
			total += tmp[i].weight;
		r = ref_rng_below(rng, total + 1);
		for (size_t i = 0; i < m; i++) {
			run += tmp[i].weight;
			if (run >= r) {
				pick = i;
				break;
			}
		}
		v[out] = tmp[pick];
		memmove(&tmp[pick], &tmp[pick + 1], (m - pick - 1) * sizeof(tmp[0]));
		m--;
	}
	free(tmp);
}

void ref_srv_order(struct ref_srv *v, size_t n, struct ref_rng *rng)
{
	for (size_t i = 1; i < n; i++) {
		struct ref_srv x = v[i];
		size_t j = i;

		while (j > 0 && prio_before(&x, &v[j - 1])) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;

		while (j < n && v[j].prio == v[i].prio)
			j++;
		order_weights(v + i, j - i, rng);
		i = j;
	}
}

static int srv_det_cmp(const void *pa, const void *pb)
{
	const struct ref_srv *a = pa, *b = pb;
	int c;

	if (a->prio != b->prio)
		return a->prio < b->prio ? -1 : 1;
	c = strcasecmp(a->target, b->target);
	if (c)
		return c;
	return a->port < b->port ? -1 : a->port > b->port;
}

void ref_srv_order_det(struct ref_srv *v, size_t n)
{
	qsort(v, n, sizeof(*v), srv_det_cmp);
}

static int naptr_det_cmp(const void *pa, const void *pb)
{
	const struct ref_naptr *a = pa, *b = pb;

	if (a->order != b->order)
		return a->order < b->order ? -1 : 1;
	if (a->pref != b->pref)
		return a->pref < b->pref ? -1 : 1;
	return strcasecmp(a->replacement, b->replacement);
}

void ref_naptr_order_det(struct ref_naptr *v, size_t n)
{
	qsort(v, n, sizeof(*v), naptr_det_cmp);
}

enum ref_tp ref_tp_for_size(enum ref_tp tp, size_t len, unsigned tp_mask)
{
	if (tp == REF_TP_UDP && len > REF_MTU_LIMIT && (tp_mask & REF_TPM(REF_TP_TCP)))
		return REF_TP_TCP;
	return tp;
}

size_t ref_addr_order(struct ref_ip *v, size_t n, bool ipv6)
{
	struct ref_ip *tmp;
	size_t k = 0;

	if (n == 0)
		return 0; /* v may be NULL: a name without addresses */
	tmp = malloc(n * sizeof(*tmp));
	if (!tmp) {
		/* Without memory: the IPv6 filter still holds, the order stays DNS order. */
		for (size_t i = 0; i < n; i++)
			if (ipv6 || v[i].af != AF_INET6)
				v[k++] = v[i];
		return k;
	}
	for (size_t i = 0; i < n && ipv6; i++)
		if (v[i].af == AF_INET6)
			tmp[k++] = v[i];
	for (size_t i = 0; i < n; i++)
		if (v[i].af != AF_INET6)
			tmp[k++] = v[i];
	memcpy(v, tmp, k * sizeof(*v));
	free(tmp);
	return k;
}
