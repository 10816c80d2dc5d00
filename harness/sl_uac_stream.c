/* sl_uac_stream.c: the harness UAC's TCP/TLS connection (see sl_uac_stream.h): connect,
 * TLS client over sl_tls, output queue with the stream offsets of what went out, framing
 * of what came in (TLS: with the record each piece travelled in), the corked farewell. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sl_addr.h"
#include "sl_loop.h"
#include "sl_sipmsg.h"
#include "sl_tls.h"
#include "sl_uac_stream.h"

#define RX_MAX (SL_SIPMSG_MAX_LEN + 4096)
#define MAX_PEND 64

enum state { S_CONNECTING, S_UP, S_LEFT, S_CLOSED };

/* TLS: plaintext from offset plain on came in the record at stream offset rec. */
struct recmap {
	unsigned long long plain, rec;
};

struct sl_ustream {
	struct sl_loop *loop;
	struct sl_ustream_ops ops;
	int fd;
	enum state st;
	char local[SL_ADDRSTRLEN], remote[SL_ADDRSTRLEN];
	struct sl_tls_conn *tls;
	int established;
	char *pend[MAX_PEND];        /* messages waiting for the connection (and handshake) */
	size_t pend_len[MAX_PEND], npend;
	int leave_after;             /* the client leaves once the queue is out */
	char *out;                   /* bytes for the socket, not yet written */
	size_t out_len;
	unsigned long long tx_off;   /* bytes queued for the socket so far */
	char *in;                    /* bytes (TLS: plaintext) not yet framed */
	size_t in_len;
	unsigned long long rx_off;   /* offset of in[0] */
	struct recmap map[64];
	size_t nmap;
};

