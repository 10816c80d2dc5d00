/* sl_lua_sut.c: the scenario API that drives the SUT and its clock: send(), advance(). */
#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_farm.h"
#include "sl_lua_api.h"
#include "sl_sut.h"
#include "sl_world.h"

static void push_outcome(lua_State *L, int status)
{
	lua_createtable(L, 0, 2);
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
}

static int l_send(lua_State *L)
{
	struct sl_world *w = sl_lua_world(L, "send");
	luaL_checktype(L, 1, LUA_TTABLE);
	if (strcmp(sl_world_role(w), "client"))
		return sl_lua_fail(L, "send{}: the SUT is a %s here: it receives requests; send "
			    "them with inject{}", sl_world_role(w));
	static const char *const keys[] = { "method", "uri", "body", "cancel_after",
					    "cancel_on", NULL };
	const char *k;
	int type;
	if (sl_lua_bad_key(L, 1, keys, 0, &k, &type))
		return sl_lua_fail(L, "send{}: unknown key '%s' (method, uri, body, "
				   "cancel_after, cancel_on)", k ? k : "?");
	const char *method = sl_lua_opt_str(L, 1, "method");
	const char *uri = sl_lua_opt_str(L, 1, "uri");
	if (!method)
		method = "INVITE";
	if (!uri)
		return sl_lua_fail(L, "send{}: uri is required");
	lua_getfield(L, 1, "body");
	lua_Integer body = lua_isnil(L, -1) ? 0 : luaL_checkinteger(L, -1);
	lua_pop(L, 1);
	if (body < 0 || body > 60000)
		return sl_lua_fail(L, "send{}: body must be 0..60000 bytes");
	struct sl_send_opts so = { .cancel_after_s = -1 };
	lua_getfield(L, 1, "cancel_after");
	if (!lua_isnil(L, -1)) {
		if (!lua_isnumber(L, -1) || lua_tonumber(L, -1) < 0)
			return sl_lua_fail(L, "send{}: cancel_after must be a number of SUT seconds >= 0");
		so.cancel_after_s = lua_tonumber(L, -1);
	}
	lua_pop(L, 1);
	lua_getfield(L, 1, "cancel_on");
	if (!lua_isnil(L, -1)) {
		if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 101 || lua_tointeger(L, -1) > 199)
			return sl_lua_fail(L, "send{}: cancel_on must be a provisional code, 101..199");
		so.cancel_on = (int)lua_tointeger(L, -1);
	}
	lua_pop(L, 1);
	if ((so.cancel_after_s >= 0 || so.cancel_on) && strcmp(method ? method : "INVITE", "INVITE"))
		return sl_lua_fail(L, "send{}: only an INVITE can be cancelled");
	for (const char *p = method; *p; p++)
		if (*p < 'A' || *p > 'Z')
			return sl_lua_fail(L, "send{}: method '%s' must be upper-case letters", method);
	if (strpbrk(uri, " \t\r\n"))
		return sl_lua_fail(L, "send{}: uri must not contain white space");
	char err[1024];
	int status = 0;
	int rc = sl_world_send(w, method, uri, (size_t)body, &so, &status, err, sizeof(err));
	if (rc < 0)
		return sl_lua_world_error(L, rc, err);
	push_outcome(L, status);
	return 1;
}

#define MANY_MAX 100000

/* send_many{ uris = {...} | farm = f [, user = "alice"], method =, concurrency = 16,
 *            body = } */
