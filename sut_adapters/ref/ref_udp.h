/* ref_udp.h: SIP over UDP: one socket on the SUT address (5060, else ephemeral), datagrams in
 * and out, ICMP errors from the error queue (IP_RECVERR) for failover on "port unreachable". */
#ifndef REF_UDP_H
#define REF_UDP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ref_log.h"
#include "ref_loop.h"

/* A datagram arrived from `from`. */
typedef void (*ref_udp_rx_fn)(void *arg, const char *buf, size_t len,
			      const struct sockaddr *from);
/* An ICMP error (err: ECONNREFUSED, EHOSTUNREACH, ...) came back for a datagram sent to
 * dst; payload is the start of that datagram as quoted by the ICMP message. */
typedef void (*ref_udp_err_fn)(void *arg, int err, const struct sockaddr *dst,
			       const char *payload, size_t len);

struct ref_udp {
	int fd;
	uint16_t port;
	struct ref_io io;
	struct ref_loop *loop;
	const struct ref_log *log;
	ref_udp_rx_fn rx;
	ref_udp_err_fn err;
	void *arg;
};

int ref_udp_open(struct ref_udp *u, struct ref_loop *loop, const struct ref_log *log,
		 const char *bind_addr, uint16_t port, ref_udp_rx_fn rx, ref_udp_err_fn err,
		 void *arg);
/* 0 or -errno; a full socket buffer counts as a loss (retransmission covers it). */
int ref_udp_send(struct ref_udp *u, const struct sockaddr *dst, socklen_t dstlen,
		 const void *buf, size_t len);
void ref_udp_close(struct ref_udp *u);

#endif
