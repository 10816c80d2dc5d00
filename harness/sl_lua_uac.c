/* sl_lua_uac.c: the scenario API for the roles where the SUT receives requests:
 * inject{}, inject_ack(), inject_cancel(), inject_wait() (the harness UAC, sl_uac.h) and
 * unreachable() (a peer address that bounces everything with ICMP). */
#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_addr.h"
#include "sl_evlog.h"
#include "sl_lua_api.h"
#include "sl_peer.h"
#include "sl_sut.h"
#include "sl_uac.h"
#include "sl_world.h"
#include "sut_adapter.h"

enum wait_for { W_SENT, W_PROVISIONAL, W_FINAL };

struct waiter {
	struct sl_uac *u;
	unsigned id;
	enum wait_for what;
};

static int reached(void *arg)
{
	struct waiter *wt = arg;
	struct sl_uac_outcome o;
	sl_uac_outcome(wt->u, wt->id, &o);
	if (o.status || o.given_up || wt->what == W_SENT)
		return 1;
	return wt->what == W_PROVISIONAL && o.provisional;
}

static struct sl_uac *uac_of(lua_State *L, struct sl_world *w, const char *fn)
{
	const char *role = sl_world_role(w);
	char err[256];
	if (!strcmp(role, "client"))
		sl_lua_fail(L, "%s: the SUT is a client here "
			"(role = \"client\"): it sends requests, use send{}; inject{} sends requests "
			"into a stateless-proxy or a server", fn);
	struct sl_uac *u = sl_world_uac(w, err, sizeof(err));
	if (!u)
		sl_lua_fail(L, "%s: %s", fn, err);
	return u;
}

static enum wait_for parse_wait(lua_State *L, int t, const char *fn)
{
	const char *s = lua_istable(L, t) ? sl_lua_opt_str(L, t, "wait") : NULL;
	if (!s || !strcmp(s, "final"))
		return W_FINAL;
	if (!strcmp(s, "provisional"))
		return W_PROVISIONAL;
	if (!strcmp(s, "sent"))
		return W_SENT;
	sl_lua_fail(L, "%s: wait must be \"final\", \"provisional\" or \"sent\"", fn);
	return W_FINAL;
}

static double opt_num(lua_State *L, int t, const char *k, double def, double lo, double hi,
		      const char *fn)
{
	if (!lua_istable(L, t))
		return def;
	lua_getfield(L, t, k);
	double v = def;
	if (!lua_isnil(L, -1)) {
		if (!lua_isnumber(L, -1))
			sl_lua_fail(L, "%s: %s must be a number", fn, k);
		v = lua_tonumber(L, -1);
		if (!(v >= lo && v <= hi))
			sl_lua_fail(L, "%s: %s must be in [%g, %g]", fn, k, lo, hi);
	}
	lua_pop(L, 1);
	return v;
}

