/* rpt_matrix.c: the cross-stack matrix (requirement x stack, scenario x stack) from one
 * results.json per stack, as Markdown and HTML; every failing cell links its scenario,
 * its pcap and its write-up, which is inlined below the matrix with the failing checks
 * and their packet numbers. Deterministic: the same inputs give the same bytes. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rpt.h"
#include "rpt_int.h"

struct col {
	const json_t *run;
	const char *dir;        /* as given */
	const char *name;       /* sut.name */
	json_t *by_id;          /* scenario id -> scenario */
};

struct mx {
	struct col *cols;
	size_t n;
	json_t *req_ids;        /* union, first run's order first */
	json_t *scen_ids;
	const struct rpt_matrix_opts *o;
	char base[PATH_MAX * 2 + 2]; /* directory links are relative to */
};

/* Path p (relative to the cwd, or absolute) as seen from directory base. */
static void rel_path(const char *base, const char *p, char *out, size_t len)
{
	char abs[PATH_MAX * 2 + 2], cwd[PATH_MAX];
	size_t common = 0, i;
	int up = 0;

	if (p[0] == '/')
		snprintf(abs, sizeof(abs), "%s", p);
	else if (getcwd(cwd, sizeof(cwd)))
		snprintf(abs, sizeof(abs), "%s/%s", cwd, p);
	else
		snprintf(abs, sizeof(abs), "%s", p);
	for (i = 0; base[i] && base[i] == abs[i]; i++)
		if (base[i] == '/')
			common = i;
	if (!base[i] && (abs[i] == '/' || !abs[i]))
		common = i;
	for (i = common; base[i]; i++)
		if (base[i] == '/')
			up++;
	out[0] = '\0';
	for (int k = 0; k < up; k++)
		strncat(out, "../", len - strlen(out) - 1);
	strncat(out, abs[common] == '/' ? abs + common + 1 : abs + common, len - strlen(out) - 1);
}

static void set_base(struct mx *m, const char *out_path)
{
	char cwd[PATH_MAX] = "", tmp[PATH_MAX * 2 + 2];
	char *slash;

	if (!getcwd(cwd, sizeof(cwd)))
		snprintf(cwd, sizeof(cwd), ".");
	if (!out_path) {
		snprintf(m->base, sizeof(m->base), "%s", cwd);
		return;
	}
	if (out_path[0] == '/')
		snprintf(tmp, sizeof(tmp), "%s", out_path);
	else
		snprintf(tmp, sizeof(tmp), "%s/%s", cwd, out_path);
	slash = strrchr(tmp, '/');
	if (slash)
		*slash = '\0';
	/* drop "/./" so the common prefix with other paths is found */
	for (char *d; (d = strstr(tmp, "/./"));)
		memmove(d, d + 2, strlen(d + 2) + 1);
	if (strlen(tmp) > 2 && !strcmp(tmp + strlen(tmp) - 2, "/."))
		tmp[strlen(tmp) - 2] = '\0';
	snprintf(m->base, sizeof(m->base), "%s", tmp);
}

static void add_unique(json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
		if (!strcmp(json_string_value(v), s))
			return;
	json_array_append_new(arr, json_string(s));
}

static const json_t *scen(const struct col *c, const char *id)
{
	return json_object_get(c->by_id, id);
}

static const char *verdict(const struct col *c, const char *id)
{
	const json_t *s = scen(c, id);

	return s ? rpt_str(s, "verdict") : "missing";
}

/* The write-up of a failing cell: <notes>/<stack>/<scenario>.md, read whole. */
static char *read_note(const struct mx *m, const char *stack, const char *id, char *path,
		       size_t len)
{
	FILE *f;
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (!m->o->notes_dir)
		return NULL;
	snprintf(path, len, "%s/%s/%s.md", m->o->notes_dir, stack, id);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	do {
		if (n + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = cap * 2 + 8192);

			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, 4096, f);
		n += r;
	} while (r > 0);
	fclose(f);
	buf[n] = '\0';
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return buf;
}

static int has_note(const struct mx *m, const char *stack, const char *id)
{
	char path[PATH_MAX];
	char *t = read_note(m, stack, id, path, sizeof(path));

	free(t);
	return t != NULL;
}

