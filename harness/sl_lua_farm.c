/* sl_lua_farm.c: the scenario API for scale: zone_farm{} (a zone of many domains and its
 * peers) and expect_farm() (every domain resolved and routed), over sl_farm. */
#include <arpa/inet.h>
#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fdns.h"
#include "sl_check.h"
#include "sl_farm.h"
#include "sl_lua_api.h"
#include "sl_world.h"

#define FARM_MT "siploc.farm"

static const struct sl_farm *farm_of(lua_State *L, int idx, const char *fn)
{
	if (lua_istable(L, idx)) {
		lua_getfield(L, idx, "_farm");
		const struct sl_farm *f = luaL_testudata(L, -1, FARM_MT);
		lua_pop(L, 1); /* the table keeps it alive */
		if (f)
			return f;
	}
	sl_lua_fail(L, "%s: expected what zone_farm{} returned", fn);
	return NULL;
}

const struct sl_farm *sl_lua_farm(lua_State *L, int idx, const char *fn)
{
	return farm_of(L, idx, fn);
}

static unsigned farm_index(lua_State *L, const struct sl_farm *f, int idx, const char *fn)
{
	lua_Integer i = luaL_checkinteger(L, idx);
	if (i < 1 || i > (lua_Integer)f->domains)
		sl_lua_fail(L, "%s: domain %lld is not in 1..%u", fn, (long long)i, f->domains);
	return (unsigned)i;
}

static int l_domain(lua_State *L)
{
	const struct sl_farm *f = lua_touserdata(L, lua_upvalueindex(1));
	char d[200];
	sl_farm_domain(f, farm_index(L, f, 1, "farm.domain"), d, sizeof(d));
	lua_pushstring(L, d);
	return 1;
}

static int l_uri(lua_State *L)
{
	const struct sl_farm *f = lua_touserdata(L, lua_upvalueindex(1));
	unsigned i = farm_index(L, f, 1, "farm.uri");
	const char *user = luaL_optstring(L, 2, "alice");
	char u[400];
	sl_farm_uri(f, i, user, u, sizeof(u));
	lua_pushstring(L, u);
	return 1;
}

static int l_target(lua_State *L)
{
	const struct sl_farm *f = lua_touserdata(L, lua_upvalueindex(1));
	char p[64];
	sl_farm_peer(f, sl_farm_peer_of(f, farm_index(L, f, 1, "farm.target"), 1, 1), p,
		     sizeof(p));
	lua_pushstring(L, p);
	return 1;
}

static lua_Integer opt_int(lua_State *L, int t, const char *k, lua_Integer def)
{
	lua_getfield(L, t, k);
	lua_Integer v = def;
	if (!lua_isnil(L, -1)) {
		if (!lua_isinteger(L, -1))
			sl_lua_fail(L, "zone_farm{}: %s must be a whole number", k);
		v = lua_tointeger(L, -1);
	}
	lua_pop(L, 1);
	return v;
}

static void closure(lua_State *L, int ud, lua_CFunction fn, const char *name)
{
	lua_pushvalue(L, ud);
	lua_pushcclosure(L, fn, 1);
	lua_setfield(L, -2, name);
}

/* zone_farm{ domains = N, name = "d%d.farm.test", naptr = true, srv = 1, a = 1,
 *            peers = 8, base = "127.1.0.1", port = 5060, ttl = 3600, plan = behaviour } */
