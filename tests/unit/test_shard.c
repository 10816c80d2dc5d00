/* test_shard.c: the cost table (parsing, median for unknown ids, errors with file:line),
 * the --shard split (every unit once, independent of the given order, balanced by cost)
 * and the scheduler's rate for an exclusive scenario on a loaded machine. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sl_sched.h"
#include "sl_shard.h"

static const char *write_tmp(const char *text)
{
	static char path[64];
	snprintf(path, sizeof(path), "/tmp/siploc-costs-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	return path;
}

static void test_costs_table(void **state)
{
	(void)state;
	const char *p = write_tmp("# comment\n\nb\t2.5\na\t0.1\nc\t10\n");
	struct sl_costs *c = NULL;
	char err[256];
	assert_int_equal(sl_costs_load(&c, p, err, sizeof(err)), 0);
	assert_int_equal(sl_costs_count(c), 3);
	assert_int_equal(sl_costs_ms(c, "a"), 100);
	assert_int_equal(sl_costs_ms(c, "b"), 2500);
	assert_int_equal(sl_costs_ms(c, "c"), 10000);
	/* unknown: the median */
	assert_int_equal(sl_costs_ms(c, "zzz"), 2500);
	sl_costs_free(c);
	unlink(p);
	/* a missing table is empty: every id costs the default */
	assert_int_equal(sl_costs_load(&c, "/nonexistent/costs.tsv", err, sizeof(err)), 0);
	assert_int_equal(sl_costs_count(c), 0);
	assert_int_equal(sl_costs_ms(c, "a"), 1000);
	sl_costs_free(c);
}

static void test_costs_bad_line_named(void **state)
{
	(void)state;
	const char *p = write_tmp("a\t1\nb 2\n");
	struct sl_costs *c = NULL;
	char err[256], want[128];
	assert_int_equal(sl_costs_load(&c, p, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:2:", p);
	assert_non_null(strstr(err, want));
	unlink(p);
	p = write_tmp("a\t-1\n");
	assert_int_equal(sl_costs_load(&c, p, err, sizeof(err)), -EINVAL);
	unlink(p);
}

static void test_shard_parse(void **state)
{
	(void)state;
	unsigned k, n;
	assert_int_equal(sl_shard_parse("2/3", &k, &n), 0);
	assert_int_equal(k, 2);
	assert_int_equal(n, 3);
	const char *bad[] = { "0/3", "4/3", "3", "1/", "/3", "a/b", "1/3x", "1/1001", NULL };
	for (const char **b = bad; *b; b++)
		assert_int_equal(sl_shard_parse(*b, &k, &n), -EINVAL);
}

#define NU 40

static void test_split_every_unit_once_and_balanced(void **state)
{
	(void)state;
	char names[NU][16];
	const char *key[NU];
	uint64_t cost[NU];
	unsigned shard[NU];
	uint64_t total = 0, max = 0;
	for (int i = 0; i < NU; i++) {
		snprintf(names[i], sizeof(names[i]), "s%02d", i);
		key[i] = names[i];
		/* a few long scenarios among many short ones, as in the corpus */
		cost[i] = i % 10 == 0 ? 2000 : 100 + (uint64_t)i * 7;
		total += cost[i];
		max = cost[i] > max ? cost[i] : max;
	}
	for (unsigned n = 1; n <= 5; n++) {
		uint64_t load[5] = { 0 };
		assert_int_equal(sl_shard_assign(key, cost, NU, n, shard, NULL), 0);
		for (int i = 0; i < NU; i++) {
			assert_true(shard[i] < n);
			load[shard[i]] += cost[i];
		}
		/* longest-first greedy: no shard exceeds the mean by more than one unit */
		for (unsigned s = 0; s < n; s++)
			assert_true(load[s] <= total / n + max);
	}
}

static void test_split_ignores_given_order(void **state)
{
	(void)state;
	const char *key[] = { "a", "b", "c", "d", "e", "f", "g" };
	uint64_t cost[] = { 5, 3, 3, 9, 1, 1000, 3 };
	const char *rkey[7];
	uint64_t rcost[7];
	unsigned s1[7], s2[7];
	uint64_t p1, p2;
	for (int i = 0; i < 7; i++) {
		rkey[i] = key[6 - i];
		rcost[i] = cost[6 - i];
	}
	assert_int_equal(sl_shard_assign(key, cost, 7, 3, s1, &p1), 0);
	assert_int_equal(sl_shard_assign(rkey, rcost, 7, 3, s2, &p2), 0);
	for (int i = 0; i < 7; i++)
		assert_int_equal(s1[i], s2[6 - i]);
	assert_true(p1 == p2);
	/* the longest alone in its shard */
	for (int i = 0; i < 7; i++)
		if (i != 5)
			assert_int_not_equal(s1[i], s1[5]);
	/* another split, another plan */
	assert_int_equal(sl_shard_assign(key, cost, 7, 2, s2, &p2), 0);
	assert_true(p1 != p2);
}

static void test_exclusive_rate_under_load(void **state)
{
	(void)state;
	assert_true(sl_sched_rate(100, 1.5, 2) == 100);  /* not loaded */
	assert_true(sl_sched_rate(100, 2.0, 2) == 100);  /* exactly busy */
	assert_true(sl_sched_rate(100, 8.0, 2) == 25);
	assert_true(sl_sched_rate(100, 6.0, 2) == 33);   /* whole rates */
	assert_true(sl_sched_rate(100, 20.0, 2) == 25);  /* at most 4 times slower */
	assert_true(sl_sched_rate(2, 100.0, 2) == 1);    /* never below 1 */
	setenv("SIPLOC_LOADAVG", "3.25", 1);
	assert_true(sl_sched_load() == 3.25);
	unsetenv("SIPLOC_LOADAVG");
	assert_true(sl_sched_load() >= 0);
	assert_true(sl_sched_cpus() >= 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_costs_table),
		cmocka_unit_test(test_costs_bad_line_named),
		cmocka_unit_test(test_shard_parse),
		cmocka_unit_test(test_split_every_unit_once_and_balanced),
		cmocka_unit_test(test_split_ignores_given_order),
		cmocka_unit_test(test_exclusive_rate_under_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
