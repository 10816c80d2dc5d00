/* sl_loop.h: the worker's single-threaded epoll event loop with one-shot timers.
 * Promises: callbacks run only from sl_loop_run_once(); timers fire in deadline order;
 * an fd or timer removed inside a callback never fires afterwards. Times are real
 * (CLOCK_MONOTONIC) microseconds: the harness is never on the SUT's fake clock. */
#ifndef SL_LOOP_H
#define SL_LOOP_H

#include <stdint.h>

struct sl_loop;
struct sl_timer;

enum { SL_EV_IN = 1u << 0, SL_EV_OUT = 1u << 1, SL_EV_ERR = 1u << 2 };

typedef void (*sl_fd_fn)(int fd, unsigned events, void *arg);
typedef void (*sl_timer_fn)(void *arg);

/* Real monotonic time in microseconds. */
uint64_t sl_now_us(void);

int sl_loop_new(struct sl_loop **lp);
void sl_loop_free(struct sl_loop *l);

/* events: SL_EV_IN / SL_EV_OUT. Returns 0 or -errno (-EEXIST if fd is known). */
int sl_loop_fd_add(struct sl_loop *l, int fd, unsigned events, sl_fd_fn fn, void *arg);
int sl_loop_fd_mod(struct sl_loop *l, int fd, unsigned events);
void sl_loop_fd_del(struct sl_loop *l, int fd);

/* One-shot timer after delay_us of real time. *tp (may be NULL) is valid until it fires
 * or is cancelled; cancelling a fired or NULL timer is a no-op only through the handle the
 * caller cleared in its callback. */
int sl_timer_start(struct sl_loop *l, uint64_t delay_us, sl_timer_fn fn, void *arg,
		   struct sl_timer **tp);
void sl_timer_cancel(struct sl_loop *l, struct sl_timer *t);

/* Waits at most max_wait_ms (-1: until something happens) and dispatches what is ready.
 * Returns the number of callbacks run, or -errno. */
int sl_loop_run_once(struct sl_loop *l, int max_wait_ms);

#endif
