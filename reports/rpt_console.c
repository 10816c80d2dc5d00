/* rpt_console.c: what a person at the terminal reads during and after a run. */
#include <stdio.h>
#include <string.h>

#include "rpt.h"

static const char *col(int color, const char *verdict)
{
	if (!color)
		return "";
	if (!strcmp(verdict, "pass"))
		return "\033[32m";
	if (!strcmp(verdict, "fail") || !strcmp(verdict, "error"))
		return "\033[31m";
	return "\033[33m";
}

static const char *off(int color)
{
	return color ? "\033[0m" : "";
}

static const char *str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

/* On a terminal the progress line may be under the cursor: clear it before writing. */
static void erase(FILE *f, int flags)
{
	if (flags & RPT_CON_TTY)
		fputs("\r\033[K", f);
}

void rpt_console_progress(FILE *f, const json_t *run, size_t total, double elapsed_s,
			  int flags)
{
	if ((flags & RPT_CON_QUIET) || !(flags & (RPT_CON_TTY | RPT_CON_VERBOSE)))
		return;
	size_t i, n = 0, pass = 0, fail = 0, error = 0;
	double wall = elapsed_s;
	json_t *sc;
	json_array_foreach(json_object_get(run, "scenarios"), i, sc) {
		const char *v = str(sc, "verdict");
		n++;
		pass += !strcmp(v, "pass");
		fail += !strcmp(v, "fail");
		error += !strcmp(v, "error");
	}
	int color = flags & RPT_CON_COLOR;
	erase(f, flags);
	int cp = color && pass, cf = color && fail;
	fprintf(f, "progress: %zu/%zu scenarios, %s%zu passed%s, %s%zu failed%s, %zu errors, "
		   "%.1f s elapsed", n, total, col(cp, "pass"), pass, off(cp), col(cf, "fail"),
		fail, off(cf), error, wall);
	/* Kept on screen until the next output erases it; a log gets whole lines. */
	fputs(flags & RPT_CON_TTY ? "" : "\n", f);
	fflush(f);
}

void rpt_console_scenario(FILE *f, const json_t *sc, size_t n, size_t total, int color)
{
	int flags = color;
	color &= RPT_CON_COLOR;
	erase(f, flags);
	const char *v = str(sc, "verdict");
	fprintf(f, "[%zu/%zu] %s%-7s%s %s", n, total, col(color, v), v, off(color),
		str(sc, "id"));
	double sut = json_number_value(json_object_get(sc, "sut_time_s"));
	double wall = json_number_value(json_object_get(sc, "wall_s"));
	fprintf(f, "  (SUT %.1f s, wall %.2f s", sut, wall);
	json_t *seed = json_object_get(sc, "seed");
	if (json_object_get(sc, "repeat") && json_is_integer(seed))
		fprintf(f, ", seed %lld", (long long)json_integer_value(seed));
	/* What the scheduler did for a statistical scenario, said where it is read. */
	const json_t *sch = json_object_get(sc, "schedule");
	if (json_is_true(json_object_get(sch, "alone")))
		fprintf(f, "; ran alone: %s", str(sch, "why"));
	if (json_is_true(json_object_get(sch, "lowered")))
		fprintf(f, "; rate lowered to %g: load %.1f on %lld CPUs",
			json_number_value(json_object_get(sch, "rate")),
			json_number_value(json_object_get(sch, "load")),
			(long long)json_integer_value(json_object_get(sch, "cpus")));
	fputs(")\n", f);
	if (*str(sc, "reason"))
		fprintf(f, "        %s\n", str(sc, "reason"));
	size_t i;
	json_t *ck;
	json_array_foreach(json_object_get(sc, "checks"), i, ck) {
		int pass = !strcmp(str(ck, "verdict"), "pass");
		if (pass && !(flags & RPT_CON_VERBOSE))
			continue;
		fprintf(f, "        %s%s%s %s [", col(color, pass ? "pass" : "fail"),
			pass ? "pass" : "FAIL", off(color), str(ck, "check"));
		size_t k;
		json_t *r;
		json_array_foreach(json_object_get(ck, "requirements"), k, r)
			fprintf(f, "%s%s", k ? " " : "", json_string_value(r));
		fprintf(f, "]: %s", str(ck, "detail"));
		json_t *pk = json_object_get(ck, "packets");
		if (json_array_size(pk)) {
			fprintf(f, " (packets");
			json_array_foreach(pk, k, r)
				fprintf(f, " %lld", (long long)json_integer_value(r));
			fprintf(f, ")");
		}
		fputc('\n', f);
	}
	fflush(f);
}

