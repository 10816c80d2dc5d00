/* test_rpt_model.c: the results model: requirement aggregation, the diff of two runs, and
 * reading results.json back (bad files are named with line:column or the field). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rpt.h"

static const struct rpt_req REQS[] = {
	{ "R-FAIL", "M", "fails somewhere" }, { "R-ERR", "S", "in an errored scenario" },
	{ "R-PASS", "Y", "passes" },          { "R-COVER", "M", "covered, never checked" },
	{ "R-NONE", "M", "nobody involves it" },
};

static json_t *check(const char *req, const char *verdict)
{
	return json_pack("{s:s, s:[s], s:s, s:s, s:[i]}", "check", "c", "requirements", req,
			 "verdict", verdict, "detail", "d", "packets", 1);
}

static json_t *scenario(const char *id, const char *verdict, json_t *covers, json_t *checks)
{
	return json_pack("{s:s, s:s, s:s, s:o, s:o, s:s}", "id", id, "file", "s/x/a.lua",
			 "verdict", verdict, "covers", covers, "checks", checks, "reason", "");
}

/* Three scenarios: a failing and a passing check for R-FAIL, an errored one for R-ERR. */
static json_t *sample_run(void)
{
	json_t *run = rpt_run_new("0.1.0", "ref", "1", 100);
	rpt_run_add(run, scenario("a", "fail", json_pack("[s]", "R-FAIL"),
				  json_pack("[o, o]", check("R-FAIL", "pass"),
					    check("R-PASS", "pass"))));
	rpt_run_add(run, scenario("b", "fail", json_pack("[s, s]", "R-FAIL", "R-COVER"),
				  json_pack("[o]", check("R-FAIL", "fail"))));
	rpt_run_add(run, scenario("c", "error", json_pack("[s, s]", "R-ERR", "R-PASS"),
				  json_array()));
	rpt_run_finish(run, REQS, sizeof(REQS) / sizeof(REQS[0]));
	return run;
}

static const char *req_verdict(const json_t *run, const char *id)
{
	return json_string_value(
		json_object_get(json_object_get(json_object_get(run, "requirements"), id),
				"verdict"));
}

static void test_requirement_verdicts(void **st)
{
	(void)st;
	json_t *run = sample_run();
	assert_string_equal(req_verdict(run, "R-FAIL"), "fail");
	assert_string_equal(req_verdict(run, "R-ERR"), "error");
	/* An errored scenario involving a requirement outweighs a passing check. */
	assert_string_equal(req_verdict(run, "R-PASS"), "error");
	assert_string_equal(req_verdict(run, "R-COVER"), "not-run");
	assert_null(json_object_get(json_object_get(run, "requirements"), "R-NONE"));
	json_t *r = json_object_get(json_object_get(run, "requirements"), "R-FAIL");
	assert_string_equal(json_string_value(json_object_get(r, "text")), "fails somewhere");
	assert_int_equal(json_array_size(json_object_get(r, "scenarios")), 2);
	json_t *s = json_object_get(run, "summary");
	assert_int_equal(json_integer_value(json_object_get(s, "fail")), 2);
	assert_int_equal(json_integer_value(json_object_get(s, "error")), 1);
	assert_int_equal(json_integer_value(json_object_get(s, "pass")), 0);
	/* The date is UTC ISO 8601, the one thing a rebuilt report cannot invent. */
	const char *d = json_string_value(json_object_get(run, "date"));
	assert_non_null(d);
	assert_int_equal(strlen(d), 20);
	assert_int_equal(d[10], 'T');
	assert_int_equal(d[19], 'Z');
	assert_int_equal(rpt_exit_status(run), 1);
	json_decref(run);
}

/* A pass counts only where a scenario covers the requirement (an invariant that saw it in
 * passing is timing); a fail counts wherever it happens. */
static void test_requirement_incidental_evidence(void **st)
{
	(void)st;
	json_t *run = rpt_run_new("0.1.0", "ref", "1", 100);
	rpt_run_add(run, scenario("a", "pass", json_pack("[s]", "R-FAIL"),
				  json_pack("[o, o]", check("R-FAIL", "pass"),
					    check("R-PASS", "pass"))));
	rpt_run_finish(run, REQS, sizeof(REQS) / sizeof(REQS[0]));
	assert_string_equal(req_verdict(run, "R-FAIL"), "pass");
	assert_string_equal(req_verdict(run, "R-PASS"), "not-run");
	json_decref(run);
	run = rpt_run_new("0.1.0", "ref", "1", 100);
	rpt_run_add(run, scenario("a", "fail", json_pack("[s]", "R-FAIL"),
				  json_pack("[o, o]", check("R-FAIL", "pass"),
					    check("R-PASS", "fail"))));
	rpt_run_add(run, scenario("b", "pass", json_pack("[s]", "R-PASS"),
				  json_pack("[o]", check("R-PASS", "pass"))));
	rpt_run_finish(run, REQS, sizeof(REQS) / sizeof(REQS[0]));
	assert_string_equal(req_verdict(run, "R-PASS"), "fail");
	json_decref(run);
}

