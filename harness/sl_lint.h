/* sl_lint.h: checks a SIP domain's DNS set-up against RFC 3263's duties on the zone
 * (the Z-* catalogue rows) and the faults that break RFC 3263 clients.
 * Promises: the file and the live mode walk the same names (NAPTR at the domain, the SRV
 * names it and RFC 3263 lead to, their targets), so one zone gives the same findings
 * whether read from its master file or from a server serving it. */
#ifndef SL_LINT_H
#define SL_LINT_H

#include <stddef.h>
#include <stdint.h>

enum sl_lint_level { SL_LINT_NOTE, SL_LINT_WARNING, SL_LINT_ERROR };

struct sl_lint_finding {
	char id[32];                 /* Z-THREE-NAPTR, LINT-SRV-PORT0, ... */
	enum sl_lint_level level;
	int line;                    /* master-file line of the record; 0 in live mode */
	char record[512];            /* the record it is about, presentation format */
	char message[512];
};

struct sl_lint;

/* Reads a master file. domain NULL: the file's $ORIGIN or first SOA owner.
 * Returns 0 or -errno with "file:line: reason" in err. */
int sl_lint_new_file(struct sl_lint **lp, const char *path, const char *domain,
		     char *err, size_t errlen);
/* Asks the authoritative server at addr (numeric) and port for the domain's records. */
int sl_lint_new_server(struct sl_lint **lp, const char *addr, uint16_t port,
		       const char *domain, char *err, size_t errlen);
void sl_lint_free(struct sl_lint *l);

/* Runs every check; findings stay owned by l, in a stable order. Returns the count or
 * -errno (live mode: the server could not be asked; err says why). */
int sl_lint_run(struct sl_lint *l, const struct sl_lint_finding **out, char *err,
		size_t errlen);
const char *sl_lint_domain(const struct sl_lint *l);
const char *sl_lint_level_str(enum sl_lint_level lv);

#endif
