/* rpt_merge.c: `siploc merge`: the results of several runs (the shards of one split, or
 * runs of disjoint scenarios against one SUT) as one run, with their pcaps and logs. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rpt.h"
#include "rpt_int.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Facts every input must share: merging runs of different SUTs or settings would give a
 * report no single run could have written. */
static int same_fact(json_t *const *runs, const char *const *labels, size_t n, const char *k,
		     char *err, size_t errlen)
{
	for (size_t i = 1; i < n; i++) {
		json_t *a = json_object_get(runs[0], k), *b = json_object_get(runs[i], k);
		/* 100 and 100.0 are one rate (a results.json passed through jq loses the .0). */
		int eq = a && b && (json_is_number(a) && json_is_number(b) ?
				    json_number_value(a) == json_number_value(b) : json_equal(a, b));
		if ((a || b) && !eq) {
			char *sa = a ? json_dumps(a, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
			char *sb = b ? json_dumps(b, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
			fail(err, errlen, "%s and %s differ in %s (%s vs %s): not parts of one run",
			     labels[0], labels[i], k, sa ? sa : "none", sb ? sb : "none");
			free(sa);
			free(sb);
			return -EINVAL;
		}
	}
	return 0;
}

/* The SUT: the first input that ran anything names it (a shard with no scenarios only
 * knows what --sut said). */
static int same_sut(json_t *const *runs, const char *const *labels, size_t n, size_t *first,
		    char *err, size_t errlen)
{
	*first = n;
	for (size_t i = 0; i < n; i++) {
		if (!json_array_size(json_object_get(runs[i], "scenarios")))
			continue;
		if (*first == n) {
			*first = i;
			continue;
		}
		const json_t *a = json_object_get(runs[*first], "sut");
		const json_t *b = json_object_get(runs[i], "sut");
		if (strcmp(rpt_str(a, "name"), rpt_str(b, "name")) ||
		    strcmp(rpt_str(a, "version"), rpt_str(b, "version")))
			return fail(err, errlen, "%s ran SUT %s %s but %s ran %s %s: not one run",
				    labels[*first], rpt_str(a, "name"), rpt_str(a, "version"),
				    labels[i], rpt_str(b, "name"), rpt_str(b, "version"));
	}
	if (*first == n)
		*first = 0;
	return 0;
}

/* Shards must be all of one split: same N and plan, each K once, none cut short. */
static int check_shards(json_t *const *runs, const char *const *labels, size_t n, char *err,
			size_t errlen)
{
	const json_t *s0 = json_object_get(runs[0], "shard");
	for (size_t i = 0; i < n; i++)
		if (!json_object_get(runs[i], "shard") != !s0)
			return fail(err, errlen, "%s is a shard but %s is not", s0 ? labels[0] :
				    labels[i], s0 ? labels[i] : labels[0]);
	if (!s0)
		return 0;
	json_int_t count = json_integer_value(json_object_get(s0, "count"));
	char *seen = calloc((size_t)count + 1, 1);
	if (!seen)
		return -ENOMEM;
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		const json_t *s = json_object_get(runs[i], "shard");
		json_int_t k = json_integer_value(json_object_get(s, "index"));
		json_int_t scs = json_integer_value(json_object_get(s, "scenarios"));
		size_t got = json_array_size(json_object_get(runs[i], "scenarios"));
		if (json_integer_value(json_object_get(s, "count")) != count ||
		    strcmp(rpt_str(s, "plan"), rpt_str(s0, "plan")))
			rc = fail(err, errlen, "%s (shard %lld/%lld) and %s (shard %lld/%lld) come "
				  "from different splits (other scenarios, costs or --repeat)",
				  labels[0], (long long)json_integer_value(json_object_get(s0, "index")),
				  (long long)count, labels[i], (long long)k,
				  (long long)json_integer_value(json_object_get(s, "count")));
		else if (k < 1 || k > count)
			rc = fail(err, errlen, "%s: shard index %lld is not in 1..%lld", labels[i],
				  (long long)k, (long long)count);
		else if (seen[k])
			rc = fail(err, errlen, "%s: shard %lld/%lld given twice", labels[i],
				  (long long)k, (long long)count);
		else if ((json_int_t)got != scs)
			rc = fail(err, errlen, "%s: shard %lld/%lld holds %zu of its %lld scenario "
				  "runs (interrupted?)", labels[i], (long long)k, (long long)count,
				  got, (long long)scs);
		else
			seen[k] = 1;
	}
	for (json_int_t k = 1; k <= count && !rc; k++)
		if (!seen[k])
			rc = fail(err, errlen, "shard %lld/%lld is missing", (long long)k,
				  (long long)count);
	free(seen);
	return rc;
}

/* The run's order: file path, then repetition (what `siploc run` sorts by). */
static int run_order(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int c = strcmp(rpt_str(x, "file"), rpt_str(y, "file"));
	if (c)
		return c;
	json_int_t rx = json_integer_value(json_object_get(x, "repeat"));
	json_int_t ry = json_integer_value(json_object_get(y, "repeat"));
	if (rx != ry)
		return rx < ry ? -1 : 1;
	return strcmp(rpt_str(x, "id"), rpt_str(y, "id"));
}

static int by_id(const void *a, const void *b)
{
	return strcmp(rpt_str(*(json_t *const *)a, "id"), rpt_str(*(json_t *const *)b, "id"));
}

static json_t *merged_timing(json_t *const *runs, size_t n)
{
	double sut = 0, wall = 0, sum = 0, work = 0;
	json_int_t jobs = 0;
	for (size_t i = 0; i < n; i++) {
		const json_t *t = json_object_get(runs[i], "timing");
		double w = json_number_value(json_object_get(t, "wall_s"));
		sut += json_number_value(json_object_get(t, "sut_s"));
		work += json_number_value(json_object_get(t, "scenario_wall_s"));
		sum += w;
		wall = w > wall ? w : wall;
		json_int_t j = json_integer_value(json_object_get(t, "jobs"));
		jobs = j > jobs ? j : jobs;
	}
	/* Shards run side by side: the merged run took as long as its longest shard. */
	return json_pack("{s:f, s:f, s:f, s:f, s:I, s:f}", "sut_s", sut, "wall_s", wall,
			 "compression", wall > 0 ? sut / wall : 0.0, "scenario_wall_s", work,
			 "jobs", jobs, "inputs_wall_s", sum);
}

json_t *rpt_merge(json_t *const *runs, const char *const *labels, size_t n, char *err,
		  size_t errlen)
{
	static const char *const facts[] = { "siploc_version", "rate", "seed", "repeat", NULL };
	size_t first = 0, total = 0;
	if (!n) {
		fail(err, errlen, "nothing to merge");
		return NULL;
	}
	for (const char *const *k = facts; *k; k++)
		if (same_fact(runs, labels, n, *k, err, errlen))
			return NULL;
	if (same_sut(runs, labels, n, &first, err, errlen) ||
	    check_shards(runs, labels, n, err, errlen))
		return NULL;
	for (size_t i = 0; i < n; i++)
		total += json_array_size(json_object_get(runs[i], "scenarios"));
	json_t **all = calloc(total ? total : 1, sizeof(*all));
	size_t *from = calloc(total ? total : 1, sizeof(*from));
	if (!all || !from) {
		free(all);
		free(from);
		return NULL;
	}
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		size_t k;
		json_t *sc;
		json_array_foreach(json_object_get(runs[i], "scenarios"), k, sc) {
			from[m] = i;
			all[m++] = sc;
		}
	}
	/* Duplicates, named with both inputs: each scenario run belongs to one input. */
	json_t **ids = malloc((total ? total : 1) * sizeof(*ids));
	int dup = 0, oom = !ids;
	if (ids) {
		memcpy(ids, all, total * sizeof(*ids));
		qsort(ids, total, sizeof(*ids), by_id);
		for (size_t i = 1; i < total && !dup; i++) {
			if (strcmp(rpt_str(ids[i - 1], "id"), rpt_str(ids[i], "id")))
				continue;
			const char *a = "?", *b = "?";
			for (size_t k = 0; k < total; k++) {
				if (all[k] == ids[i - 1])
					a = labels[from[k]];
				if (all[k] == ids[i])
					b = labels[from[k]];
			}
			fail(err, errlen, "scenario '%s' is in both %s and %s: overlapping inputs",
			     rpt_str(ids[i], "id"), a, b);
			dup = 1;
		}
	}
	free(ids);
	free(from);
	json_t *out = NULL;
	if (dup || oom)
		goto done;
	qsort(all, total, sizeof(*all), run_order);
	const json_t *r0 = runs[first];
	/* The earliest date: when the merged run started. */
	const char *date = rpt_str(r0, "date");
	for (size_t i = 0; i < n; i++)
		if (*rpt_str(runs[i], "date") && (!*date || strcmp(rpt_str(runs[i], "date"), date) < 0))
			date = rpt_str(runs[i], "date");
	out = json_pack("{s:O, s:O, s:O, s:s, s:[]}", "siploc_version",
			json_object_get(r0, "siploc_version"), "sut", json_object_get(r0, "sut"),
			"rate", json_object_get(r0, "rate"), "date", date, "scenarios");
	if (!out)
		goto done;
	json_t *v;
	if ((v = json_object_get(r0, "seed")))
		json_object_set(out, "seed", v);
	if ((v = json_object_get(r0, "repeat")))
		json_object_set(out, "repeat", v);
	json_t *scs = json_object_get(out, "scenarios");
	for (size_t i = 0; i < total; i++)
		json_array_append_new(scs, json_deep_copy(all[i]));
	json_t *inputs = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *in = json_pack("{s:s, s:I}", "dir", labels[i], "scenarios",
				       (json_int_t)json_array_size(json_object_get(runs[i],
										  "scenarios")));
		if ((v = json_object_get(runs[i], "shard")))
			json_object_set(in, "shard", v);
		if ((v = json_object_get(json_object_get(runs[i], "timing"), "wall_s")))
			json_object_set(in, "wall_s", v);
		json_array_append_new(inputs, in);
	}
	json_object_set_new(out, "merged_from", inputs);
	json_object_set_new(out, "timing", merged_timing(runs, n));
