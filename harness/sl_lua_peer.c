/* sl_lua_peer.c: the scenario API of the SIP peers: peer() and the behaviours reply(),
 * provisional(), silence(), icmp(), tcp_reset(), close_before_response(), tcp_refuse(),
 * drop_syn(); on_request handlers called back from the event loop. */
#include <ctype.h>
#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_check.h"
#include "sl_lua_api.h"
#include "sl_peer.h"
#include "sl_world.h"

#define HDR_ROOM 2048
#define HANDLER_MT "siploc.peer_handler"

/* Header strings of a plan being built: they live until the peer has copied them. */
struct hdr_pool {
	char s[SL_PLAN_MAX][HDR_ROOM];
};

static void headers_of(lua_State *L, int idx, char *hdrs, size_t hlen)
{
	size_t used = 0;
	hdrs[0] = 0;
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		/* { ["Retry-After"] = 60 } or { "Retry-After: 60" } */
		char tmp[1024];
		int named = lua_type(L, -2) == LUA_TSTRING;
		const char *val = luaL_tolstring(L, -1, NULL);
		if (named)
			snprintf(tmp, sizeof(tmp), "%s: %s", lua_tostring(L, -3), val);
		else
			snprintf(tmp, sizeof(tmp), "%s", val);
		lua_pop(L, 1);
		if (strpbrk(tmp, "\r\n") || !strchr(tmp, ':'))
			sl_lua_fail(L, "reply(): header '%s' must be one 'Name: value' line", tmp);
		int n = snprintf(hdrs + used, hlen - used, "%s\r\n", tmp);
		if (n < 0 || (size_t)n >= hlen - used)
			sl_lua_fail(L, "reply(): headers too long");
		used += (size_t)n;
		lua_pop(L, 1);
	}
}

/* A behaviour table at idx (made by reply() and friends) into b. */
static void to_behaviour(lua_State *L, int idx, struct sl_behaviour *b, char *hdrs)
{
	idx = lua_absindex(L, idx);
	memset(b, 0, sizeof(*b));
	if (!lua_istable(L, idx))
		sl_lua_fail(L, "peer: expected a behaviour made by reply(), provisional(), "
			    "silence(), icmp(), tcp_reset() or close_before_response()");
	const char *kind = sl_lua_opt_str(L, idx, "kind");
	if (!kind)
		sl_lua_fail(L, "peer: expected a behaviour made by reply(), provisional(), "
			    "silence(), icmp(), tcp_reset() or close_before_response()");
	lua_getfield(L, idx, "delay");
	b->delay_s = lua_tonumber(L, -1);
	lua_pop(L, 1);
	if (!strcmp(kind, "silence")) {
		b->kind = SL_B_SILENCE;
	} else if (!strcmp(kind, "icmp")) {
		b->kind = SL_B_ICMP;
		lua_getfield(L, idx, "icmp");
		b->icmp = (enum sl_icmp_kind)lua_tointeger(L, -1);
		lua_pop(L, 1);
	} else if (!strcmp(kind, "tcp_reset")) {
		b->kind = SL_B_TCP_RESET;
	} else if (!strcmp(kind, "close")) {
		b->kind = SL_B_CLOSE;
	} else if (!strcmp(kind, "reply")) {
		b->kind = SL_B_REPLY;
		lua_getfield(L, idx, "code");
		b->code = (int)lua_tointeger(L, -1);
		lua_pop(L, 1);
		lua_getfield(L, idx, "bare");
		b->bare = lua_toboolean(L, -1);
		lua_pop(L, 1);
		lua_getfield(L, idx, "headers");
		if (lua_istable(L, -1)) {
			headers_of(L, lua_gettop(L), hdrs, HDR_ROOM);
			b->headers = hdrs;
		}
		lua_pop(L, 1);
	} else {
		sl_lua_fail(L, "peer: %s() sets how the port answers connections; give it as the "
			    "peer's whole behaviour, not as a step", kind);
	}
}

