/* rpt_junit.c: junit.xml in the common schema CI servers read (GitLab, Jenkins): one
 * testsuite per run, one testcase per scenario. */
#include <errno.h>
#include <string.h>

#include "rpt.h"
#include "rpt_int.h"

static void attr(FILE *f, const char *name, const char *v)
{
	fprintf(f, " %s=\"", name);
	rpt_xml_esc(f, v, 1);
	fputc('"', f);
}

/* "check [REQ REQ]: detail (packets 3 7)": one failed check as a person reads it. */
static void check_line(FILE *f, const json_t *ck, int attr_mode)
{
	rpt_xml_esc(f, rpt_str(ck, "check"), attr_mode);
	fputs(" [", f);
	size_t k;
	json_t *r;
	json_array_foreach(json_object_get(ck, "requirements"), k, r) {
		if (k)
			fputc(' ', f);
		rpt_xml_esc(f, json_string_value(r), attr_mode);
	}
	fputs("]: ", f);
	rpt_xml_esc(f, rpt_str(ck, "detail"), attr_mode);
	json_t *pk = json_object_get(ck, "packets");
	if (json_array_size(pk)) {
		fputs(" (packets", f);
		json_array_foreach(pk, k, r)
			fprintf(f, " %lld", (long long)json_integer_value(r));
		fputc(')', f);
	}
}

static void testcase(FILE *f, const json_t *sc)
{
	char section[256];
	rpt_section(sc, section, sizeof(section));
	const char *v = rpt_str(sc, "verdict");
	fputs("    <testcase", f);
	attr(f, "classname", section);
	attr(f, "name", rpt_str(sc, "id"));
	fprintf(f, " time=\"%.3f\"", json_number_value(json_object_get(sc, "wall_s")));
	fputs(">\n", f);
	json_t *cks = json_object_get(sc, "checks");
	size_t i, nfail = 0;
	json_t *ck, *first = NULL;
	json_array_foreach(cks, i, ck) {
		if (strcmp(rpt_str(ck, "verdict"), "pass")) {
			nfail++;
			if (!first)
				first = ck;
		}
	}
	if (!strcmp(v, "error")) {
		fputs("      <error", f);
		attr(f, "message", rpt_str(sc, "reason"));
		fputs(" type=\"error\">", f);
		rpt_xml_esc(f, rpt_str(sc, "reason"), 0);
		fputs("</error>\n", f);
	} else if (!strcmp(v, "not-run")) {
		fputs("      <skipped", f);
		attr(f, "message", rpt_str(sc, "reason"));
		fputs("/>\n", f);
	} else if (first) {
		/* One failure element (GitLab shows only the first): every failed check in it. */
		fputs("      <failure message=\"", f);
		if (nfail > 1)
			fprintf(f, "%zu checks failed; first: ", nfail);
		check_line(f, first, 1);
		fputs("\"", f);
		attr(f, "type", rpt_str(first, "check"));
		fputs(">", f);
		json_array_foreach(cks, i, ck) {
			if (!strcmp(rpt_str(ck, "verdict"), "pass"))
				continue;
			check_line(f, ck, 0);
			fputc('\n', f);
		}
		fputs("</failure>\n", f);
	} else if (!strcmp(v, "fail")) {
		/* A fail verdict without a failed check: say so rather than show a pass. */
		fputs("      <failure message=\"scenario failed\" type=\"verdict\">", f);
		rpt_xml_esc(f, rpt_str(sc, "reason"), 0);
		fputs("</failure>\n", f);
	}
	/* Every check, passing ones too: the evidence a reviewer opens the test for. */
	fputs("      <system-out>", f);
	rpt_xml_esc(f, rpt_str(sc, "file"), 0);
	fputc('\n', f);
	json_array_foreach(cks, i, ck) {
		fprintf(f, "%s ", strcmp(rpt_str(ck, "verdict"), "pass") ? "FAIL" : "pass");
		check_line(f, ck, 0);
		fputc('\n', f);
	}
	if (*rpt_str(sc, "pcap")) {
		fputs("pcap: ", f);
		rpt_xml_esc(f, rpt_str(sc, "pcap"), 0);
		fputc('\n', f);
	}
	fputs("</system-out>\n    </testcase>\n", f);
}

int rpt_junit_write(FILE *f, const json_t *run)
{
	json_t *scs = json_object_get(run, "scenarios");
	json_t *sum = json_object_get(run, "summary");
	json_t *sut = json_object_get(run, "sut");
	double time = 0;
	size_t i;
	json_t *sc;
	json_array_foreach(scs, i, sc)
		time += json_number_value(json_object_get(sc, "wall_s"));
	long long fails = json_integer_value(json_object_get(sum, "fail"));
	long long errors = json_integer_value(json_object_get(sum, "error"));
	long long skipped = json_integer_value(json_object_get(sum, "not_run"));
	char name[512], stamp[32];
	snprintf(name, sizeof(name), "siploc %s %s", rpt_str(sut, "name"), rpt_str(sut, "version"));
	/* xs:dateTime as the Jenkins schema wants it: no zone suffix (the date is UTC). */
	snprintf(stamp, sizeof(stamp), "%.19s", rpt_str(run, "date"));
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites", f);
	attr(f, "name", "siploc");
	fprintf(f, " tests=\"%zu\" failures=\"%lld\" errors=\"%lld\" skipped=\"%lld\" "
		   "time=\"%.3f\">\n", json_array_size(scs), fails, errors, skipped, time);
	fputs("  <testsuite", f);
	attr(f, "name", name);
	fprintf(f, " tests=\"%zu\" failures=\"%lld\" errors=\"%lld\" skipped=\"%lld\" "
		   "time=\"%.3f\"", json_array_size(scs), fails, errors, skipped, time);
	if (strlen(stamp) == 19)
		attr(f, "timestamp", stamp);
	fputs(">\n    <properties>\n", f);
	static const char *const props[][2] = {
		{ "siploc_version", NULL }, { "sut", "name" }, { "sut_version", "version" },
	};
	for (size_t p = 0; p < 3; p++) {
		fputs("      <property", f);
		attr(f, "name", props[p][0]);
		attr(f, "value", props[p][1] ? rpt_str(sut, props[p][1]) :
					       rpt_str(run, props[p][0]));
		fputs("/>\n", f);
	}
	fprintf(f, "      <property name=\"rate\" value=\"%g\"/>\n",
		json_number_value(json_object_get(run, "rate")));
	fputs("    </properties>\n", f);
	json_array_foreach(scs, i, sc)
		testcase(f, sc);
	fputs("  </testsuite>\n</testsuites>\n", f);
	return ferror(f) ? -EIO : 0;
}
