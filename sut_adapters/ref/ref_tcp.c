/* ref_tcp.c: the connection manager behind ref_tcp.h: non-blocking connect, the TLS
 * handshake through ref_tls, output queues, Content-Length framing of the input. */
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ref_tcp.h"

#define BODY_MAX 65536
#define HDR_MAX  8192
#define RX_MAX   (BODY_MAX + HDR_MAX)

enum cstate { C_CONNECTING, C_HANDSHAKE, C_UP, C_DEAD };

struct ref_conn {
	LIST_ENTRY(ref_conn) link;
	struct ref_tcp *t;
	struct ref_target dst;
	char dst_str[REF_ADDRSTRLEN + 8];
	char name[256];         /* TLS identity to prove ("" for TCP) */
	enum cstate state;
	int fd;
	struct ref_io io;
	uint16_t lport;
	struct ref_tls_sess *tls;
	uint32_t tls_want;      /* readiness the TLS layer waits for (0: none) */
	char *out;
	size_t out_len, out_cap;
	char *in;
	size_t in_len;
	int refs;
	bool inbound;           /* accepted (ref_tcp_adopt), not opened by ref */
	uint64_t tx_queued, tx_sent; /* bytes given to ref_conn_send / written out */
	int pending_err;        /* a failure seen outside the loop, reported from the timer */
	char pending_why[160];
	struct ref_timer timer; /* 0 ms: reports pending_err, frees an unused connection */
};

struct ref_tcp {
	struct ref_loop *loop;
	const struct ref_log *log;
	struct sockaddr_storage local4, local6;
	socklen_t local4_len, local6_len; /* 0: no local address of that family */
	struct ref_tls *tls;
	struct ref_tcp_ops ops;
	LIST_HEAD(, ref_conn) conns;
};

static void conn_free(struct ref_conn *c)
{
	ref_timer_stop(c->t->loop, &c->timer);
	LIST_REMOVE(c, link);
	if (c->io.fd >= 0)
		ref_loop_del(c->t->loop, &c->io);
	if (c->fd >= 0)
		close(c->fd);
	ref_tls_sess_free(c->tls);
	free(c->out);
	free(c->in);
	free(c);
}

static void arm(struct ref_conn *c)
{
	ref_timer_start(c->t->loop, &c->timer, 0);
}

/* Marks c dead, closes its socket and tells the owner, once. */
static void fail(struct ref_conn *c, int err, const char *why)
{
	const struct ref_tcp_ops *ops = &c->t->ops;

	if (c->state == C_DEAD)
		return;
	ref_logf(c->t->log, "%s %s down: %s", ref_tp_name(c->dst.tp), c->dst_str, why);
	c->state = C_DEAD;
	ref_loop_del(c->t->loop, &c->io);
	close(c->fd);
	c->fd = -1;
	c->out_len = 0;
	/* A holder may release c from inside down(); the timer frees it afterwards. */
	c->refs++;
	ops->down(ops->arg, c, err, why);
	ref_conn_release(c);
}

static void fail_errno(struct ref_conn *c, int err, const char *what)
{
	char why[200];

	snprintf(why, sizeof(why), "%s: %s", what, strerror(-err));
	fail(c, err, why);
}

static void set_events(struct ref_conn *c)
{
	uint32_t ev = EPOLLIN;

	if (c->state == C_CONNECTING)
		ev |= EPOLLOUT;
	else if (c->state == C_HANDSHAKE)
		ev = c->tls_want ? c->tls_want : EPOLLIN;
	else if (c->out_len || c->tls_want == EPOLLOUT)
		ev |= EPOLLOUT;
	ref_loop_mod(c->t->loop, &c->io, ev);
}

