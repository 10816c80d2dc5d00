/* fdns_server.c: the fake DNS server's sockets on the worker's loop: UDP datagrams (in
 * batches: recvmmsg, answers, sendmmsg, then the log) and RFC 7766 TCP connections in,
 * answers out (now, later, or from another port when a fault says so), one log call per
 * query received. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdns_internal.h"
#include "sl_loop.h"

#define UDP_RX_MAX 65536
/* fdns_answer's floor for UDP: it raises this to the client's EDNS0 offer itself. */
#define PLAIN_UDP_FLOOR 512
/* Datagrams per recvmmsg/sendmmsg, and batches per wakeup, so TCP clients get their
 * turn. Each slot can take a whole datagram; only the pages used become memory. */
#define UDP_BATCH 64
#define UDP_BATCHES_PER_WAKEUP 4
#define TCP_IN_CAP (2 + 65535) /* one whole frame always fits: no cap to hit on input */
/* Answers waiting for a slow reader stop us answering more: the client's own pace bounds
 * our memory instead of a cap that would cut a legitimate pipeline. */
#define TCP_OUT_HIGH 65536
#define TCP_READS_PER_WAKEUP 16
#define TCP_BACKLOG 64

struct fdns_conn {
	struct fdns_server *s;
	int fd;
	unsigned want;          /* SL_EV_IN or SL_EV_OUT as registered */
	int eof;
	struct sockaddr_storage peer, local;
	uint8_t in[TCP_IN_CAP];
	size_t in_len;
	uint64_t in_base;       /* stream offset of in[0] */
	uint8_t *out;
	size_t out_len, out_off, out_cap;
	uint64_t out_total;     /* bytes ever queued for sending: the next answer's offset */
	struct fdns_conn *next;
};

/* An answer a "delay" fault holds back. */
struct delayed {
	struct fdns_server *s;
	struct fdns_conn *conn;        /* TCP; NULL for UDP */
	struct sockaddr_storage to;    /* UDP */
	socklen_t tolen;
	uint8_t *resp;
	size_t len;
	struct sl_timer *timer;
	struct delayed *next;
};

/* One recvmmsg worth of queries, their answers and their logs, kept until sendmmsg has
 * said which answers really left. */
struct udp_batch {
	struct mmsghdr in[UDP_BATCH], out[UDP_BATCH];
	struct iovec in_iov[UDP_BATCH], out_iov[UDP_BATCH];
	struct sockaddr_storage from[UDP_BATCH];
	struct fdns_query_log lg[UDP_BATCH];
	uint8_t *resp[UDP_BATCH];       /* owned, freed after the log */
	size_t out_of[UDP_BATCH];       /* out[k] answers in[out_of[k]] */
};

struct fdns_server {
	struct sl_loop *loop;
	struct fdns_zone *zone;
	fdns_log_fn log;
	void *log_arg;
	int udp_fd, tcp_fd;
	int udp_reg, tcp_reg;
	struct sockaddr_storage udp_local;
	uint8_t *rx;                   /* UDP_BATCH slots of UDP_RX_MAX */
	struct udp_batch *batch;
	struct fdns_conn *conns;
	int alt_fd;                    /* wrong-port answers leave from here; opened on need */
	struct sockaddr_storage alt_local;
	struct delayed *delayed;
	struct fdns_query_log *hist;
	size_t hist_n, hist_max, hist_cap;
};

static void emit(struct fdns_server *s, struct fdns_query_log *lg)
{
	if (s->log)
		s->log(s->log_arg, lg);
	if (s->hist_n >= s->hist_max)
		return;
	if (s->hist_n == s->hist_cap) {
		/* Grown as queries come, so a large cap (zone_farm) costs only what is used. */
		size_t cap = s->hist_cap ? s->hist_cap * 2 : 256;
		if (cap > s->hist_max)
			cap = s->hist_max;
		struct fdns_query_log *v = realloc(s->hist, cap * sizeof(*v));
		if (!v)
			return;
		s->hist = v;
		s->hist_cap = cap;
	}
	struct fdns_query_log *h = &s->hist[s->hist_n++];
	*h = *lg;
	h->query = h->resp = NULL;
	h->query_len = h->resp_len = 0;
	h->error = NULL;
}

