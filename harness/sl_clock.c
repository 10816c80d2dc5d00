/* sl_clock.c: writes libfaketime's timestamp file and converts real instants to SUT time. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sl_clock.h"
#include "sl_loop.h"

#define MAX_JUMPS 256

struct sl_clock {
	char path[4096];
	double rate;
	double jump_s;                 /* cumulative J written in the file */
	struct { uint64_t at_us; double total_s; } jumps[MAX_JUMPS];
	unsigned njumps;
	int calibrated;
	uint64_t rtt_us;               /* of the best sample */
	uint64_t w0_us;                /* worker instant of the best sample */
	int64_t f0_ns;                 /* SUT realtime at w0 */
	double j0_s;                   /* jump total in force at w0 */
};

static int write_file(struct sl_clock *c)
{
	char tmp[4200];
	char buf[64];
	int n = snprintf(buf, sizeof(buf), "+%.6f x%g\n", c->jump_s, c->rate);
	snprintf(tmp, sizeof(tmp), "%s.tmp", c->path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	int err = 0;
	if (write(fd, buf, (size_t)n) != n)
		err = -EIO;
	if (close(fd) < 0 && !err)
		err = -errno;
	/* rename() is atomic: the SUT (reading the file on every clock call) never sees a
	 * half-written spec. */
	if (!err && rename(tmp, c->path) < 0)
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

int sl_clock_new(struct sl_clock **cp, const char *dir, double rate)
{
	if (rate < 1)
		return -EINVAL;
	struct sl_clock *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	int err = 0;
	if ((size_t)snprintf(c->path, sizeof(c->path), "%s/clock", dir) >= sizeof(c->path)) {
		err = -ENAMETOOLONG;
		goto out;
	}
	c->rate = rate;
	/* Until the SUT answers a handshake, assume it started now on the real time: the
	 * SUT's fake clock starts from the real one, so this is close and never garbage. */
	struct timespec rt;
	clock_gettime(CLOCK_REALTIME, &rt);
	c->w0_us = sl_now_us();
	c->f0_ns = (int64_t)rt.tv_sec * 1000000000 + rt.tv_nsec;
	err = write_file(c);
out:
	if (err)
		free(c);
	else
		*cp = c;
	return err;
}

void sl_clock_free(struct sl_clock *c)
{
	free(c);
}

const char *sl_clock_path(const struct sl_clock *c)
{
	return c->path;
}

double sl_clock_rate(const struct sl_clock *c)
{
	return c->rate;
}

static double jump_at(const struct sl_clock *c, uint64_t t_us)
{
	double j = 0;
	for (unsigned i = 0; i < c->njumps && c->jumps[i].at_us <= t_us; i++)
		j = c->jumps[i].total_s;
	return j;
}

uint64_t sl_clock_calibrate(struct sl_clock *c, uint64_t t_send_us, uint64_t t_recv_us,
			    int64_t sut_ns)
{
	uint64_t rtt = t_recv_us - t_send_us;
	if (!c->calibrated || rtt < c->rtt_us) {
		c->calibrated = 1;
		c->rtt_us = rtt;
		c->w0_us = t_send_us + rtt / 2;
		c->f0_ns = sut_ns;
		c->j0_s = jump_at(c, c->w0_us);
	}
	return rtt;
}

int sl_clock_calibrated(const struct sl_clock *c)
{
	return c->calibrated;
}

uint64_t sl_clock_rtt_us(const struct sl_clock *c)
{
	return c->calibrated ? c->rtt_us : 0;
}

int sl_clock_jump(struct sl_clock *c, double seconds)
{
	if (seconds < 0 || c->njumps >= MAX_JUMPS)
		return -EINVAL;
	c->jump_s += seconds;
	int err = write_file(c);
	if (err) {
		c->jump_s -= seconds;
		return err;
	}
	c->jumps[c->njumps].at_us = sl_now_us();
	c->jumps[c->njumps].total_s = c->jump_s;
	c->njumps++;
	return 0;
}

int64_t sl_clock_sut_ns(const struct sl_clock *c, uint64_t t_us)
{
	/* libfaketime: sut = start + (real - start) * R + J, so between two instants the
	 * SUT advances R times the real interval plus the jumps in between. */
	double d_real_ns = ((double)t_us - (double)c->w0_us) * 1000.0;
	double d_jump_ns = (jump_at(c, t_us) - c->j0_s) * 1e9;
	return c->f0_ns + (int64_t)(d_real_ns * c->rate + d_jump_ns);
}

uint64_t sl_clock_wall_us(const struct sl_clock *c, double sut_seconds)
{
	if (sut_seconds <= 0)
		return 0;
	return (uint64_t)(sut_seconds * 1e6 / c->rate);
}