/* Content-Length of a header block (name case-insensitive, compact "l"); -1 if absent. */
static long content_length(const char *h, size_t len)
{
	const char *p = h, *end = h + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *le = eol ? eol : end, *colon = memchr(p, ':', (size_t)(le - p));

		if (colon && *p != ' ' && *p != '\t') {
			const char *ne = colon;

			while (ne > p && (ne[-1] == ' ' || ne[-1] == '\t'))
				ne--;
			if (((size_t)(ne - p) == 14 && strncasecmp(p, "Content-Length", 14) == 0) ||
			    ((size_t)(ne - p) == 1 && (*p == 'l' || *p == 'L'))) {
				const char *v = colon + 1;
				long n = 0;

				while (v < le && (*v == ' ' || *v == '\t'))
					v++;
				if (v == le || !isdigit((unsigned char)*v))
					return -2;
				while (v < le && isdigit((unsigned char)*v) && n <= BODY_MAX)
					n = n * 10 + (*v++ - '0');
				return n;
			}
		}
		if (!eol)
			break;
		p = eol + 1;
	}
	return -1;
}

/* Hands every complete message in c->in to the owner; keeps the rest. */
static void frame(struct ref_conn *c)
{
	const struct ref_tcp_ops *ops = &c->t->ops;
	size_t used = 0;

	while (c->state == C_UP) {
		const char *m = c->in + used, *hend;
		size_t avail = c->in_len - used, hlen, total;
		long cl;
		char saved;

		/* RFC 5626 keep-alives and stray line ends between messages. */
		while (avail && (*m == '\r' || *m == '\n')) {
			m++;
			avail--;
			used++;
		}
		hend = avail >= 4 ? memmem(m, avail, "\r\n\r\n", 4) : NULL;
		if (!hend) {
			if (avail >= HDR_MAX)
				fail(c, -EPROTO, "no end of headers within 8 KiB: stream unframeable");
			break;
		}
		hlen = (size_t)(hend - m) + 4;
		cl = content_length(m, hlen);
		if (cl < 0 || cl > BODY_MAX) {
			/* RFC 3261 18.3: on a stream the length is the only message boundary. */
			fail(c, -EPROTO, cl == -1 ? "message without Content-Length on a stream "
				 "(RFC 3261 18.3)" : "bad Content-Length on a stream");
			break;
		}
		total = hlen + (size_t)cl;
		if (avail < total)
			break;
		saved = m[total];
		c->in[used + total] = '\0';
		ops->message(ops->arg, c, m, total);
		c->in[used + total] = saved;
		used += total;
	}
	if (c->state == C_DEAD)
		return;
	memmove(c->in, c->in + used, c->in_len - used);
	c->in_len -= used;
}

static void read_all(struct ref_conn *c)
{
	while (c->state == C_UP) {
		size_t room = RX_MAX - c->in_len;
		ssize_t n;

		if (room == 0) {
			fail(c, -EPROTO, "message over 64 KiB");
			return;
		}
		if (c->tls) {
			n = ref_tls_read(c->tls, c->in + c->in_len, room, &c->tls_want);
			if (n == -EAGAIN) {
				set_events(c);
				return;
			}
		} else {
			n = recv(c->fd, c->in + c->in_len, room, MSG_DONTWAIT);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				return;
			if (n < 0)
				n = -errno;
		}
		if (n == 0) {
			fail(c, -EPIPE, c->in_len ? "closed by the peer in the middle of a message"
				 : "closed by the peer");
			return;
		}
		if (n < 0) {
			fail_errno(c, (int)n, "read");
			return;
		}
		c->tls_want = 0;
		c->in_len += (size_t)n;
		frame(c);
	}
}

