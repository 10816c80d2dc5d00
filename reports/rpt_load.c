/* rpt_load.c: reads results.json back and checks it has the shape the report writers rely
 * on, so a damaged file is named with the reason instead of producing a wrong report. */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "rpt.h"
#include "rpt_int.h"

struct vctx {
	const char *path;
	char *err;
	size_t errlen;
};

static int bad(struct vctx *v, const char *fmt, ...)
{
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(v->err, v->errlen, "%s: %s", v->path, what);
	return -EINVAL;
}

static int one_of(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (!strcmp(s, *set))
			return 1;
	return 0;
}

static int want_str(struct vctx *v, const json_t *o, const char *k, const char *where)
{
	if (!json_is_string(json_object_get(o, k)))
		return bad(v, "%s.%s: expected a string", where, k);
	return 0;
}

static int want_strs(struct vctx *v, const json_t *o, const char *k, const char *where)
{
	json_t *a = json_object_get(o, k);
	size_t i;
	json_t *x;
	if (!json_is_array(a))
		return bad(v, "%s.%s: expected an array of strings", where, k);
	json_array_foreach(a, i, x)
		if (!json_is_string(x))
			return bad(v, "%s.%s[%zu]: expected a string", where, k, i);
	return 0;
}

static int check_check(struct vctx *v, const json_t *ck, const char *where)
{
	static const char *const verdicts[] = { "pass", "fail", NULL };
	if (!json_is_object(ck))
		return bad(v, "%s: expected an object", where);
	if (want_str(v, ck, "check", where) || want_strs(v, ck, "requirements", where) ||
	    want_str(v, ck, "verdict", where))
		return -EINVAL;
	if (!one_of(rpt_str(ck, "verdict"), verdicts))
		return bad(v, "%s.verdict: '%s' is not pass or fail", where,
			   rpt_str(ck, "verdict"));
	json_t *pk = json_object_get(ck, "packets");
	size_t i;
	json_t *x;
	if (pk && !json_is_array(pk))
		return bad(v, "%s.packets: expected an array of frame numbers", where);
	json_array_foreach(pk, i, x)
		if (!json_is_integer(x) || json_integer_value(x) < 1)
			return bad(v, "%s.packets[%zu]: expected a frame number (1, 2, ...)", where,
				   i);
	return 0;
}

/* Paths in results.json are read relative to its directory: never absolute or upward. */
static int safe_rel(const char *p)
{
	return *p && *p != '/' && !strstr(p, "..");
}

static int check_scenario(struct vctx *v, const json_t *sc, size_t n)
{
	static const char *const verdicts[] = { "pass", "fail", "error", "not-run", NULL };
	char where[64];
	snprintf(where, sizeof(where), "scenarios[%zu]", n);
	if (!json_is_object(sc))
		return bad(v, "%s: expected an object", where);
	if (want_str(v, sc, "id", where) || want_str(v, sc, "verdict", where))
		return -EINVAL;
	const char *id = rpt_str(sc, "id");
	if (!*id || strchr(id, '/') || strstr(id, ".."))
		return bad(v, "%s.id: '%s' is not a usable scenario id", where, id);
	if (!one_of(rpt_str(sc, "verdict"), verdicts))
		return bad(v, "%s.verdict: '%s' is not pass, fail, error or not-run", where,
			   rpt_str(sc, "verdict"));
	json_t *pcap = json_object_get(sc, "pcap");
	if (pcap && !json_is_null(pcap) &&
	    (!json_is_string(pcap) || !safe_rel(json_string_value(pcap))))
		return bad(v, "%s.pcap: expected a relative path inside the results directory",
			   where);
	json_t *cks = json_object_get(sc, "checks");
	if (cks && !json_is_array(cks))
		return bad(v, "%s.checks: expected an array", where);
	size_t i;
	json_t *x;
	json_array_foreach(cks, i, x) {
		char w[96];
		snprintf(w, sizeof(w), "%s.checks[%zu]", where, i);
		if (check_check(v, x, w))
			return -EINVAL;
	}
	json_t *ev = json_object_get(sc, "events");
	if (ev && !json_is_array(ev))
		return bad(v, "%s.events: expected an array", where);
	json_array_foreach(ev, i, x) {
		if (!json_is_object(x) || !json_is_string(json_object_get(x, "kind")) ||
		    !json_is_number(json_object_get(x, "t")))
			return bad(v, "%s.events[%zu]: expected an object with kind and t", where, i);
		json_t *fr = json_object_get(x, "frames");
		if (fr && !json_is_array(fr))
			return bad(v, "%s.events[%zu].frames: expected an array", where, i);
	}
	return 0;
}

static int check_run(struct vctx *v, const json_t *run)
{
	if (!json_is_object(run))
		return bad(v, "expected a JSON object at the top");
	if (!json_is_array(json_object_get(run, "scenarios")))
		return bad(v, "scenarios: expected an array (is this a siploc results.json?)");
	size_t i;
	json_t *sc;
	json_array_foreach(json_object_get(run, "scenarios"), i, sc)
		if (check_scenario(v, sc, i))
			return -EINVAL;
	json_t *rq = json_object_get(run, "requirements");
	if (!json_is_object(rq))
		return bad(v, "requirements: expected an object");
	const char *id;
	json_t *r;
	json_object_foreach(rq, id, r) {
		char w[128];
		snprintf(w, sizeof(w), "requirements.%s", id);
		if (!json_is_object(r))
			return bad(v, "%s: expected an object", w);
		if (want_str(v, r, "verdict", w) || want_str(v, r, "level", w) ||
		    want_strs(v, r, "scenarios", w))
			return -EINVAL;
	}
	if (!json_is_object(json_object_get(run, "summary")))
		return bad(v, "summary: expected an object");
	return 0;
}

json_t *rpt_load(const char *path, char *err, size_t errlen)
{
	json_error_t je;
	json_t *run = json_load_file(path, 0, &je);
	if (!run) {
		if (je.line < 0)
			snprintf(err, errlen, "%s: %s", path, je.text);
		else
			snprintf(err, errlen, "%s:%d:%d: invalid JSON: %s", path, je.line,
				 je.column, je.text);
		return NULL;
	}
	struct vctx v = { path, err, errlen };
	if (check_run(&v, run)) {
		json_decref(run);
		return NULL;
	}
	return run;
}
