/* sut_adapter.h: the versioned ABI between siploc's SUT runner and a system under test.
 * An adapter is a shared object exporting SUT_ADAPTER_SYMBOL; it sees the world only
 * through the network and this header (never harness or fake_dns code). */
#ifndef SUT_ADAPTER_H
#define SUT_ADAPTER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on any incompatible change; the runner refuses any other value. */
#define SUT_ABI_VERSION 1
#define SUT_ADAPTER_SYMBOL "sut_adapter_v1"

/* Capability bits: scenarios that need a bit the SUT lacks are not-run, never passed. */
enum sut_caps {
	SUT_CAP_UDP       = 1u << 0,
	SUT_CAP_TCP       = 1u << 1,
	SUT_CAP_TLS       = 1u << 2,
	SUT_CAP_IPV6      = 1u << 3,
	SUT_CAP_CANCEL    = 1u << 4,
	SUT_CAP_STATELESS = 1u << 5, /* stateless-proxy role (RFC 3263 4.4) */
	SUT_CAP_SERVER    = 1u << 6, /* server role: sending responses (section 5) */
	SUT_CAP_TIMERS    = 1u << 7, /* honours t1_ms / timer_b_ms / timer_f_ms */
	SUT_CAP_ALARM     = 1u << 8, /* reports security alarms through sut_config.alarm */
	SUT_CAP_ACK2XX    = 1u << 9, /* ACKs a 2xx to INVITE (RFC 3261 13.2.2.4): the adapter or
				      * its stack is a UAC core, not a transaction layer only */
};

/* Outcomes passed to on_done when no final response was obtained. */
enum sut_error {
	SUT_E_TIMEOUT   = -1, /* timer B/F fired on the last target */
	SUT_E_TRANSPORT = -2, /* transport failure on the last target */
	SUT_E_DNS       = -3, /* DNS failed (SERVFAIL, no answer) */
	SUT_E_NOTARGET  = -4, /* DNS said there is nothing to contact (NXDOMAIN, ".") */
	SUT_E_INTERNAL  = -5, /* the SUT itself failed (bad URI, out of memory, ...) */
	SUT_E_CANCELLED = -6, /* cancelled before any final response */
};

typedef void (*sut_log_fn)(void *arg, const char *line);

struct sut_config {
	const char *dns_addr;   /* fake DNS server address, numeric (IPv4 or IPv6) */
	uint16_t dns_port;      /* its port (53 inside the worker's namespace) */
	const char *bind_addr;  /* local address the SUT binds its sockets to */
	unsigned caps_wanted;   /* transports etc. the scenario allows the SUT to use */
	unsigned t1_ms;         /* RFC 3261 T1 in SUT milliseconds (500) */
	unsigned timer_b_ms;    /* INVITE transaction timeout (64*T1) */
	unsigned timer_f_ms;    /* non-INVITE transaction timeout (64*T1) */
	const char *tls_ca_file;/* CA the TLS peers' certificates chain to, or NULL */
	const char *workdir;    /* private scratch directory */
	int wake_fd;            /* run() must return soon after this fd turns readable */
	unsigned seed;          /* for any randomness (weighted SRV selection) */
	sut_log_fn log;         /* free-form diagnostics, shown in the scenario log */
	void *log_arg;
	const char *exec_cmd;   /* exec adapter: command template from --sut exec:'...' */
	/* Appended within ABI 1 (older adapters never read past exec_cmd): */
	const char *bind_addr6; /* the SUT's local IPv6 address (fd00::1), or NULL when the
				   scenario gives it none: then use no IPv6 at all */
	/* Appended within ABI 1 too: a runner that predates them leaves them NULL/0, which
	 * means "client" on 5060. */
	const char *role;       /* "client" (send requests it is given), "stateless-proxy"
				 * (forward requests it receives, RFC 3263 4.4) or "server"
				 * (answer requests it receives, section 5) */
	uint16_t listen_port;   /* where the SUT listens in every role: bind_addr:listen_port,
				 * UDP (and TCP when it has TCP); 5060 */
	double rate;            /* SUT seconds per real second (--rate), for what libfaketime
				 * does not speed up (kamailio's setitimer ticks) */
	/* The stack's security alarms (RFC 3263 7: SIPS that vanished from a domain's
	 * NAPTR records, a sign of a bid-down attack), one line each, with log_arg. A SUT
	 * that declares SUT_CAP_ALARM calls it; NULL from a runner that predates it. */
	sut_log_fn alarm;
	/* Appended within ABI 1 as well (NULL/0 from a runner that predates them): the SUT's
	 * own TLS identity, for the TLS connections it accepts in the stateless-proxy and
	 * server roles; issued by the CA of tls_ca_file for bind_addr (an iPAddress entry)
	 * and the zone's names of it. NULL when the scenario needs no TLS. */
	const char *tls_cert_file; /* certificate, PEM */
	const char *tls_key_file;  /* its private key, PEM */
	uint16_t tls_listen_port;  /* TLS listens on bind_addr:tls_listen_port (5061) */
};

struct sut_request {
	const char *method;      /* "INVITE", "OPTIONS", ... */
	const char *uri;         /* Request-URI, never rewritten by the SUT */
	size_t body_len;         /* bytes of body to attach (TP-MTU tests), 0 for none */
};

/* status: final SIP status (>= 200) or a negative enum sut_error. */
typedef void (*sut_done_fn)(void *arg, unsigned id, int status);

struct sut_adapter {
	int abi_version;         /* SUT_ABI_VERSION */
	const char *name;
	const char *version;
	unsigned caps;           /* enum sut_caps */
	/* Returns 0 or a negative errno; *ctxp is owned by the adapter until close(). */
	int (*open)(const struct sut_config *cfg, void **ctxp);
	/* Starts a transaction; its end is reported once through run()'s on_done. */
	int (*request)(void *ctx, unsigned id, const struct sut_request *req);
	/* Cancels a pending INVITE (CANCEL goes to the server the INVITE reached). */
	int (*cancel)(void *ctx, unsigned id);
	/* Drives the SUT for at most timeout_ms of SUT time, returning early when wake_fd is
	 * readable; calls on_done for each transaction that ended. Returns 0 or -errno. */
	int (*run)(void *ctx, int timeout_ms, sut_done_fn on_done, void *arg);
	void (*close)(void *ctx);
};

typedef const struct sut_adapter *(*sut_adapter_fn)(void);

#ifdef __cplusplus
}
#endif
#endif
