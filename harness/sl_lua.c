/* sl_lua.c: the sandboxed Lua state and the scenario API bound to a world. */
#include <errno.h>
#include <stdarg.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_catalogue.h"
#include "sl_check.h"
#include "sl_evlog.h"
#include "sl_lua.h"
#include "sl_peer.h"
#include "sl_sut.h"
#include "sl_world.h"

#define MEM_CAP (64u << 20)
#define INSN_CAP 200000000ull
#define INSN_STEP 10000

enum mode { MODE_META, MODE_RUN };

struct ctx {
	enum mode mode;
	struct sl_world *w;
	const struct sl_catalogue *cat;
	struct sl_scn_meta *meta;
	const char *path;
	char *src;
	size_t src_len;
	size_t mem, mem_cap;
	unsigned long long insns;
	int over_cap;
	int declared;            /* scenario{} seen */
	int not_run;             /* world said the scenario cannot run here */
	char stop_reason[1100];
};

static const char META_DONE[] = "siploc: metadata read";

static struct ctx *ctx_of(lua_State *L)
{
	return lua_touserdata(L, lua_upvalueindex(1));
}

static void *cap_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct ctx *c = ud;
	size_t old = ptr ? osize : 0;
	if (nsize == 0) {
		free(ptr);
		c->mem -= old;
		return NULL;
	}
	if (nsize > old && c->mem - old + nsize > c->mem_cap)
		return NULL;
	void *p = realloc(ptr, nsize);
	if (p)
		c->mem = c->mem - old + nsize;
	return p;
}

static void insn_hook(lua_State *L, lua_Debug *ar)
{
	void *ud;
	lua_getallocf(L, &ud);
	struct ctx *c = ud;
	c->insns += INSN_STEP;
	if (c->insns > INSN_CAP) {
		/* Once over, every instruction errors: a pcall cannot swallow it for long. */
		if (!c->over_cap) {
			c->over_cap = 1;
			lua_sethook(L, insn_hook, LUA_MASKCOUNT, 1);
		}
		/* lua_pushfstring knows no %llu: the message is formatted here. */
		char msg[600];
		lua_getinfo(L, "Sl", ar);
		snprintf(msg, sizeof(msg), "%s:%d: instruction limit (%llu) exceeded: endless loop?",
			 ar->short_src, ar->currentline, (unsigned long long)INSN_CAP);
		lua_pushstring(L, msg);
		lua_error(L);
	}
}

/* Raises a scenario error at the calling Lua line. */
static int fail(lua_State *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(lua_State *L, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return luaL_error(L, "%s", buf);
}

static void need_declared(lua_State *L, struct ctx *c, const char *fn)
{
	if (!c->declared || c->mode == MODE_META)
		fail(L, "%s: scenario{...} must be the first statement of a scenario", fn);
}

/* Reads a list of strings at table index idx (or a single string). */
static char **str_list(lua_State *L, int idx, const char *what, size_t *n)
{
	*n = 0;
	if (lua_isnoneornil(L, idx))
		return NULL;
	if (lua_isstring(L, idx)) {
		char **v = calloc(1, sizeof(*v));
		v[0] = strdup(lua_tostring(L, idx));
		*n = 1;
		return v;
	}
	if (!lua_istable(L, idx))
		fail(L, "%s must be a list of strings", what);
	size_t len = (size_t)luaL_len(L, idx);
	char **v = calloc(len ? len : 1, sizeof(*v));
	for (size_t i = 0; i < len; i++) {
		lua_geti(L, idx, (lua_Integer)i + 1);
		if (!lua_isstring(L, -1)) {
			for (size_t k = 0; k < i; k++)
				free(v[k]);
			free(v);
			fail(L, "%s[%zu] must be a string", what, i + 1);
		}
		v[i] = strdup(lua_tostring(L, -1));
		lua_pop(L, 1);
	}
	*n = len;
	return v;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static const char *opt_field_str(lua_State *L, int t, const char *k)
{
	lua_getfield(L, t, k);
	const char *s = NULL;
	if (!lua_isnil(L, -1)) {
		if (lua_type(L, -1) != LUA_TSTRING)
			fail(L, "field '%s' must be a string", k);
		s = lua_tostring(L, -1);
	}
	lua_pop(L, 1); /* the string stays alive: it is still referenced by the table */
	return s;
}

static int valid_id(const char *s)
{
	if (!*s)
		return 0;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return 0;
	return 1;
}

/* Frees v before raising: luaL_error does not return. */
static void check_reqs(lua_State *L, struct ctx *c, char **v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!sl_catalogue_find(c->cat, v[i])) {
			char bad[64];
			snprintf(bad, sizeof(bad), "%s", v[i]);
			free_list(v, n);
			fail(L, "unknown requirement '%s' (not in the catalogue)", bad);
		}
	}
}

