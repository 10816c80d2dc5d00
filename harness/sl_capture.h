/* sl_capture.h: live capture of the worker namespace's loopback with libpcap.
 * Promises: every frame seen is kept in memory until the scenario ends, then matched to
 * the event log (each event learns its frame number) and written as a pcap whose
 * timestamps are SUT time, so tshark shows the protocol times the SUT lived through.
 * Memory is bounded: past SL_CAPTURE_MAX_BYTES of frames, later frames keep only their
 * first SL_CAPTURE_SNAP_LATE bytes (the pcap says so with caplen < len). */
#ifndef SL_CAPTURE_H
#define SL_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

struct sl_loop;
struct sl_evlog;
struct sl_clock;
struct sl_capture;

int sl_capture_new(struct sl_capture **cp, struct sl_loop *loop, const char *ifname,
		   char *err, size_t errlen);
void sl_capture_free(struct sl_capture *c);

/* Reads what libpcap has buffered, waiting up to quiet_ms of silence. */
void sl_capture_drain(struct sl_capture *c, int quiet_ms);
size_t sl_capture_frames(const struct sl_capture *c);
#define SL_CAPTURE_MAX_BYTES (64u << 20)
#define SL_CAPTURE_SNAP_LATE 256u
/* Frames cut short because the byte budget was spent. */
size_t sl_capture_cut(const struct sl_capture *c);
/* Frames the kernel dropped because the capture buffer was full (a flood). */
size_t sl_capture_dropped(const struct sl_capture *c);

/* Gives each event fingerprint the number (1-based) of the frame that carried it. */
void sl_capture_match(struct sl_capture *c, struct sl_evlog *log);

/* One frame as the stray-packet pass (sl_stray.h) reads it, after sl_capture_match. */
struct sl_pkt {
	unsigned frame;                 /* 1-based, as tshark numbers it */
	uint64_t t_us;                  /* worker monotonic time, like event times */
	int matched;                    /* some event's fingerprint claimed it */
	int proto;                      /* 17 udp, 6 tcp, 1 icmp, 58 icmpv6 */
	char src[64], dst[64];          /* "127.0.0.1:5060"; port 0 for ICMP */
	const unsigned char *pl;        /* udp/tcp payload, or the whole ICMP message;
					 * valid while the capture lives */
	size_t len;
	uint32_t seq, ack;              /* tcp */
	unsigned flags;                 /* tcp */
};
/* Frame i (0-based). Returns 0, -ENOENT past the last frame, -EINVAL for a frame that
 * is not UDP, TCP or ICMP over IP. */
int sl_capture_pkt(const struct sl_capture *c, size_t i, struct sl_pkt *p);

int sl_capture_write(struct sl_capture *c, const char *path, const struct sl_clock *clk,
		     char *err, size_t errlen);

#endif
