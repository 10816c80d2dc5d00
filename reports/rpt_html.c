/* rpt_html.c: report.html, one self-contained page (no scripts, no external assets): run
 * facts, the requirement matrix, and per scenario its checks and a ladder diagram.
 * Written as well-formed XML too (polyglot XHTML), so xmllint can check it strictly. */
#include <errno.h>
#include <string.h>

#include "rpt.h"
#include "rpt_int.h"

#define HTML_MAX_EVENTS 5000

static const char css[] =
	"body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;"
	"color:#263238;background:#fafafa}\n"
	"main{max-width:1500px;margin:0 auto;padding:24px 32px}\n"
	"h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 10px;"
	"border-bottom:2px solid #cfd8dc;padding-bottom:4px}\n"
	"h3{font-size:16px;margin:0 0 6px}\n"
	".meta{display:flex;flex-wrap:wrap;gap:6px 28px;margin:10px 0;color:#455a64}\n"
	".meta b{color:#263238}\n"
	".totals{display:flex;gap:10px;flex-wrap:wrap;margin:12px 0}\n"
	".tile{background:#fff;border:1px solid #cfd8dc;border-radius:6px;padding:8px 14px}\n"
	".tile .n{font-size:20px;font-weight:600}\n"
	"table{border-collapse:collapse;background:#fff;width:100%;font-size:13px}\n"
	"th,td{border:1px solid #cfd8dc;padding:5px 8px;text-align:left;vertical-align:top}\n"
	"th{background:#eceff1}\n"
	"td.id{font-family:monospace;white-space:nowrap}\n"
	"td.packets{font-family:monospace;font-size:12px;min-width:90px;max-width:220px}\n"
	"td.detail{font-family:monospace;font-size:12px;white-space:pre-wrap;"
	"word-break:break-word}\n"
	".badge{display:inline-block;border-radius:10px;padding:1px 9px;font-size:12px;"
	"font-weight:600;color:#fff;white-space:nowrap}\n"
	".pass{background:#2e7d32}.fail{background:#c62828}.error{background:#6a1b9a}"
	".not-run{background:#757575}\n"
	"tr.v-fail td{background:#fff5f5}tr.v-error td{background:#faf5ff}\n"
	".scenario{background:#fff;border:1px solid #cfd8dc;border-radius:8px;padding:14px 18px;"
	"margin:16px 0}\n"
	".scenario.v-fail{border-left:6px solid #c62828}"
	".scenario.v-pass{border-left:6px solid #2e7d32}"
	".scenario.v-error{border-left:6px solid #6a1b9a}"
	".scenario.v-not-run{border-left:6px solid #757575}\n"
	".facts{color:#546e7a;font-size:13px;margin:0 0 8px}\n"
	".facts code{color:#37474f}\n"
	".summary{white-space:pre-line;margin:8px 0 12px;line-height:1.45}\n"
	".reason{color:#6a1b9a;font-family:monospace}\n"
	".ladder{overflow-x:auto;margin:12px 0;border:1px solid #eceff1;border-radius:6px;"
	"background:#fcfdfd}\n"
	"pre.events{font-size:12px;background:#f5f5f5;padding:8px;overflow-x:auto}\n"
	"ul.index{columns:2;font-size:14px}\n"
	"ul.failures{font-size:13px;line-height:1.5;background:#fff5f5;border:1px solid #ffcdd2;"
	"border-radius:6px;padding:8px 8px 8px 28px}\n"
	".legend{font-size:12px;color:#78909c;margin:4px 10px}\n"
	"a{color:#1565c0;text-decoration:none}a:hover{text-decoration:underline}\n";

static void esc(FILE *f, const char *s)
{
	rpt_xml_esc(f, s, 0);
}

static void badge(FILE *f, const char *v)
{
	fputs("<span class=\"badge ", f);
	rpt_xml_esc(f, v, 1);
	fputs("\">", f);
	esc(f, v);
	fputs("</span>", f);
}

/* s as a URL path or fragment: a repetition's "x#2" must not end the path at its '#'. */
static void url(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '#' || *s == '%' || *s == '"' || *s == '<' || *s == '>' || *s == '&' ||
		    *s == ' ' || (unsigned char)*s < 0x20)
			fprintf(f, "%%%02X", (unsigned char)*s);
		else
			fputc(*s, f);
	}
}

static void sc_link(FILE *f, const char *id)
{
	fputs("<a href=\"#sc-", f);
	url(f, id);
	fputs("\">", f);
	esc(f, id);
	fputs("</a>", f);
}