void fdns_server_set_history(struct fdns_server *s, size_t max)
{
	if (max >= s->hist_n)
		s->hist_max = max;
}

const struct fdns_query_log *fdns_server_history(const struct fdns_server *s, size_t *n)
{
	*n = s->hist_n;
	return s->hist;
}

static int is_fault(const struct fdns_query_log *lg, enum fdns_action a)
{
	return lg->fault && strcmp(lg->fault, fdns_action_name(a)) == 0;
}

static void delayed_unlink(struct delayed *d)
{
	for (struct delayed **pp = &d->s->delayed; *pp; pp = &(*pp)->next) {
		if (*pp == d) {
			*pp = d->next;
			break;
		}
	}
	if (d->timer)
		sl_timer_cancel(d->s->loop, d->timer);
	free(d->resp);
	free(d);
}

static void delayed_fire(void *arg);
static void conn_close(struct fdns_conn *c);
static int conn_want(struct fdns_conn *c, unsigned want);
static int out_append(struct fdns_conn *c, const uint8_t *resp, size_t len);
static int flush(struct fdns_conn *c);

/* Takes resp over. */
static int delay_answer(struct fdns_server *s, struct fdns_conn *c,
			const struct sockaddr_storage *to, socklen_t tolen, uint8_t *resp,
			size_t len, uint64_t delay_us)
{
	struct delayed *d = calloc(1, sizeof(*d));
	if (!d) {
		free(resp);
		return -ENOMEM;
	}
	*d = (struct delayed){ .s = s, .conn = c, .tolen = tolen, .resp = resp, .len = len,
			       .next = s->delayed };
	if (to)
		d->to = *to;
	int rc = sl_timer_start(s->loop, delay_us, delayed_fire, d, &d->timer);
	if (rc < 0) {
		free(resp);
		free(d);
		return rc;
	}
	s->delayed = d;
	return 0;
}

/* ---- UDP ---- */

/* A second UDP socket on the server's address, any port: answers from it fail the
 * client's source check (RFC 5452 9.1). */
