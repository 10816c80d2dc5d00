/* sl_addr.h: socket addresses as siploc writes them: "127.0.0.2:5060", "[fd00::2]:5060",
 * and peer specs "127.0.0.2:5060/udp". */
#ifndef SL_ADDR_H
#define SL_ADDR_H

#include <stddef.h>
#include <sys/socket.h>

#define SL_ADDRSTRLEN 64

/* Writes "ip:port" (IPv6 in brackets) into buf. Returns buf. */
const char *sl_addr_fmt(const struct sockaddr *sa, char *buf, size_t len);

/* Parses "ip:port[/transport]" (IPv6 as "[ip]:port"); transport defaults to "udp" and
 * must be udp, tcp or tls. Returns 0 or -EINVAL with a reason in err. */
int sl_addr_parse(const char *spec, struct sockaddr_storage *ss, socklen_t *slen,
		  char transport[8], char *err, size_t errlen);

#endif
