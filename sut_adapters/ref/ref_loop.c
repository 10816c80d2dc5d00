/* ref_loop.c: epoll dispatch and the timer list behind ref_loop.h. Time comes only from
 * clock_gettime(CLOCK_MONOTONIC) and epoll_wait timeouts, which libfaketime speeds up. */
#include <errno.h>
#include <limits.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "ref_loop.h"

uint64_t ref_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int ref_loop_init(struct ref_loop *l, int wake_fd)
{
	struct epoll_event ev = { .events = EPOLLIN };

	TAILQ_INIT(&l->timers);
	l->wake_fd = wake_fd;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		return -errno;
	if (wake_fd >= 0) {
		l->wake_io.fd = wake_fd;
		ev.data.ptr = &l->wake_io;
		if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, wake_fd, &ev) < 0) {
			int rc = -errno;

			close(l->epfd);
			l->epfd = -1;
			return rc;
		}
	}
	return 0;
}

void ref_loop_fini(struct ref_loop *l)
{
	struct ref_timer *t;

	while ((t = TAILQ_FIRST(&l->timers))) {
		TAILQ_REMOVE(&l->timers, t, link);
		t->armed = false;
	}
	if (l->epfd >= 0)
		close(l->epfd);
	l->epfd = -1;
}

int ref_loop_add(struct ref_loop *l, struct ref_io *io, int fd, uint32_t events,
		 ref_io_fn fn, void *arg)
{
	struct epoll_event ev = { .events = events, .data.ptr = io };

	io->fd = fd;
	io->fn = fn;
	io->arg = arg;
	return epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

int ref_loop_mod(struct ref_loop *l, struct ref_io *io, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = io };

	if (io->fd < 0)
		return -EBADF;
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, io->fd, &ev) < 0 ? -errno : 0;
}

void ref_loop_del(struct ref_loop *l, struct ref_io *io)
{
	if (io->fd >= 0)
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, io->fd, NULL);
	io->fd = -1;
}

void ref_timer_init(struct ref_timer *t, ref_timer_fn fn, void *arg)
{
	t->armed = false;
	t->due_ms = 0;
	t->fn = fn;
	t->arg = arg;
}

void ref_timer_stop(struct ref_loop *l, struct ref_timer *t)
{
	if (t->armed)
		TAILQ_REMOVE(&l->timers, t, link);
	t->armed = false;
}

void ref_timer_start(struct ref_loop *l, struct ref_timer *t, uint64_t delay_ms)
{
	ref_timer_start_at(l, t, ref_now_ms() + delay_ms);
}

void ref_timer_start_at(struct ref_loop *l, struct ref_timer *t, uint64_t due_ms)
{
	struct ref_timer *it;

	ref_timer_stop(l, t);
	t->due_ms = due_ms;
	t->armed = true;
	/* Few timers are armed at once (a handful per transaction): a sorted list is enough. */
	TAILQ_FOREACH_REVERSE(it, &l->timers, ref_timer_head_s, link) {
		if (it->due_ms <= t->due_ms) {
			TAILQ_INSERT_AFTER(&l->timers, it, t, link);
			return;
		}
	}
	TAILQ_INSERT_HEAD(&l->timers, t, link);
}

static void fire_timers(struct ref_loop *l)
{
	uint64_t now = ref_now_ms();
	struct ref_timer *t;

	/* A callback may stop or start any timer, so the head is re-read every time. */
	while ((t = TAILQ_FIRST(&l->timers)) && t->due_ms <= now) {
		TAILQ_REMOVE(&l->timers, t, link);
		t->armed = false;
		t->fn(t->arg);
	}
}

int ref_loop_run(struct ref_loop *l, int timeout_ms, void (*after)(void *), void *arg)
{
	uint64_t deadline = ref_now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
	struct epoll_event evs[16];

	for (;;) {
		uint64_t now = ref_now_ms(), until = deadline;
		struct ref_timer *first = TAILQ_FIRST(&l->timers);
		bool woken = false;
		int wait, n;

		if (first && first->due_ms < until)
			until = first->due_ms;
		wait = until <= now ? 0 : (until - now > INT_MAX ? INT_MAX : (int)(until - now));
		n = epoll_wait(l->epfd, evs, 16, wait);
		if (n < 0 && errno != EINTR)
			return -errno;
		for (int i = 0; i < n; i++) {
			struct ref_io *io = evs[i].data.ptr;

			if (io == &l->wake_io)
				woken = true;
			else if (io->fd >= 0) /* deleted by an earlier callback of this round */
				io->fn(io->arg, evs[i].events);
		}
		fire_timers(l);
		if (after)
			after(arg);
		if (woken || ref_now_ms() >= deadline)
			return 0;
	}
}