static int alt_socket(struct fdns_server *s)
{
	if (s->alt_fd >= 0)
		return s->alt_fd;
	struct sockaddr_storage ss = s->udp_local;
	socklen_t len = sizeof(struct sockaddr_in);
	if (ss.ss_family == AF_INET6) {
		((struct sockaddr_in6 *)&ss)->sin6_port = 0;
		len = sizeof(struct sockaddr_in6);
	} else {
		((struct sockaddr_in *)&ss)->sin_port = 0;
	}
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	socklen_t llen = sizeof(s->alt_local);
	if (bind(fd, (const struct sockaddr *)&ss, len) < 0 ||
	    getsockname(fd, (struct sockaddr *)&s->alt_local, &llen) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	s->alt_fd = fd;
	return fd;
}

/* Answers datagram i of the batch. What goes out of the UDP socket now is queued in out
 * (sent after the batch); delay and wrong-port are carried out here. */
static void udp_query(struct fdns_server *s, size_t i, uint64_t now, size_t *nout)
{
	struct udp_batch *b = s->batch;
	struct fdns_query_log *lg = &b->lg[i];
	const uint8_t *q = b->in_iov[i].iov_base;
	size_t len = b->in[i].msg_len;
	socklen_t fromlen = b->in[i].msg_hdr.msg_namelen;
	uint8_t *resp = NULL;
	size_t rlen = 0;

	memset(lg, 0, sizeof(*lg));
	lg->t_us = now;
	lg->transport = FDNS_UDP;
	lg->client = b->from[i];
	lg->server = lg->resp_from = s->udp_local;
	lg->query = q;
	lg->query_len = len;
	b->resp[i] = NULL;
	if (fdns_answer_log(s->zone, q, len, PLAIN_UDP_FLOOR, FDNS_UDP, &resp, &rlen, lg) != 0 ||
	    !resp)
		return;
	int rc = 0;
	if (is_fault(lg, FDNS_ACT_DELAY)) {
		rc = delay_answer(s, NULL, &b->from[i], fromlen, resp, rlen, lg->delay_us);
		resp = NULL;
		if (rc == 0) {
			lg->resp = s->delayed->resp;
			lg->resp_len = rlen;
		}
	} else if (is_fault(lg, FDNS_ACT_WRONG_PORT)) {
		int fd = alt_socket(s);
		if (fd < 0)
			rc = fd;
		else if (sendto(fd, resp, rlen, MSG_NOSIGNAL, (const struct sockaddr *)&b->from[i],
				fromlen) < 0)
			rc = -errno;
		else {
			lg->resp = resp;
			lg->resp_len = rlen;
			lg->resp_from = s->alt_local;
		}
	} else {
		size_t k = (*nout)++;
		b->out_iov[k] = (struct iovec){ .iov_base = resp, .iov_len = rlen };
		b->out[k].msg_hdr = (struct msghdr){ .msg_name = &b->from[i], .msg_namelen = fromlen,
						     .msg_iov = &b->out_iov[k], .msg_iovlen = 1 };
		b->out_of[k] = i;
		/* The log says resp once sendmmsg has taken it. */
		lg->resp_len = rlen;
	}
	if (rc < 0) {
		/* The log must not claim an answer the SUT never got. */
		lg->rcode = -1;
		lg->error = strerror(-rc);
	}
	b->resp[i] = resp;
}

/* Sends the queued answers; one that cannot go is logged as not sent, and the rest still
 * go. */
static void udp_flush(struct fdns_server *s, size_t nout)
{
	struct udp_batch *b = s->batch;
	for (size_t k = 0; k < nout;) {
		int n = sendmmsg(s->udp_fd, b->out + k, (unsigned)(nout - k), MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			struct fdns_query_log *lg = &b->lg[b->out_of[k]];
			lg->rcode = -1;
			lg->error = strerror(n < 0 ? errno : EIO);
			lg->resp_len = 0;
			k++;
			continue;
		}
		for (int j = 0; j < n; j++, k++) {
			struct fdns_query_log *lg = &b->lg[b->out_of[k]];
			lg->resp = b->out_iov[k].iov_base;
		}
	}
}

static void delayed_fire(void *arg)
{
	struct delayed *d = arg;
	struct fdns_conn *c = d->conn;
	d->timer = NULL;
	if (!c) {
		/* Nobody is left to tell if this fails: the log already said what was meant. */
		(void)sendto(d->s->udp_fd, d->resp, d->len, MSG_NOSIGNAL,
			     (const struct sockaddr *)&d->to, d->tolen);
		delayed_unlink(d);
		return;
	}
	int rc = out_append(c, d->resp, d->len);
	delayed_unlink(d);
	if (rc == 0)
		rc = flush(c);
	if (rc < 0)
		conn_close(c);
	else if (rc == 0)
		conn_want(c, SL_EV_OUT);
}

static void udp_event(int fd, unsigned events, void *arg)
{
	struct fdns_server *s = arg;
	struct udp_batch *b = s->batch;
	(void)events;
	for (int round = 0; round < UDP_BATCHES_PER_WAKEUP; round++) {
		for (size_t i = 0; i < UDP_BATCH; i++) {
			b->in_iov[i] = (struct iovec){ .iov_base = s->rx + i * UDP_RX_MAX,
						       .iov_len = UDP_RX_MAX };
			b->in[i].msg_hdr = (struct msghdr){ .msg_name = &b->from[i],
							    .msg_namelen = sizeof(b->from[i]),
							    .msg_iov = &b->in_iov[i],
							    .msg_iovlen = 1 };
		}
		int n = recvmmsg(fd, b->in, UDP_BATCH, 0, NULL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* EAGAIN, or an ICMP error from an earlier send: nothing to do */
		uint64_t now = sl_now_us();
		size_t nout = 0;
		for (size_t i = 0; i < (size_t)n; i++)
			udp_query(s, i, now, &nout);
		udp_flush(s, nout);
		for (size_t i = 0; i < (size_t)n; i++) {
			emit(s, &b->lg[i]);
			free(b->resp[i]);
		}
		/* Fewer than asked for: the socket was empty, the next call would say so. */
		if (n < UDP_BATCH)
			return;
	}
}

/* ---- TCP ---- */

static void conn_close(struct fdns_conn *c)
{
	struct fdns_server *s = c->s;
	for (struct delayed *d = s->delayed, *next; d; d = next) {
		next = d->next;
		if (d->conn == c)
			delayed_unlink(d);
	}
	for (struct fdns_conn **pp = &s->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	sl_loop_fd_del(s->loop, c->fd);
	close(c->fd);
	free(c->out);
	free(c);
}

static int conn_want(struct fdns_conn *c, unsigned want)
{
	if (c->want == want)
		return 0;
	int rc = sl_loop_fd_mod(c->s->loop, c->fd, want);
	if (rc == 0)
		c->want = want;
	return rc;
}

static int out_append(struct fdns_conn *c, const uint8_t *resp, size_t len)
{
	if (c->out_off && c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	if (c->out_len + 2 + len > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		while (cap < c->out_len + 2 + len)
			cap *= 2;
		uint8_t *p = realloc(c->out, cap);
		if (!p)
			return -ENOMEM;
		c->out = p;
		c->out_cap = cap;
	}
	c->out[c->out_len++] = (uint8_t)(len >> 8);
	c->out[c->out_len++] = (uint8_t)len;
	memcpy(c->out + c->out_len, resp, len);
	c->out_len += len;
	c->out_total += 2 + len;
	return 0;
}

static int tcp_query(struct fdns_conn *c, const uint8_t *q, size_t len, uint64_t qoff)
{
	struct fdns_query_log lg;
	uint8_t *resp = NULL;
	size_t rlen = 0;
	int rc = 0;

	memset(&lg, 0, sizeof(lg));
	lg.t_us = sl_now_us();
	lg.transport = FDNS_TCP;
	lg.client = c->peer;
	lg.server = lg.resp_from = c->local;
	lg.query = q;
	lg.query_len = len;
	lg.query_off = qoff;
	lg.resp_off = FDNS_OFF_UNKNOWN;
	if (fdns_answer_log(c->s->zone, q, len, 0, FDNS_TCP, &resp, &rlen, &lg) == 0 && resp) {
		if (is_fault(&lg, FDNS_ACT_DELAY)) {
			rc = delay_answer(c->s, c, NULL, 0, resp, rlen, lg.delay_us);
			if (rc == 0) {
				lg.resp = c->s->delayed->resp;
				lg.resp_len = rlen;
			}
			resp = NULL;
			/* A failed timer costs this answer, not the connection. */
			if (rc < 0) {
				lg.rcode = -1;
				lg.error = strerror(-rc);
				rc = 0;
			}
			emit(c->s, &lg);
			return 0;
		}
		uint64_t roff = c->out_total;
		rc = out_append(c, resp, rlen);
		if (rc < 0) {
			lg.rcode = -1;
			lg.error = strerror(-rc);
		} else {
			lg.resp_off = roff;
			lg.resp = resp;
			lg.resp_len = rlen;
		}
	}
	emit(c->s, &lg);
	free(resp);
	return rc;
}

static size_t frame_len(const struct fdns_conn *c, size_t off)
{
	return (size_t)c->in[off] << 8 | c->in[off + 1];
}

static int frame_ready(const struct fdns_conn *c)
{
	return c->in_len >= 2 && c->in_len - 2 >= frame_len(c, 0);
}

/* Answers the complete frames buffered, until the answers pile up past the high mark. */
static int answer_frames(struct fdns_conn *c)
{
	size_t off = 0;
	int rc = 0;
	while (c->in_len - off >= 2 && c->out_len - c->out_off < TCP_OUT_HIGH) {
		size_t m = frame_len(c, off);
		if (c->in_len - off - 2 < m)
			break;
		rc = tcp_query(c, c->in + off + 2, m, c->in_base + off);
		off += 2 + m;
		if (rc < 0)
			break;
	}
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
	c->in_base += off;
	return rc;
}

/* 1: all written, 0: the socket is full, <0: the connection is dead. */
static int flush(struct fdns_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
		}
		c->out_off += (size_t)n;
	}
	c->out_off = c->out_len = 0;
	return 1;
}

/* Drives one connection as far as it can go without blocking. Returns 0 while it lives,
 * <0 once it must be closed. */
static int conn_pump(struct fdns_conn *c)
{
	for (int reads = 0;;) {
		int rc = answer_frames(c);
		if (rc < 0)
			return rc;
		rc = flush(c);
		if (rc < 0)
			return rc;
		if (rc == 0)
			return conn_want(c, SL_EV_OUT);
		if (frame_ready(c))
			continue;
		if (c->eof)
			return -ECONNRESET;
		if (reads++ == TCP_READS_PER_WAKEUP)
			return conn_want(c, SL_EV_IN);
		/* Cannot be full without a ready frame: TCP_IN_CAP holds the largest one. */
		ssize_t n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);
		if (n > 0) {
			c->in_len += (size_t)n;
		} else if (n == 0) {
			/* A client may half-close after its queries and still read the answers. */
			c->eof = 1;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			return conn_want(c, SL_EV_IN);
		} else if (errno != EINTR) {
			return -errno;
		}
	}
}

static void conn_event(int fd, unsigned events, void *arg)
{
	struct fdns_conn *c = arg;
	(void)fd;
	if ((events & SL_EV_ERR) && !(events & (SL_EV_IN | SL_EV_OUT))) {
		conn_close(c);
		return;
	}
	if (conn_pump(c) < 0)
		conn_close(c);
}

static void accept_event(int fd, unsigned events, void *arg)
{
	struct fdns_server *s = arg;
	(void)events;
	for (;;) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		int cfd = accept4(fd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return;
		}
		struct fdns_conn *c = calloc(1, sizeof(*c));
		socklen_t llen = sizeof(struct sockaddr_storage);
		if (!c || getsockname(cfd, (struct sockaddr *)&c->local, &llen) < 0 ||
		    sl_loop_fd_add(s->loop, cfd, SL_EV_IN, conn_event, c) < 0) {
			free(c);
			close(cfd);
			continue;
		}
		c->s = s;
		c->fd = cfd;
		c->want = SL_EV_IN;
		c->peer = peer;
		c->next = s->conns;
		s->conns = c;
	}
}

