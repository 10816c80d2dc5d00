/* ref_udp.c: the UDP socket behind ref_udp.h. Unconnected (one socket talks to every
 * peer), so ICMP errors are only visible through IP_RECVERR / IPV6_RECVERR. */
#include <errno.h>
#include <time.h> /* linux/errqueue.h needs struct timespec */
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ref_target.h"
#include "ref_udp.h"

static void read_errqueue(struct ref_udp *u)
{
	for (;;) {
		char payload[2048], ctl[512];
		struct sockaddr_storage dst;
		struct iovec iov = { payload, sizeof(payload) };
		struct msghdr mh = {
			.msg_name = &dst, .msg_namelen = sizeof(dst),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctl, .msg_controllen = sizeof(ctl),
		};
		ssize_t n = recvmsg(u->fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			const struct sock_extended_err *ee;

			if (!((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
			      (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)))
				continue;
			ee = (const void *)CMSG_DATA(c);
			if (ee->ee_origin != SO_EE_ORIGIN_ICMP && ee->ee_origin != SO_EE_ORIGIN_ICMP6)
				continue;
			u->err(u->arg, (int)ee->ee_errno, (const struct sockaddr *)&dst, payload,
			       (size_t)n);
		}
	}
}

static void on_event(void *arg, uint32_t events)
{
	struct ref_udp *u = arg;
	char buf[65536];

	if (events & EPOLLERR)
		read_errqueue(u);
	for (;;) {
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(u->fd, buf, sizeof(buf) - 1, MSG_DONTWAIT, (void *)&from, &flen);

		if (n < 0) {
			/* With IP_RECVERR a pending ICMP error is also reported here once;
			 * the error queue, read above and below, says which peer it was. */
			if (errno == EINTR || errno == ECONNREFUSED || errno == EHOSTUNREACH ||
			    errno == ENETUNREACH || errno == EHOSTDOWN) {
				read_errqueue(u);
				continue;
			}
			break;
		}
		buf[n] = '\0';
		u->rx(u->arg, buf, (size_t)n, (const struct sockaddr *)&from);
	}
}

int ref_udp_open(struct ref_udp *u, struct ref_loop *loop, const struct ref_log *log,
		 const char *bind_addr, uint16_t port, ref_udp_rx_fn rx, ref_udp_err_fn err,
		 void *arg)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, rc;

	memset(u, 0, sizeof(*u));
	u->fd = -1;
	u->io.fd = -1;
	u->loop = loop;
	u->log = log;
	u->rx = rx;
	u->err = err;
	u->arg = arg;
	rc = ref_addr_make(bind_addr, port, &ss, &len);
	if (rc < 0)
		goto fail;
	u->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (u->fd < 0)
		goto fail_errno;
	if (ss.ss_family == AF_INET6)
		rc = setsockopt(u->fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof(one));
	else
		rc = setsockopt(u->fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one));
	if (rc < 0)
		goto fail_errno;
	if (bind(u->fd, (void *)&ss, len) < 0) {
		if (errno != EADDRINUSE)
			goto fail_errno;
		ref_logf(log, "udp port %u busy on %s, using an ephemeral port", port, bind_addr);
		ref_addr_make(bind_addr, 0, &ss, &len);
		if (bind(u->fd, (void *)&ss, len) < 0)
			goto fail_errno;
	}
	len = sizeof(ss);
	if (getsockname(u->fd, (void *)&ss, &len) < 0)
		goto fail_errno;
	u->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						 : ((struct sockaddr_in *)&ss)->sin_port);
	rc = ref_loop_add(loop, &u->io, u->fd, EPOLLIN, on_event, u);
	if (rc < 0)
		goto fail;
	return 0;
fail_errno:
	rc = -errno;
fail:
	ref_udp_close(u);
	return rc;
}

int ref_udp_send(struct ref_udp *u, const struct sockaddr *dst, socklen_t dstlen,
		 const void *buf, size_t len)
{
	/* A pending ICMP error fails the next send once (IP_RECVERR sets sk_err) even when
	 * it concerns another peer; the queue tells whom, so drain it and send again. */
	for (int tries = 0; tries < 4; tries++) {
		if (sendto(u->fd, buf, len, MSG_DONTWAIT, dst, dstlen) >= 0)
			return 0;
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
			return 0;
		if (errno != EINTR && errno != ECONNREFUSED && errno != EHOSTUNREACH &&
		    errno != ENETUNREACH && errno != EHOSTDOWN)
			return -errno;
	}
	return -EIO;
}

void ref_udp_close(struct ref_udp *u)
{
	if (u->io.fd >= 0)
		ref_loop_del(u->loop, &u->io);
	if (u->fd >= 0)
		close(u->fd);
	u->fd = -1;
}