static void note(struct sl_ustream *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note(struct sl_ustream *s, const char *fmt, ...)
{
	char text[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	s->ops.note(s->ops.arg, s, text);
}

static void shut(struct sl_ustream *s, int reset)
{
	if (s->fd < 0)
		return;
	if (reset) {
		struct linger lg = { 1, 0 };
		setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	sl_loop_fd_del(s->loop, s->fd);
	close(s->fd);
	s->fd = -1;
	s->st = S_CLOSED;
}

static int queue_raw(struct sl_ustream *s, const void *data, size_t len)
{
	char *o = realloc(s->out, s->out_len + len + 1);
	if (!o)
		return -ENOMEM;
	s->out = o;
	memcpy(s->out + s->out_len, data, len);
	s->out_len += len;
	s->tx_off += len;
	return 0;
}

static void drain_tls(struct sl_ustream *s)
{
	char buf[16384];
	size_t n;
	while (s->tls && (n = sl_tls_conn_take(s->tls, buf, sizeof(buf))) > 0)
		if (queue_raw(s, buf, n) < 0)
			break;
}

static void flush_out(struct sl_ustream *s)
{
	while (s->out_len && s->fd >= 0) {
		ssize_t n = send(s->fd, s->out, s->out_len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			note(s, "write to %s failed: %s", s->remote, strerror(errno));
			shut(s, 0);
			return;
		}
		memmove(s->out, s->out + n, s->out_len - (size_t)n);
		s->out_len -= (size_t)n;
	}
	if (s->fd < 0)
		return;
	if (!s->out_len && s->leave_after && s->st == S_UP && !s->npend) {
		/* The FIN rides the last segment (corked): the request and its end arrive
		 * together. The socket stays readable, to see what a server still sends. */
		shutdown(s->fd, SHUT_WR);
		s->st = S_LEFT;
		note(s, "left: %s sent its FIN right after its last message", s->local);
	}
	sl_loop_fd_mod(s->loop, s->fd, s->st == S_CONNECTING ? SL_EV_OUT :
		       SL_EV_IN | (s->out_len ? SL_EV_OUT : 0));
}

/* Writes the queued messages once the connection (and TLS) is up. */
static void flush_pending(struct sl_ustream *s)
{
	if (s->st != S_UP || (s->tls && !s->established))
		return;
	if (s->leave_after && s->npend) {
		int one = 1;
		setsockopt(s->fd, IPPROTO_TCP, TCP_CORK, &one, sizeof(one));
	}
	while (s->npend) {
		char *m = s->pend[0];
		size_t len = s->pend_len[0];
		memmove(s->pend, s->pend + 1, (s->npend - 1) * sizeof(*s->pend));
		memmove(s->pend_len, s->pend_len + 1, (s->npend - 1) * sizeof(*s->pend_len));
		s->npend--;
		unsigned long long off;
		int rc;
		if (s->tls) {
			drain_tls(s);
			off = s->tx_off;
			rc = sl_tls_conn_write(s->tls, m, len);
			drain_tls(s);
		} else {
			off = s->tx_off;
			rc = queue_raw(s, m, len);
		}
		if (rc == 0)
			s->ops.sent(s->ops.arg, s, m, len, off);
		else
			note(s, "a message to %s could not be written: %s", s->remote, strerror(-rc));
		free(m);
	}
	if (s->leave_after && s->tls) {
		sl_tls_conn_shutdown(s->tls);
		drain_tls(s);
	}
	flush_out(s);
}

static unsigned long long wire_off(const struct sl_ustream *s, unsigned long long plain)
{
	if (!s->tls)
		return plain;
	unsigned long long rec = 0;
	for (size_t i = 0; i < s->nmap && s->map[i].plain <= plain; i++)
		rec = s->map[i].rec;
	return rec;
}

static void map_add(struct sl_ustream *s, unsigned long long plain, unsigned long long rec)
{
	if (s->nmap && s->map[s->nmap - 1].rec == rec)
		return;
	if (s->nmap == sizeof(s->map) / sizeof(s->map[0])) {
		/* Keep the newest: what is still unframed starts in a recent record. */
		memmove(s->map, s->map + 1, (s->nmap - 1) * sizeof(*s->map));
		s->nmap--;
	}
	s->map[s->nmap++] = (struct recmap){ plain, rec };
}

/* Every whole message in `in` to the owner. -1 when the stream cannot be framed. */
static int frame_all(struct sl_ustream *s)
{
	size_t used = 0;
	int gone = s->st == S_LEFT;
	while (used < s->in_len) {
		used += sl_sipmsg_skip_crlf(s->in + used, s->in_len - used);
		if (used == s->in_len)
			break;
		ssize_t n = sl_sipmsg_frame(s->in + used, s->in_len - used);
		if (n == 0)
			break;
		if (n < 0) {
			s->ops.received(s->ops.arg, s, s->in + used, s->in_len - used,
					wire_off(s, s->rx_off + used), gone, "unframeable stream (bad "
					"or missing Content-Length); connection closed");
			return -1;
		}
		s->ops.received(s->ops.arg, s, s->in + used, (size_t)n,
				wire_off(s, s->rx_off + used), gone, NULL);
		used += (size_t)n;
	}
	memmove(s->in, s->in + used, s->in_len - used);
	s->in_len -= used;
	s->rx_off += used;
	return 0;
}

static void tls_input(struct sl_ustream *s)
{
	for (;;) {
		if (s->in_len == RX_MAX) {
			note(s, "message from %s over 64 KiB: connection closed", s->remote);
			shut(s, 0);
			return;
		}
		unsigned long long rec;
		ssize_t n = sl_tls_conn_read(s->tls, s->in + s->in_len, RX_MAX - s->in_len, &rec);
		if (!s->established && sl_tls_conn_established(s->tls)) {
			char d[200];
			s->established = 1;
			sl_tls_conn_describe(s->tls, d, sizeof(d));
			note(s, "TLS handshake with %s done (%s)", s->remote, d);
			drain_tls(s);
			flush_pending(s);
			if (s->fd < 0)
				return;
		}
		if (n > 0) {
			map_add(s, s->rx_off + s->in_len, rec);
			s->in_len += (size_t)n;
			if (frame_all(s) < 0) {
				shut(s, 0);
				return;
			}
			continue;
		}
		if (n == -EPIPE) {
			note(s, "%s closed the TLS session (close_notify)", s->remote);
		} else if (n < 0) {
			note(s, "TLS %s with %s failed: %s", s->established ? "session" : "handshake",
			     s->remote, sl_tls_conn_error(s->tls));
			drain_tls(s);
			flush_out(s);
			shut(s, 0);
			return;
		}
		break;
	}
	drain_tls(s);
	flush_out(s);
}

static void on_io(int fd, unsigned ev, void *arg)
{
	struct sl_ustream *s = arg;
	if (s->st == S_CONNECTING) {
		int e = 0;
		socklen_t l = sizeof(e);
		if (!(ev & (SL_EV_OUT | SL_EV_ERR)))
			return;
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l);
		if (e) {
			note(s, "connect to %s failed: %s", s->remote, strerror(e));
			shut(s, 0);
			return;
		}
		s->st = S_UP;
		note(s, "connected to %s from %s", s->remote, s->local);
		if (s->tls)
			tls_input(s); /* the ClientHello */
		else
			flush_pending(s);
		return;
	}
	if (ev & SL_EV_OUT) {
		flush_out(s);
		if (s->fd != fd)
			return;
	}
	if (!(ev & (SL_EV_IN | SL_EV_ERR)))
		return;
	static char buf[65536];
	ssize_t n;
	if (s->tls)
		n = recv(fd, buf, sizeof(buf), 0);
	else
		n = recv(fd, s->in + s->in_len, RX_MAX - s->in_len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (s->in_len)
			s->ops.received(s->ops.arg, s, s->in, s->in_len, wire_off(s, s->rx_off),
					s->st == S_LEFT, "incomplete message at the end of the stream");
		note(s, "%s %s the connection%s%s", s->remote, n < 0 ? "broke" : "closed",
		     n < 0 ? ": " : "", n < 0 ? strerror(errno) : "");
		shut(s, 0);
		return;
	}
	int left = s->st == S_LEFT;
	if (s->tls) {
		if (sl_tls_conn_feed(s->tls, buf, (size_t)n) < 0) {
			shut(s, 0);
			return;
		}
		tls_input(s);
	} else {
		s->in_len += (size_t)n;
		if (frame_all(s) < 0)
			shut(s, 0);
	}
	if (left && s->fd >= 0 && s->in_len == 0) {
		/* Data for a client that is gone: its host answers with a reset. */
		note(s, "%s is gone: connection from %s reset", s->local, s->remote);
		shut(s, 1);
	}
}

int sl_ustream_open(struct sl_ustream **sp, struct sl_loop *loop, struct sl_tls *tls,
		    const struct sockaddr_storage *from, const struct sockaddr_storage *to,
		    socklen_t tolen, const struct sl_ustream_ops *ops, char *err, size_t errlen)
{
	struct sl_ustream *s = calloc(1, sizeof(*s));
	if (!s || !(s->in = malloc(RX_MAX))) {
		free(s);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->loop = loop;
	s->ops = *ops;
	s->fd = -1;
	sl_addr_fmt((const void *)to, s->remote, sizeof(s->remote));
	int rc = 0;
	struct sockaddr_storage me = *from;
	socklen_t mlen = me.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
						    sizeof(struct sockaddr_in);
	if (me.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&me)->sin6_port = 0;
	else
		((struct sockaddr_in *)&me)->sin_port = 0;
	if (tls && (rc = sl_tls_conn_client(&s->tls, tls)) < 0) {
		snprintf(err, errlen, "TLS: out of memory");
		goto fail;
	}
	s->fd = socket(to->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || bind(s->fd, (void *)&me, mlen) < 0 ||
	    (connect(s->fd, (const void *)to, tolen) < 0 && errno != EINPROGRESS)) {
		rc = -errno;
		snprintf(err, errlen, "connect to %s: %s", s->remote, strerror(errno));
		goto fail;
	}
	int one = 1;
	setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	struct sockaddr_storage la;
	socklen_t ll = sizeof(la);
	if (getsockname(s->fd, (void *)&la, &ll) == 0)
		sl_addr_fmt((void *)&la, s->local, sizeof(s->local));
	rc = sl_loop_fd_add(loop, s->fd, SL_EV_OUT, on_io, s);
	if (rc < 0) {
		snprintf(err, errlen, "cannot watch the connection: %s", strerror(-rc));
		goto fail;
	}
	s->st = S_CONNECTING;
	*sp = s;
	return 0;
fail:
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	sl_ustream_free(s);
	return rc ? rc : -EIO;
}

void sl_ustream_free(struct sl_ustream *s)
{
	if (!s)
		return;
	shut(s, 0);
	sl_tls_conn_free(s->tls);
	for (size_t i = 0; i < s->npend; i++)
		free(s->pend[i]);
	free(s->out);
	free(s->in);
	free(s);
}

int sl_ustream_send(struct sl_ustream *s, const char *data, size_t len, int leave)
{
	if (!sl_ustream_usable(s))
		return -ENOTCONN;
	if (s->npend == MAX_PEND)
		return -ENOMEM;
	char *m = malloc(len ? len : 1);
	if (!m)
		return -ENOMEM;
	memcpy(m, data, len);
	s->pend[s->npend] = m;
	s->pend_len[s->npend++] = len;
	if (leave)
		s->leave_after = 1;
	flush_pending(s);
	return 0;
}

int sl_ustream_usable(const struct sl_ustream *s)
{
	return s && !s->leave_after && (s->st == S_CONNECTING || s->st == S_UP);
}

const char *sl_ustream_local(const struct sl_ustream *s)
{
	return s->local[0] ? s->local : "?";
}

const char *sl_ustream_remote(const struct sl_ustream *s)
{
	return s->remote;
}

const char *sl_ustream_transport(const struct sl_ustream *s)
{
	return s->tls ? "tls" : "tcp";
}