/* ---- setup ---- */

static void fmt_addr(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		port = ntohs(a->sin6_port);
		snprintf(buf, len, "[%s]:%u", host, port);
		return;
	}
	const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
	inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
	port = ntohs(a->sin_port);
	snprintf(buf, len, "%s:%u", host, port);
}

static int open_socket(const struct sockaddr_storage *ss, socklen_t sslen, int type,
		       char *err, size_t errlen)
{
	const char *proto = type == SOCK_DGRAM ? "udp" : "tcp";
	char where[INET6_ADDRSTRLEN + 16];
	int one = 1, rc = 0;
	int fd = socket(ss->ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	fmt_addr(ss, where, sizeof(where));
	if (fd < 0) {
		rc = -errno;
		fdns_set_err(err, errlen, "socket %s/%s: %s", where, proto, strerror(errno));
		goto out;
	}
	/* SO_REUSEADDR lets a rerun bind TCP at once despite TIME_WAIT. Not on UDP: there
	 * Linux lets a second socket share the port and steal the queries, so two servers
	 * on one port must fail at bind instead. V6ONLY keeps a v6 server off the v4 port. */
	if ((type == SOCK_STREAM &&
	     setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) ||
	    (ss->ss_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)) {
		rc = -errno;
		fdns_set_err(err, errlen, "setsockopt %s/%s: %s", where, proto, strerror(errno));
		goto out;
	}
	if (bind(fd, (const struct sockaddr *)ss, sslen) < 0) {
		rc = -errno;
		fdns_set_err(err, errlen, "bind %s/%s: %s", where, proto, strerror(errno));
		goto out;
	}
	if (type == SOCK_STREAM && listen(fd, TCP_BACKLOG) < 0) {
		rc = -errno;
		fdns_set_err(err, errlen, "listen %s/%s: %s", where, proto, strerror(errno));
		goto out;
	}
out:
	if (rc < 0 && fd >= 0)
		close(fd);
	return rc < 0 ? rc : fd;
}

static int parse_addr(const char *addr, uint16_t port, struct sockaddr_storage *ss,
		      socklen_t *len)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST, .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_DGRAM };
	struct addrinfo *ai = NULL;
	if (!addr || getaddrinfo(addr, NULL, &hints, &ai) != 0 || !ai)
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	return 0;
}

