/* kam_itimer.c: preloaded into kamailio beside libfaketime, which speeds up clocks and
 * sleeps but not setitimer(): kamailio's ticks come from an ITIMER_REAL, so this divides
 * its intervals by the rate (SIPLOC_ITIMER_RATE) and kamailio's ticks run in SUT time.
 * kamailio's own resync to gettimeofday (timer.c adjust_ticks) then follows jumps. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/time.h>

typedef int (*setitimer_fn)(__itimer_which_t, const struct itimerval *restrict,
			    struct itimerval *restrict);

static void scale(struct timeval *tv, double rate)
{
	double us = ((double)tv->tv_sec * 1e6 + (double)tv->tv_usec) / rate;

	if (us < 1 && (tv->tv_sec || tv->tv_usec))
		us = 1; /* a running timer must not become a stopped one */
	tv->tv_sec = (time_t)(us / 1e6);
	tv->tv_usec = (suseconds_t)(us - (double)tv->tv_sec * 1e6);
}

int setitimer(__itimer_which_t which, const struct itimerval *restrict nv,
	      struct itimerval *restrict old)
{
	static setitimer_fn real;
	const char *r = getenv("SIPLOC_ITIMER_RATE");
	double rate = r ? strtod(r, NULL) : 1;
	struct itimerval v;

	if (!real)
		real = (setitimer_fn)dlsym(RTLD_NEXT, "setitimer");
	if (!real)
		return -1;
	if (!nv || which != ITIMER_REAL || !(rate > 0) || rate == 1)
		return real(which, nv, old);
	v = *nv;
	scale(&v.it_interval, rate);
	scale(&v.it_value, rate);
	return real(which, &v, old);
}
