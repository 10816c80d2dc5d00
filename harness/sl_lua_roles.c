/* sl_lua_roles.c: the scenario API of the checks for the proxy and server roles:
 * expect_response_route(), expect_one_server() (sl_check_role.c). */
#include <lauxlib.h>
#include <lua.h>
#include <string.h>

#include "sl_check.h"
#include "sl_lua_api.h"
#include "sl_world.h"

/* expect_response_route({ "addr:port/udp", ... } [, { status =, method =, covers = }]) */
static int l_expect_response_route(lua_State *L)
{
	struct sl_world *w = sl_lua_world(L, "expect_response_route");
	luaL_checktype(L, 1, LUA_TTABLE);
	const char *method = lua_istable(L, 2) ? sl_lua_opt_str(L, 2, "method") : NULL;
	int status = 0;
	if (lua_istable(L, 2)) {
		lua_getfield(L, 2, "status");
		if (!lua_isnil(L, -1)) {
			if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 100 ||
			    lua_tointeger(L, -1) > 699)
				return sl_lua_fail(L, "expect_response_route: status must be 100..699");
			status = (int)lua_tointeger(L, -1);
		}
		lua_pop(L, 1);
	}
	size_t n = (size_t)luaL_len(L, 1);
	if (n > 64)
		return sl_lua_fail(L, "expect_response_route: at most 64 destinations");
	const char *dests[64];
	for (size_t i = 0; i < n; i++) {
		lua_geti(L, 1, (lua_Integer)i + 1);
		if (lua_type(L, -1) != LUA_TSTRING)
			return sl_lua_fail(L, "expect_response_route: entry %zu must be "
				    "\"addr:port/transport\"", i + 1);
		dests[i] = lua_tostring(L, -1);
		lua_pop(L, 1); /* still referenced by the table */
	}
	struct sl_check_out o;
	sl_check_response_route(sl_world_log(w), status, method, dests, n, &o);
	sl_lua_record(L, "expect_response_route", 2, &o);
	return 0;
}

/* expect_one_server([{ method =, after = "answer"|"failover", covers = }]) */
static int l_expect_one_server(lua_State *L)
{
	struct sl_world *w = sl_lua_world(L, "expect_one_server");
	const char *method = lua_istable(L, 1) ? sl_lua_opt_str(L, 1, "method") : NULL;
	const char *after = lua_istable(L, 1) ? sl_lua_opt_str(L, 1, "after") : NULL;
	enum sl_one_server_from from = SL_OS_FIRST;
	if (after && !strcmp(after, "answer"))
		from = SL_OS_ANSWER;
	else if (after && !strcmp(after, "failover"))
		from = SL_OS_FAILOVER;
	else if (after)
		return sl_lua_fail(L, "expect_one_server: after must be \"answer\" or "
			    "\"failover\" (or absent)");
	struct sl_check_out o;
	sl_check_one_server(sl_world_log(w), method, from, &o);
	/* A check that saw nothing to judge must not speak for the requirement. */
	if (!o.seen)
		o.pass = 0;
	sl_lua_record(L, "expect_one_server", 1, &o);
	return 0;
}

void sl_lua_open_roles(lua_State *L, void *ctx)
{
	static const luaL_Reg api[] = {
		{ "expect_response_route", l_expect_response_route },
		{ "expect_one_server", l_expect_one_server }, { NULL, NULL },
	};
	sl_lua_register(L, ctx, api);
}
