/* sl_stray.h: packets only the capture saw, made events so checks and ladders see them.
 * Promises: after sl_capture_match(), every UDP datagram no event claimed (a request to
 * a closed port, a query to an address no DNS server is on) and every TCP SYN nothing
 * accepted becomes an SL_EV_STRAY event, with its parsed SIP fields when the payload is
 * SIP; every ICMP destination unreachable and every RST no peer logged becomes an
 * SL_EV_REJECT event pointing at the event whose packet it answers. Each keeps its pcap
 * frame number and is placed in the log by its capture time. */
#ifndef SL_STRAY_H
#define SL_STRAY_H

#include <stddef.h>

struct sl_capture;
struct sl_evlog;

/* declared: what the scenario put on the network, as "addr:port/transport" (peers, the
 * fake DNS), so an event can say whether anything was meant to be there. self: the
 * SUT's own addresses ("127.0.0.1"): a packet from one of them to one of them that no
 * event claimed is the SUT talking to itself (a daemon's control channel), not the
 * world's business, and is left out. Returns the number of events added, or -ENOMEM. */
int sl_stray_events(const struct sl_capture *c, struct sl_evlog *log,
		    const char *const *declared, size_t ndeclared, const char *const *self,
		    size_t nself);

#endif