/* A plan at idx: one behaviour, or a list of steps. */
static void to_plan(lua_State *L, int idx, struct sl_plan *pl, struct hdr_pool *pool)
{
	idx = lua_absindex(L, idx);
	memset(pl, 0, sizeof(*pl));
	if (!lua_istable(L, idx))
		sl_lua_fail(L, "peer: expected a behaviour or a list of them");
	lua_getfield(L, idx, "kind");
	int single = !lua_isnil(L, -1);
	lua_pop(L, 1);
	if (single) {
		pl->n = 1;
		to_behaviour(L, idx, &pl->step[0], pool->s[0]);
		return;
	}
	lua_Integer n = luaL_len(L, idx);
	if (n < 1 || n > SL_PLAN_MAX)
		sl_lua_fail(L, "peer: a list of steps holds 1 to %d behaviours", SL_PLAN_MAX);
	for (lua_Integer i = 1; i <= n; i++) {
		lua_geti(L, idx, i);
		to_behaviour(L, -1, &pl->step[i - 1], pool->s[i - 1]);
		lua_pop(L, 1);
	}
	pl->n = (unsigned)n;
}

static void add_plan(lua_State *L, struct sl_peer *p, const char *method, unsigned nth,
		     int idx)
{
	/* A userdata, so a Lua error raised by to_plan leaks nothing. */
	struct hdr_pool *pool = lua_newuserdatauv(L, sizeof(*pool), 0);
	struct sl_plan pl;
	char err[256];
	to_plan(L, idx, &pl, pool);
	int rc = sl_peer_plan(p, method, nth, &pl, err, sizeof(err));
	lua_pop(L, 1);
	if (rc < 0)
		sl_lua_fail(L, "peer %s: %s", sl_peer_spec(p), err);
}

static int mk(lua_State *L, const char *kind)
{
	lua_createtable(L, 0, 4);
	lua_pushstring(L, kind);
	lua_setfield(L, -2, "kind");
	return 1;
}

static int l_reply_common(lua_State *L, const char *fn, int lo, int hi)
{
	lua_Integer code = luaL_checkinteger(L, 1);
	int has_headers = !lua_isnoneornil(L, 2), has_opts = !lua_isnoneornil(L, 3);
	if (has_headers)
		luaL_checktype(L, 2, LUA_TTABLE);
	if (has_opts)
		luaL_checktype(L, 3, LUA_TTABLE);
	if (code < lo || code > hi)
		return sl_lua_fail(L, "%s(%lld): status must be %d..%d", fn, (long long)code, lo, hi);
	mk(L, "reply");
	lua_pushinteger(L, code);
	lua_setfield(L, -2, "code");
	if (has_headers) {
		lua_pushvalue(L, 2);
		lua_setfield(L, -2, "headers");
	}
	if (has_opts) {
		lua_pushnil(L);
		while (lua_next(L, 3)) {
			const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
			if (!k || (strcmp(k, "delay") && strcmp(k, "contact")))
				return sl_lua_fail(L, "%s(): unknown option '%s' (options: delay, "
						   "contact)", fn, k ? k : luaL_typename(L, -2));
			lua_pop(L, 1);
		}
		lua_getfield(L, 3, "delay");
		if (!lua_isnil(L, -1) && (!lua_isnumber(L, -1) || lua_tonumber(L, -1) < 0))
			return sl_lua_fail(L, "%s(): delay must be a number of SUT seconds >= 0", fn);
		lua_setfield(L, -2, "delay");
		/* contact = false: a 2xx to INVITE as a broken UAS sends it, without the Contact
		 * and SDP the peer adds (a header Contact = "..." replaces the peer's own). */
		lua_getfield(L, 3, "contact");
		if (!lua_isnil(L, -1) && !(lua_isboolean(L, -1) && !lua_toboolean(L, -1)))
			return sl_lua_fail(L, "%s(): contact may only be false (give another Contact "
					   "as a header: { Contact = \"<sip:...>\" })", fn);
		lua_pushboolean(L, lua_isboolean(L, -1));
		lua_setfield(L, -3, "bare");
		lua_pop(L, 1);
	}
	return 1;
}