static void head(FILE *f, const json_t *run)
{
	const json_t *sut = json_object_get(run, "sut");
	fputs("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n"
	      "<head>\n<meta charset=\"utf-8\"/>\n<title>siploc report: ", f);
	esc(f, rpt_str(sut, "name"));
	fputc(' ', f);
	esc(f, rpt_str(sut, "version"));
	fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<main>\n", css);
	fputs("<h1>RFC 3263 conformance report: ", f);
	esc(f, rpt_str(sut, "name"));
	fputs("</h1>\n<div class=\"meta\"><span>SUT <b>", f);
	esc(f, rpt_str(sut, "name"));
	fputs("</b></span><span>version <b>", f);
	esc(f, rpt_str(sut, "version"));
	fputs("</b></span><span>siploc <b>", f);
	esc(f, rpt_str(run, "siploc_version"));
	fputs("</b></span><span>date <b>", f);
	esc(f, *rpt_str(run, "date") ? rpt_str(run, "date") : "unknown");
	fprintf(f, "</b></span><span>rate <b>%g\xc3\x97</b> real time</span>",
		json_number_value(json_object_get(run, "rate")));
	const json_t *t = json_object_get(run, "timing");
	if (t)
		fprintf(f, "<span>SUT time <b>%.1f s</b> in <b>%.1f s</b> wall "
			   "(<b>%.1f\xc3\x97</b>, %lld workers)</span>",
			json_number_value(json_object_get(t, "sut_s")),
			json_number_value(json_object_get(t, "wall_s")),
			json_number_value(json_object_get(t, "compression")),
			(long long)json_integer_value(json_object_get(t, "jobs")));
	if (json_integer_value(json_object_get(run, "repeat")) > 1)
		fprintf(f, "<span>each scenario <b>%lld\xc3\x97</b></span>",
			(long long)json_integer_value(json_object_get(run, "repeat")));
	fputs("</div>\n", f);
}

static void totals(FILE *f, const json_t *run)
{
	const json_t *s = json_object_get(run, "summary");
	static const char *const keys[][2] = {
		{ "pass", "passed" }, { "fail", "failed" }, { "error", "errors" },
		{ "not_run", "not run" },
	};
	fputs("<div class=\"totals\">", f);
	for (size_t i = 0; i < 4; i++)
		fprintf(f, "<div class=\"tile\"><div class=\"n\">%lld</div>scenarios %s</div>",
			(long long)json_integer_value(json_object_get(s, keys[i][0])),
			keys[i][1]);
	static const char *const levels[] = { "M", "S", "Y", "D" };
	for (size_t l = 0; l < 4; l++) {
		int pass = 0, total = 0;
		const char *id;
		json_t *r;
		json_object_foreach(json_object_get(run, "requirements"), id, r) {
			if (strcmp(rpt_str(r, "level"), levels[l]))
				continue;
			total++;
			pass += !strcmp(rpt_str(r, "verdict"), "pass");
		}
		if (total)
			fprintf(f, "<div class=\"tile\"><div class=\"n\">%d/%d</div>%s requirements "
				   "passed</div>", pass, total, rpt_level_name(levels[l]));
	}
	fputs("</div>\n", f);
}

/* Every failed check and errored scenario up front: what a reader came for. */
static void failures(FILE *f, const json_t *run)
{
	size_t i, k, r, n = 0;
	json_t *sc, *ck, *x;
	json_array_foreach(json_object_get(run, "scenarios"), i, sc) {
		const char *v = rpt_str(sc, "verdict");
		if (!strcmp(v, "error") || !strcmp(v, "not-run")) {
			fputs(n++ ? "" : "<h2 id=\"failures\">Failures</h2>\n<ul class=\"failures\">\n", f);
			fputs("<li>", f);
			sc_link(f, rpt_str(sc, "id"));
			fputs(": ", f);
			badge(f, v);
			fputc(' ', f);
			esc(f, rpt_str(sc, "reason"));
			fputs("</li>\n", f);
		}
		json_array_foreach(json_object_get(sc, "checks"), k, ck) {
			if (!strcmp(rpt_str(ck, "verdict"), "pass"))
				continue;
			fputs(n++ ? "" : "<h2 id=\"failures\">Failures</h2>\n<ul class=\"failures\">\n", f);
			fputs("<li>", f);
			sc_link(f, rpt_str(sc, "id"));
			fputs(": <b>", f);
			esc(f, rpt_str(ck, "check"));
			fputs("</b> [", f);
			json_array_foreach(json_object_get(ck, "requirements"), r, x) {
				fputs(r ? " " : "", f);
				esc(f, json_string_value(x));
			}
			fputs("] ", f);
			esc(f, rpt_str(ck, "detail"));
			fputs("</li>\n", f);
		}
	}
	if (n)
		fputs("</ul>\n", f);
}

