/* test_loop.c: the worker's event loop: fd dispatch, timer order, removal inside callbacks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sl_loop.h"

struct rec {
	char order[16];
	int n;
	struct sl_loop *l;
	struct sl_timer *victim;
	int fd_calls;
};

static void mark(void *arg, char c)
{
	struct rec *r = arg;
	r->order[r->n++] = c;
}
static void ta(void *arg) { mark(arg, 'a'); }
static void tb(void *arg) { mark(arg, 'b'); }
static void tc(void *arg) { mark(arg, 'c'); }

static void run_until(struct sl_loop *l, struct rec *r, int n)
{
	uint64_t until = sl_now_us() + 2000000;
	while (r->n < n && sl_now_us() < until)
		sl_loop_run_once(l, 10);
}

static void test_timers_fire_in_deadline_order(void **st)
{
	(void)st;
	struct sl_loop *l;
	struct rec r = { 0 };
	assert_int_equal(sl_loop_new(&l), 0);
	assert_int_equal(sl_timer_start(l, 3000, tc, &r, NULL), 0);
	assert_int_equal(sl_timer_start(l, 1000, ta, &r, NULL), 0);
	assert_int_equal(sl_timer_start(l, 2000, tb, &r, NULL), 0);
	run_until(l, &r, 3);
	assert_string_equal(r.order, "abc");
	sl_loop_free(l);
}

static void test_equal_deadlines_keep_start_order(void **st)
{
	(void)st;
	struct sl_loop *l;
	struct rec r = { 0 };
	assert_int_equal(sl_loop_new(&l), 0);
	sl_timer_start(l, 0, tb, &r, NULL);
	sl_timer_start(l, 0, ta, &r, NULL);
	sl_timer_start(l, 0, tc, &r, NULL);
	run_until(l, &r, 3);
	assert_string_equal(r.order, "bac");
	sl_loop_free(l);
}

static void cancel_other(void *arg)
{
	struct rec *r = arg;
	mark(r, 'x');
	sl_timer_cancel(r->l, r->victim);
}

static void test_cancelled_timer_never_fires(void **st)
{
	(void)st;
	struct sl_loop *l;
	struct rec r = { 0 };
	assert_int_equal(sl_loop_new(&l), 0);
	r.l = l;
	sl_timer_start(l, 0, cancel_other, &r, NULL);
	sl_timer_start(l, 5000, ta, &r, &r.victim);
	sl_timer_start(l, 10000, tb, &r, NULL);
	run_until(l, &r, 2);
	assert_string_equal(r.order, "xb");
	sl_loop_free(l);
}

static void on_fd(int fd, unsigned ev, void *arg)
{
	struct rec *r = arg;
	char buf[16];
	assert_true(ev & SL_EV_IN);
	assert_true(read(fd, buf, sizeof(buf)) > 0);
	r->fd_calls++;
	mark(r, 'f');
	sl_loop_fd_del(r->l, fd); /* removal inside its own callback */
}

static void test_fd_dispatch_and_removal(void **st)
{
	(void)st;
	struct sl_loop *l;
	struct rec r = { 0 };
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(sl_loop_new(&l), 0);
	r.l = l;
	assert_int_equal(sl_loop_fd_add(l, sv[0], SL_EV_IN, on_fd, &r), 0);
	assert_int_equal(sl_loop_fd_add(l, sv[0], SL_EV_IN, on_fd, &r), -EEXIST);
	assert_int_equal(write(sv[1], "hi", 2), 2);
	run_until(l, &r, 1);
	assert_int_equal(write(sv[1], "again", 5), 5);
	sl_loop_run_once(l, 20);
	assert_int_equal(r.fd_calls, 1);
	sl_loop_free(l);
	close(sv[0]);
	close(sv[1]);
}

static void test_wait_bounded_by_timer(void **st)
{
	(void)st;
	struct sl_loop *l;
	struct rec r = { 0 };
	assert_int_equal(sl_loop_new(&l), 0);
	sl_timer_start(l, 20000, ta, &r, NULL);
	uint64_t t0 = sl_now_us();
	while (!r.n)
		sl_loop_run_once(l, -1); /* would block forever without the timer */
	assert_true(sl_now_us() - t0 >= 19000);
	sl_loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timers_fire_in_deadline_order),
		cmocka_unit_test(test_equal_deadlines_keep_start_order),
		cmocka_unit_test(test_cancelled_timer_never_fires),
		cmocka_unit_test(test_fd_dispatch_and_removal),
		cmocka_unit_test(test_wait_bounded_by_timer),
	};
	return cmocka_run_group_tests_name("sl_loop", tests, NULL, NULL);
}
