/* sl_targets.h: the destinations RFC 3263 sections 4.1 and 4.2 allow for one URI, given
 * what DNS told the SUT (sl_dnsview.h), as a tree of ranked alternatives: NAPTR records
 * by order and preference (or, without NAPTR, the SRV names the SUT asked for), SRV
 * targets by priority (RFC 2782), a target's addresses. Lower ranks come first, equal
 * ranks in any order (RFC 2782's weighted draw can give any), and a subtree is finished
 * before its next sibling starts (every address of a target before the next target).
 * Promises: built from the URI and the view alone, never from a hand-written order;
 * nodes the SUT never resolved are marked unknown, not guessed. */
#ifndef SL_TARGETS_H
#define SL_TARGETS_H

#include <stddef.h>

#include "sl_uri.h"

struct sl_dnsview;

/* Transports (and IPv6) the SUT supports; NAPTR services it lacks are discarded. */
#define SL_TP_UDP  1u
#define SL_TP_TCP  2u
#define SL_TP_TLS  4u
#define SL_TP_SCTP 8u
#define SL_TP_IPV6 16u

/* The requirement a path through the tree stands for (see sl_check.h SL_R_*). */
enum sl_tn_kind {
	SL_TN_ROOT,     /* alternatives: NAPTR records (naptr set) or SRV names */
	SL_TN_SRV,      /* one SRV name's records: children are targets, ranked by priority */
	SL_TN_TARGET,   /* one host at one port: children are its addresses */
	SL_TN_LEAF,     /* one destination */
};

struct sl_tnode {
	enum sl_tn_kind kind;
	int parent;             /* -1 for the root */
	long rank;
	int unknown;            /* never resolved by the SUT: cannot be finished */
	int optional;           /* may be left out among its siblings (SIPS services for a
				 * sip: URI) */
	int empty;              /* asked, and DNS gave nothing */
	int dot;                /* SRV: the single "." target: service not offered */
	char name[256];         /* SRV name, target host */
	char dest[96];          /* LEAF: "127.0.0.2:5060/udp", "[fd00::2]:5061/tls" */
	char tp[16];            /* udp tcp tls sctp (or a transport= we do not know) */
	unsigned port;
	unsigned prio, weight;  /* TARGET from SRV */
	unsigned req;           /* SL_R_* bits the route to this node speaks for */
	int ev;                 /* the DNS event that gave the node, -1: none */
};

struct sl_targets {
	struct sl_uri uri;
	int naptr;              /* the root's children are NAPTR records */
	unsigned req;           /* SL_R_* bits of the URI's form (maddr, transport param) */
	struct sl_tnode *n;     /* n[0] is the root */
	size_t count, cap;
};

/* Builds the tree for uri. tp_mask: SL_TP_* the SUT supports. Returns 0, -EINVAL for a
 * URI that is not sip:/sips: (reason in err), -ENOMEM. */
int sl_targets_build(struct sl_targets **tp, const char *uri, const struct sl_dnsview *v,
		     unsigned tp_mask, char *err, size_t errlen);
/* The same with rules relaxed (SL_RELAX_*), to tell which rule a destination outside the
 * strict tree broke: it is inside the tree that lacks that rule. */
#define SL_RELAX_MADDR     1u  /* the host is TARGET, maddr= ignored */
#define SL_RELAX_TRANSPORT 2u  /* transport= ignored */
#define SL_RELAX_PORT      4u  /* the URI's port ignored */
#define SL_RELAX_FLAGS     8u  /* NAPTR records kept whatever their flags and regexp */
#define SL_RELAX_SERVICE  16u  /* NAPTR records kept whatever their service (as D2U) */
int sl_targets_build_relaxed(struct sl_targets **tp, const char *uri,
			     const struct sl_dnsview *v, unsigned tp_mask, unsigned relax,
			     char *err, size_t errlen);
void sl_targets_free(struct sl_targets *t);

/* Default port of a transport (5061 for tls, else 5060). */
unsigned sl_tp_default_port(const char *tp);

#endif