static int l_scenario(lua_State *L)
{
	struct ctx *c = ctx_of(L);
	luaL_checktype(L, 1, LUA_TTABLE);
	if (c->declared)
		return fail(L, "scenario{} declared twice");
	const char *id = opt_field_str(L, 1, "id");
	const char *role = opt_field_str(L, 1, "role");
	const char *summary = opt_field_str(L, 1, "summary");
	if (!id || !valid_id(id))
		return fail(L, "scenario{}: id must be a non-empty string of a-z, 0-9, '-'");
	if (!role)
		role = "client";
	if (strcmp(role, "client") && strcmp(role, "stateless-proxy") && strcmp(role, "server"))
		return fail(L, "scenario{}: role must be client, stateless-proxy or server");
	if (!summary || !*summary)
		return fail(L, "scenario{}: a summary is required (one paragraph for the report)");
	lua_getfield(L, 1, "t1");
	double t1 = lua_isnil(L, -1) ? 0 : luaL_checknumber(L, -1);
	lua_pop(L, 1);
	if (t1 < 0 || t1 > 60)
		return fail(L, "scenario{}: t1 must be between 0 and 60 seconds");
	size_t ncov, nneed;
	lua_getfield(L, 1, "covers");
	char **cov = str_list(L, lua_gettop(L), "covers", &ncov);
	lua_getfield(L, 1, "needs");
	char **need = str_list(L, lua_gettop(L), "needs", &nneed);
	lua_pop(L, 2);
	static const char *const known_needs[] = { "udp", "tcp", "tls", "ipv6", "cancel",
						  "timers", NULL };
	for (size_t i = 0; i < nneed; i++) {
		int ok = 0;
		for (const char *const *k = known_needs; *k; k++)
			ok |= !strcmp(*k, need[i]);
		if (!ok) {
			char bad[64];
			snprintf(bad, sizeof(bad), "%s", need[i]);
			free_list(cov, ncov);
			free_list(need, nneed);
			return fail(L, "scenario{}: unknown need '%s' (udp tcp tls ipv6 cancel timers)",
				    bad);
		}
	}
	if (!ncov) {
		free_list(cov, ncov);
		free_list(need, nneed);
		return fail(L, "scenario{}: covers must name at least one requirement ID");
	}
	for (size_t i = 0; i < ncov; i++) {
		if (!sl_catalogue_find(c->cat, cov[i])) {
			char bad[64];
			snprintf(bad, sizeof(bad), "%s", cov[i]);
			free_list(cov, ncov);
			free_list(need, nneed);
			return fail(L, "scenario{}: unknown requirement '%s' (not in the catalogue)",
				    bad);
		}
	}
	c->declared = 1;
	if (c->mode == MODE_META) {
		struct sl_scn_meta *m = c->meta;
		m->id = strdup(id);
		m->file = strdup(c->path);
		m->role = strdup(role);
		m->summary = strdup(summary);
		m->covers = cov;
		m->ncovers = ncov;
		m->needs = need;
		m->nneeds = nneed;
		lua_pushstring(L, META_DONE);
		return lua_error(L);
	}
	int rc = sl_world_meta(c->w, id, c->path, role, summary, (const char *const *)cov, ncov,
			       (const char *const *)need, nneed, t1);
	free_list(cov, ncov);
	free_list(need, nneed);
	if (rc < 0)
		return fail(L, "out of memory");
	return 0;
}

/* Line in the scenario file where text starts, so zone errors name the right line. */
static int text_line(struct ctx *c, lua_State *L, const char *text)
{
	const char *at = c->src ? strstr(c->src, text) : NULL;
	if (at && *text) {
		int line = 1;
		for (const char *p = c->src; p < at; p++)
			line += *p == '\n';
		return line;
	}
	lua_Debug ar;
	if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "l", &ar))
		return ar.currentline;
	return 1;
}