static void matrix(FILE *f, const json_t *run)
{
	fputs("<h2 id=\"requirements\">Requirements</h2>\n<table class=\"matrix\">\n<thead><tr>"
	      "<th>ID</th><th>Level</th><th>Requirement</th><th>Verdict</th><th>Scenarios</th>"
	      "</tr></thead>\n<tbody>\n", f);
	const char *id;
	json_t *r;
	json_object_foreach(json_object_get(run, "requirements"), id, r) {
		fputs("<tr class=\"v-", f);
		rpt_xml_esc(f, rpt_str(r, "verdict"), 1);
		fputs("\" id=\"req-", f);
		rpt_xml_esc(f, id, 1);
		fputs("\"><td class=\"id\">", f);
		esc(f, id);
		fputs("</td><td>", f);
		esc(f, rpt_level_name(rpt_str(r, "level")));
		fputs("</td><td>", f);
		esc(f, rpt_str(r, "text"));
		fputs("</td><td>", f);
		badge(f, rpt_str(r, "verdict"));
		fputs("</td><td>", f);
		/* A scenario run K times is one entry, "x \xc3\x97K": its repetitions ("x#2")
		 * follow it in the list. */
		size_t i, n = 0, reps = 0;
		json_t *s;
		json_array_foreach(json_object_get(r, "scenarios"), i, s) {
			if (strchr(json_string_value(s), '#')) {
				reps++;
				continue;
			}
			if (reps)
				fprintf(f, " \xc3\x97%zu", reps + 1);
			reps = 0;
			if (n++)
				fputs(", ", f);
			sc_link(f, json_string_value(s));
		}
		if (reps)
			fprintf(f, " \xc3\x97%zu", reps + 1);
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody>\n</table>\n", f);
}

static void checks(FILE *f, const json_t *sc)
{
	json_t *cks = json_object_get(sc, "checks");
	if (!json_array_size(cks)) {
		fputs("<p>No checks ran.</p>\n", f);
		return;
	}
	fputs("<table class=\"checks\">\n<thead><tr><th>Check</th><th>Requirements</th>"
	      "<th>Verdict</th><th>Detail</th><th>Packets</th></tr></thead>\n<tbody>\n", f);
	size_t i, k;
	json_t *ck, *x;
	json_array_foreach(cks, i, ck) {
		fputs("<tr class=\"v-", f);
		rpt_xml_esc(f, rpt_str(ck, "verdict"), 1);
		fputs("\"><td>", f);
		esc(f, rpt_str(ck, "check"));
		fputs("</td><td class=\"id\">", f);
		json_array_foreach(json_object_get(ck, "requirements"), k, x) {
			fputs(k ? " " : "", f);
			fputs("<a href=\"#req-", f);
			rpt_xml_esc(f, json_string_value(x), 1);
			fputs("\">", f);
			esc(f, json_string_value(x));
			fputs("</a>", f);
		}
		fputs("</td><td>", f);
		badge(f, rpt_str(ck, "verdict"));
		fputs("</td><td class=\"detail\">", f);
		esc(f, rpt_str(ck, "detail"));
		fputs("</td><td class=\"packets\">", f);
		/* A statistical check cites every packet: the first ones make the point. */
		json_t *pk = json_object_get(ck, "packets");
		json_array_foreach(pk, k, x) {
			if (k == 24) {
				fprintf(f, " \xe2\x80\xa6 +%zu", json_array_size(pk) - k);
				break;
			}
			fprintf(f, "%s%lld", k ? " " : "", (long long)json_integer_value(x));
		}
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody>\n</table>\n", f);
}

static void event_line(FILE *f, const json_t *e)
{
	fprintf(f, "%9.4f  %-11s ", json_number_value(json_object_get(e, "t")),
		rpt_str(e, "kind"));
	if (*rpt_str(e, "from")) {
		esc(f, rpt_str(e, "from"));
		fputs(" \xe2\x86\x92 ", f);
		esc(f, rpt_str(e, "to"));
		fputc(' ', f);
	}
	static const char *const keys[] = { "qtype", "qname", "method", "uri", "outcome",
					     "text", NULL };
	for (const char *const *k = keys; *k; k++)
		if (*rpt_str(e, *k)) {
			esc(f, rpt_str(e, *k));
			fputc(' ', f);
		}
	json_t *st = json_object_get(e, "status");
	if (json_is_integer(st))
		fprintf(f, "%lld ", (long long)json_integer_value(st));
	if (*rpt_str(e, "branch")) {
		fputs("branch=", f);
		esc(f, rpt_str(e, "branch"));
	}
	json_t *fr = json_object_get(e, "frames");
	if (json_array_size(fr)) {
		size_t i;
		json_t *x;
		fputs(" [frame", f);
		json_array_foreach(fr, i, x)
			fprintf(f, " %lld", (long long)json_integer_value(x));
		fputc(']', f);
	}
	fputc('\n', f);
}

static void scenario(FILE *f, const json_t *sc)
{
	const char *id = rpt_str(sc, "id");
	fputs("<section class=\"scenario v-", f);
	rpt_xml_esc(f, rpt_str(sc, "verdict"), 1);
	fputs("\" id=\"sc-", f);
	rpt_xml_esc(f, id, 1);
	fputs("\">\n<h3>", f);
	badge(f, rpt_str(sc, "verdict"));
	fputc(' ', f);
	esc(f, id);
	fputs("</h3>\n<p class=\"facts\"><code>", f);
	esc(f, rpt_str(sc, "file"));
	fputs("</code> \xc2\xb7 covers ", f);
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(sc, "covers"), i, x) {
		fputs(i ? ", " : "", f);
		fputs("<a href=\"#req-", f);
		rpt_xml_esc(f, json_string_value(x), 1);
		fputs("\">", f);
		esc(f, json_string_value(x));
		fputs("</a>", f);
	}
	fputs(" \xc2\xb7 role ", f);
	esc(f, rpt_str(sc, "role"));
	fprintf(f, " \xc2\xb7 SUT time %.1f s \xc2\xb7 wall %.2f s",
		json_number_value(json_object_get(sc, "sut_time_s")),
		json_number_value(json_object_get(sc, "wall_s")));
	if (json_is_integer(json_object_get(sc, "seed")))
		fprintf(f, " \xc2\xb7 seed %lld",
			(long long)json_integer_value(json_object_get(sc, "seed")));
	const json_t *sch = json_object_get(sc, "schedule");
	if (json_is_true(json_object_get(sch, "alone"))) {
		fputs(" \xc2\xb7 ran alone (", f);
		esc(f, rpt_str(sch, "why"));
		fputc(')', f);
	}
	if (json_is_true(json_object_get(sch, "lowered")))
		fprintf(f, " at rate %g (load %.1f on %lld CPUs)",
			json_number_value(json_object_get(sch, "rate")),
			json_number_value(json_object_get(sch, "load")),
			(long long)json_integer_value(json_object_get(sch, "cpus")));
	if (*rpt_str(sc, "pcap")) {
		fputs(" \xc2\xb7 <a href=\"", f);
		url(f, rpt_str(sc, "pcap"));
		fputs("\">pcap</a>", f);
	}
	fputs("</p>\n", f);
	if (*rpt_str(sc, "summary")) {
		fputs("<p class=\"summary\">", f);
		esc(f, rpt_str(sc, "summary"));
		fputs("</p>\n", f);
	}
	if (*rpt_str(sc, "reason")) {
		fputs("<p class=\"reason\">", f);
		esc(f, rpt_str(sc, "reason"));
		fputs("</p>\n", f);
	}
	checks(f, sc);
	fputs("<div class=\"ladder\">\n", f);
	if (rpt_svg_ladder(f, sc) < 0)
		fputs("<p>No packets to draw.</p>\n", f);
	else
		fputs("<p class=\"legend\">One arrow per packet, SUT time at the left, #n the "
		      "frame in the pcap; red: a packet a failed check cites (hover for the "
		      "detail); orange, dashed: a packet only the capture saw (a request no "
		      "peer took, the kernel's ICMP or RST); brown, dashed: what a peer "
		      "forged. A wide ladder scrolls sideways; its heads repeat every 24 "
		      "rows.</p>\n", f);
	fputs("</div>\n", f);
	json_t *evs = json_object_get(sc, "events");
	if (json_array_size(evs)) {
		fprintf(f, "<details><summary>Event log (%zu events)</summary>\n"
			   "<pre class=\"events\">", json_array_size(evs));
		/* A scale scenario's log belongs in its file, not in the page. */
		json_array_foreach(evs, i, x) {
			if (i == HTML_MAX_EVENTS) {
				fprintf(f, "\xe2\x80\xa6 %zu more in log/", json_array_size(evs) - i);
				esc(f, id);
				fputs(".log\n", f);
				break;
			}
			event_line(f, x);
		}
		fputs("</pre></details>\n", f);
	}
	fputs("</section>\n", f);
}

int rpt_html_write(FILE *f, const json_t *run)
{
	head(f, run);
	totals(f, run);
	failures(f, run);
	matrix(f, run);
	fputs("<h2 id=\"scenarios\">Scenarios</h2>\n<ul class=\"index\">\n", f);
	size_t i;
	json_t *sc;
	json_array_foreach(json_object_get(run, "scenarios"), i, sc) {
		fputs("<li>", f);
		badge(f, rpt_str(sc, "verdict"));
		fputc(' ', f);
		sc_link(f, rpt_str(sc, "id"));
		fputs("</li>\n", f);
	}
	fputs("</ul>\n", f);
	json_array_foreach(json_object_get(run, "scenarios"), i, sc)
		scenario(f, sc);
	fputs("</main>\n</body>\n</html>\n", f);
	return ferror(f) ? -EIO : 0;
}
