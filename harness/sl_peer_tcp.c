/* sl_peer_tcp.c: the peer's TCP and TLS side: listener, connections (accepted, and made
 * to deliver a response when the request's connection is gone), TLS over sl_tls,
 * Content-Length framing (several messages per read or record, one message over several
 * reads or records), stream offsets of what each message travelled in. */
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
#include "sl_peer.h"
#include "sl_peer_int.h"
#include "sl_sipmsg.h"
#include "sl_tls.h"

#define MAX_CONNS 256
#define RX_MAX (SL_SIPMSG_MAX_LEN + 4096)

/* TLS: plaintext from offset plain on came in the record at stream offset rec. */
struct recmap {
	unsigned long long plain, rec;
};

/* A message written before the TLS handshake of a connection we opened is done. */
struct pend {
	char *data;
	size_t len;
};

struct conn {
	unsigned id;            /* 0: free slot */
	int fd;
	struct sl_ptcp *t;
	char remote[SL_ADDRSTRLEN], local[SL_ADDRSTRLEN];
	char *in;               /* bytes (plaintext for TLS) not yet framed */
	size_t in_len;
	unsigned long long rx_off;  /* offset of in[0] (plaintext offset for TLS) */
	char *out;              /* bytes not yet written */
	size_t out_len;
	unsigned long long tx_off;  /* bytes queued so far, as they go on the wire */
	int closing;            /* close once out is written */
	int connecting;         /* connect() in progress (connections we open) */
	int outgoing;           /* we opened it (a response to a Via sent-by) */
	unsigned nmsg;          /* SIP messages the SUT sent on it */
	struct sl_tls_conn *tls;
	int established_noted;
	struct recmap *map;
	size_t nmap, mapcap;
	struct pend *pend;
	size_t npend;
};

struct sl_ptcp {
	struct sl_peer *p;
	struct sl_loop *loop;
	struct sockaddr_storage ss;
	socklen_t slen;
	int lfd;
	unsigned next_id;
	int is_tls;
	struct sl_tls_id *id;   /* server identity (TLS) */
	struct sl_tls *tls;     /* for connections we open */
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
	if (c->npend) {
		char text[512];
		snprintf(text, sizeof(text), "peer %s: %zu response(s) to %s never went out: the "
			 "connection ended before its TLS handshake did", sl_peer_spec(c->t->p),
			 c->npend, c->remote);
		sl_peer_note(c->t->p, text);
	}
	sl_loop_fd_del(c->t->loop, c->fd);
	close(c->fd);
	sl_tls_conn_free(c->tls);
	for (size_t i = 0; i < c->npend; i++)
		free(c->pend[i].data);
	free(c->pend);
	free(c->map);
	free(c->in);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static void flush_out(struct conn *c)
{
	while (c->out_len && !c->connecting) {
		ssize_t n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			char text[512];
			snprintf(text, sizeof(text), "peer %s: write to %s failed: %s",
				 sl_peer_spec(c->t->p), c->remote, strerror(errno));
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
	sl_loop_fd_mod(c->t->loop, c->fd, c->connecting ? SL_EV_OUT :
		       SL_EV_IN | (c->out_len ? SL_EV_OUT : 0));
}

/* Appends bytes as they go on the wire. */
static int queue_raw(struct conn *c, const void *data, size_t len)
{
	char *o = realloc(c->out, c->out_len + len + 1);
	if (!o)
		return -ENOMEM;
	c->out = o;
	memcpy(c->out + c->out_len, data, len);
	c->out_len += len;
	c->tx_off += len;
	return 0;
}

/* Moves what TLS has to send into the output queue. */
static void drain_tls(struct conn *c)
{
	char buf[16384];
	size_t n;
	while (c->tls && (n = sl_tls_conn_take(c->tls, buf, sizeof(buf))) > 0)
		if (queue_raw(c, buf, n) < 0)
			break;
}

/* The stream offset a message starting at plaintext offset plain travelled at: the
 * offset itself for TCP, the offset of the record that carried that byte for TLS. */
static unsigned long long wire_off(const struct conn *c, unsigned long long plain)
{
	if (!c->tls)
		return plain;
	unsigned long long rec = 0;
	for (size_t i = 0; i < c->nmap && c->map[i].plain <= plain; i++)
		rec = c->map[i].rec;
	return rec;
}

static void map_add(struct conn *c, unsigned long long plain, unsigned long long rec)
{
	if (c->nmap && c->map[c->nmap - 1].rec == rec)
		return;
	if (c->nmap == c->mapcap) {
		size_t cap = c->mapcap ? c->mapcap * 2 : 8;
		struct recmap *m = realloc(c->map, cap * sizeof(*m));
		if (!m)
			return;
		c->map = m;
		c->mapcap = cap;
	}
	c->map[c->nmap++] = (struct recmap){ plain, rec };
}

/* Forgets records whose plaintext has all been framed (the last one may go on). */
static void map_trim(struct conn *c)
{
	size_t k = 0;
	while (k + 1 < c->nmap && c->map[k + 1].plain <= c->rx_off)
		k++;
	/* Nothing to drop (and no map yet on a plain TCP connection): memmove(NULL) is UB. */
	if (!k)
		return;
	memmove(c->map, c->map + k, (c->nmap - k) * sizeof(*c->map));
	c->nmap -= k;
}

/* Hands every complete message in c->in to the core; keeps the rest. Returns -1 when
 * the connection is gone. */
static int frame_all(struct conn *c)
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
					  wire_off(c, c->rx_off + used), "unframeable stream (bad or "
					  "missing Content-Length); connection closed");
			conn_close(c, 0);
			return -1;
		}
		struct sl_route r = { .conn = id };
		c->nmsg++;
		sl_peer_input(t->p, &r, c->in + used, (size_t)n, wire_off(c, c->rx_off + used));
		/* The plan may have closed this connection meanwhile. */
		if (c->id != id)
			return -1;
		used += (size_t)n;
	}
	memmove(c->in, c->in + used, c->in_len - used);
	c->in_len -= used;
	c->rx_off += used;
	map_trim(c);
	return 0;
}

