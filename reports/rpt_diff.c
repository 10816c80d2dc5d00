/* rpt_diff.c: what changed between two runs: requirement verdicts first (what a release
 * note needs), then scenarios added, removed or with a new verdict. */
#include <string.h>

#include "rpt.h"
#include "rpt_int.h"

static const json_t *scenario(const json_t *run, const char *id)
{
	size_t i;
	json_t *sc;
	json_array_foreach(json_object_get(run, "scenarios"), i, sc)
		if (!strcmp(rpt_str(sc, "id"), id))
			return sc;
	return NULL;
}

/* One line when the verdict of what (a requirement or a scenario) differs. */
static int line(FILE *f, const char *what, const char *id, const json_t *o, const json_t *n)
{
	const char *ov = rpt_str(o, "verdict"), *nv = rpt_str(n, "verdict");
	if (o && n && !strcmp(ov, nv))
		return 0;
	if (!o)
		fprintf(f, "%s %s: added (%s)\n", what, id, nv);
	else if (!n)
		fprintf(f, "%s %s: removed (was %s)\n", what, id, ov);
	else
		fprintf(f, "%s %s: %s -> %s\n", what, id, ov, nv);
	return 1;
}

int rpt_diff(FILE *f, const json_t *old, const json_t *new_run)
{
	const json_t *orq = json_object_get(old, "requirements");
	const json_t *nrq = json_object_get(new_run, "requirements");
	int n = 0;
	const char *id;
	json_t *r;
	json_object_foreach((json_t *)orq, id, r)
		n += line(f, "requirement", id, r, json_object_get(nrq, id));
	json_object_foreach((json_t *)nrq, id, r)
		if (!json_object_get(orq, id))
			n += line(f, "requirement", id, NULL, r);
	size_t i;
	json_t *sc;
	json_array_foreach(json_object_get(old, "scenarios"), i, sc) {
		const char *sid = rpt_str(sc, "id");
		n += line(f, "scenario", sid, sc, scenario(new_run, sid));
	}
	json_array_foreach(json_object_get(new_run, "scenarios"), i, sc) {
		const char *sid = rpt_str(sc, "id");
		if (!scenario(old, sid))
			n += line(f, "scenario", sid, NULL, sc);
	}
	return n;
}
