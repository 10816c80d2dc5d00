/* sl_lua_dns.c: the scenario API of the fake DNS: zone(). */
#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_lua_api.h"
#include "sl_world.h"

static int l_zone(lua_State *L)
{
	struct sl_world *w = sl_lua_world(L, "zone");
	const char *origin = NULL;
	if (lua_istable(L, 2))
		origin = sl_lua_opt_str(L, 2, "origin");
	char err[512];
	int rc;
	if (lua_type(L, 1) == LUA_TSTRING) {
		const char *text = lua_tostring(L, 1);
		rc = sl_world_zone_text(w, text, origin, sl_lua_path(L), sl_lua_text_line(L, text), err,
					sizeof(err));
	} else if (lua_istable(L, 1)) {
		/* A list of records, one master-file line each. */
		size_t n = (size_t)luaL_len(L, 1);
		rc = 0;
		for (size_t i = 0; i < n && !rc; i++) {
			lua_geti(L, 1, (lua_Integer)i + 1);
			if (lua_type(L, -1) != LUA_TSTRING)
				return sl_lua_fail(L, "zone{}: entry %zu must be a record string", i + 1);
			const char *rr = lua_tostring(L, -1);
			rc = sl_world_zone_text(w, rr, origin, sl_lua_path(L), sl_lua_text_line(L, rr), err,
						sizeof(err));
			lua_pop(L, 1);
		}
	} else {
		return sl_lua_fail(L, "zone: expects master-file text or a list of record strings");
	}
	if (rc < 0)
		return luaL_error(L, "%s", err); /* already names file:line */
	return 0;
}

void sl_lua_open_dns(lua_State *L, void *ctx)
{
	static const luaL_Reg api[] = { { "zone", l_zone }, { NULL, NULL } };
	sl_lua_register(L, ctx, api);
}