static int l_reply(lua_State *L)
{
	return l_reply_common(L, "reply", 100, 699);
}

static int l_provisional(lua_State *L)
{
	return l_reply_common(L, "provisional", 100, 199);
}

/* Behaviours with at most {delay = s} as options. */
static int with_delay(lua_State *L, int opts, const char *kind)
{
	mk(L, kind);
	if (lua_istable(L, opts)) {
		lua_getfield(L, opts, "delay");
		if (!lua_isnil(L, -1) && (!lua_isnumber(L, -1) || lua_tonumber(L, -1) < 0))
			return sl_lua_fail(L, "%s(): delay must be a number of SUT seconds >= 0", kind);
		lua_setfield(L, -2, "delay");
	}
	return 1;
}

static int l_silence(lua_State *L)
{
	return mk(L, "silence");
}

static int l_icmp(lua_State *L)
{
	const char *k = luaL_checkstring(L, 1);
	int v = !strcmp(k, "port") ? SL_ICMP_PORT : !strcmp(k, "host") ? SL_ICMP_HOST :
		!strcmp(k, "net") ? SL_ICMP_NET : 0;
	if (!v)
		return sl_lua_fail(L, "icmp('%s'): kind must be 'port', 'host' or 'net'", k);
	with_delay(L, 2, "icmp");
	lua_pushinteger(L, v);
	lua_setfield(L, -2, "icmp");
	return 1;
}

static int l_tcp_reset(lua_State *L)
{
	return with_delay(L, 1, "tcp_reset");
}

static int l_close(lua_State *L)
{
	return with_delay(L, 1, "close");
}

static int l_tcp_refuse(lua_State *L)
{
	return mk(L, "tcp_refuse");
}

static int l_drop_syn(lua_State *L)
{
	return mk(L, "drop_syn");
}

/* The Lua side of an on_request handler. Lives as a userdata anchored in the registry:
 * when the Lua state closes (before the world settles for the last time), __gc detaches
 * it from the peer, so the peer never calls into a closed state. */
struct handler {
	lua_State *L;
	struct sl_peer *p;
	struct sl_world *w;
	int fn_ref;
	struct hdr_pool pool;
	char err[256];
};

static const char *expand_compact(const char *n)
{
	static const char *const map[][2] = {
		{ "v", "via" }, { "i", "call-id" }, { "f", "from" }, { "t", "to" },
		{ "l", "content-length" }, { "c", "content-type" }, { "m", "contact" },
		{ "k", "supported" }, { "s", "subject" }, { "e", "content-encoding" },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(n, map[i][0]))
			return map[i][1];
	return n;
}

/* Sets t[name] = value, or appends ", value" to what is there. */
static void add_header(lua_State *L, int t, const char *name, const char *v, size_t vl)
{
	lua_getfield(L, t, name);
	if (lua_isstring(L, -1)) {
		lua_pushstring(L, ", ");
		lua_pushlstring(L, v, vl);
		lua_concat(L, 3);
	} else {
		lua_pop(L, 1);
		lua_pushlstring(L, v, vl);
	}
	lua_setfield(L, t, name);
}

/* req.headers: lower-case full names; repeated headers joined with ", "; folded lines
 * unfolded to one space. */