/* The result table: what the event log says about transaction id. */
static void push_result(lua_State *L, struct sl_world *w, struct sl_uac *u, unsigned id)
{
	struct sl_uac_outcome o;
	sl_uac_outcome(u, id, &o);
	const char *branch = sl_uac_branch(u, id);
	lua_createtable(L, 0, 10);
	lua_pushinteger(L, id);
	lua_setfield(L, -2, "txn");
	lua_pushstring(L, branch);
	lua_setfield(L, -2, "branch");
	lua_pushstring(L, sl_uac_call_id(u, id));
	lua_setfield(L, -2, "call_id");
	lua_pushinteger(L, o.sent);
	lua_setfield(L, -2, "sent");
	char src[128];
	sl_uac_source(u, id, src, sizeof(src));
	lua_pushstring(L, src);
	lua_setfield(L, -2, "source");
	if (o.provisional) {
		lua_pushinteger(L, o.provisional);
		lua_setfield(L, -2, "provisional");
	}
	if (o.status) {
		lua_pushinteger(L, o.status);
		lua_setfield(L, -2, "status");
		lua_pushstring(L, o.at);
		lua_setfield(L, -2, "at");
		lua_pushinteger(L, o.status);
	} else if (o.given_up) {
		lua_pushstring(L, "timeout");
		lua_setfield(L, -2, "error");
		lua_pushinteger(L, SUT_E_TIMEOUT);
	} else {
		lua_pushboolean(L, 1);
		lua_setfield(L, -2, "pending");
		lua_pushinteger(L, o.provisional);
	}
	lua_setfield(L, -2, "outcome");
	/* Every response of the transaction, in order, wherever it arrived. */
	struct sl_evlog *log = sl_world_log(w);
	lua_newtable(L);
	lua_Integer k = 0;
	const char *method = NULL;
	for (size_t i = 0; i < sl_evlog_count(log); i++) {
		const struct sl_event *e = sl_evlog_get(log, i);
		if (e->kind == SL_EV_SIP_TX && e->method && e->branch && !strcmp(e->branch, branch) &&
		    !method && strcmp(e->method, "ACK"))
			method = e->method;
		if (e->kind != SL_EV_SIP_RX || !e->status || e->method || !e->branch ||
		    strcmp(e->branch, branch) || !method || !e->cseq_method ||
		    strcmp(e->cseq_method, method))
			continue;
		lua_createtable(L, 0, 3);
		lua_pushinteger(L, e->status);
		lua_setfield(L, -2, "status");
		char at[128];
		snprintf(at, sizeof(at), "%s/%s", e->server, e->transport);
		lua_pushstring(L, at);
		lua_setfield(L, -2, "at");
		lua_pushnumber(L, e->t_sut);
		lua_setfield(L, -2, "t");
		lua_pushboolean(L, e->bounced);
		lua_setfield(L, -2, "bounced");
		lua_seti(L, -2, ++k);
	}
	lua_setfield(L, -2, "responses");
}

static int wait_and_push(lua_State *L, struct sl_world *w, struct sl_uac *u, unsigned id,
			 enum wait_for what, double timeout_s)
{
	struct waiter wt = { u, id, what };
	char err[1024];
	int rc = sl_world_wait(w, reached, &wt, timeout_s + 1, err, sizeof(err));
	if (rc < 0)
		return sl_lua_world_error(L, rc, err);
	if (what == W_FINAL && (rc = sl_world_settle(w, err, sizeof(err))) < 0)
		return sl_lua_world_error(L, rc, err);
	push_result(L, w, u, id);
	return 1;
}

/* "host", "host:port", "[v6]:port", "v6" */
static void parse_sentby(lua_State *L, const char *s, char *host, size_t hlen, unsigned *port)
{
	const char *colon = NULL;
	*port = 0;
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (!rb || (rb[1] && rb[1] != ':'))
			sl_lua_fail(L, "inject{}: via '%s' is not host[:port]", s);
		snprintf(host, hlen, "%.*s", (int)(rb - s - 1), s + 1);
		colon = rb[1] ? rb + 1 : NULL;
	} else {
		colon = strchr(s, ':');
		if (colon && strchr(colon + 1, ':'))
			colon = NULL; /* a bare IPv6 address */
		snprintf(host, hlen, "%.*s", colon ? (int)(colon - s) : (int)strlen(s), s);
	}
	if (!host[0] || strpbrk(host, " \t\r\n;,"))
		sl_lua_fail(L, "inject{}: via '%s' is not host[:port]", s);
	if (colon) {
		char *end;
		long p = strtol(colon + 1, &end, 10);
		if (*end || p < 1 || p > 65535)
			sl_lua_fail(L, "inject{}: via '%s': port must be 1..65535", s);
		*port = (unsigned)p;
	}
}