static int l_zone(lua_State *L)
{
	struct ctx *c = ctx_of(L);
	need_declared(L, c, "zone");
	const char *origin = NULL;
	if (lua_istable(L, 2))
		origin = opt_field_str(L, 2, "origin");
	char err[512];
	int rc;
	if (lua_type(L, 1) == LUA_TSTRING) {
		const char *text = lua_tostring(L, 1);
		rc = sl_world_zone_text(c->w, text, origin, c->path, text_line(c, L, text), err,
					sizeof(err));
	} else if (lua_istable(L, 1)) {
		/* A list of records, one master-file line each. */
		size_t n = (size_t)luaL_len(L, 1);
		rc = 0;
		for (size_t i = 0; i < n && !rc; i++) {
			lua_geti(L, 1, (lua_Integer)i + 1);
			if (lua_type(L, -1) != LUA_TSTRING)
				return fail(L, "zone{}: entry %zu must be a record string", i + 1);
			const char *rr = lua_tostring(L, -1);
			rc = sl_world_zone_text(c->w, rr, origin, c->path, text_line(c, L, rr), err,
						sizeof(err));
			lua_pop(L, 1);
		}
	} else {
		return fail(L, "zone: expects master-file text or a list of record strings");
	}
	if (rc < 0)
		return luaL_error(L, "%s", err); /* already names file:line */
	return 0;
}

/* Converts a behaviour table at idx into b (strings live in the Lua table). */
static void to_behaviour(lua_State *L, int idx, struct sl_behaviour *b, char *hdrs,
			 size_t hlen)
{
	memset(b, 0, sizeof(*b));
	const char *kind = opt_field_str(L, idx, "kind");
	if (!kind)
		fail(L, "peer: expected a behaviour made by reply() or silence()");
	if (!strcmp(kind, "silence")) {
		b->kind = SL_B_SILENCE;
		return;
	}
	b->kind = SL_B_REPLY;
	lua_getfield(L, idx, "code");
	b->code = (int)lua_tointeger(L, -1);
	lua_pop(L, 1);
	lua_getfield(L, idx, "delay");
	b->delay_s = lua_tonumber(L, -1);
	lua_pop(L, 1);
	lua_getfield(L, idx, "headers");
	hdrs[0] = 0;
	if (lua_istable(L, -1)) {
		size_t used = 0;
		lua_pushnil(L);
		while (lua_next(L, -2)) {
			/* { ["Retry-After"] = 60 } or { "Retry-After: 60" } */
			char tmp[1024];
			const char *line = tmp;
			int named = lua_type(L, -2) == LUA_TSTRING;
			const char *val = luaL_tolstring(L, -1, NULL);
			if (named)
				snprintf(tmp, sizeof(tmp), "%s: %s", lua_tostring(L, -3), val);
			else
				snprintf(tmp, sizeof(tmp), "%s", val);
			lua_pop(L, 1);
			if (strpbrk(line, "\r\n") || !strchr(line, ':'))
				fail(L, "reply(): header '%s' must be one 'Name: value' line", line);
			int n = snprintf(hdrs + used, hlen - used, "%s\r\n", line);
			if (n < 0 || (size_t)n >= hlen - used)
				fail(L, "reply(): headers too long");
			used += (size_t)n;
			lua_pop(L, 1);
		}
		b->headers = hdrs;
	}
	lua_pop(L, 1);
}