static int l_zone_farm(lua_State *L)
{
	struct sl_world *w = sl_lua_world(L, "zone_farm");
	luaL_checktype(L, 1, LUA_TTABLE);
	static const char *const keys[] = { "domains", "name", "naptr", "srv", "a", "peers",
					    "base", "port", "ttl", "plan", NULL };
	const char *bad;
	int type;
	if (sl_lua_bad_key(L, 1, keys, 0, &bad, &type))
		return sl_lua_fail(L, "zone_farm{}: unknown option '%s' (domains name naptr "
				   "srv a peers base port ttl plan)", bad ? bad : "?");
	struct sl_farm *f = lua_newuserdatauv(L, sizeof(*f), 0);
	int ud = lua_gettop(L);
	luaL_setmetatable(L, FARM_MT);
	memset(f, 0, sizeof(*f));
	lua_Integer n = opt_int(L, 1, "domains", -1);
	if (n < 1 || n > SL_FARM_MAX_DOMAINS)
		return sl_lua_fail(L, "zone_farm{}: domains = 1..%d is required", SL_FARM_MAX_DOMAINS);
	f->domains = (unsigned)n;
	const char *name = sl_lua_opt_str(L, 1, "name");
	snprintf(f->pattern, sizeof(f->pattern), "%s", name ? name : "d%d.farm.test");
	lua_getfield(L, 1, "naptr");
	f->naptr = lua_isnil(L, -1) ? 1 : lua_toboolean(L, -1);
	lua_pop(L, 1);
	lua_Integer srv = opt_int(L, 1, "srv", 1), a = opt_int(L, 1, "a", 1);
	lua_Integer peers = opt_int(L, 1, "peers", 8), port = opt_int(L, 1, "port", 5060);
	lua_Integer ttl = opt_int(L, 1, "ttl", 3600);
	if (srv < 0 || srv > 8 || a < 0 || a > 8 || peers < 0 || peers > 1000 || port < 0 ||
	    port > 65535 || ttl < 0 || ttl > 0x7fffffff)
		return sl_lua_fail(L, "zone_farm{}: srv 0..8, a 1..8, peers 1..%d, port 1..65535, "
				   "ttl 0..2147483647", SL_FARM_MAX_PEERS);
	f->srv = (unsigned)srv;
	f->a = (unsigned)a;
	f->peers = (unsigned)peers;
	f->port = (unsigned)port;
	f->ttl = (unsigned)ttl;
	const char *base = sl_lua_opt_str(L, 1, "base");
	struct in_addr in;
	if (inet_pton(AF_INET, base ? base : "127.1.0.1", &in) != 1)
		return sl_lua_fail(L, "zone_farm{}: base '%s' is not an IPv4 address", base);
	f->base = ntohl(in.s_addr);
	char err[512];
	if (sl_farm_validate(f, err, sizeof(err)) < 0)
		return sl_lua_fail(L, "zone_farm{}: %s", err);
	char *text = sl_farm_zone_text(f);
	if (!text)
		return sl_lua_fail(L, "zone_farm{}: out of memory");
	lua_Debug ar;
	int line = lua_getstack(L, 1, &ar) && lua_getinfo(L, "l", &ar) ? ar.currentline : 1;
	int rc = sl_world_zone_text(w, text, NULL, sl_lua_path(L), line, err, sizeof(err));
	free(text);
	if (rc < 0)
		return sl_lua_fail(L, "zone_farm{}: %s", err);
	/* dns_queries() sees the farm's queries too; the event log keeps all of them anyway. */
	sl_world_dns_history(w, (size_t)f->domains * 8 + FDNS_HISTORY_DEFAULT);
	lua_createtable(L, 0, 8);
	int t = lua_gettop(L);
	lua_pushvalue(L, ud);
	lua_setfield(L, t, "_farm");
	lua_pushinteger(L, f->domains);
	lua_setfield(L, t, "count");
	lua_pushstring(L, f->pattern);
	lua_setfield(L, t, "name");
	closure(L, ud, l_domain, "domain");
	closure(L, ud, l_uri, "uri");
	closure(L, ud, l_target, "target");
	/* The peers, through peer() itself: plan = false declares none. */
	lua_getfield(L, 1, "plan");
	int plan = lua_gettop(L);
	lua_createtable(L, (int)f->peers, 0);
	for (unsigned k = 0; k < f->peers; k++) {
		char spec[64];
		sl_farm_peer(f, k, spec, sizeof(spec));
		lua_pushstring(L, spec);
		lua_rawseti(L, -2, k + 1);
		if (lua_isboolean(L, plan) && !lua_toboolean(L, plan))
			continue;
		lua_getglobal(L, "peer");
		lua_pushstring(L, spec);
		lua_pushvalue(L, plan);
		lua_call(L, 2, 0);
	}
	lua_setfield(L, t, "peers");
	lua_pop(L, 1); /* plan */
	return 1;
}

/* expect_farm(farm [, { method =, covers = }]) */
static int l_expect_farm(lua_State *L)
{
	struct sl_world *w = sl_lua_world(L, "expect_farm");
	const struct sl_farm *f = farm_of(L, 1, "expect_farm");
	const char *method = lua_istable(L, 2) ? sl_lua_opt_str(L, 2, "method") : NULL;
	struct sl_check_out o;
	sl_check_farm(sl_world_log(w), f, method, &o);
	sl_lua_record(L, "expect_farm", 2, &o);
	return 0;
}

void sl_lua_open_farm(lua_State *L, void *ctx)
{
	luaL_newmetatable(L, FARM_MT);
	lua_pop(L, 1);
	static const luaL_Reg api[] = { { "zone_farm", l_zone_farm },
					{ "expect_farm", l_expect_farm }, { NULL, NULL } };
	sl_lua_register(L, ctx, api);
}
