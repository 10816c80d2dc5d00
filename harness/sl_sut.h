/* sl_sut.h: the worker's side of a SUT runner process (siploc-sut on the fake clock).
 * Promises: the runner is exec'd with libfaketime preloaded on this scenario's clock file;
 * the clock is calibrated by handshake before the SUT opens; every `done`, `log` and the
 * runner's death reach the callbacks; sl_sut_free() never leaves the process behind, and
 * the runner dies with the worker (PR_SET_PDEATHSIG) whatever kills it. */
#ifndef SL_SUT_H
#define SL_SUT_H

#include <stddef.h>
#include <stdint.h>

struct sl_loop;
struct sl_clock;
struct sl_sut;

struct sl_sut_cfg {
	const char *runner;       /* path of siploc-sut */
	const char *adapter;      /* path of the adapter .so */
	const char *workdir;      /* sut.stderr goes there */
	const char *dns_addr;
	uint16_t dns_port;
	const char *bind_addr;
	const char *bind_addr6;   /* NULL: the SUT gets no IPv6 address */
	unsigned caps_wanted, t1_ms, timer_b_ms, timer_f_ms, seed;
	const char *tls_ca_file;
	double open_timeout_s;    /* wall seconds to wait for hello/opened */
	const char *exec_cmd;     /* exec adapter: command template (one line), or NULL */
	const char *role;         /* client | stateless-proxy | server (NULL: client) */
	uint16_t listen_port;     /* where the SUT listens at bind_addr (0: 5060) */
	double rate;              /* the clock's rate (0: the clock's own), sent as cfg rate */
	const char *tls_cert_file, *tls_key_file; /* the SUT's own TLS identity, or NULL */
	uint16_t tls_listen_port; /* its TLS port (0: listen_port + 1) */
};

struct sl_sut_hooks {
	void (*done)(void *arg, unsigned id, int status);
	void (*log)(void *arg, const char *line);
	void (*alarm)(void *arg, const char *line);  /* the stack's security alarms */
	void (*died)(void *arg, const char *why);  /* exit, signal or protocol error */
	void *arg;
};

/* Starts and opens the SUT. On failure returns -errno and a reason in err (including
 * the runner's own "fatal" line or the tail of its stderr). */
int sl_sut_start(struct sl_sut **sp, struct sl_loop *loop, struct sl_clock *clk,
		 const struct sl_sut_cfg *cfg, const struct sl_sut_hooks *hooks,
		 char *err, size_t errlen);
/* Stops the runner (quit, then SIGKILL after a grace period) and frees everything. */
void sl_sut_free(struct sl_sut *s);

int sl_sut_request(struct sl_sut *s, unsigned id, const char *method, const char *uri,
		   size_t body_len);
int sl_sut_cancel(struct sl_sut *s, unsigned id);
int sl_sut_alive(const struct sl_sut *s);

const char *sl_sut_name(const struct sl_sut *s);
const char *sl_sut_version(const struct sl_sut *s);
unsigned sl_sut_caps(const struct sl_sut *s);
/* Last lines of the runner's stderr (for error reports), NUL-terminated. */
void sl_sut_stderr_tail(const struct sl_sut *s, char *buf, size_t len);

/* Loads the adapter once in a throw-away runner (no fake clock, no network): 0 when it
 * is usable, else -errno and why in err (the path and the cause: not a shared object,
 * no sut_adapter_v1, another ABI version...). */
int sl_sut_probe(const char *runner, const char *adapter, double timeout_s, char *err,
		 size_t errlen);
/* Removes the /dev/shm/faketime_* files a runner with this pid may have left. */
void sl_sut_remove_shm(int pid);

/* Human text for a done status: "200", "timeout", "transport error", ... */
const char *sl_sut_status_str(int status, char *buf, size_t len);

#endif