static void push_headers(lua_State *L, const char *raw, size_t len)
{
	lua_newtable(L);
	int t = lua_gettop(L);
	const char *p = memchr(raw, '\n', len), *end = raw + len;
	char name[128] = "", val[8192];
	size_t vl = 0;
	int have = 0;
	while (p && ++p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *le = eol ? eol : end;
		size_t l = (size_t)(le - p);
		if (l && p[l - 1] == '\r')
			l--;
		int cont = l && (p[0] == ' ' || p[0] == '\t');
		if (have && !cont) {
			add_header(L, t, name, val, vl);
			have = 0;
		}
		if (!l)
			break;
		if (cont && have) {
			while (l && (*p == ' ' || *p == '\t')) {
				p++;
				l--;
			}
			if (vl + 1 + l < sizeof(val)) {
				val[vl++] = ' ';
				memcpy(val + vl, p, l);
				vl += l;
			}
		} else if (!cont) {
			const char *colon = memchr(p, ':', l);
			if (colon) {
				size_t nl = (size_t)(colon - p);
				while (nl && (p[nl - 1] == ' ' || p[nl - 1] == '\t'))
					nl--;
				if (nl >= sizeof(name))
					nl = sizeof(name) - 1;
				char low[128];
				for (size_t i = 0; i < nl; i++)
					low[i] = (char)tolower((unsigned char)p[i]);
				low[nl] = 0;
				snprintf(name, sizeof(name), "%s", expand_compact(low));
				const char *v = colon + 1;
				while (v < p + l && (*v == ' ' || *v == '\t'))
					v++;
				vl = (size_t)(p + l - v);
				while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
					vl--;
				if (vl >= sizeof(val))
					vl = sizeof(val) - 1;
				memcpy(val, v, vl);
				have = 1;
			}
		}
		p = eol;
	}
	if (have)
		add_header(L, t, name, val, vl);
}

/* Runs in lua_pcall: (handler, req, plan) as light userdata. */
static int call_protected(lua_State *L)
{
	struct handler *h = lua_touserdata(L, 1);
	const struct sl_peer_req *q = lua_touserdata(L, 2);
	struct sl_plan *out = lua_touserdata(L, 3);
	lua_rawgeti(L, LUA_REGISTRYINDEX, h->fn_ref);
	lua_createtable(L, 0, 10);
	static const char *const keys[] = { "method", "uri", "branch", "transport", "source",
					    "call_id" };
	const char *vals[] = { q->method, q->uri, q->branch, q->transport, q->source, q->call_id };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		lua_pushstring(L, vals[i]);
		lua_setfield(L, -2, keys[i]);
	}
	lua_pushinteger(L, q->nth);
	lua_setfield(L, -2, "nth");
	push_headers(L, q->raw, q->raw_len);
	lua_setfield(L, -2, "headers");
	lua_call(L, 1, 1);
	if (lua_isnil(L, -1)) {
		lua_pushboolean(L, 0);
		return 1;
	}
	to_plan(L, -1, out, &h->pool);
	lua_pushboolean(L, 1);
	return 1;
}

static int run_handler(void *arg, const struct sl_peer_req *q, struct sl_plan *out)
{
	struct handler *h = arg;
	lua_State *L = h->L;
	int top = lua_gettop(L);
	lua_pushcfunction(L, call_protected);
	lua_pushlightuserdata(L, h);
	lua_pushlightuserdata(L, (void *)q);
	lua_pushlightuserdata(L, out);
	int st = lua_pcall(L, 3, 1, 0), have = 0;
	if (st == LUA_OK) {
		have = lua_toboolean(L, -1);
	} else {
		/* A broken handler fails the scenario, naming where it broke. */
		struct sl_check_out o = { .pass = 0 };
		const char *msg = lua_tostring(L, -1);
		snprintf(o.detail, sizeof(o.detail), "peer %s: on_request failed for %s %s: %s",
			 sl_peer_spec(h->p), q->method, q->uri, msg ? msg : "?");
		sl_world_note(h->w, o.detail);
		sl_world_check(h->w, "peer on_request", NULL, 0, &o);
		memset(out, 0, sizeof(*out)); /* the request stays unanswered */
		have = 1;
	}
	lua_settop(L, top);
	return have;
}