static int l_reply(lua_State *L)
{
	lua_Integer code = luaL_checkinteger(L, 1);
	int has_headers = !lua_isnoneornil(L, 2), has_opts = !lua_isnoneornil(L, 3);
	if (has_headers)
		luaL_checktype(L, 2, LUA_TTABLE);
	if (has_opts)
		luaL_checktype(L, 3, LUA_TTABLE);
	if (code < 100 || code > 699)
		return fail(L, "reply(%lld): status must be 100..699", (long long)code);
	if (code < 200)
		return fail(L, "reply(%lld): provisional-only behaviours are not implemented yet "
			    "(peers answer with one final response)", (long long)code);
	lua_createtable(L, 0, 4);
	lua_pushstring(L, "reply");
	lua_setfield(L, -2, "kind");
	lua_pushinteger(L, code);
	lua_setfield(L, -2, "code");
	if (has_headers) {
		lua_pushvalue(L, 2);
		lua_setfield(L, -2, "headers");
	}
	if (has_opts) {
		lua_getfield(L, 3, "delay");
		if (!lua_isnil(L, -1) && (!lua_isnumber(L, -1) || lua_tonumber(L, -1) < 0))
			return fail(L, "reply(): delay must be a number of SUT seconds >= 0");
		lua_setfield(L, -2, "delay");
	}
	return 1;
}

static int l_silence(lua_State *L)
{
	lua_createtable(L, 0, 1);
	lua_pushstring(L, "silence");
	lua_setfield(L, -2, "kind");
	return 1;
}

static int l_peer(lua_State *L)
{
	struct ctx *c = ctx_of(L);
	need_declared(L, c, "peer");
	const char *spec = luaL_checkstring(L, 1);
	char err[512], hdrs[4096];
	struct sl_peer *p = sl_world_peer(c->w, spec, err, sizeof(err));
	if (!p)
		return fail(L, "%s", err);
	if (lua_isnoneornil(L, 2))
		return 0;
	luaL_checktype(L, 2, LUA_TTABLE);
	struct sl_behaviour b;
	lua_getfield(L, 2, "kind");
	int single = !lua_isnil(L, -1);
	lua_pop(L, 1);
	if (single) {
		to_behaviour(L, 2, &b, hdrs, sizeof(hdrs));
		sl_peer_on(p, NULL, &b);
		return 0;
	}
	lua_pushnil(L);
	while (lua_next(L, 2)) {
		if (lua_type(L, -2) != LUA_TSTRING || !lua_istable(L, -1))
			return fail(L, "peer: rules are METHOD = behaviour (or default = behaviour)");
		const char *m = lua_tostring(L, -2);
		to_behaviour(L, lua_gettop(L), &b, hdrs, sizeof(hdrs));
		sl_peer_on(p, strcmp(m, "default") ? m : NULL, &b);
		lua_pop(L, 1);
	}
	return 0;
}

static int world_error(lua_State *L, struct ctx *c, int rc, const char *err)
{
	if (rc == -EAGAIN) {
		c->not_run = 1;
		snprintf(c->stop_reason, sizeof(c->stop_reason), "%s", err);
	}
	return fail(L, "%s", err);
}

static int l_send(lua_State *L)
{
	struct ctx *c = ctx_of(L);
	need_declared(L, c, "send");
	luaL_checktype(L, 1, LUA_TTABLE);
	const char *method = opt_field_str(L, 1, "method");
	const char *uri = opt_field_str(L, 1, "uri");
	if (!method)
		method = "INVITE";
	if (!uri)
		return fail(L, "send{}: uri is required");
	lua_getfield(L, 1, "body");
	lua_Integer body = lua_isnil(L, -1) ? 0 : luaL_checkinteger(L, -1);
	lua_pop(L, 1);
	if (body < 0 || body > 60000)
		return fail(L, "send{}: body must be 0..60000 bytes");
	for (const char *p = method; *p; p++)
		if (*p < 'A' || *p > 'Z')
			return fail(L, "send{}: method '%s' must be upper-case letters", method);
	if (strpbrk(uri, " \t\r\n"))
		return fail(L, "send{}: uri must not contain white space");
	char err[1024];
	int status = 0;
	int rc = sl_world_send(c->w, method, uri, (size_t)body, &status, err, sizeof(err));
	if (rc < 0)
		return world_error(L, c, rc, err);
	lua_createtable(L, 0, 3);
	if (status >= 100) {
		lua_pushinteger(L, status);
		lua_setfield(L, -2, "status");
	} else {
		char buf[32];
		lua_pushstring(L, sl_sut_status_str(status, buf, sizeof(buf)));
		lua_setfield(L, -2, "error");
	}
	lua_pushinteger(L, status);
	lua_setfield(L, -2, "outcome");
	return 1;
}