static int l_send_many(lua_State *L)
{
	struct sl_world *w = sl_lua_world(L, "send_many");
	luaL_checktype(L, 1, LUA_TTABLE);
	static const char *const keys[] = { "uris", "farm", "user", "method", "concurrency",
					    "body", NULL };
	const char *badk;
	int type;
	if (sl_lua_bad_key(L, 1, keys, 0, &badk, &type))
		return sl_lua_fail(L, "send_many{}: unknown option '%s' (uris farm user method "
				   "concurrency body)", badk ? badk : "?");
	const char *method = sl_lua_opt_str(L, 1, "method");
	const char *user = sl_lua_opt_str(L, 1, "user");
	if (!method)
		method = "INVITE";
	for (const char *p = method; *p; p++)
		if (*p < 'A' || *p > 'Z')
			return sl_lua_fail(L, "send_many{}: method '%s' must be upper-case letters",
					   method);
	lua_getfield(L, 1, "concurrency");
	lua_Integer win = lua_isnil(L, -1) ? 16 : luaL_checkinteger(L, -1);
	lua_getfield(L, 1, "body");
	lua_Integer body = lua_isnil(L, -1) ? 0 : luaL_checkinteger(L, -1);
	lua_pop(L, 2);
	if (win < 1 || win > 1024)
		return sl_lua_fail(L, "send_many{}: concurrency must be 1..1024");
	if (body < 0 || body > 60000)
		return sl_lua_fail(L, "send_many{}: body must be 0..60000 bytes");
	/* The URIs, copied: a farm's are generated here. */
	lua_getfield(L, 1, "farm");
	int has_farm = !lua_isnil(L, -1);
	lua_getfield(L, 1, "uris");
	int has_uris = !lua_isnil(L, -1);
	if (has_farm == has_uris)
		return sl_lua_fail(L, "send_many{}: give either uris = {...} or farm = <zone_farm>");
	const struct sl_farm *f = has_farm ? sl_lua_farm(L, -2, "send_many{farm}") : NULL;
	size_t n = f ? sl_farm_count(f) : (size_t)luaL_len(L, -1);
	if (!n || n > MANY_MAX)
		return sl_lua_fail(L, "send_many{}: 1..%d requests", MANY_MAX);
	char **uris = calloc(n, sizeof(*uris));
	int *st = calloc(n, sizeof(*st));
	if (!uris || !st) {
		free(uris);
		free(st);
		return sl_lua_fail(L, "send_many{}: out of memory");
	}
	const char *bad = NULL;
	for (size_t i = 0; i < n && !bad; i++) {
		char buf[512];
		const char *u = buf;
		if (f) {
			sl_farm_uri(f, (unsigned)i + 1, user ? user : "alice", buf, sizeof(buf));
		} else {
			lua_geti(L, -1, (lua_Integer)i + 1);
			u = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
			lua_pop(L, 1); /* still referenced by the list */
			if (!u)
				bad = "every entry of uris must be a string";
		}
		if (u && strpbrk(u, " \t\r\n"))
			bad = "a uri must not contain white space";
		if (!bad && !(uris[i] = strdup(u)))
			bad = "out of memory";
	}
	char err[1024];
	int rc = bad ? 0 : sl_world_send_many(w, method, (const char *const *)uris, n,
					      (size_t)win, (size_t)body, st, err, sizeof(err));
	for (size_t i = 0; i < n; i++)
		free(uris[i]);
	free(uris);
	if (bad || rc < 0) {
		free(st);
		if (bad)
			return sl_lua_fail(L, "send_many{}: %s", bad);
		return sl_lua_world_error(L, rc, err);
	}
	lua_createtable(L, (int)n, 2);
	lua_Integer ok = 0;
	for (size_t i = 0; i < n; i++) {
		push_outcome(L, st[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
		ok += st[i] >= 200 && st[i] < 300;
	}
	free(st);
	lua_pushinteger(L, ok);
	lua_setfield(L, -2, "ok");
	lua_pushinteger(L, (lua_Integer)n);
	lua_setfield(L, -2, "sent");
	return 1;
}

static int l_advance(lua_State *L)
{
	struct sl_world *w = sl_lua_world(L, "advance");
	double s = luaL_checknumber(L, 1);
	char err[512];
	int rc = sl_world_advance(w, s, err, sizeof(err));
	if (rc < 0)
		return sl_lua_world_error(L, rc, err);
	return 0;
}

void sl_lua_open_sut(lua_State *L, void *ctx)
{
	static const luaL_Reg api[] = { { "send", l_send }, { "send_many", l_send_many },
					{ "advance", l_advance }, { NULL, NULL } };
	sl_lua_register(L, ctx, api);
}
