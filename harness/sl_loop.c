/* sl_loop.c: epoll event loop and a deadline-sorted timer list for one worker. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "sl_loop.h"

struct sl_fdh {
	int fd;
	unsigned events;
	sl_fd_fn fn;
	void *arg;
	int dead;
	struct sl_fdh *next;
};

struct sl_timer {
	uint64_t due_us;
	uint64_t seq;          /* keeps equal deadlines in start order */
	sl_timer_fn fn;
	void *arg;
	struct sl_timer *next;
};

struct sl_loop {
	int epfd;
	struct sl_fdh *fds;
	struct sl_timer *timers; /* sorted by (due_us, seq) */
	uint64_t seq;
	int dispatching;
};

uint64_t sl_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int sl_loop_new(struct sl_loop **lp)
{
	struct sl_loop *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		int err = -errno;
		free(l);
		return err;
	}
	*lp = l;
	return 0;
}

static void reap_fds(struct sl_loop *l)
{
	struct sl_fdh **pp = &l->fds;
	while (*pp) {
		if ((*pp)->dead) {
			struct sl_fdh *d = *pp;
			*pp = d->next;
			free(d);
		} else {
			pp = &(*pp)->next;
		}
	}
}

void sl_loop_free(struct sl_loop *l)
{
	if (!l)
		return;
	for (struct sl_fdh *h = l->fds; h; h = h->next)
		h->dead = 1;
	reap_fds(l);
	while (l->timers) {
		struct sl_timer *t = l->timers;
		l->timers = t->next;
		free(t);
	}
	close(l->epfd);
	free(l);
}

static struct sl_fdh *find_fd(struct sl_loop *l, int fd)
{
	for (struct sl_fdh *h = l->fds; h; h = h->next)
		if (h->fd == fd && !h->dead)
			return h;
	return NULL;
}

static uint32_t to_epoll(unsigned ev)
{
	return (ev & SL_EV_IN ? EPOLLIN : 0) | (ev & SL_EV_OUT ? EPOLLOUT : 0);
}

int sl_loop_fd_add(struct sl_loop *l, int fd, unsigned events, sl_fd_fn fn, void *arg)
{
	if (find_fd(l, fd))
		return -EEXIST;
	struct sl_fdh *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->fd = fd;
	h->events = events;
	h->fn = fn;
	h->arg = arg;
	struct epoll_event ev = { .events = to_epoll(events), .data.ptr = h };
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int err = -errno;
		free(h);
		return err;
	}
	h->next = l->fds;
	l->fds = h;
	return 0;
}

int sl_loop_fd_mod(struct sl_loop *l, int fd, unsigned events)
{
	struct sl_fdh *h = find_fd(l, fd);
	if (!h)
		return -ENOENT;
	struct epoll_event ev = { .events = to_epoll(events), .data.ptr = h };
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		return -errno;
	h->events = events;
	return 0;
}

void sl_loop_fd_del(struct sl_loop *l, int fd)
{
	struct sl_fdh *h = find_fd(l, fd);
	if (!h)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	/* Freed after dispatch: a pending epoll event may still point at it. */
	h->dead = 1;
	if (!l->dispatching)
		reap_fds(l);
}

int sl_timer_start(struct sl_loop *l, uint64_t delay_us, sl_timer_fn fn, void *arg,
		   struct sl_timer **tp)
{
	struct sl_timer *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->due_us = sl_now_us() + delay_us;
	t->seq = l->seq++;
	t->fn = fn;
	t->arg = arg;
	struct sl_timer **pp = &l->timers;
	while (*pp && (*pp)->due_us <= t->due_us)
		pp = &(*pp)->next;
	t->next = *pp;
	*pp = t;
	if (tp)
		*tp = t;
	return 0;
}

void sl_timer_cancel(struct sl_loop *l, struct sl_timer *t)
{
	if (!t)
		return;
	for (struct sl_timer **pp = &l->timers; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			free(t);
			return;
		}
	}
}

int sl_loop_run_once(struct sl_loop *l, int max_wait_ms)
{
	int wait = max_wait_ms;
	if (l->timers) {
		uint64_t now = sl_now_us();
		uint64_t due = l->timers->due_us;
		int tw = due <= now ? 0 : (int)((due - now + 999) / 1000);
		if (wait < 0 || tw < wait)
			wait = tw;
	}
	struct epoll_event evs[64];
	int n = epoll_wait(l->epfd, evs, 64, wait);
	if (n < 0) {
		if (errno != EINTR)
			return -errno;
		n = 0;
	}
	int ran = 0;
	l->dispatching = 1;
	for (int i = 0; i < n; i++) {
		struct sl_fdh *h = evs[i].data.ptr;
		if (h->dead)
			continue;
		unsigned ev = (evs[i].events & EPOLLIN ? SL_EV_IN : 0) |
			      (evs[i].events & EPOLLOUT ? SL_EV_OUT : 0) |
			      (evs[i].events & (EPOLLERR | EPOLLHUP) ? SL_EV_ERR : 0);
		h->fn(h->fd, ev, h->arg);
		ran++;
	}
	/* Only timers already due when we start run: a timer re-armed at 0 delay inside a
	 * callback waits for the next round instead of starving the fds. */
	uint64_t now = sl_now_us();
	uint64_t limit = l->seq;
	while (l->timers && l->timers->due_us <= now && l->timers->seq < limit) {
		struct sl_timer *t = l->timers;
		l->timers = t->next;
		sl_timer_fn fn = t->fn;
		void *arg = t->arg;
		free(t);
		fn(arg);
		ran++;
	}
	l->dispatching = 0;
	reap_fds(l);
	return ran;
}