/* A connection the SUT opened and let go without a request was still a try of this
 * server (a certificate it refused, a connect it gave up): say so for the checks. */
static void mark_unused(struct conn *c)
{
	if (!c->outgoing && !c->nmsg)
		sl_peer_mark_conn_failed(c->t->p);
}

static void note_end(struct conn *c, const char *how)
{
	char text[512];
	snprintf(text, sizeof(text), "peer %s: %s %s", sl_peer_spec(c->t->p), c->remote, how);
	sl_peer_note_seg(c->t->p, c->remote, text, 1, wire_off(c, c->rx_off));
	mark_unused(c);
	if (c->in_len)
		sl_peer_malformed(c->t->p, c->remote, c->in, c->in_len, wire_off(c, c->rx_off),
				  "incomplete message at the end of the stream");
}

/* Messages written before our own handshake ended go out now, logged with their
 * record's offset. */
static void flush_pending(struct conn *c)
{
	unsigned id = c->id;
	while (c->npend && c->id == id) {
		struct pend pd = c->pend[0];
		memmove(c->pend, c->pend + 1, (c->npend - 1) * sizeof(*c->pend));
		c->npend--;
		drain_tls(c);
		unsigned long long off = c->tx_off;
		if (sl_tls_conn_write(c->tls, pd.data, pd.len) == 0) {
			drain_tls(c);
			sl_peer_sent(c->t->p, id, pd.data, pd.len, off);
		}
		free(pd.data);
	}
}

/* TLS: decrypt what came, frame it, send what TLS wants sent. */
static void tls_input(struct conn *c)
{
	struct sl_ptcp *t = c->t;
	unsigned id = c->id;
	char text[600];
	for (;;) {
		if (c->in_len == RX_MAX) {
			sl_peer_malformed(t->p, c->remote, c->in, c->in_len, wire_off(c, c->rx_off),
					  "message over 64 KiB; connection closed");
			conn_close(c, 0);
			return;
		}
		unsigned long long rec;
		ssize_t n = sl_tls_conn_read(c->tls, c->in + c->in_len, RX_MAX - c->in_len, &rec);
		if (!c->established_noted && sl_tls_conn_established(c->tls)) {
			char d[200];
			c->established_noted = 1;
			sl_tls_conn_describe(c->tls, d, sizeof(d));
			snprintf(text, sizeof(text), "peer %s: TLS handshake with %s done (%s)",
				 sl_peer_spec(t->p), c->remote, d);
			sl_peer_note(t->p, text);
			drain_tls(c);
			flush_pending(c);
			if (c->id != id)
				return;
		}
		if (n > 0) {
			map_add(c, c->rx_off + c->in_len, rec);
			c->in_len += (size_t)n;
			if (frame_all(c) < 0)
				return;
			continue;
		}
		if (n == -EPIPE) {
			note_end(c, "closed the TLS session (close_notify)");
			/* Answer in kind, then FIN. */
			sl_tls_conn_shutdown(c->tls);
			drain_tls(c);
			c->closing = 1;
		} else if (n < 0) {
			int hs = !c->established_noted;
			unsigned long long roff = sl_tls_conn_record_off(c->tls);
			unsigned long long toff = c->tx_off;
			snprintf(text, sizeof(text), "peer %s: TLS %s with %s failed: %s",
				 sl_peer_spec(t->p), hs ? "handshake" : "session", c->remote,
				 sl_tls_conn_error(c->tls));
			drain_tls(c);
			/* Our alert if we sent one, else the record the failure came from. */
			if (c->tx_off > toff)
				sl_peer_note_seg(t->p, c->remote, text, 0, toff);
			else
				sl_peer_note_seg(t->p, c->remote, text, 1, roff);
			mark_unused(c);
			c->closing = 1;
		}
		break;
	}
	drain_tls(c);
	flush_out(c);
}