static void headers_of(lua_State *L, int t, char *out, size_t len)
{
	size_t used = 0;
	out[0] = 0;
	lua_getfield(L, t, "headers");
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return;
	}
	if (!lua_istable(L, -1))
		sl_lua_fail(L, "inject{}: headers must be a table");
	int h = lua_gettop(L);
	lua_pushnil(L);
	while (lua_next(L, h)) {
		char line[1024];
		int named = lua_type(L, -2) == LUA_TSTRING;
		const char *val = luaL_tolstring(L, -1, NULL);
		if (named)
			snprintf(line, sizeof(line), "%s: %s", lua_tostring(L, -3), val);
		else
			snprintf(line, sizeof(line), "%s", val);
		lua_pop(L, 1);
		if (strpbrk(line, "\r\n") || !strchr(line, ':'))
			sl_lua_fail(L, "inject{}: header '%s' must be \"Name: value\" on one line", line);
		int n = snprintf(out + used, len - used, "%s\r\n", line);
		if (n < 0 || (size_t)n >= len - used)
			sl_lua_fail(L, "inject{}: headers too long");
		used += (size_t)n;
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
}

static int l_inject(lua_State *L)
{
	struct sl_world *w = sl_lua_world(L, "inject");
	luaL_checktype(L, 1, LUA_TTABLE);
	struct sl_uac *u = uac_of(L, w, "inject{}");
	static const char *const keys[] = { "from", "to", "method", "uri", "via", "via_transport",
					    "headers", "retransmit", "gone", "ack", "wait",
					    "timeout", NULL };
	lua_pushnil(L);
	while (lua_next(L, 1)) {
		int known = 0;
		for (const char *const *k = keys; *k && !known; k++)
			known = lua_type(L, -2) == LUA_TSTRING && !strcmp(lua_tostring(L, -2), *k);
		if (!known)
			return sl_lua_fail(L, "inject{}: unknown key '%s' (from, to, method, uri, via, "
				    "via_transport, headers, retransmit, gone, ack, wait, timeout)",
				    luaL_tolstring(L, -2, NULL));
		lua_pop(L, 1);
	}
	struct sl_uac_req r = { 0 };
	r.from = sl_lua_opt_str(L, 1, "from");
	r.to = sl_lua_opt_str(L, 1, "to");
	r.method = sl_lua_opt_str(L, 1, "method");
	r.uri = sl_lua_opt_str(L, 1, "uri");
	if (!r.from || !r.uri)
		return sl_lua_fail(L, "inject{}: from (\"addr:port/udp\") and uri are required");
	if (!r.method)
		r.method = "INVITE";
	for (const char *p = r.method; *p; p++)
		if (*p < 'A' || *p > 'Z')
			return sl_lua_fail(L, "inject{}: method '%s' must be upper-case letters", r.method);
	if (!strcmp(r.method, "ACK") || !strcmp(r.method, "CANCEL"))
		return sl_lua_fail(L, "inject{}: an ACK or CANCEL belongs to a transaction: use "
			    "inject_ack(r) / inject_cancel(r)");
	if (strpbrk(r.uri, " \t\r\n<>"))
		return sl_lua_fail(L, "inject{}: uri must not contain white space or <>");
	char to[96];
	if (!r.to) {
		/* Where the SUT listens for the source's transport (5061 for TLS). */
		const char *tp = strrchr(r.from, '/');
		sl_world_sut_listen(w, tp ? tp + 1 : "udp", to, sizeof(to));
		r.to = to;
	}
	char host[256];
	const char *via = sl_lua_opt_str(L, 1, "via");
	if (via) {
		parse_sentby(L, via, host, sizeof(host), &r.via_port);
		r.via_host = host;
	}
	r.via_transport = sl_lua_opt_str(L, 1, "via_transport");
	if (r.via_transport) {
		static const char *const tps[] = { "UDP", "TCP", "TLS", "SCTP", NULL };
		int ok = 0;
		for (const char *const *t = tps; *t; t++)
			ok |= !strcmp(*t, r.via_transport);
		if (!ok)
			return sl_lua_fail(L, "inject{}: via_transport must be UDP, TCP, TLS or SCTP");
	}
	char hdrs[4096];
	headers_of(L, 1, hdrs, sizeof(hdrs));
	r.headers = hdrs[0] ? hdrs : NULL;
	lua_getfield(L, 1, "gone");
	r.gone = lua_toboolean(L, -1);
	lua_pop(L, 1);
	/* A client that is gone sends nothing more: no retransmission, no ACK, unless the
	 * scenario asks for them. */
	r.rtx = r.gone ? SL_RTX_NONE : SL_RTX_RFC3261;
	lua_getfield(L, 1, "retransmit");
	if (lua_isboolean(L, -1)) {
		r.rtx = lua_toboolean(L, -1) ? SL_RTX_RFC3261 : SL_RTX_NONE;
	} else if (lua_istable(L, -1)) {
		int t = lua_gettop(L);
		lua_pushnil(L);
		while (lua_next(L, t)) {
			const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?";
			if (strcmp(k, "count") && strcmp(k, "interval") && strcmp(k, "after"))
				return sl_lua_fail(L, "inject{}: retransmit: unknown key '%s' (count, "
					    "interval, after)", k);
			lua_pop(L, 1);
		}
		r.rtx = SL_RTX_FIXED;
		r.rtx_count = (unsigned)opt_num(L, t, "count", 10, 0, 1000, "inject{} retransmit");
		r.rtx_interval_s = opt_num(L, t, "interval", sl_world_t1(w), 0.001, 3600,
					   "inject{} retransmit");
		/* Retransmissions that wait for the SUT's own move: a copy at that peer. */
		r.rtx_after = sl_lua_opt_str(L, t, "after");
		if (r.rtx_after) {
			char e2[256], tp2[8];
			struct sockaddr_storage ss;
			socklen_t sl;
			if (sl_addr_parse(r.rtx_after, &ss, &sl, tp2, e2, sizeof(e2)) < 0)
				return sl_lua_fail(L, "inject{}: retransmit after: %s", e2);
		}
	} else if (!lua_isnil(L, -1)) {
		return sl_lua_fail(L, "inject{}: retransmit must be true, false or { count = n, "
			    "interval = s }");
	}
	lua_pop(L, 1);
	lua_getfield(L, 1, "ack");
	r.auto_ack = lua_isnil(L, -1) ? !r.gone : lua_toboolean(L, -1);
	lua_pop(L, 1);
	double def = 64 * sl_world_t1(w);
	if (r.rtx == SL_RTX_FIXED && r.rtx_count * r.rtx_interval_s + sl_world_t1(w) > def)
		def = r.rtx_count * r.rtx_interval_s + sl_world_t1(w);
	r.timeout_s = opt_num(L, 1, "timeout", def, 0.001, 3600, "inject{}");
	enum wait_for what = parse_wait(L, 1, "inject{}");
	char err[1024];
	int rc = sl_world_start(w, err, sizeof(err));
	if (rc < 0)
		return sl_lua_world_error(L, rc, err);
	unsigned id;
	if (sl_uac_send(u, &r, &id, err, sizeof(err)) < 0)
		return sl_lua_fail(L, "inject{}: %s", err);
	return wait_and_push(L, w, u, id, what, r.timeout_s);
}

