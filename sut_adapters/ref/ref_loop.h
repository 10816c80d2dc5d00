/* ref_loop.h: ref's event loop: one epoll set for sockets plus a sorted list of one-shot
 * timers on CLOCK_MONOTONIC (both accelerated by libfaketime; no timerfd on purpose). */
#ifndef REF_LOOP_H
#define REF_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

typedef void (*ref_io_fn)(void *arg, uint32_t events);
typedef void (*ref_timer_fn)(void *arg);

struct ref_io {
	int fd;
	ref_io_fn fn;
	void *arg;
};

struct ref_timer {
	TAILQ_ENTRY(ref_timer) link;
	uint64_t due_ms;
	bool armed;
	ref_timer_fn fn;
	void *arg;
};

struct ref_loop {
	int epfd;
	int wake_fd;
	struct ref_io wake_io; /* marker only: its events end run(), it is never read */
	TAILQ_HEAD(ref_timer_head_s, ref_timer) timers;
};

/* Milliseconds of CLOCK_MONOTONIC (SUT time under libfaketime). */
uint64_t ref_now_ms(void);

int ref_loop_init(struct ref_loop *l, int wake_fd);
void ref_loop_fini(struct ref_loop *l);
/* io must stay valid until ref_loop_del() and until the dispatch round that deleted it
 * is over: free it from a timer (timers fire after every I/O callback of a round), never
 * from an I/O callback. A deleted io (fd -1) still pending in that round is skipped. */
int ref_loop_add(struct ref_loop *l, struct ref_io *io, int fd, uint32_t events,
		 ref_io_fn fn, void *arg);
int ref_loop_mod(struct ref_loop *l, struct ref_io *io, uint32_t events);
void ref_loop_del(struct ref_loop *l, struct ref_io *io);

void ref_timer_init(struct ref_timer *t, ref_timer_fn fn, void *arg);
/* (Re)arms t to fire once after delay_ms; timers with equal due time fire in FIFO order. */
void ref_timer_start(struct ref_loop *l, struct ref_timer *t, uint64_t delay_ms);
/* (Re)arms t for an absolute CLOCK_MONOTONIC time: periodic schedules built on the
 * previous due time do not accumulate the lateness of each wakeup. */
void ref_timer_start_at(struct ref_loop *l, struct ref_timer *t, uint64_t due_ms);
void ref_timer_stop(struct ref_loop *l, struct ref_timer *t);

/* Dispatches events and timers for at most timeout_ms, calling after(arg) after every
 * dispatch round; returns early once wake_fd is readable. 0 or -errno. */
int ref_loop_run(struct ref_loop *l, int timeout_ms, void (*after)(void *), void *arg);

#endif