static void on_connected(struct conn *c)
{
	int e = 0;
	socklen_t l = sizeof(e);
	getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &l);
	if (e) {
		char text[512];
		snprintf(text, sizeof(text), "peer %s: connect to %s failed: %s",
			 sl_peer_spec(c->t->p), c->remote, strerror(e));
		sl_peer_note(c->t->p, text);
		conn_close(c, 0);
		return;
	}
	c->connecting = 0;
	if (c->tls)
		tls_input(c);   /* the ClientHello */
	else
		flush_out(c);
}

static void on_conn(int fd, unsigned ev, void *arg)
{
	struct conn *c = arg;
	if (c->connecting) {
		if (ev & (SL_EV_OUT | SL_EV_ERR))
			on_connected(c);
		return;
	}
	if (ev & SL_EV_OUT) {
		flush_out(c);
		if (c->fd != fd)
			return;
	}
	if (!(ev & (SL_EV_IN | SL_EV_ERR)))
		return;
	if (c->tls) {
		static char buf[65536];
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			note_end(c, n < 0 ? "broke the connection" : "closed the connection");
			conn_close(c, 0);
			return;
		}
		if (sl_tls_conn_feed(c->tls, buf, (size_t)n) < 0) {
			conn_close(c, 0);
			return;
		}
		tls_input(c);
		return;
	}
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
		char how[200];
		snprintf(how, sizeof(how), "closed the connection%s%s%s", n < 0 ? " (" : "",
			 n < 0 ? strerror(errno) : "", n < 0 ? ")" : "");
		note_end(c, how);
		conn_close(c, 0);
		return;
	}
	c->in_len += (size_t)n;
	frame_all(c);
}

static struct conn *conn_slot(struct sl_ptcp *t, int fd, const struct sockaddr_storage *ss)
{
	struct conn *c = NULL;
	for (unsigned i = 0; i < MAX_CONNS && !c; i++)
		if (!t->conns[i].id)
			c = &t->conns[i];
	if (!c || !(c->in = malloc(RX_MAX)))
		return NULL;
	c->id = ++t->next_id;
	c->fd = fd;
	c->t = t;
	sl_addr_fmt((const void *)ss, c->remote, sizeof(c->remote));
	struct sockaddr_storage me;
	socklen_t ml = sizeof(me);
	if (getsockname(fd, (void *)&me, &ml) == 0)
		sl_addr_fmt((const void *)&me, c->local, sizeof(c->local));
	else
		sl_addr_fmt((const void *)&t->ss, c->local, sizeof(c->local));
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return c;
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
	struct conn *c = conn_slot(t, cfd, &ss);
	if (!c) {
		char why[160];
		snprintf(why, sizeof(why), "the SUT holds more than %d TCP connections to this "
			 "peer open at once (a connection leak or flood); one was refused",
			 MAX_CONNS);
		sl_peer_abort(t->p, why);
		close(cfd);
		return;
	}
	if (t->is_tls && (!t->id || sl_tls_conn_server(&c->tls, t->id) < 0)) {
		char text[512];
		snprintf(text, sizeof(text), "peer %s: connection from %s closed: %s",
			 sl_peer_spec(t->p), c->remote, t->id ? "out of memory" :
			 "no certificate yet (the world has not started)");
		sl_peer_note(t->p, text);
		conn_close(c, 0);
		return;
	}
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
	snprintf(err, errlen, "peer %s/%s: %s", a, t->is_tls ? "tls" : "tcp", strerror(errno));
	if (t->lfd >= 0)
		close(t->lfd);
	t->lfd = -1;
	return rc;
}

