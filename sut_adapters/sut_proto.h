/* sut_proto.h: the line protocol between a siploc worker and its SUT runner (siploc-sut),
 * spoken over a socketpair passed as --ctl-fd. One message per '\n'-terminated line,
 * fields separated by single spaces; no field but the last may contain a space.
 *
 * worker -> runner
 *   cfg <key> <value>          keys: dns_addr dns_port bind_addr bind_addr6 caps t1
 *                              timer_b timer_f ca workdir seed rate exec role listen
 *                              cert key tls_listen (before open; exec: the command
 *                              template of --sut exec:'...', the rest of the line;
 *                              bind_addr6 only when the scenario has IPv6; role: client |
 *                              stateless-proxy | server; listen: the port the SUT listens
 *                              on at bind_addr; cert, key: the SUT's own TLS certificate
 *                              and key files, only when it gets one; tls_listen: its TLS
 *                              port, listen + 1 when absent)
 *   open                       -> opened <rc>
 *   req <id> <method> <uri> <body_len>
 *   cancel <id>
 *   ping <seq>                 -> pong <seq> <sut_realtime_ns>   (clock handshake)
 *   quit                       runner closes the adapter and exits 0
 * runner -> worker
 *   hello <abi> <caps> <name> <version...>   first line, after the adapter loaded
 *   opened <rc>                rc: 0 or -errno from the adapter's open()
 *   done <id> <status>         status: SIP final status or enum sut_error
 *   pong <seq> <ns>
 *   log <text...>              adapter diagnostics
 *   alarm <text...>            a security alarm of the stack (sut_config.alarm)
 *   fatal <text...>            the runner cannot go on (bad adapter, bad line); it exits 2
 */
#ifndef SUT_PROTO_H
#define SUT_PROTO_H

#include <stdbool.h>
#include <stddef.h>

#define SUT_PROTO_MAX_LINE 4096
#define SUT_PROTO_MAX_BODY (16u * 1024 * 1024) /* req body_len */
#define SUT_PROTO_MAX_NAME 64                  /* hello: adapter name, with its NUL */

/* The codec (sut_proto.c) is shared by both ends, so what one writes the other reads;
 * parsing is strict (exact field count, numbers in range, no NUL or control bytes in
 * tokens) so a confused or hostile peer is named, never half-understood. */
enum sut_proto_kind {
	/* worker -> runner */
	SUT_MSG_CFG = 1, SUT_MSG_OPEN, SUT_MSG_REQ, SUT_MSG_CANCEL, SUT_MSG_PING, SUT_MSG_QUIT,
	/* runner -> worker */
	SUT_MSG_HELLO, SUT_MSG_OPENED, SUT_MSG_DONE, SUT_MSG_PONG, SUT_MSG_LOG, SUT_MSG_FATAL,
	SUT_MSG_ALARM,
};

/* One parsed line. Strings point into the parsed line (which parsing cuts up). */
struct sut_proto_msg {
	enum sut_proto_kind kind;
	const char *key;            /* cfg */
	const char *text;           /* cfg value; log, alarm and fatal text; hello version */
	const char *method, *uri;   /* req */
	const char *name;           /* hello */
	unsigned long id;           /* req, cancel, done */
	unsigned long seq;          /* ping, pong */
	unsigned long body_len;     /* req */
	long long ns;               /* pong */
	int status;                 /* done */
	int rc;                     /* opened */
	int abi;                    /* hello */
	unsigned caps;              /* hello */
};

const char *sut_proto_kind_name(enum sut_proto_kind k);
/* 1 for the messages a runner sends, 0 for the worker's. */
int sut_proto_from_runner(enum sut_proto_kind k);

/* Parses one line (no '\n'), cutting it in place. 0, or -EINVAL with *why set. */
int sut_proto_parse(char *line, struct sut_proto_msg *m, const char **why);
/* Writes m as one '\n'-terminated line (newlines in free text become spaces). Returns
 * its length, or -E2BIG when it does not fit buf or SUT_PROTO_MAX_LINE. */
int sut_proto_format(const struct sut_proto_msg *m, char *buf, size_t len);

/* A decimal number with nothing around it (no sign, no space), at most max. */
bool sut_proto_ulong(const char *s, unsigned long max, unsigned long *out);

/* Line framing over a byte stream. */
struct sut_proto_lines {
	char buf[SUT_PROTO_MAX_LINE + 1];
	size_t len;
};
/* Where the next read() goes, and how much room is left (never 0 between commits). */
char *sut_proto_lines_space(struct sut_proto_lines *lb, size_t *room);
/* After n bytes were read into the space: calls fn on every complete line (a trailing
 * '\r' cut), stopping at fn's first non-zero return, which is returned. -EILSEQ: a line
 * held a NUL byte; -E2BIG: a line is longer than SUT_PROTO_MAX_LINE. */
int sut_proto_lines_commit(struct sut_proto_lines *lb, size_t n,
			   int (*fn)(void *arg, char *line), void *arg);

#endif
