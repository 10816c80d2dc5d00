/* sl_peer_tcp.c: the peer's TCP side: listener, connections, Content-Length framing
 * (several messages per read, one message over several reads), stream offsets. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sl_addr.h"
#include "sl_loop.h"
#include "sl_peer_int.h"
#include "sl_sipmsg.h"

#define MAX_CONNS 256
#define RX_MAX (SL_SIPMSG_MAX_LEN + 4096)

struct conn {
	unsigned id;            /* 0: free slot */
	int fd;
	struct sl_ptcp *t;
	char remote[SL_ADDRSTRLEN];
	char *in;               /* bytes not yet framed */
	size_t in_len;
	unsigned long long rx_off;  /* stream offset of in[0] */
	char *out;              /* bytes not yet written */
	size_t out_len;
	unsigned long long tx_off;  /* bytes queued so far */
	int closing;            /* close once out is written */
};

struct sl_ptcp {
	struct sl_peer *p;
	struct sl_loop *loop;
	struct sockaddr_storage ss;
	socklen_t slen;
	int lfd;
	unsigned next_id;
	struct conn conns[MAX_CONNS];
};

static struct conn *find(struct sl_ptcp *t, unsigned id)
{
	for (unsigned i = 0; id && i < MAX_CONNS; i++)
		if (t->conns[i].id == id)
			return &t->conns[i];
	return NULL;
}