int sl_ptcp_new(struct sl_ptcp **tp, struct sl_peer *p, struct sl_loop *loop,
		const struct sockaddr_storage *ss, socklen_t slen, int tls, char *err,
		size_t errlen)
{
	struct sl_ptcp *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->p = p;
	t->loop = loop;
	t->ss = *ss;
	t->slen = slen;
	t->lfd = -1;
	t->is_tls = tls;
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

void sl_ptcp_set_tls(struct sl_ptcp *t, struct sl_tls_id *id, struct sl_tls *tls)
{
	t->id = id;
	t->tls = tls;
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
	if (c->tls && !sl_tls_conn_established(c->tls)) {
		/* Only a connection we opened can be written before its handshake ends. */
		struct pend *pd = realloc(c->pend, (c->npend + 1) * sizeof(*pd));
		if (!pd)
			return -ENOMEM;
		c->pend = pd;
		pd[c->npend].data = malloc(len ? len : 1);
		if (!pd[c->npend].data)
			return -ENOMEM;
		memcpy(pd[c->npend].data, data, len);
		pd[c->npend++].len = len;
		return 1;
	}
	int rc;
	if (c->tls) {
		drain_tls(c);
		*off = c->tx_off;
		rc = sl_tls_conn_write(c->tls, data, len);
		drain_tls(c);
	} else {
		*off = c->tx_off;
		rc = queue_raw(c, data, len);
	}
	if (rc < 0)
		return rc;
	flush_out(c);
	return 0;
}

int sl_ptcp_connect(struct sl_ptcp *t, const struct sockaddr_storage *to, socklen_t tolen,
		    int tls, unsigned *conn, char *err, size_t errlen)
{
	if (tls && !t->tls) {
		snprintf(err, errlen, "no TLS context for connections of our own");
		return -ENOTSUP;
	}
	int fd = socket(to->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -errno;
	}
	/* From the peer's own address, so the capture shows who answers. */
	struct sockaddr_storage me = t->ss;
	if (me.ss_family == AF_INET)
		((struct sockaddr_in *)&me)->sin_port = 0;
	else
		((struct sockaddr_in6 *)&me)->sin6_port = 0;
	int rc = 0;
	struct conn *c = NULL;
	if (me.ss_family != to->ss_family || bind(fd, (void *)&me, t->slen) < 0) {
		rc = me.ss_family != to->ss_family ? -EAFNOSUPPORT : -errno;
		snprintf(err, errlen, "bind to the peer's address: %s", strerror(-rc));
		goto fail;
	}
	if (connect(fd, (const void *)to, tolen) < 0 && errno != EINPROGRESS) {
		rc = -errno;
		snprintf(err, errlen, "connect: %s", strerror(errno));
		goto fail;
	}
	c = conn_slot(t, fd, to);
	if (!c) {
		rc = -ENOMEM;
		snprintf(err, errlen, "too many connections");
		goto fail;
	}
	c->connecting = 1;
	c->outgoing = 1;
	if (tls && sl_tls_conn_client(&c->tls, t->tls) < 0) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		conn_close(c, 0);
		return rc;
	}
	rc = sl_loop_fd_add(t->loop, fd, SL_EV_OUT, on_conn, c);
	if (rc < 0) {
		snprintf(err, errlen, "%s", strerror(-rc));
		conn_close(c, 0);
		return rc;
	}
	*conn = c->id;
	return 0;
fail:
	close(fd);
	return rc;
}

int sl_ptcp_end(struct sl_ptcp *t, unsigned conn, int reset)
{
	struct conn *c = find(t, conn);
	if (!c)
		return -ENOTCONN;
	if (c->tls && !reset) {
		/* A TLS server that hangs up says so first. */
		sl_tls_conn_shutdown(c->tls);
		drain_tls(c);
	}
	if (reset || !c->out_len)
		conn_close(c, reset);
	else {
		c->closing = 1;
		flush_out(c);
	}
	return 0;
}

const char *sl_ptcp_local(const struct sl_ptcp *t, unsigned conn)
{
	for (unsigned i = 0; i < MAX_CONNS; i++)
		if (t->conns[i].id == conn && conn)
			return t->conns[i].local;
	return "?";
}

const char *sl_ptcp_remote(const struct sl_ptcp *t, unsigned conn)
{
	for (unsigned i = 0; i < MAX_CONNS; i++)
		if (t->conns[i].id == conn && conn)
			return t->conns[i].remote;
	return "?";
}