int fdns_server_new(struct fdns_server **sp, struct sl_loop *loop, struct fdns_zone *zone,
		    const char *addr, uint16_t port, fdns_log_fn log, void *log_arg,
		    char *err, size_t errlen)
{
	int rc = 0;
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	struct fdns_server *s = calloc(1, sizeof(*s));

	if (s) {
		s->udp_fd = s->tcp_fd = s->alt_fd = -1;
		s->hist_max = FDNS_HISTORY_DEFAULT;
	}
	if (!s || !(s->rx = malloc((size_t)UDP_BATCH * UDP_RX_MAX)) ||
	    !(s->batch = malloc(sizeof(*s->batch)))) {
		rc = -ENOMEM;
		fdns_set_err(err, errlen, "fdns server: %s", strerror(ENOMEM));
		goto out;
	}
	s->loop = loop;
	s->zone = zone;
	s->log = log;
	s->log_arg = log_arg;
	rc = parse_addr(addr, port, &ss, &sslen);
	if (rc < 0) {
		fdns_set_err(err, errlen, "bad address '%s': not a numeric IPv4 or IPv6 address",
			addr ? addr : "(null)");
		goto out;
	}
	rc = s->udp_fd = open_socket(&ss, sslen, SOCK_DGRAM, err, errlen);
	if (rc < 0)
		goto out;
	socklen_t llen = sizeof(s->udp_local);
	if (getsockname(s->udp_fd, (struct sockaddr *)&s->udp_local, &llen) < 0) {
		rc = -errno;
		fdns_set_err(err, errlen, "getsockname: %s", strerror(errno));
		goto out;
	}
	/* With port 0 the kernel picks the UDP port; TCP must then share it. */
	ss = s->udp_local;
	rc = s->tcp_fd = open_socket(&ss, sslen, SOCK_STREAM, err, errlen);
	if (rc < 0)
		goto out;
	rc = sl_loop_fd_add(loop, s->udp_fd, SL_EV_IN, udp_event, s);
	if (rc < 0) {
		fdns_set_err(err, errlen, "loop: %s", strerror(-rc));
		goto out;
	}
	s->udp_reg = 1;
	rc = sl_loop_fd_add(loop, s->tcp_fd, SL_EV_IN, accept_event, s);
	if (rc < 0) {
		fdns_set_err(err, errlen, "loop: %s", strerror(-rc));
		goto out;
	}
	s->tcp_reg = 1;
	*sp = s;
	s = NULL;
	rc = 0;
out:
	fdns_server_free(s);
	return rc;
}

void fdns_server_local(const struct fdns_server *s, struct sockaddr_storage *ss)
{
	*ss = s->udp_local;
}

void fdns_server_stop_tcp(struct fdns_server *s)
{
	while (s->conns)
		conn_close(s->conns);
	if (s->tcp_reg)
		sl_loop_fd_del(s->loop, s->tcp_fd);
	s->tcp_reg = 0;
	if (s->tcp_fd >= 0)
		close(s->tcp_fd);
	s->tcp_fd = -1;
}

void fdns_server_free(struct fdns_server *s)
{
	if (!s)
		return;
	while (s->delayed)
		delayed_unlink(s->delayed);
	while (s->conns)
		conn_close(s->conns);
	if (s->alt_fd >= 0)
		close(s->alt_fd);
	free(s->hist);
	if (s->udp_reg)
		sl_loop_fd_del(s->loop, s->udp_fd);
	if (s->tcp_reg)
		sl_loop_fd_del(s->loop, s->tcp_fd);
	if (s->udp_fd >= 0)
		close(s->udp_fd);
	if (s->tcp_fd >= 0)
		close(s->tcp_fd);
	free(s->rx);
	free(s->batch);
	free(s);
}