static int l_advance(lua_State *L)
{
	struct ctx *c = ctx_of(L);
	need_declared(L, c, "advance");
	double s = luaL_checknumber(L, 1);
	char err[512];
	int rc = sl_world_advance(c->w, s, err, sizeof(err));
	if (rc < 0)
		return world_error(L, c, rc, err);
	return 0;
}

static int l_log(lua_State *L)
{
	struct ctx *c = ctx_of(L);
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	int n = lua_gettop(L);
	for (int i = 1; i <= n; i++) {
		if (i > 1)
			luaL_addchar(&b, ' ');
		luaL_tolstring(L, i, NULL);
		luaL_addvalue(&b);
	}
	luaL_pushresult(&b);
	if (c->w && c->mode == MODE_RUN)
		sl_world_note(c->w, lua_tostring(L, -1));
	return 0;
}

/* covers= of an expect_* options table (idx), validated; NULL: the scenario's. */
static char **opt_covers(lua_State *L, struct ctx *c, int idx, size_t *n)
{
	*n = 0;
	if (!lua_istable(L, idx))
		return NULL;
	lua_getfield(L, idx, "covers");
	char **v = str_list(L, lua_gettop(L), "covers", n);
	lua_pop(L, 1);
	if (v)
		check_reqs(L, c, v, *n);
	return v;
}

static void record(lua_State *L, struct ctx *c, const char *name, int opts_idx,
		   const struct sl_check_out *o)
{
	size_t n;
	char **reqs = opt_covers(L, c, opts_idx, &n);
	int rc = sl_world_check(c->w, name, (const char *const *)reqs, n, o);
	free_list(reqs, n);
	if (rc < 0)
		fail(L, "out of memory");
}

static int l_expect_status(lua_State *L)
{
	struct ctx *c = ctx_of(L);
	need_declared(L, c, "expect_status");
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_getfield(L, 1, "outcome");
	if (!lua_isinteger(L, -1))
		return fail(L, "expect_status: first argument must be what send{} returned");
	int got = (int)lua_tointeger(L, -1);
	lua_pop(L, 1);
	struct sl_check_out o = { 0 };
	char gbuf[32], want[64];
	const char *gs = sl_sut_status_str(got, gbuf, sizeof(gbuf));
	if (lua_isinteger(L, 2)) {
		int w = (int)lua_tointeger(L, 2);
		o.pass = got == w;
		snprintf(want, sizeof(want), "%d", w);
	} else if (lua_type(L, 2) == LUA_TSTRING) {
		const char *w = lua_tostring(L, 2);
		if (!strcmp(w, "failure")) {
			o.pass = got < 100 || got >= 300;
		} else if (!strcmp(w, "success")) {
			o.pass = got >= 200 && got < 300;
		} else {
			static const char *const errs[] = { "timeout", "transport-error", "dns-error",
							   "no-target", "internal-error",
							   "cancelled", NULL };
			int known = 0;
			for (const char *const *e = errs; *e; e++)
				known |= !strcmp(*e, w);
			if (!known)
				return fail(L, "expect_status: '%s' is not a status; use a code, "
					    "'success', 'failure' or one of timeout, transport-error, "
					    "dns-error, no-target, internal-error, cancelled", w);
			o.pass = !strcmp(gs, w);
		}
		snprintf(want, sizeof(want), "%s", w);
	} else {
		return fail(L, "expect_status: second argument must be a status code or name");
	}
	snprintf(o.detail, sizeof(o.detail), "expected %s, the SUT reported %s", want, gs);
	/* The proving events: the SUT's report itself. */
	struct sl_evlog *log = sl_world_log(c->w);
	for (size_t i = sl_evlog_count(log); i-- > 0;) {
		const struct sl_event *e = sl_evlog_get(log, i);
		if (e->kind == SL_EV_SIP_TX && o.nev < SL_CHECK_MAX_EV) {
			o.ev[o.nev++] = e->idx;
			break;
		}
	}
	record(L, c, "expect_status", 3, &o);
	return 0;
}

static enum sl_match parse_mode(lua_State *L, int opts)
{
	if (!lua_istable(L, opts))
		return SL_MATCH_EXACT;
	const char *m = opt_field_str(L, opts, "mode");
	if (!m || !strcmp(m, "exact"))
		return SL_MATCH_EXACT;
	if (!strcmp(m, "subsequence"))
		return SL_MATCH_SUBSEQ;
	if (!strcmp(m, "prefix"))
		return SL_MATCH_PREFIX;
	fail(L, "mode must be exact, subsequence or prefix");
	return SL_MATCH_EXACT;
}