static char *diff_text(const json_t *a, const json_t *b, int *n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	*n = rpt_diff(f, a, b);
	fclose(f);
	return buf;
}

static void test_diff(void **st)
{
	(void)st;
	json_t *a = sample_run(), *b = sample_run();
	int n;
	char *t = diff_text(a, b, &n);
	assert_int_equal(n, 0);
	assert_string_equal(t, "");
	free(t);
	/* b: the failing check passes now, scenario c is gone, d is new. */
	json_t *scs = json_object_get(b, "scenarios");
	json_object_set_new(json_array_get(json_object_get(json_array_get(scs, 1), "checks"), 0),
			    "verdict", json_string("pass"));
	json_object_set_new(json_array_get(scs, 1), "verdict", json_string("pass"));
	json_array_remove(scs, 2);
	rpt_run_add(b, scenario("d", "pass", json_array(), json_array()));
	rpt_run_finish(b, REQS, sizeof(REQS) / sizeof(REQS[0]));
	t = diff_text(a, b, &n);
	assert_non_null(strstr(t, "requirement R-FAIL: fail -> pass\n"));
	assert_non_null(strstr(t, "requirement R-ERR: removed (was error)\n"));
	/* Its only pass now is a check in a scenario that does not cover it. */
	assert_non_null(strstr(t, "requirement R-PASS: error -> not-run\n"));
	assert_non_null(strstr(t, "scenario b: fail -> pass\n"));
	assert_non_null(strstr(t, "scenario c: removed (was error)\n"));
	assert_non_null(strstr(t, "scenario d: added (pass)\n"));
	assert_null(strstr(t, "R-COVER"));
	assert_int_equal(n, 6);
	free(t);
	t = diff_text(b, a, &n);
	assert_non_null(strstr(t, "requirement R-ERR: added (error)\n"));
	assert_int_equal(n, 6);
	free(t);
	json_decref(a);
	json_decref(b);
}

static char *tmp_file(const char *text)
{
	char *path = strdup("/tmp/test_rpt_XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_load_good_roundtrip(void **st)
{
	(void)st;
	json_t *run = sample_run();
	char *path = tmp_file(""), err[512] = "";
	assert_int_equal(rpt_json_write(run, path, err, sizeof(err)), 0);
	json_t *back = rpt_load(path, err, sizeof(err));
	assert_non_null(back);
	assert_true(json_equal(run, back));
	json_decref(back);
	json_decref(run);
	unlink(path);
	free(path);
}

static void expect_load_error(const char *text, const char *want)
{
	char *path = tmp_file(text), err[512] = "";
	assert_null(rpt_load(path, err, sizeof(err)));
	assert_non_null(strstr(err, path));
	if (!strstr(err, want))
		fail_msg("error '%s' does not mention '%s'", err, want);
	unlink(path);
	free(path);
}

static void test_load_errors(void **st)
{
	(void)st;
	expect_load_error("{\n  \"scenarios\": [,]\n}\n", ":2:");
	expect_load_error("[]", "top");
	expect_load_error("{\"scenarios\": 3}", "scenarios: expected an array");
	expect_load_error("{\"scenarios\": [{\"id\": \"a\", \"verdict\": \"maybe\"}], "
			  "\"requirements\": {}, \"summary\": {}}",
			  "scenarios[0].verdict");
	expect_load_error("{\"scenarios\": [{\"id\": \"a\", \"verdict\": \"pass\", \"checks\": "
			  "[{\"check\": \"c\", \"requirements\": [], \"verdict\": \"pass\", "
			  "\"packets\": [0]}]}], \"requirements\": {}, \"summary\": {}}",
			  "scenarios[0].checks[0].packets[0]");
	expect_load_error("{\"scenarios\": [{\"id\": \"a\", \"verdict\": \"pass\", \"pcap\": "
			  "\"../../etc/passwd\"}], \"requirements\": {}, \"summary\": {}}",
			  "scenarios[0].pcap");
	expect_load_error("{\"scenarios\": [{\"id\": \"../x\", \"verdict\": \"pass\"}], "
			  "\"requirements\": {}, \"summary\": {}}", "scenarios[0].id");
	expect_load_error("{\"scenarios\": [], \"requirements\": {\"X\": {\"verdict\": 1}}, "
			  "\"summary\": {}}", "requirements.X.verdict");
	char err[512];
	assert_null(rpt_load("/nonexistent/results.json", err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/results.json"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_requirement_verdicts),
		cmocka_unit_test(test_requirement_incidental_evidence),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_load_good_roundtrip),
		cmocka_unit_test(test_load_errors),
	};
	return cmocka_run_group_tests_name("rpt_model", tests, NULL, NULL);
}