static void pcap_link(const struct mx *m, const struct col *c, const json_t *s, char *out,
		      size_t len)
{
	char p[PATH_MAX + 256];

	snprintf(p, sizeof(p), "%s/%s", c->dir, rpt_str(s, "pcap"));
	rel_path(m->base, p, out, len);
}

/* The failing scenarios of column c that speak for requirement r. */
static void failing_for(const struct col *c, const char *r, json_t *out)
{
	const json_t *req = json_object_get(json_object_get(c->run, "requirements"), r);
	const json_t *ids = json_object_get(req, "scenarios");
	size_t i;
	json_t *v;

	json_array_foreach(ids, i, v) {
		const json_t *s = scen(c, json_string_value(v));
		const json_t *checks = json_object_get(s, "checks");
		size_t k;
		json_t *ck;
		int hit = 0;

		if (!s || strcmp(rpt_str(s, "verdict"), "fail"))
			continue;
		json_array_foreach(checks, k, ck) {
			size_t q;
			json_t *rq;

			if (strcmp(rpt_str(ck, "verdict"), "fail"))
				continue;
			json_array_foreach(json_object_get(ck, "requirements"), q, rq)
				hit |= !strcmp(json_string_value(rq), r);
		}
		if (hit)
			add_unique(out, json_string_value(v));
	}
}

static const char *req_verdict(const struct col *c, const char *r)
{
	const json_t *req = json_object_get(json_object_get(c->run, "requirements"), r);

	return req ? rpt_str(req, "verdict") : "missing";
}

/* The anchor of a write-up section: "sofia-fo-503-next-srv-target". */
static void anchor(const char *stack, const char *id, char *out, size_t len)
{
	snprintf(out, len, "%s-%s", stack, id);
	for (char *p = out; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
		else if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			*p = '-';
}

static void md_cell(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputs("\\|", f);
		else if (*s == '\n')
			fputc(' ', f);
		else
			fputc(*s, f);
	}
}

static void md_packets(FILE *f, const json_t *ck)
{
	size_t i;
	json_t *p;

	if (!json_array_size(json_object_get(ck, "packets")))
		return;
	fputs(" (packets", f);
	json_array_foreach(json_object_get(ck, "packets"), i, p)
		fprintf(f, "%s %lld", i ? "," : "", (long long)json_integer_value(p));
	fputs(")", f);
}