static int l_expect_dns(lua_State *L)
{
	struct ctx *c = ctx_of(L);
	need_declared(L, c, "expect_dns");
	luaL_checktype(L, 1, LUA_TTABLE);
	enum sl_match mode = parse_mode(L, 2);
	size_t n = (size_t)luaL_len(L, 1);
	if (n > 64)
		return fail(L, "expect_dns: at most 64 queries");
	struct sl_dns_want want[64];
	char buf[64][2][256];
	for (size_t i = 0; i < n; i++) {
		lua_geti(L, 1, (lua_Integer)i + 1);
		int ok = 0;
		if (lua_type(L, -1) == LUA_TSTRING) {
			ok = sscanf(lua_tostring(L, -1), "%255s %255s", buf[i][0], buf[i][1]) == 2;
		} else if (lua_istable(L, -1)) {
			lua_geti(L, -1, 1);
			lua_geti(L, -2, 2);
			if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING) {
				snprintf(buf[i][0], sizeof(buf[i][0]), "%s", lua_tostring(L, -2));
				snprintf(buf[i][1], sizeof(buf[i][1]), "%s", lua_tostring(L, -1));
				ok = 1;
			}
			lua_pop(L, 2);
		}
		lua_pop(L, 1);
		if (!ok)
			return fail(L, "expect_dns: entry %zu must be \"TYPE name\" or {TYPE, name}",
				    i + 1);
		want[i].qtype = buf[i][0];
		want[i].qname = buf[i][1];
	}
	struct sl_check_out o;
	sl_check_dns(sl_world_log(c->w), want, n, mode, &o);
	record(L, c, "expect_dns", 2, &o);
	return 0;
}

static int l_expect_route(lua_State *L)
{
	struct ctx *c = ctx_of(L);
	need_declared(L, c, "expect_route");
	luaL_checktype(L, 1, LUA_TTABLE);
	const char *method = lua_istable(L, 2) ? opt_field_str(L, 2, "method") : NULL;
	size_t n = (size_t)luaL_len(L, 1);
	if (n > 64)
		return fail(L, "expect_route: at most 64 attempts");
	const char *dests[64];
	for (size_t i = 0; i < n; i++) {
		lua_geti(L, 1, (lua_Integer)i + 1);
		if (lua_type(L, -1) != LUA_TSTRING)
			return fail(L, "expect_route: entry %zu must be \"addr:port/transport\"", i + 1);
		dests[i] = lua_tostring(L, -1);
		lua_pop(L, 1); /* still referenced by the table */
	}
	struct sl_check_out o;
	sl_check_route(sl_world_log(c->w), method, dests, n, &o);
	record(L, c, "expect_route", 2, &o);
	return 0;
}

static void open_sandbox(lua_State *L, struct ctx *c)
{
	static const luaL_Reg libs[] = {
		{ LUA_GNAME, luaopen_base }, { LUA_TABLIBNAME, luaopen_table },
		{ LUA_STRLIBNAME, luaopen_string }, { LUA_MATHLIBNAME, luaopen_math },
		{ LUA_UTF8LIBNAME, luaopen_utf8 }, { LUA_COLIBNAME, luaopen_coroutine },
		{ NULL, NULL },
	};
	for (const luaL_Reg *l = libs; l->name; l++) {
		luaL_requiref(L, l->name, l->func, 1);
		lua_pop(L, 1);
	}
	static const char *const banned[] = { "dofile", "loadfile", "load", "require",
					      "collectgarbage", "rawequal", NULL };
	for (const char *const *b = banned; *b; b++) {
		lua_pushnil(L);
		lua_setglobal(L, *b);
	}
	lua_getglobal(L, "string");
	lua_pushnil(L);
	lua_setfield(L, -2, "dump");
	lua_pop(L, 1);
	/* math.random must not differ between runs of one seed: reseeded per scenario. */
	static const luaL_Reg api[] = {
		{ "scenario", l_scenario }, { "zone", l_zone }, { "peer", l_peer },
		{ "reply", l_reply }, { "silence", l_silence }, { "send", l_send },
		{ "advance", l_advance }, { "log", l_log }, { "print", l_log },
		{ "expect_status", l_expect_status }, { "expect_dns", l_expect_dns },
		{ "expect_route", l_expect_route }, { NULL, NULL },
	};
	lua_pushglobaltable(L);
	lua_pushlightuserdata(L, c);
	luaL_setfuncs(L, api, 1);
	lua_pop(L, 1);
	lua_sethook(L, insn_hook, LUA_MASKCOUNT, INSN_STEP);
}

