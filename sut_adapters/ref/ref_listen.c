/* ref_listen.c: the listening socket of ref_listen.h and its accept loop. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ref_listen.h"

#define BACKLOG 64

struct ref_listen {
	struct ref_loop *loop;
	const struct ref_log *log;
	struct ref_tcp *tcp;
	enum ref_tp tp;
	int fd;
	struct ref_io io;
};

static void on_accept(void *arg, uint32_t events)
{
	struct ref_listen *l = arg;

	(void)events;
	/* A bounded batch: a flood of SYNs must not starve the rest of the loop. */
	for (int i = 0; i < 16; i++) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		int fd = accept4(l->fd, (void *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		int rc;

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				ref_logf(l->log, "%s accept: %s", ref_tp_name(l->tp), strerror(errno));
			return;
		}
		rc = ref_tcp_adopt(l->tcp, fd, l->tp, (void *)&peer, plen);
		if (rc < 0)
			ref_logf(l->log, "%s connection dropped: %s", ref_tp_name(l->tp),
				 strerror(-rc));
	}
}

int ref_listen_new(struct ref_listen **out, struct ref_loop *loop, const struct ref_log *log,
		   struct ref_tcp *tcp, enum ref_tp tp, const char *host, uint16_t port)
{
	struct ref_listen *l;
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, rc;

	*out = NULL;
	rc = ref_addr_make(host, port, &ss, &len);
	if (rc < 0)
		return rc;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->loop = loop;
	l->log = log;
	l->tcp = tcp;
	l->tp = tp;
	l->io.fd = -1;
	l->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0)
		goto fail_errno;
	setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l->fd, (void *)&ss, len) < 0 || listen(l->fd, BACKLOG) < 0)
		goto fail_errno;
	rc = ref_loop_add(loop, &l->io, l->fd, EPOLLIN, on_accept, l);
	if (rc < 0)
		goto fail;
	*out = l;
	return 0;
fail_errno:
	rc = -errno;
fail:
	ref_listen_free(l);
	return rc;
}

void ref_listen_free(struct ref_listen *l)
{
	if (!l)
		return;
	if (l->io.fd >= 0)
		ref_loop_del(l->loop, &l->io);
	if (l->fd >= 0)
		close(l->fd);
	free(l);
}
