/* sl_evlog.h: the scenario's event log, what the world saw the SUT do, in order.
 * Promises: events are numbered from 0 in the order they were logged; strings are owned
 * by the log; each network event keeps a fingerprint of its datagram so the capture can
 * later tell which pcap frame carried it. Checks read only this log and the zone. */
#ifndef SL_EVLOG_H
#define SL_EVLOG_H

#include <stddef.h>
#include <stdint.h>

enum sl_ev_kind {
	SL_EV_DNS,      /* a query reached the fake DNS (and its answer, if any, left) */
	SL_EV_SIP_RX,   /* a peer (or the harness UAC) received a SIP message from the SUT */
	SL_EV_SIP_TX,   /* a peer (or the harness UAC) sent a SIP message to the SUT */
	SL_EV_SUT_REQ,  /* the scenario asked the SUT for a request */
	SL_EV_SUT_DONE, /* the SUT reported a transaction outcome */
	SL_EV_NOTE,     /* anything else worth reading in the ladder (clock jump, log) */
	SL_EV_STRAY,    /* seen only by the capture: a packet no peer or DNS server took (a
			 * datagram to a closed port, a SYN nothing accepted); client sent it
			 * to server; SIP fields filled when its payload parses as SIP */
	SL_EV_REJECT,   /* seen only by the capture: the kernel's answer to a packet (ICMP
			 * unreachable, RST); server refused what client sent */
};

/* A datagram fingerprint: enough to find it again in the capture. */
struct sl_fp {
	int proto;              /* 17 udp, 6 tcp, 0: none */
	char src[64], dst[64];  /* "127.0.0.1:5060" / "[fd00::1]:5060" */
	size_t len;
	uint64_t hash;          /* FNV-1a of the payload */
	unsigned frame;         /* pcap frame number, 0 until matched */
	/* TCP with has_off: off is the stream offset of the message's first byte (0 = the
	 * first byte after the SYN), or tcp_flags asks for a bare segment (0x04 RST).
	 * ICMP (proto 1/58): hash of the ICMP message with its checksum zeroed; ports 0. */
	int has_off;
	unsigned long long off;
	unsigned tcp_flags;
	int any_sport;          /* the source port is not known (a DNS answer from another
				 * port on purpose): match the source host only */
};

struct sl_event {
	unsigned idx;
	enum sl_ev_kind kind;
	uint64_t t_us;          /* worker real monotonic time */
	double t_sut;           /* SUT seconds since scenario start, filled when logged */
	char *transport;        /* "udp", "tcp" */
	char *client;           /* SUT side address:port */
	char *server;           /* DNS server or peer address:port */
	/* DNS */
	char *qname;
	char *qtype;            /* "NAPTR" */
	int rcode;              /* -1: no answer */
	unsigned ancount;
	int tc;
	unsigned qflags;        /* the query's header flags (bytes 2-3) */
	int edns;               /* the query's EDNS0 payload size, -1: none */
	int dnssec_ok;
	/* SIP */
	char *method;           /* requests */
	int status;             /* responses */
	char *uri, *call_id, *branch, *cseq_method, *from_tag, *via_transport;
	char *via_sentby;       /* top Via "host[:port]" as written */
	unsigned long cseq;
	/* SUT_REQ / SUT_DONE: the request id; SUT_DONE: status in status */
	unsigned req_id;
	char *text;             /* NOTE text, or a parse error for malformed input */
	struct sl_fp fp[2];     /* DNS: query then response; SIP: the datagram */
	char *to_tag;           /* SIP: the To tag, so a harness UAC can ACK a response it
				 * did not receive itself (it reached a peer) */
	char *contact;          /* SIP responses: the URI of the first Contact, or NULL */
	int alarm;              /* NOTE: a security alarm the SUT raised (sut_config.alarm) */
	int conn_failed;        /* NOTE at a peer: a connection from the SUT that failed
				 * before it carried a request (TLS handshake): an attempt */
	int bounced;            /* SIP_RX at an unreachable address: answered with ICMP, so
				 * the message was not delivered */
	/* DNS: the response bytes as sent (no TCP length prefix), NULL when none: what the
	 * SUT was told, for the checks that ask which addresses DNS gave. */
	unsigned char *dns_resp;
	size_t dns_resp_len;
	size_t body_len;        /* SUT_REQ: the body size asked for */
	struct sl_event *answers; /* REJECT: the event whose packet it answers, or NULL */
};

struct sl_evlog;

int sl_evlog_new(struct sl_evlog **lp);
void sl_evlog_free(struct sl_evlog *l);

/* Appends a zeroed event of kind at time t_us; returns it (owned by the log) or NULL. */
struct sl_event *sl_evlog_add(struct sl_evlog *l, enum sl_ev_kind kind, uint64_t t_us);
/* The same, placed after every event logged at or before t_us (events learnt late, from
 * the capture); the events after it are renumbered, pointers to events stay valid. */
struct sl_event *sl_evlog_insert(struct sl_evlog *l, enum sl_ev_kind kind, uint64_t t_us);
/* Stores a copy of len bytes of data as e's DNS response. */
int sl_evlog_dns_resp(struct sl_event *e, const void *data, size_t len);
/* Sets *field to a copy of s (NULL stays NULL); returns -ENOMEM on failure. */
int sl_evlog_str(char **field, const char *s);
size_t sl_evlog_count(const struct sl_evlog *l);
struct sl_event *sl_evlog_get(const struct sl_evlog *l, size_t i);

/* A flood guard: past max events (0: no cap) sl_evlog_add() returns NULL and the log is
 * aborted with a reason naming the cap. */
void sl_evlog_set_max(struct sl_evlog *l, size_t max);
/* Marks the scenario as unable to go on (the first reason wins): the world stops at its
 * next turn and the scenario ends as an error with this reason. For peers, the DNS and
 * the guards, which cannot unwind the world themselves. */
void sl_evlog_abort(struct sl_evlog *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The abort reason, or NULL while the scenario may go on. */
const char *sl_evlog_aborted(const struct sl_evlog *l);

uint64_t sl_fp_hash(const void *data, size_t len);
void sl_fp_set(struct sl_fp *fp, int proto, const char *src, const char *dst,
	       const void *data, size_t len);

#endif
