/* ref_role.c: the server and stateless-proxy roles wired to ref's socket and timers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ref_proxy.h"
#include "ref_role.h"
#include "ref_rsend.h"
#include "ref_server.h"

struct ref_role {
	struct ref_rsends *rsends;
	struct ref_server *server;
	struct ref_proxy *proxy;
};

int ref_role_new(struct ref_role **out, const char *role, const struct ref_role_env *env)
{
	struct ref_role *r;
	struct ref_rsend_env rs;
	int rc;

	*out = NULL;
	if (!role || !strcmp(role, "client"))
		return 0;
	if (strcmp(role, "server") && strcmp(role, "stateless-proxy")) {
		ref_logf(env->log, "unknown role '%s'", role);
		return -EINVAL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	rs = (struct ref_rsend_env){
		.loop = env->loop, .tport = env->tport, .log = env->log, .resolve = env->resolve,
		.linger_ms = env->timer_b,
	};
	rc = ref_rsends_new(&r->rsends, &rs);
	if (rc == 0 && !strcmp(role, "server")) {
		struct ref_server_env se = {
			.loop = env->loop, .log = env->log, .rng = env->rng, .rsends = r->rsends,
			.linger_ms = env->timer_b,
		};

		rc = ref_server_new(&r->server, &se);
	} else if (rc == 0) {
		struct ref_proxy_env pe = {
			.loop = env->loop, .tport = env->tport, .log = env->log, .rsends = r->rsends,
			.resolve = env->resolve, .local_host = env->local_host,
			.local_port = env->local_port, .t1 = env->t1, .t2 = env->t2,
			.timer_b = env->timer_b, .timer_f = env->timer_f,
		};

		pe.resolve.deterministic = true;
		rc = ref_proxy_new(&r->proxy, &pe);
	}
	if (rc < 0) {
		ref_role_free(r);
		return rc;
	}
	ref_logf(env->log, "role %s: listening on %s:%u/udp", role, env->local_host,
		 env->local_port);
	*out = r;
	return 0;
}

void ref_role_free(struct ref_role *r)
{
	if (!r)
		return;
	ref_proxy_free(r->proxy);
	ref_server_free(r->server);
	ref_rsends_free(r->rsends);
	free(r);
}

bool ref_role_on_message(struct ref_role *r, const char *buf, size_t len,
			 const struct sockaddr *from, struct ref_conn *conn)
{
	if (r->server)
		ref_server_on_message(r->server, buf, len, from, conn);
	else
		ref_proxy_on_message(r->proxy, buf, len, from);
	return true;
}

void ref_role_on_down(struct ref_role *r, struct ref_conn *conn, int err, const char *why)
{
	ref_rsends_on_down(r->rsends, conn, err, why);
}

bool ref_role_on_icmp(struct ref_role *r, int err, const struct sockaddr *dst,
		      const char *payload, size_t len)
{
	if (ref_rsends_on_icmp(r->rsends, err, dst, payload, len))
		return true;
	return r->proxy && ref_proxy_on_icmp(r->proxy, err, dst, payload, len);
}