static unsigned txn_of(lua_State *L, int idx, const char *fn)
{
	if (!lua_istable(L, idx))
		return (unsigned)sl_lua_fail(L, "%s: the argument must be what inject{} returned", fn);
	lua_getfield(L, idx, "txn");
	if (!lua_isinteger(L, -1))
		return (unsigned)sl_lua_fail(L, "%s: the argument must be what inject{} returned", fn);
	unsigned id = (unsigned)lua_tointeger(L, -1);
	lua_pop(L, 1);
	return id;
}

static int l_inject_ack(lua_State *L)
{
	struct sl_world *w = sl_lua_world(L, "inject_ack");
	struct sl_uac *u = uac_of(L, w, "inject_ack");
	unsigned id = txn_of(L, 1, "inject_ack");
	char err[512];
	if (sl_uac_ack(u, id, err, sizeof(err)) < 0)
		return sl_lua_fail(L, "%s", err);
	int rc = sl_world_settle(w, err, sizeof(err));
	if (rc < 0)
		return sl_lua_world_error(L, rc, err);
	return 0;
}

static int l_inject_cancel(lua_State *L)
{
	struct sl_world *w = sl_lua_world(L, "inject_cancel");
	struct sl_uac *u = uac_of(L, w, "inject_cancel");
	unsigned id = txn_of(L, 1, "inject_cancel"), cid;
	char err[512];
	if (sl_uac_cancel(u, id, &cid, err, sizeof(err)) < 0)
		return sl_lua_fail(L, "%s", err);
	return wait_and_push(L, w, u, cid, parse_wait(L, 2, "inject_cancel"),
			     64 * sl_world_t1(w));
}