static void conn_close(struct conn *c, int reset)
{
	if (reset) {
		struct linger lg = { 1, 0 };
		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	sl_loop_fd_del(c->t->loop, c->fd);
	close(c->fd);
	free(c->in);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static void flush_out(struct conn *c)
{
	while (c->out_len) {
		ssize_t n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			char text[512];
			snprintf(text, sizeof(text), "peer tcp: write to %s failed: %s", c->remote,
				 strerror(errno));
			sl_peer_note(c->t->p, text);
			conn_close(c, 0);
			return;
		}
		memmove(c->out, c->out + n, c->out_len - (size_t)n);
		c->out_len -= (size_t)n;
	}
	if (!c->out_len && c->closing) {
		conn_close(c, 0);
		return;
	}
	sl_loop_fd_mod(c->t->loop, c->fd, SL_EV_IN | (c->out_len ? SL_EV_OUT : 0));
}

/* Hands every complete message in c->in to the core; keeps the rest. */
static void frame_all(struct conn *c)
{
	struct sl_ptcp *t = c->t;
	unsigned id = c->id;
	size_t used = 0;
	while (used < c->in_len) {
		size_t skip = sl_sipmsg_skip_crlf(c->in + used, c->in_len - used);
		used += skip;
		if (used == c->in_len)
			break;
		ssize_t n = sl_sipmsg_frame(c->in + used, c->in_len - used);
		if (n == 0)
			break;
		if (n < 0) {
			/* No message boundary can be found again in a stream: give it up. */
			sl_peer_malformed(t->p, c->remote, c->in + used, c->in_len - used,
					  c->rx_off + used, "unframeable stream (bad or missing "
					  "Content-Length); connection closed");
			conn_close(c, 0);
			return;
		}
		struct sl_route r = { .conn = id };
		sl_peer_input(t->p, &r, c->in + used, (size_t)n, c->rx_off + used);
		/* The plan may have closed this connection meanwhile. */
		if (c->id != id)
			return;
		used += (size_t)n;
	}
	memmove(c->in, c->in + used, c->in_len - used);
	c->in_len -= used;
	c->rx_off += used;
}

static void on_conn(int fd, unsigned ev, void *arg)
{
	struct conn *c = arg;
	if (ev & SL_EV_OUT) {
		flush_out(c);
		if (c->fd != fd)
			return;
	}
	if (!(ev & (SL_EV_IN | SL_EV_ERR)))
		return;
	if (c->in_len == RX_MAX) {
		sl_peer_malformed(c->t->p, c->remote, c->in, c->in_len, c->rx_off,
				  "message over 64 KiB; connection closed");
		conn_close(c, 0);
		return;
	}
	ssize_t n = recv(fd, c->in + c->in_len, RX_MAX - c->in_len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		char text[512];
		snprintf(text, sizeof(text), "peer tcp: %s closed the connection%s%s%s", c->remote,
			 n < 0 ? " (" : "", n < 0 ? strerror(errno) : "", n < 0 ? ")" : "");
		sl_peer_note(c->t->p, text);
		if (c->in_len)
			sl_peer_malformed(c->t->p, c->remote, c->in, c->in_len, c->rx_off,
					  "incomplete message at the end of the stream");
		conn_close(c, 0);
		return;
	}
	c->in_len += (size_t)n;
	frame_all(c);
}

static void on_accept(int fd, unsigned ev, void *arg)
{
	(void)ev;
	struct sl_ptcp *t = arg;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int cfd = accept4(fd, (void *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	struct conn *c = NULL;
	for (unsigned i = 0; i < MAX_CONNS && !c; i++)
		if (!t->conns[i].id)
			c = &t->conns[i];
	if (!c || !(c->in = malloc(RX_MAX))) {
		char why[160];
		snprintf(why, sizeof(why), "the SUT holds more than %d TCP connections to this "
			 "peer open at once (a connection leak or flood); one was refused",
			 MAX_CONNS);
		sl_peer_abort(t->p, why);
		close(cfd);
		return;
	}
	c->id = ++t->next_id;
	c->fd = cfd;
	c->t = t;
	sl_addr_fmt((void *)&ss, c->remote, sizeof(c->remote));
	int one = 1;
	setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (sl_loop_fd_add(t->loop, cfd, SL_EV_IN, on_conn, c) < 0)
		conn_close(c, 0);
}

int sl_ptcp_listen(struct sl_ptcp *t, int on, char *err, size_t errlen)
{
	if (!on) {
		if (t->lfd >= 0) {
			sl_loop_fd_del(t->loop, t->lfd);
			close(t->lfd);
			t->lfd = -1;
		}
		return 0;
	}
	if (t->lfd >= 0)
		return 0;
	char a[SL_ADDRSTRLEN];
	sl_addr_fmt((void *)&t->ss, a, sizeof(a));
	int rc;
	t->lfd = socket(t->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->lfd < 0)
		goto fail;
	int one = 1;
	setsockopt(t->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(t->lfd, (void *)&t->ss, t->slen) < 0 || listen(t->lfd, 128) < 0)
		goto fail;
	rc = sl_loop_fd_add(t->loop, t->lfd, SL_EV_IN, on_accept, t);
	if (rc < 0) {
		errno = -rc;
		goto fail;
	}
	return 0;
fail:
	rc = -errno;
	snprintf(err, errlen, "peer %s/tcp: %s", a, strerror(errno));
	if (t->lfd >= 0)
		close(t->lfd);
	t->lfd = -1;
	return rc;
}

int sl_ptcp_new(struct sl_ptcp **tp, struct sl_peer *p, struct sl_loop *loop,
		const struct sockaddr_storage *ss, socklen_t slen, char *err, size_t errlen)
{
	struct sl_ptcp *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->p = p;
	t->loop = loop;
	t->ss = *ss;
	t->slen = slen;
	t->lfd = -1;
	for (unsigned i = 0; i < MAX_CONNS; i++)
		t->conns[i].fd = -1;
	int rc = sl_ptcp_listen(t, 1, err, errlen);
	if (rc < 0) {
		free(t);
		return rc;
	}
	*tp = t;
	return 0;
}

void sl_ptcp_free(struct sl_ptcp *t)
{
	if (!t)
		return;
	char err[16];
	sl_ptcp_listen(t, 0, err, sizeof(err));
	for (unsigned i = 0; i < MAX_CONNS; i++)
		if (t->conns[i].id)
			conn_close(&t->conns[i], 0);
	free(t);
}

int sl_ptcp_send(struct sl_ptcp *t, unsigned conn, const void *data, size_t len,
		 unsigned long long *off)
{
	struct conn *c = find(t, conn);
	if (!c || c->closing)
		return -ENOTCONN;
	char *o = realloc(c->out, c->out_len + len);
	if (!o)
		return -ENOMEM;
	c->out = o;
	memcpy(c->out + c->out_len, data, len);
	c->out_len += len;
	*off = c->tx_off;
	c->tx_off += len;
	flush_out(c);
	return 0;
}

int sl_ptcp_end(struct sl_ptcp *t, unsigned conn, int reset)
{
	struct conn *c = find(t, conn);
	if (!c)
		return -ENOTCONN;
	if (reset || !c->out_len)
		conn_close(c, reset);
	else
		c->closing = 1;
	return 0;
}

const char *sl_ptcp_remote(const struct sl_ptcp *t, unsigned conn)
{
	for (unsigned i = 0; i < MAX_CONNS; i++)
		if (t->conns[i].id == conn && conn)
			return t->conns[i].remote;
	return "?";
}
