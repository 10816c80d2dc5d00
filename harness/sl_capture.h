/* sl_capture.h: live capture of the worker namespace's loopback with libpcap.
 * Promises: every frame seen is kept in memory until the scenario ends, then matched to
 * the event log (each event learns its frame number) and written as a pcap whose
 * timestamps are SUT time, so tshark shows the protocol times the SUT lived through.
 * Memory is bounded: past SL_CAPTURE_MAX_BYTES of frames, later frames keep only their
 * first SL_CAPTURE_SNAP_LATE bytes (the pcap says so with caplen < len). */
#ifndef SL_CAPTURE_H
#define SL_CAPTURE_H

#include <stddef.h>

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

int sl_capture_write(struct sl_capture *c, const char *path, const struct sl_clock *clk,
		     char *err, size_t errlen);

#endif