static int handler_gc(lua_State *L)
{
	struct handler *h = luaL_checkudata(L, 1, HANDLER_MT);
	if (h->p)
		sl_peer_set_handler(h->p, NULL, NULL);
	h->p = NULL;
	return 0;
}

static void set_handler(lua_State *L, struct sl_world *w, struct sl_peer *p, int fn_idx)
{
	fn_idx = lua_absindex(L, fn_idx);
	struct handler *h = lua_newuserdatauv(L, sizeof(*h), 0);
	memset(h, 0, sizeof(*h));
	if (luaL_newmetatable(L, HANDLER_MT)) {
		lua_pushcfunction(L, handler_gc);
		lua_setfield(L, -2, "__gc");
	}
	lua_setmetatable(L, -2);
	/* The main thread: the one sending runs the loop that calls back. */
	lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_MAINTHREAD);
	h->L = lua_tothread(L, -1);
	lua_pop(L, 1);
	h->p = p;
	h->w = w;
	lua_pushvalue(L, fn_idx);
	h->fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	luaL_ref(L, LUA_REGISTRYINDEX); /* anchors the userdata until the state closes */
	sl_peer_set_handler(p, run_handler, h);
}

static int is_method(const char *k)
{
	if (!*k)
		return 0;
	for (const char *c = k; *c; c++)
		if (!isupper((unsigned char)*c) && *c != '-' && *c != '_')
			return 0;
	return 1;
}

static void rules(lua_State *L, struct sl_world *w, struct sl_peer *p, int idx)
{
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		if (lua_type(L, -2) != LUA_TSTRING)
			sl_lua_fail(L, "peer %s: rules are METHOD = plan, default = plan, nth = { [k] = "
				    "plan }, on_request = function(req) ... end", sl_peer_spec(p));
		const char *k = lua_tostring(L, -2);
		if (!strcmp(k, "on_request")) {
			if (!lua_isfunction(L, -1))
				sl_lua_fail(L, "peer %s: on_request must be a function", sl_peer_spec(p));
			set_handler(L, w, p, -1);
		} else if (!strcmp(k, "nth")) {
			luaL_checktype(L, -1, LUA_TTABLE);
			int t = lua_gettop(L);
			lua_pushnil(L);
			while (lua_next(L, t)) {
				if (!lua_isinteger(L, -2) || lua_tointeger(L, -2) < 1)
					sl_lua_fail(L, "peer %s: nth = { [1] = plan, [2] = plan, ... }: keys "
						    "are request counts from 1", sl_peer_spec(p));
				add_plan(L, p, NULL, (unsigned)lua_tointeger(L, -2), lua_gettop(L));
				lua_pop(L, 1);
			}
		} else if (!strcmp(k, "default")) {
			add_plan(L, p, NULL, 0, lua_gettop(L));
		} else if (is_method(k)) {
			add_plan(L, p, k, 0, lua_gettop(L));
		} else {
			sl_lua_fail(L, "peer %s: '%s' is not a method (upper case), default, nth or "
				    "on_request", sl_peer_spec(p), k);
		}
		lua_pop(L, 1);
	}
}

/* peer(spec, plan, { names = {...}, cert = "...", handshake = "abort" }): a tls peer's
 * certificate. The names live in a userdata on the stack until the world copied them. */
