/* sl_lua_peer.c: the scenario API of the SIP peers: peer(), reply(), silence(). */
#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_lua_api.h"
#include "sl_peer.h"
#include "sl_world.h"

/* Converts a behaviour table at idx into b (strings live in the Lua table). */
static void to_behaviour(lua_State *L, int idx, struct sl_behaviour *b, char *hdrs,
			 size_t hlen)
{
	memset(b, 0, sizeof(*b));
	const char *kind = sl_lua_opt_str(L, idx, "kind");
	if (!kind)
		sl_lua_fail(L, "peer: expected a behaviour made by reply() or silence()");
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
				sl_lua_fail(L, "reply(): header '%s' must be one 'Name: value' line", line);
			int n = snprintf(hdrs + used, hlen - used, "%s\r\n", line);
			if (n < 0 || (size_t)n >= hlen - used)
				sl_lua_fail(L, "reply(): headers too long");
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
		return sl_lua_fail(L, "reply(%lld): status must be 100..699", (long long)code);
	if (code < 200)
		return sl_lua_fail(L, "reply(%lld): provisional-only behaviours are not implemented yet "
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
			return sl_lua_fail(L, "reply(): delay must be a number of SUT seconds >= 0");
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
	struct sl_world *w = sl_lua_world(L, "peer");
	const char *spec = luaL_checkstring(L, 1);
	char err[512], hdrs[4096];
	struct sl_peer *p = sl_world_peer(w, spec, err, sizeof(err));
	if (!p)
		return sl_lua_fail(L, "%s", err);
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
			return sl_lua_fail(L, "peer: rules are METHOD = behaviour (or default = behaviour)");
		const char *m = lua_tostring(L, -2);
		to_behaviour(L, lua_gettop(L), &b, hdrs, sizeof(hdrs));
		sl_peer_on(p, strcmp(m, "default") ? m : NULL, &b);
		lua_pop(L, 1);
	}
	return 0;
}

void sl_lua_open_peer(lua_State *L, void *ctx)
{
	static const luaL_Reg api[] = {
		{ "peer", l_peer }, { "reply", l_reply }, { "silence", l_silence }, { NULL, NULL },
	};
	sl_lua_register(L, ctx, api);
}
