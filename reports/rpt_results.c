/* rpt_results.c: builds results.json and derives requirement verdicts and the summary. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "rpt.h"

json_t *rpt_run_new(const char *version, const char *sut_name, const char *sut_version,
		    double rate)
{
	/* The run's date lives in the results so rebuilt reports show it byte for byte. */
	char date[32] = "";
	time_t now = time(NULL);
	struct tm tm;
	if (gmtime_r(&now, &tm))
		strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_pack("{s:s, s:{s:s, s:s}, s:f, s:s, s:[]}", "siploc_version", version,
			 "sut", "name", sut_name, "version", sut_version, "rate", rate, "date",
			 date, "scenarios");
}

int rpt_run_add(json_t *run, json_t *scenario)
{
	if (!scenario)
		return -EINVAL;
	return json_array_append_new(json_object_get(run, "scenarios"), scenario) ? -ENOMEM : 0;
}

static int has_str(const json_t *arr, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), s))
			return 1;
	return 0;
}

/* Verdict of one requirement: any failing check wins, then an errored scenario that
 * covers it, then a passing check in a scenario that covers it; else not-run. A pass
 * an invariant saw in passing (a retransmission that happened to occur) does not count:
 * whether it occurs is timing, and a requirement shows as passed only by a scenario made
 * to show it, while any scenario can show it broken. */
static json_t *req_verdict(const json_t *scs, const struct rpt_req *r)
{
	int fail = 0, pass = 0, error = 0;
	json_t *names = json_array();
	size_t i;
	json_t *sc;
	json_array_foreach(scs, i, sc) {
		const char *v = json_string_value(json_object_get(sc, "verdict"));
		int involved = has_str(json_object_get(sc, "covers"), r->id);
		size_t k;
		json_t *ck;
		json_array_foreach(json_object_get(sc, "checks"), k, ck) {
			if (!has_str(json_object_get(ck, "requirements"), r->id))
				continue;
			involved = 1;
			if (!strcmp(json_string_value(json_object_get(ck, "verdict")), "pass"))
				pass |= has_str(json_object_get(sc, "covers"), r->id);
			else
				fail = 1;
		}
		if (involved && v && !strcmp(v, "error"))
			error = 1;
		if (involved)
			json_array_append_new(names, json_string(json_string_value(
						  json_object_get(sc, "id"))));
	}
	if (!json_array_size(names)) {
		json_decref(names);
		return NULL;
	}
	const char *verdict = fail ? "fail" : error ? "error" : pass ? "pass" : "not-run";
	return json_pack("{s:s, s:s, s:s, s:o}", "verdict", verdict, "level", r->level, "text",
			 r->text ? r->text : "", "scenarios", names);
}

int rpt_run_finish(json_t *run, const struct rpt_req *reqs, size_t nreqs)
{
	json_t *scs = json_object_get(run, "scenarios");
	json_t *rq = json_object();
	for (size_t i = 0; i < nreqs; i++) {
		json_t *v = req_verdict(scs, &reqs[i]);
		if (v)
			json_object_set_new(rq, reqs[i].id, v);
	}
	json_object_set_new(run, "requirements", rq);
	int pass = 0, fail = 0, error = 0, not_run = 0;
	size_t i;
	json_t *sc;
	json_array_foreach(scs, i, sc) {
		const char *v = json_string_value(json_object_get(sc, "verdict"));
		if (!v || !strcmp(v, "error"))
			error++;
		else if (!strcmp(v, "pass"))
			pass++;
		else if (!strcmp(v, "fail"))
			fail++;
		else
			not_run++;
	}
	json_object_set_new(run, "summary", json_pack("{s:i, s:i, s:i, s:i}", "pass", pass,
						      "fail", fail, "error", error, "not_run",
						      not_run));
	return 0;
}

int rpt_json_write(const json_t *run, const char *path, char *err, size_t errlen)
{
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (json_dump_file(run, tmp, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0) {
		snprintf(err, errlen, "cannot write %s", tmp);
		return -EIO;
	}
	if (rename(tmp, path) < 0) {
		snprintf(err, errlen, "rename %s: %s", path, strerror(errno));
		return -errno;
	}
	return 0;
}

int rpt_exit_status(const json_t *run)
{
	json_t *s = json_object_get(run, "summary");
	return json_integer_value(json_object_get(s, "fail")) ||
	       json_integer_value(json_object_get(s, "error")) ? 1 : 0;
}
