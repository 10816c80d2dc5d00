/* sl_clock.h: the SUT's fake clock as the harness drives and reads it.
 * Promises: the libfaketime timestamp file always holds "+J xR" and is replaced
 * atomically; once calibrated, sl_clock_sut_ns() maps any real monotonic instant of the
 * worker to the SUT's CLOCK_REALTIME at that instant (rate and every jump applied). */
#ifndef SL_CLOCK_H
#define SL_CLOCK_H

#include <stdint.h>

struct sl_clock;

/* Creates <dir>/clock holding "+0 x<rate>". rate >= 1. */
int sl_clock_new(struct sl_clock **cp, const char *dir, double rate);
void sl_clock_free(struct sl_clock *c);

const char *sl_clock_path(const struct sl_clock *c);
double sl_clock_rate(const struct sl_clock *c);

/* Records one handshake sample: the SUT reported sut_ns while the worker's monotonic
 * clock read between t_send_us and t_recv_us. The sample with the smallest round trip
 * wins. Returns the round trip in us. */
uint64_t sl_clock_calibrate(struct sl_clock *c, uint64_t t_send_us, uint64_t t_recv_us,
			    int64_t sut_ns);
int sl_clock_calibrated(const struct sl_clock *c);
/* Round trip (worker us) of the winning handshake sample; its half times R bounds the
 * error of every SUT timestamp. 0 before calibration. */
uint64_t sl_clock_rtt_us(const struct sl_clock *c);

/* Jumps the SUT clock forward by seconds (writes the file, remembers when). */
int sl_clock_jump(struct sl_clock *c, double seconds);

/* SUT CLOCK_REALTIME (ns) at the worker's real monotonic instant t_us. */
int64_t sl_clock_sut_ns(const struct sl_clock *c, uint64_t t_us);

/* Real microseconds that d SUT-seconds take at this rate (no jumps). */
uint64_t sl_clock_wall_us(const struct sl_clock *c, double sut_seconds);

#endif
