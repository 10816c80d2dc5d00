/* test_clock.c: the fake clock: the timestamp file libfaketime reads, the handshake that
 * maps worker instants to SUT time (best sample wins), jumps, and wall conversions. */
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

#include "sl_clock.h"
#include "sl_loop.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/siploc-clock-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char p[128];
	(void)state;
	snprintf(p, sizeof(p), "%s/clock", dir);
	unlink(p);
	return rmdir(dir);
}

static void read_clock(const struct sl_clock *c, char *buf, size_t len)
{
	FILE *f = fopen(sl_clock_path(c), "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, (int)len, f));
	fclose(f);
}

static void test_file_holds_jump_and_rate(void **state)
{
	struct sl_clock *c;
	char buf[64], tmp[128];
	(void)state;
	assert_int_equal(sl_clock_new(&c, dir, 100), 0);
	read_clock(c, buf, sizeof(buf));
	assert_string_equal(buf, "+0.000000 x100\n");
	assert_int_equal(sl_clock_jump(c, 301), 0);
	read_clock(c, buf, sizeof(buf));
	assert_string_equal(buf, "+301.000000 x100\n");
	assert_int_equal(sl_clock_jump(c, 0.5), 0);
	read_clock(c, buf, sizeof(buf));
	assert_string_equal(buf, "+301.500000 x100\n");
	/* written through a temp file renamed over the clock: nothing left beside it */
	snprintf(tmp, sizeof(tmp), "%s.tmp", sl_clock_path(c));
	assert_int_equal(access(tmp, F_OK), -1);
	assert_int_equal(sl_clock_jump(c, -1), -EINVAL);
	sl_clock_free(c);
}

static void test_rate_below_one_refused(void **state)
{
	struct sl_clock *c = NULL;
	(void)state;
	assert_int_equal(sl_clock_new(&c, dir, 0.5), -EINVAL);
	assert_null(c);
}

static void test_best_handshake_sample_wins(void **state)
{
	struct sl_clock *c;
	const int64_t f0 = 1700000000LL * 1000000000LL;
	(void)state;
	assert_int_equal(sl_clock_new(&c, dir, 100), 0);
	assert_false(sl_clock_calibrated(c));
	assert_int_equal(sl_clock_rtt_us(c), 0);
	/* rtt 200 us: the SUT read f0 at the middle, 1100 */
	assert_int_equal(sl_clock_calibrate(c, 1000, 1200, f0), 200);
	assert_true(sl_clock_calibrated(c));
	assert_int_equal(sl_clock_sut_ns(c, 1100), f0);
	/* a worse sample changes nothing */
	assert_int_equal(sl_clock_calibrate(c, 5000, 5600, f0 + 777), 600);
	assert_int_equal(sl_clock_rtt_us(c), 200);
	assert_int_equal(sl_clock_sut_ns(c, 1100), f0);
	/* a better one takes over: midpoint 9010 */
	assert_int_equal(sl_clock_calibrate(c, 9000, 9020, f0 + 1000000000), 20);
	assert_int_equal(sl_clock_rtt_us(c), 20);
	assert_int_equal(sl_clock_sut_ns(c, 9010), f0 + 1000000000);
	/* R = 100: one real ms is 100 SUT ms, both ways */
	assert_int_equal(sl_clock_sut_ns(c, 10010), f0 + 1000000000 + 100000000);
	assert_int_equal(sl_clock_sut_ns(c, 8010), f0 + 1000000000 - 100000000);
	sl_clock_free(c);
}

static void test_jumps_count_from_when_they_happen(void **state)
{
	struct sl_clock *c;
	const int64_t f0 = 1700000000LL * 1000000000LL;
	(void)state;
	assert_int_equal(sl_clock_new(&c, dir, 10), 0);
	uint64_t t = sl_now_us();
	sl_clock_calibrate(c, t - 10, t + 10, f0);
	uint64_t before = sl_now_us();
	assert_int_equal(sl_clock_jump(c, 300), 0);
	uint64_t after = sl_now_us() + 1;
	/* before the jump: rate only; after it: rate plus the 300 s */
	assert_int_equal(sl_clock_sut_ns(c, before - 1) - f0, (int64_t)(before - 1 - t) * 10000);
	assert_int_equal(sl_clock_sut_ns(c, after) - f0,
			 (int64_t)(after - t) * 10000 + 300LL * 1000000000);
	sl_clock_free(c);
}

static void test_wall_conversion(void **state)
{
	struct sl_clock *c;
	(void)state;
	assert_int_equal(sl_clock_new(&c, dir, 100), 0);
	assert_int_equal(sl_clock_wall_us(c, 32), 320000);
	assert_int_equal(sl_clock_wall_us(c, 0), 0);
	assert_int_equal(sl_clock_wall_us(c, -5), 0);
	assert_true(sl_clock_rate(c) == 100);
	sl_clock_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_holds_jump_and_rate),
		cmocka_unit_test(test_rate_below_one_refused),
		cmocka_unit_test(test_best_handshake_sample_wins),
		cmocka_unit_test(test_jumps_count_from_when_they_happen),
		cmocka_unit_test(test_wall_conversion),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