/* With --repeat: the scenarios whose repetitions disagree, with the seeds to replay. */
static void repeats(FILE *f, const json_t *run)
{
	const json_t *scs = json_object_get(run, "scenarios");
	size_t i, k;
	json_t *sc, *o;
	json_array_foreach(scs, i, sc) {
		if (json_object_get(sc, "repeat"))
			continue; /* a first run: its repetitions follow it */
		const char *id = str(sc, "id"), *v = str(sc, "verdict");
		size_t n = 1, same = 1;
		json_array_foreach(scs, k, o) {
			if (k <= i || !json_object_get(o, "repeat") || strcmp(str(o, "scenario"), id))
				continue;
			n++;
			same += !strcmp(str(o, "verdict"), v);
		}
		if (n == 1 || same == n)
			continue;
		fprintf(f, "  repetitions disagree: %s (%zu runs):", id, n);
		json_array_foreach(scs, k, o) {
			if (k == i || (k > i && json_object_get(o, "repeat") &&
				       !strcmp(str(o, "scenario"), id)))
				fprintf(f, " %s seed %lld", str(o, "verdict"),
					(long long)json_integer_value(json_object_get(o, "seed")));
		}
		fputc('\n', f);
	}
}

void rpt_console_summary(FILE *f, const json_t *run, int color)
{
	erase(f, color);
	color &= RPT_CON_COLOR;
	json_t *s = json_object_get(run, "summary");
	/* Requirement totals by level: what a certifying implementer reads first. */
	static const char *const levels[] = { "M", "S", "Y", "D" };
	static const char *const names[] = { "MUST", "SHOULD", "MAY", "ZONE" };
	fprintf(f, "\nrequirements:");
	for (size_t l = 0; l < 4; l++) {
		int pass = 0, total = 0;
		const char *id;
		json_t *r;
		json_object_foreach(json_object_get(run, "requirements"), id, r) {
			if (strcmp(str(r, "level"), levels[l]))
				continue;
			total++;
			pass += !strcmp(str(r, "verdict"), "pass");
		}
		if (total)
			fprintf(f, "  %s %d/%d passed", names[l], pass, total);
	}
	fputc('\n', f);
	/* The failed requirements by name: what to look up in docs/requirements.md. */
	for (size_t l = 0; l < 4; l++) {
		const char *id;
		json_t *r;
		json_object_foreach(json_object_get(run, "requirements"), id, r) {
			const char *v = str(r, "verdict");
			if (strcmp(str(r, "level"), levels[l]) || !strcmp(v, "pass"))
				continue;
			fprintf(f, "  %s%-7s%s %-6s %s\n", col(color, v), v, off(color), names[l],
				id);
		}
	}
	long long p = json_integer_value(json_object_get(s, "pass"));
	long long fl = json_integer_value(json_object_get(s, "fail"));
	long long e = json_integer_value(json_object_get(s, "error"));
	long long nr = json_integer_value(json_object_get(s, "not_run"));
	const char *v = fl || e ? "fail" : "pass";
	fprintf(f, "%sscenarios: %lld passed, %lld failed, %lld errors, %lld not run%s\n",
		col(color, v), p, fl, e, nr, off(color));
	repeats(f, run);
	const json_t *t = json_object_get(run, "timing");
	if (t)
		fprintf(f, "time: SUT %.1f s in %.1f s of wall time, compression %.1fx "
			   "(%lld workers)\n", json_number_value(json_object_get(t, "sut_s")),
			json_number_value(json_object_get(t, "wall_s")),
			json_number_value(json_object_get(t, "compression")),
			(long long)json_integer_value(json_object_get(t, "jobs")));
}