static int l_inject_wait(lua_State *L)
{
	struct sl_world *w = sl_lua_world(L, "inject_wait");
	struct sl_uac *u = uac_of(L, w, "inject_wait");
	unsigned id = txn_of(L, 1, "inject_wait");
	double t = opt_num(L, 2, "timeout", 64 * sl_world_t1(w), 0.001, 3600, "inject_wait");
	return wait_and_push(L, w, u, id, parse_wait(L, 2, "inject_wait"), t);
}

static void on_recover(void *arg)
{
	char err[256];
	sl_peer_set_down(arg, 0, 0, err, sizeof(err)); /* udp cannot fail; tcp logs its mode */
}

/* unreachable("addr:port/udp" [, { kind = "port"|"host"|"net", recover_at = t,
 *                                   recover_after = n }]) */
static int l_unreachable(lua_State *L)
{
	struct sl_world *w = sl_lua_world(L, "unreachable");
	const char *spec = luaL_checkstring(L, 1);
	char err[512], norm[128], tp[8], a[SL_ADDRSTRLEN];
	struct sockaddr_storage ss;
	socklen_t slen;
	if (sl_addr_parse(spec, &ss, &slen, tp, err, sizeof(err)) < 0)
		return sl_lua_fail(L, "unreachable: %s", err);
	sl_addr_fmt((void *)&ss, a, sizeof(a));
	snprintf(norm, sizeof(norm), "%s/%s", a, tp);
	if (lua_istable(L, 2)) {
		lua_pushnil(L);
		while (lua_next(L, 2)) {
			const char *key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?";
			if (strcmp(key, "kind") && strcmp(key, "recover_at") &&
			    strcmp(key, "recover_after"))
				return sl_lua_fail(L, "unreachable: unknown key '%s' (kind, recover_at, "
					    "recover_after)", key);
			lua_pop(L, 1);
		}
	} else if (!lua_isnoneornil(L, 2)) {
		return sl_lua_fail(L, "unreachable: the options must be a table");
	}
	enum sl_icmp_kind kind = SL_ICMP_PORT;
	const char *k = lua_istable(L, 2) ? sl_lua_opt_str(L, 2, "kind") : NULL;
	if (k && !strcmp(k, "host"))
		kind = SL_ICMP_HOST;
	else if (k && !strcmp(k, "net"))
		kind = SL_ICMP_NET;
	else if (k && strcmp(k, "port"))
		return sl_lua_fail(L, "unreachable: kind must be port, host or net");
	double at = opt_num(L, 2, "recover_at", -1, 0, 1e6, "unreachable");
	double after = opt_num(L, 2, "recover_after", 0, 0, 1e6, "unreachable");
	if (after != (unsigned)after)
		return sl_lua_fail(L, "unreachable: recover_after is a count of datagrams");
	struct sl_peer *p = sl_world_find_peer(w, norm);
	if (!p && !(p = sl_world_peer(w, norm, err, sizeof(err))))
		return sl_lua_fail(L, "unreachable: %s", err);
	if (sl_peer_set_down(p, kind, (unsigned)after, err, sizeof(err)) < 0)
		return sl_lua_fail(L, "unreachable: %s", err);
	if (at >= 0 && sl_world_at(w, at, on_recover, p) < 0)
		return sl_lua_fail(L, "unreachable: too many timed changes");
	return 0;
}

void sl_lua_open_uac(lua_State *L, void *ctx)
{
	static const luaL_Reg api[] = {
		{ "inject", l_inject }, { "inject_ack", l_inject_ack },
		{ "inject_cancel", l_inject_cancel }, { "inject_wait", l_inject_wait },
		{ "unreachable", l_unreachable }, { NULL, NULL },
	};
	sl_lua_register(L, ctx, api);
}
