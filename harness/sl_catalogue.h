/* sl_catalogue.h: the requirement catalogue (docs/requirements.md), read at run time.
 * Promises: IDs, levels (M/S/Y/D), roles and texts exactly as the table rows give them;
 * a scenario naming an ID that is not there is an input error. */
#ifndef SL_CATALOGUE_H
#define SL_CATALOGUE_H

#include <stddef.h>

struct sl_req {
	char id[32];
	char level[4];     /* M, S, Y, D */
	char role[4];      /* C, P, V, Z */
	char text[512];
};

struct sl_catalogue;

/* Parses the markdown tables of path. Returns 0 or -errno with the reason in err. */
int sl_catalogue_load(struct sl_catalogue **cp, const char *path, char *err, size_t errlen);
void sl_catalogue_free(struct sl_catalogue *c);
size_t sl_catalogue_count(const struct sl_catalogue *c);
const struct sl_req *sl_catalogue_at(const struct sl_catalogue *c, size_t i);
const struct sl_req *sl_catalogue_find(const struct sl_catalogue *c, const char *id);

#endif