static void write_md(FILE *f, const struct mx *m)
{
	char link[PATH_MAX * 2], a[256], path[PATH_MAX];
	size_t i, k;
	json_t *v;

	/* The tables between the markers hold verdicts only, so two runs of unchanged stacks
	 * give the same bytes there; the write-ups below carry measured values. */
	fputs("<!-- siploc-matrix:begin -->\n### Stacks\n\n"
	      "| stack | version | rate | pass | fail | error | not run |\n"
	      "|---|---|---|---|---|---|---|\n", f);
	for (i = 0; i < m->n; i++) {
		const json_t *sum = json_object_get(m->cols[i].run, "summary");
		const json_t *sut = json_object_get(m->cols[i].run, "sut");

		fprintf(f, "| %s | %s | %g | %lld | %lld | %lld | %lld |\n", m->cols[i].name,
			rpt_str(sut, "version"),
			json_number_value(json_object_get(m->cols[i].run, "rate")),
			(long long)json_integer_value(json_object_get(sum, "pass")),
			(long long)json_integer_value(json_object_get(sum, "fail")),
			(long long)json_integer_value(json_object_get(sum, "error")),
			(long long)json_integer_value(json_object_get(sum, "not_run")));
	}
	fputs("\n### Requirements\n\nA failing cell names the scenarios whose failed checks "
	      "speak for the requirement; each links its write-up below.\n\n| requirement | level |",
	      f);
	for (i = 0; i < m->n; i++)
		fprintf(f, " %s |", m->cols[i].name);
	fputs("\n|---|---|", f);
	for (i = 0; i < m->n; i++)
		fputs("---|", f);
	fputc('\n', f);
	json_array_foreach(m->req_ids, k, v) {
		const char *r = json_string_value(v), *level = "";

		for (i = 0; i < m->n && !*level; i++)
			level = rpt_str(json_object_get(json_object_get(m->cols[i].run,
								       "requirements"), r), "level");
		fprintf(f, "| %s | %s |", r, level);
		for (i = 0; i < m->n; i++) {
			const char *vd = req_verdict(&m->cols[i], r);

			if (strcmp(vd, "fail")) {
				fprintf(f, " %s |", vd);
				continue;
			}
			json_t *ids = json_array();
			size_t q;
			json_t *id;

			failing_for(&m->cols[i], r, ids);
			fputs(" **fail**", f);
			json_array_foreach(ids, q, id) {
				anchor(m->cols[i].name, json_string_value(id), a, sizeof(a));
				fprintf(f, "%s [%s](#%s)", q ? "," : ":", json_string_value(id), a);
			}
			fputs(" |", f);
			json_decref(ids);
		}
		fputc('\n', f);
	}
	fputs("\n### Scenarios\n\n| scenario |", f);
	for (i = 0; i < m->n; i++)
		fprintf(f, " %s |", m->cols[i].name);
	fputs("\n|---|", f);
	for (i = 0; i < m->n; i++)
		fputs("---|", f);
	fputc('\n', f);
	json_array_foreach(m->scen_ids, k, v) {
		const char *id = json_string_value(v);
		const json_t *any = NULL;

		for (i = 0; i < m->n && !any; i++)
			any = scen(&m->cols[i], id);
		rel_path(m->base, rpt_str(any, "file"), link, sizeof(link));
		fprintf(f, "| [%s](%s) |", id, link);
		for (i = 0; i < m->n; i++) {
			const json_t *s = scen(&m->cols[i], id);
			const char *vd = verdict(&m->cols[i], id);

			if (!strcmp(vd, "fail") || !strcmp(vd, "error")) {
				anchor(m->cols[i].name, id, a, sizeof(a));
				pcap_link(m, &m->cols[i], s, link, sizeof(link));
				fprintf(f, " **%s** ([write-up](#%s), [pcap](%s)) |", vd, a, link);
			} else if (!strcmp(vd, "not-run")) {
				fputs(" not-run: ", f);
				md_cell(f, rpt_str(s, "reason"));
				fputs(" |", f);
			} else {
				fprintf(f, " %s |", vd);
			}
		}
		fputc('\n', f);
	}
	fputs("<!-- siploc-matrix:end -->\n\n### Write-ups of the failing cells\n\n"
	      "The failed checks and packet numbers come from the run that generated this file\n"
	      "(a rerun may number packets differently); the text after them is the write-up.\n", f);
	for (i = 0; i < m->n; i++) {
		const struct col *c = &m->cols[i];

		json_array_foreach(m->scen_ids, k, v) {
			const char *id = json_string_value(v);
			const json_t *s = scen(c, id);
			size_t q;
			json_t *ck;
			char *note;

			if (!s || (strcmp(rpt_str(s, "verdict"), "fail") &&
				   strcmp(rpt_str(s, "verdict"), "error")))
				continue;
			anchor(c->name, id, a, sizeof(a));
			pcap_link(m, c, s, link, sizeof(link));
			fprintf(f, "\n<a id=\"%s\"></a>\n#### %s: %s\n\n", a, c->name, id);
			fprintf(f, "Failed checks (pcap [%s](%s), frame numbers as tshark shows them):\n\n",
				rpt_str(s, "pcap"), link);
			if (!strcmp(rpt_str(s, "verdict"), "error"))
				fprintf(f, "- error: %s\n", rpt_str(s, "reason"));
			json_array_foreach(json_object_get(s, "checks"), q, ck) {
				if (strcmp(rpt_str(ck, "verdict"), "fail"))
					continue;
				fprintf(f, "- `%s`: ", rpt_str(ck, "check"));
				md_cell(f, rpt_str(ck, "detail"));
				md_packets(f, ck);
				fputc('\n', f);
			}
			note = read_note(m, c->name, id, path, sizeof(path));
			if (note) {
				fprintf(f, "\n%s\n", note);
				free(note);
			} else {
				fprintf(f, "\n**No write-up**: %s/%s/%s.md is missing.\n",
					m->o->notes_dir ? m->o->notes_dir : "(--notes DIR)", c->name, id);
			}
		}
	}
}