static void flush(struct ref_conn *c)
{
	while (c->state == C_UP && c->out_len) {
		ssize_t n;

		if (c->tls) {
			n = ref_tls_write(c->tls, c->out, c->out_len, &c->tls_want);
			if (n == -EAGAIN)
				break;
		} else {
			n = send(c->fd, c->out, c->out_len, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				break;
			if (n < 0)
				n = -errno;
		}
		if (n < 0) {
			fail_errno(c, (int)n, "write");
			return;
		}
		c->tls_want = 0;
		c->tx_sent += (uint64_t)n;
		memmove(c->out, c->out + n, c->out_len - (size_t)n);
		c->out_len -= (size_t)n;
	}
	if (c->state == C_UP)
		set_events(c);
}

static void went_up(struct ref_conn *c)
{
	c->state = C_UP;
	c->tls_want = 0;
	if (c->tls && c->inbound)
		ref_logf(c->t->log, "tls %s up (accepted)", c->dst_str);
	else if (c->tls)
		ref_logf(c->t->log, "tls %s up: certificate verified for %s", c->dst_str, c->name);
	else
		ref_logf(c->t->log, "tcp %s up (local port %u)", c->dst_str, c->lport);
	flush(c);
}

static void handshake(struct ref_conn *c)
{
	char why[300];
	int rc = ref_tls_handshake(c->tls, &c->tls_want, why, sizeof(why));

	if (rc < 0) {
		char msg[340];

		snprintf(msg, sizeof(msg), "TLS %s", why);
		fail(c, -EPROTO, msg);
		return;
	}
	if (rc == 1) {
		went_up(c);
		return;
	}
	set_events(c);
}

static void on_event(void *arg, uint32_t events)
{
	struct ref_conn *c = arg;

	if (c->state == C_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof(err);

		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err) {
			fail_errno(c, -err, "connect");
			return;
		}
		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		if (c->dst.tp == REF_TP_TLS) {
			int rc = ref_tls_sess_new(c->t->tls, c->fd, c->name, &c->tls);

			if (rc < 0) {
				fail_errno(c, rc, "TLS session");
				return;
			}
			ref_logf(c->t->log, "tls %s connected, handshake for %s", c->dst_str, c->name);
			c->state = C_HANDSHAKE;
			handshake(c);
			return;
		}
		went_up(c);
		return;
	}
	if (c->state == C_HANDSHAKE) {
		handshake(c);
		return;
	}
	if (c->state != C_UP)
		return;
	if (events & EPOLLOUT)
		flush(c);
	if (c->state == C_UP && (events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		read_all(c);
	/* OpenSSL may hold decrypted bytes that epoll will never announce. */
	while (c->state == C_UP && c->tls && ref_tls_pending(c->tls))
		read_all(c);
}

static void on_timer(void *arg)
{
	struct ref_conn *c = arg;

	if (c->pending_err) {
		int err = c->pending_err;

		c->pending_err = 0;
		c->refs++;
		fail(c, err, c->pending_why);
		c->refs--;
	}
	/* An idle live connection stays for reuse (RFC 3261 18); anything else goes. */
	if (c->refs == 0 && c->state != C_UP)
		conn_free(c);
}

void ref_conn_hold(struct ref_conn *c)
{
	c->refs++;
}

void ref_conn_release(struct ref_conn *c)
{
	if (!c)
		return;
	if (--c->refs == 0 && c->state != C_UP) {
		if (c->state != C_DEAD)
			ref_logf(c->t->log, "%s %s: no longer needed before it was up, closed",
				 ref_tp_name(c->dst.tp), c->dst_str);
		/* Dropping a hung connect (drop_syn) or a half-done handshake. */
		if (c->state != C_DEAD) {
			c->state = C_DEAD;
			ref_loop_del(c->t->loop, &c->io);
			close(c->fd);
			c->fd = -1;
		}
		arm(c);
	}
}

const struct ref_target *ref_conn_peer(const struct ref_conn *c)
{
	return &c->dst;
}

uint16_t ref_conn_local_port(const struct ref_conn *c)
{
	return c->lport;
}

bool ref_conn_up(const struct ref_conn *c)
{
	return c->state == C_UP;
}

int ref_conn_send(struct ref_conn *c, const void *buf, size_t len)
{
	if (c->state == C_DEAD)
		return -ENOTCONN;
	if (c->out_len + len > c->out_cap) {
		size_t cap = c->out_len + len + 4096;
		char *p = realloc(c->out, cap);

		if (!p)
			return -ENOMEM;
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, buf, len);
	c->out_len += len;
	c->tx_queued += len;
	/* Written from the loop: a write error is then reported like any other. */
	if (c->state == C_UP)
		set_events(c);
	return 0;
}

static struct ref_conn *find(struct ref_tcp *t, const struct ref_target *dst, const char *name)
{
	struct ref_conn *c;

	LIST_FOREACH(c, &t->conns, link) {
		if (c->state == C_DEAD || c->dst.tp != dst->tp ||
		    !ref_addr_equal((const void *)&c->dst.sa, (const void *)&dst->sa))
			continue;
		/* A TLS connection proved one name; another name needs its own proof. */
		if (dst->tp == REF_TP_TLS && strcasecmp(c->name, name) != 0)
			continue;
		return c;
	}
	return NULL;
}

int ref_tcp_open(struct ref_tcp *t, const struct ref_target *dst, const char *tls_name,
		 struct ref_conn **out)
{
	const struct sockaddr_storage *local;
	struct sockaddr_storage ss;
	socklen_t llen, slen = sizeof(ss);
	struct ref_conn *c;
	int one = 1, rc;

	*out = NULL;
	if (dst->tp != REF_TP_TCP && dst->tp != REF_TP_TLS)
		return -EPROTONOSUPPORT;
	if (dst->tp == REF_TP_TLS && !t->tls)
		return -EPROTONOSUPPORT;
	if (!tls_name)
		tls_name = "";
	c = find(t, dst, tls_name);
	if (c) {
		c->refs++;
		*out = c;
		return 0;
	}
	local = dst->sa.ss_family == AF_INET6 ? &t->local6 : &t->local4;
	llen = dst->sa.ss_family == AF_INET6 ? t->local6_len : t->local4_len;
	if (!llen)
		return -EAFNOSUPPORT;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->in = malloc(RX_MAX + 1);
	if (!c->in) {
		free(c);
		return -ENOMEM;
	}
	c->t = t;
	c->dst = *dst;
	c->fd = -1;
	c->io.fd = -1;
	c->refs = 1;
	ref_addr_str((const void *)&dst->sa, c->dst_str, sizeof(c->dst_str));
	snprintf(c->name, sizeof(c->name), "%s", tls_name);
	ref_timer_init(&c->timer, on_timer, c);
	LIST_INSERT_HEAD(&t->conns, c, link);
	c->fd = socket(dst->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		rc = -errno;
		conn_free(c);
		return rc;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	rc = 0;
	if (bind(c->fd, (const void *)local, llen) < 0 ||
	    (connect(c->fd, (const void *)&dst->sa, dst->salen) < 0 && errno != EINPROGRESS))
		rc = -errno;
	if (getsockname(c->fd, (void *)&ss, &slen) == 0)
		c->lport = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
							  : ((struct sockaddr_in *)&ss)->sin_port);
	if (rc == 0)
		rc = ref_loop_add(t->loop, &c->io, c->fd, EPOLLIN | EPOLLOUT, on_event, c);
	ref_logf(t->log, "%s connect to %s%s%s (local port %u)%s%s", ref_tp_name(dst->tp),
		 c->dst_str, dst->tp == REF_TP_TLS ? " for " : "",
		 dst->tp == REF_TP_TLS ? c->name : "", c->lport, rc ? ": " : "",
		 rc ? strerror(-rc) : "");
	if (rc < 0) {
		/* Told from the loop, like every other connection failure. */
		c->pending_err = rc;
		snprintf(c->pending_why, sizeof(c->pending_why), "connect: %s", strerror(-rc));
		arm(c);
	}
	*out = c;
	return 0;
}

uint64_t ref_conn_tx_queued(const struct ref_conn *c)
{
	return c->tx_queued;
}

uint64_t ref_conn_tx_sent(const struct ref_conn *c)
{
	return c->tx_sent;
}

int ref_tcp_adopt(struct ref_tcp *t, int fd, enum ref_tp tp, const struct sockaddr *peer,
		  socklen_t peerlen)
{
	struct sockaddr_storage ss;
	socklen_t slen = sizeof(ss);
	struct ref_conn *c;
	int one = 1, rc;

	if ((tp != REF_TP_TCP && tp != REF_TP_TLS) || peerlen > sizeof(c->dst.sa)) {
		close(fd);
		return -EPROTONOSUPPORT;
	}
	c = calloc(1, sizeof(*c));
	if (!c || !(c->in = malloc(RX_MAX + 1))) {
		free(c);
		close(fd);
		return -ENOMEM;
	}
	c->t = t;
	c->dst.tp = tp;
	memcpy(&c->dst.sa, peer, peerlen);
	c->dst.salen = peerlen;
	c->fd = fd;
	c->io.fd = -1;
	c->inbound = true;
	ref_addr_str(peer, c->dst_str, sizeof(c->dst_str));
	ref_timer_init(&c->timer, on_timer, c);
	LIST_INSERT_HEAD(&t->conns, c, link);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (getsockname(fd, (void *)&ss, &slen) == 0)
		c->lport = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
							  : ((struct sockaddr_in *)&ss)->sin_port);
	c->state = C_UP;
	if (tp == REF_TP_TLS) {
		rc = t->tls ? ref_tls_sess_accept(t->tls, fd, &c->tls) : -EPROTONOSUPPORT;
		if (rc < 0) {
			conn_free(c);
			return rc;
		}
		c->state = C_HANDSHAKE;
	}
	rc = ref_loop_add(t->loop, &c->io, fd, EPOLLIN, on_event, c);
	if (rc < 0) {
		conn_free(c);
		return rc;
	}
	ref_logf(t->log, "%s connection from %s accepted (local port %u)", ref_tp_name(tp),
		 c->dst_str, c->lport);
	return 0;
}

struct ref_conn *ref_tcp_inbound(struct ref_tcp *t, enum ref_tp tp, const struct sockaddr *from)
{
	struct ref_conn *c;

	/* The list is newest first: the latest connection from that address wins. */
	LIST_FOREACH(c, &t->conns, link) {
		if (!c->inbound || c->state == C_DEAD || c->dst.tp != tp)
			continue;
		if (c->dst.sa.ss_family != from->sa_family)
			continue;
		if (from->sa_family == AF_INET6 ?
		    !memcmp(&((const struct sockaddr_in6 *)&c->dst.sa)->sin6_addr,
			    &((const struct sockaddr_in6 *)from)->sin6_addr, 16) :
		    ((const struct sockaddr_in *)&c->dst.sa)->sin_addr.s_addr ==
		    ((const struct sockaddr_in *)from)->sin_addr.s_addr)
			return c;
	}
	return NULL;
}

int ref_tcp_new(struct ref_tcp **out, struct ref_loop *loop, const struct ref_log *log,
		const char *bind4, const char *bind6, struct ref_tls *tls,
		const struct ref_tcp_ops *ops)
{
	struct ref_tcp *t = calloc(1, sizeof(*t));

	*out = NULL;
	if (!t)
		return -ENOMEM;
	t->loop = loop;
	t->log = log;
	t->tls = tls;
	t->ops = *ops;
	LIST_INIT(&t->conns);
	/* Port 0: each connection gets its own ephemeral port on the SUT's address. */
	if (bind4 && ref_addr_make(bind4, 0, &t->local4, &t->local4_len) < 0) {
		free(t);
		return -EINVAL;
	}
	if (t->local4_len && t->local4.ss_family == AF_INET6) {
		/* bind4 may itself be an IPv6 address (an IPv6-only SUT). */
		t->local6 = t->local4;
		t->local6_len = t->local4_len;
		t->local4_len = 0;
	}
	if (bind6 && ref_addr_make(bind6, 0, &t->local6, &t->local6_len) < 0) {
		free(t);
		return -EINVAL;
	}
	*out = t;
	return 0;
}

void ref_tcp_free(struct ref_tcp *t)
{
	struct ref_conn *c;

	if (!t)
		return;
	while ((c = LIST_FIRST(&t->conns)))
		conn_free(c);
	free(t);
}