static int read_file(struct ctx *c, char *err, size_t errlen)
{
	FILE *f = fopen(c->path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", c->path, strerror(errno));
		return -errno;
	}
	int rc = 0;
	size_t cap = 4096;
	c->src = malloc(cap);
	c->src_len = 0;
	size_t n;
	while (c->src && (n = fread(c->src + c->src_len, 1, cap - c->src_len - 1, f)) > 0) {
		c->src_len += n;
		if (c->src_len + 1 == cap) {
			if (cap > (4u << 20)) {
				snprintf(err, errlen, "%s: larger than 4 MiB", c->path);
				rc = -EFBIG;
				break;
			}
			char *s = realloc(c->src, cap * 2);
			if (!s)
				break;
			c->src = s;
			cap *= 2;
		}
	}
	fclose(f);
	if (!c->src)
		return -ENOMEM;
	c->src[c->src_len] = 0;
	return rc;
}

/* Loads and runs the file in mode; returns 0 or -errno with err set. */
static int exec_file(struct ctx *c, char *err, size_t errlen)
{
	int rc = read_file(c, err, errlen);
	if (rc < 0)
		return rc;
	c->mem_cap = MEM_CAP;
	lua_State *L = lua_newstate(cap_alloc, c);
	if (!L) {
		snprintf(err, errlen, "%s: cannot create a Lua state", c->path);
		return -ENOMEM;
	}
	lua_atpanic(L, NULL);
	open_sandbox(L, c);
	char chunk[4200];
	snprintf(chunk, sizeof(chunk), "@%s", c->path);
	/* "t": text only; precompiled bytecode can crash the VM. */
	int st = luaL_loadbufferx(L, c->src, c->src_len, chunk, "t");
	if (st == LUA_OK)
		st = lua_pcall(L, 0, 0, 0);
	if (st != LUA_OK) {
		const char *msg = lua_tostring(L, -1);
		if (c->mode == MODE_META && msg && !strcmp(msg, META_DONE)) {
			rc = 0;
		} else {
			snprintf(err, errlen, "%s", c->not_run ? c->stop_reason :
				 msg ? msg : "error object is not a string");
			rc = c->not_run ? -EAGAIN : -EINVAL;
		}
	} else if (!c->declared) {
		snprintf(err, errlen, "%s:1: no scenario{...} declaration", c->path);
		rc = -EINVAL;
	}
	lua_close(L);
	return rc;
}

int sl_lua_meta(const char *path, const struct sl_catalogue *cat, struct sl_scn_meta *m,
		char *err, size_t errlen)
{
	struct ctx c = { .mode = MODE_META, .cat = cat, .meta = m, .path = path };
	memset(m, 0, sizeof(*m));
	int rc = exec_file(&c, err, errlen);
	free(c.src);
	if (rc < 0)
		sl_lua_meta_clear(m);
	return rc;
}

void sl_lua_meta_clear(struct sl_scn_meta *m)
{
	free(m->id);
	free(m->file);
	free(m->role);
	free(m->summary);
	free_list(m->covers, m->ncovers);
	free_list(m->needs, m->nneeds);
	memset(m, 0, sizeof(*m));
}

int sl_lua_run(const char *path, struct sl_world *w, const struct sl_catalogue *cat,
	       char *err, size_t errlen)
{
	struct ctx c = { .mode = MODE_RUN, .w = w, .cat = cat, .path = path };
	int rc = exec_file(&c, err, errlen);
	free(c.src);
	if (rc == 0) {
		/* A scenario that declares a world but never sends still gets it started, so
		 * its pcap and invariants exist. */
		rc = sl_world_start(w, err, errlen);
	}
	return rc;
}