static void html_text(FILE *f, const char *s)
{
	rpt_xml_esc(f, s, 0);
}

static void write_html(FILE *f, const struct mx *m)
{
	char link[PATH_MAX * 2], a[256], path[PATH_MAX];
	size_t i, k;
	json_t *v;

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	      "<title>siploc: cross-stack conformance matrix</title><style>"
	      "body{font-family:sans-serif;margin:1em}table{border-collapse:collapse}"
	      "td,th{border:1px solid #999;padding:2px 6px;font-size:90%}"
	      ".pass{background:#cfc}.fail{background:#fbb}.error{background:#f99}"
	      ".not-run,.missing{background:#eee}pre{white-space:pre-wrap;background:#f6f6f6;"
	      "padding:6px}</style></head><body>\n<h1>Cross-stack conformance matrix</h1>\n"
	      "<h2>Requirements</h2>\n<table><tr><th>requirement</th>", f);
	for (i = 0; i < m->n; i++) {
		fputs("<th>", f);
		html_text(f, m->cols[i].name);
		fputs("<br>", f);
		html_text(f, rpt_str(json_object_get(m->cols[i].run, "sut"), "version"));
		fputs("</th>", f);
	}
	fputs("</tr>\n", f);
	json_array_foreach(m->req_ids, k, v) {
		const char *r = json_string_value(v);

		fputs("<tr><td>", f);
		html_text(f, r);
		fputs("</td>", f);
		for (i = 0; i < m->n; i++) {
			const char *vd = req_verdict(&m->cols[i], r);
			json_t *ids = json_array();
			size_t q;
			json_t *id;

			fprintf(f, "<td class=\"%s\">%s", vd, vd);
			if (!strcmp(vd, "fail"))
				failing_for(&m->cols[i], r, ids);
			json_array_foreach(ids, q, id) {
				anchor(m->cols[i].name, json_string_value(id), a, sizeof(a));
				fprintf(f, "%s<a href=\"#%s\">", q ? ", " : ": ", a);
				html_text(f, json_string_value(id));
				fputs("</a>", f);
			}
			json_decref(ids);
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</table>\n<h2>Scenarios</h2>\n<table><tr><th>scenario</th>", f);
	for (i = 0; i < m->n; i++) {
		fputs("<th>", f);
		html_text(f, m->cols[i].name);
		fputs("</th>", f);
	}
	fputs("</tr>\n", f);
	json_array_foreach(m->scen_ids, k, v) {
		const char *id = json_string_value(v);
		const json_t *any = NULL;

		for (i = 0; i < m->n && !any; i++)
			any = scen(&m->cols[i], id);
		rel_path(m->base, rpt_str(any, "file"), link, sizeof(link));
		fputs("<tr><td><a href=\"", f);
		rpt_xml_esc(f, link, 1);
		fputs("\">", f);
		html_text(f, id);
		fputs("</a></td>", f);
		for (i = 0; i < m->n; i++) {
			const json_t *s = scen(&m->cols[i], id);
			const char *vd = verdict(&m->cols[i], id);

			fprintf(f, "<td class=\"%s\">%s", vd, vd);
			if (!strcmp(vd, "fail") || !strcmp(vd, "error")) {
				anchor(m->cols[i].name, id, a, sizeof(a));
				pcap_link(m, &m->cols[i], s, link, sizeof(link));
				fprintf(f, " (<a href=\"#%s\">write-up</a>, <a href=\"", a);
				rpt_xml_esc(f, link, 1);
				fputs("\">pcap</a>)", f);
			} else if (!strcmp(vd, "not-run")) {
				fputs(": ", f);
				html_text(f, rpt_str(s, "reason"));
			}
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</table>\n<h2>Write-ups of the failing cells</h2>\n", f);
	for (i = 0; i < m->n; i++) {
		json_array_foreach(m->scen_ids, k, v) {
			const char *id = json_string_value(v);
			const json_t *s = scen(&m->cols[i], id);
			size_t q;
			json_t *ck;
			char *note;

			if (!s || (strcmp(rpt_str(s, "verdict"), "fail") &&
				   strcmp(rpt_str(s, "verdict"), "error")))
				continue;
			anchor(m->cols[i].name, id, a, sizeof(a));
			fprintf(f, "<h3 id=\"%s\">", a);
			html_text(f, m->cols[i].name);
			fputs(": ", f);
			html_text(f, id);
			fputs("</h3>\n<ul>", f);
			json_array_foreach(json_object_get(s, "checks"), q, ck) {
				if (strcmp(rpt_str(ck, "verdict"), "fail"))
					continue;
				fputs("<li><code>", f);
				html_text(f, rpt_str(ck, "check"));
				fputs("</code>: ", f);
				html_text(f, rpt_str(ck, "detail"));
				fputs("</li>", f);
			}
			fputs("</ul>\n<pre>", f);
			note = read_note(m, m->cols[i].name, id, path, sizeof(path));
			html_text(f, note ? note : "No write-up.");
			free(note);
			fputs("</pre>\n", f);
		}
	}
	fputs("</body></html>\n", f);
}

static int write_file(const char *path, void (*fn)(FILE *, const struct mx *), struct mx *m,
		      char *err, size_t errlen)
{
	FILE *f;

	set_base(m, strcmp(path, "-") ? path : NULL);
	f = strcmp(path, "-") ? fopen(path, "w") : stdout;
	if (!f) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return -errno;
	}
	fn(f, m);
	if (f == stdout)
		return fflush(f) ? -EIO : 0;
	if (fclose(f)) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return -EIO;
	}
	return 0;
}

int rpt_matrix_write(json_t *const *runs, const char *const *dirs, size_t n,
		     const struct rpt_matrix_opts *o, FILE *missing, char *err, size_t errlen)
{
	struct mx m = { .n = n, .o = o };
	int rc = 0, lacking = 0;
	size_t i, k;
	json_t *v;

	m.cols = calloc(n ? n : 1, sizeof(*m.cols));
	m.req_ids = json_array();
	m.scen_ids = json_array();
	if (!m.cols || !m.req_ids || !m.scen_ids) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		const char *key;
		json_t *val;

		m.cols[i].run = runs[i];
		m.cols[i].dir = dirs[i];
		m.cols[i].name = rpt_str(json_object_get(runs[i], "sut"), "name");
		m.cols[i].by_id = json_object();
		for (k = 0; k < i; k++) {
			if (!strcmp(m.cols[k].name, m.cols[i].name)) {
				snprintf(err, errlen, "%s and %s are both runs of SUT %s: one results "
					 "directory per stack", dirs[k], dirs[i], m.cols[i].name);
				rc = -EINVAL;
				goto out;
			}
		}
		json_array_foreach(json_object_get(runs[i], "scenarios"), k, v) {
			json_object_set(m.cols[i].by_id, rpt_str(v, "id"), v);
			add_unique(m.scen_ids, rpt_str(v, "id"));
		}
		json_object_foreach(json_object_get(runs[i], "requirements"), key, val)
			add_unique(m.req_ids, key);
	}
	if (o->md_path && (rc = write_file(o->md_path, write_md, &m, err, errlen)) < 0)
		goto out;
	if (o->html_path && (rc = write_file(o->html_path, write_html, &m, err, errlen)) < 0)
		goto out;
	/* Every failing or erroring cell needs its write-up. */
	for (i = 0; i < n; i++) {
		json_array_foreach(m.scen_ids, k, v) {
			const char *vd = verdict(&m.cols[i], json_string_value(v));

			if ((!strcmp(vd, "fail") || !strcmp(vd, "error")) &&
			    !has_note(&m, m.cols[i].name, json_string_value(v))) {
				lacking++;
				if (missing)
					fprintf(missing, "%s/%s/%s.md\n",
						o->notes_dir ? o->notes_dir : "(no --notes)",
						m.cols[i].name, json_string_value(v));
			}
		}
	}
	rc = lacking;
out:
	for (i = 0; m.cols && i < n; i++)
		json_decref(m.cols[i].by_id);
	free(m.cols);
	json_decref(m.req_ids);
	json_decref(m.scen_ids);
	return rc;
}
