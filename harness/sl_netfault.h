/* sl_netfault.h: network faults forged inside the worker's namespace: ICMP destination
 * unreachable (raw sockets), SYNs dropped (an nft rule), and ULA test addresses on lo.
 * Promises: nothing here touches an address outside 127.0.0.0/8, ::1 or fd00::/64. */
#ifndef SL_NETFAULT_H
#define SL_NETFAULT_H

#include <stddef.h>
#include <sys/socket.h>

#include "sl_peer.h"

/* Sends from local (the peer) to remote (the SUT) the ICMP/ICMPv6 unreachable of kind that
 * a real network would send for the UDP datagram remote -> local carrying payload. The
 * ICMP message with its checksum zeroed goes to out (*outlen: its room in, length out),
 * for the fingerprint. Returns 0 or -errno. */
int sl_net_icmp_unreach(enum sl_icmp_kind kind, const struct sockaddr *local,
			const struct sockaddr *remote, const void *payload, size_t len,
			unsigned char *out, size_t *outlen);

/* Adds an nft rule dropping TCP SYNs to local (address and port). */
int sl_net_drop_syn(const struct sockaddr *local, char *err, size_t errlen);

/* Adds addr (fd00::/64 only) to lo with nodad, once. */
int sl_net_add_ula(const struct sockaddr *addr, char *err, size_t errlen);

/* 1 if sa is an address a peer may use: 127.0.0.0/8, ::1, fd00::/64. */
int sl_net_test_addr(const struct sockaddr *sa);

#endif