#define MAX_NAMES 32
static int tls_opts(lua_State *L, int idx, const char *spec, struct sl_world_tls_opts *o)
{
	memset(o, 0, sizeof(*o));
	if (lua_isnoneornil(L, idx))
		return 0;
	luaL_checktype(L, idx, LUA_TTABLE);
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?";
		if (strcmp(k, "names") && strcmp(k, "cert") && strcmp(k, "handshake"))
			sl_lua_fail(L, "peer %s: option '%s': options are names = { ... }, cert = "
				    "\"wrong-name\"|\"expired\"|\"untrusted\", handshake = \"abort\"",
				    spec, k);
		lua_pop(L, 1);
	}
	const char *cert = sl_lua_opt_str(L, idx, "cert");
	if (cert) {
		static const char *const kinds[] = { "valid", "wrong-name", "expired", "untrusted" };
		size_t k = 0;
		while (k < 4 && strcmp(cert, kinds[k]))
			k++;
		if (k == 4)
			sl_lua_fail(L, "peer %s: cert = \"%s\": one of \"valid\", \"wrong-name\", "
				    "\"expired\", \"untrusted\"", spec, cert);
		o->cert = (enum sl_tls_cert)k;
	}
	const char *hs = sl_lua_opt_str(L, idx, "handshake");
	if (hs && strcmp(hs, "abort"))
		sl_lua_fail(L, "peer %s: handshake = \"%s\": only \"abort\" (the peer refuses the "
			    "handshake)", spec, hs);
	o->abort_handshake = hs != NULL;
	lua_getfield(L, idx, "names");
	if (!lua_isnil(L, -1)) {
		if (!lua_istable(L, -1))
			sl_lua_fail(L, "peer %s: names = { \"sip.example.test\", \"127.0.0.2\", ... }",
				    spec);
		lua_Integer n = luaL_len(L, -1);
		if (n > MAX_NAMES)
			sl_lua_fail(L, "peer %s: more than %d names", spec, MAX_NAMES);
		const char **v = lua_newuserdatauv(L, sizeof(char *) * MAX_NAMES, 0);
		for (lua_Integer i = 1; i <= n; i++) {
			lua_geti(L, -2, i);
			if (lua_type(L, -1) != LUA_TSTRING)
				sl_lua_fail(L, "peer %s: names[%lld] is not a string", spec, (long long)i);
			/* The string stays anchored in the names table. */
			v[i - 1] = lua_tostring(L, -1);
			lua_pop(L, 1);
		}
		o->names = v;
		o->nnames = (size_t)n;
		lua_insert(L, -2);  /* userdata below the names table: both stay */
	} else {
		lua_pop(L, 1);
	}
	return 1;
}

static int l_peer(lua_State *L)
{
	struct sl_world *w = sl_lua_world(L, "peer");
	const char *spec = luaL_checkstring(L, 1);
	char err[512];
	struct sl_world_tls_opts to;
	int have_opts = tls_opts(L, 3, spec, &to);
	struct sl_peer *p = sl_world_tls_peer(w, spec, have_opts ? &to : NULL, err, sizeof(err));
	if (!p)
		return sl_lua_fail(L, "%s", err);
	if (lua_isnoneornil(L, 2))
		return 0;
	luaL_checktype(L, 2, LUA_TTABLE);
	const char *kind = sl_lua_opt_str(L, 2, "kind");
	if (kind && (!strcmp(kind, "tcp_refuse") || !strcmp(kind, "drop_syn"))) {
		if (sl_peer_mode(p, !strcmp(kind, "drop_syn") ? SL_PEER_DROP_SYN : SL_PEER_REFUSE,
				 err, sizeof(err)) < 0)
			return sl_lua_fail(L, "%s", err);
		return 0;
	}
	lua_geti(L, 2, 1);
	int list = !lua_isnil(L, -1);
	lua_pop(L, 1);
	if (kind || list)
		add_plan(L, p, NULL, 0, 2);
	else
		rules(L, w, p, 2);
	return 0;
}

void sl_lua_open_peer(lua_State *L, void *ctx)
{
	static const luaL_Reg api[] = {
		{ "peer", l_peer }, { "reply", l_reply }, { "provisional", l_provisional },
		{ "silence", l_silence }, { "icmp", l_icmp }, { "tcp_reset", l_tcp_reset },
		{ "close_before_response", l_close }, { "tcp_refuse", l_tcp_refuse },
		{ "drop_syn", l_drop_syn }, { NULL, NULL },
	};
	sl_lua_register(L, ctx, api);
}