done:
	free(all);
	return out;
}

static int copy_file(const char *from, const char *to, char *err, size_t errlen)
{
	int in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return errno == ENOENT ? 0 : fail(err, errlen, "%s: %s", from, strerror(errno));
	char tmp[PATH_MAX + 8];
	snprintf(tmp, sizeof(tmp), "%s.tmp", to);
	int outfd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int rc = 0;
	if (outfd < 0) {
		rc = fail(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	char buf[65536];
	ssize_t r;
	while ((r = read(in, buf, sizeof(buf))) > 0) {
		if (write(outfd, buf, (size_t)r) != r) {
			rc = fail(err, errlen, "%s: %s", tmp, strerror(errno));
			break;
		}
	}
	if (r < 0 && !rc)
		rc = fail(err, errlen, "%s: %s", from, strerror(errno));
	if (close(outfd) < 0 && !rc)
		rc = fail(err, errlen, "%s: %s", tmp, strerror(errno));
	if (!rc && rename(tmp, to) < 0)
		rc = fail(err, errlen, "%s: %s", to, strerror(errno));
	if (rc)
		unlink(tmp);
out:
	close(in);
	return rc;
}

int rpt_merge_files(const json_t *sc, const char *from_dir, const char *to_dir, char *err,
		    size_t errlen)
{
	char a[PATH_MAX], b[PATH_MAX];
	const char *pcap = rpt_str(sc, "pcap");
	snprintf(a, sizeof(a), "%s/pcap", to_dir);
	mkdir(a, 0755);
	snprintf(a, sizeof(a), "%s/log", to_dir);
	mkdir(a, 0755);
	int rc = 0;
	if (*pcap) {
		snprintf(a, sizeof(a), "%s/%s", from_dir, pcap);
		snprintf(b, sizeof(b), "%s/%s", to_dir, pcap);
		rc = copy_file(a, b, err, errlen);
		if (!rc) {
			snprintf(a, sizeof(a), "%s/%sng", from_dir, pcap);
			snprintf(b, sizeof(b), "%s/%sng", to_dir, pcap);
			rc = copy_file(a, b, err, errlen);
		}
	}
	if (!rc) {
		snprintf(a, sizeof(a), "%s/log/%s.log", from_dir, rpt_str(sc, "id"));
		snprintf(b, sizeof(b), "%s/log/%s.log", to_dir, rpt_str(sc, "id"));
		rc = copy_file(a, b, err, errlen);
	}
	return rc;
}
