/* sl_lua_dns.c: the scenario API of the fake DNS: zone(), zone_at(), dns_fault() and
 * dns_queries(). Everything lands in fdns objects the world owns, so what a scenario
 * declares before the world starts is there when the server is. */
#include <errno.h>
#include <lauxlib.h>
#include <ldns/ldns.h>
#include <limits.h>
#include <lua.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fdns.h"
#include "sl_addr.h"
#include "sl_clock.h"
#include "sl_loop.h"
#include "sl_lua_api.h"
#include "sl_world.h"

#define DEFAULT_TTL 3600
#define ERRLEN 768

/* Raises "fn: unknown key 'k'" for a string key of table idx not in allowed (NULL-ended);
 * integer keys are allowed when list is set. */
static void check_keys(lua_State *L, int idx, const char *fn, const char *const *allowed,
		       int list)
{
	const char *k;
	int type;
	if (!sl_lua_bad_key(L, idx, allowed, list, &k, &type))
		return;
	if (!k)
		sl_lua_fail(L, "%s: unexpected %s key", fn, lua_typename(L, type));
	sl_lua_fail(L, "%s: unknown key '%s'", fn, k);
}

static int opt_bool(lua_State *L, int t, const char *k, const char *fn)
{
	lua_getfield(L, t, k);
	int v = 0;
	if (!lua_isnil(L, -1)) {
		if (!lua_isboolean(L, -1))
			sl_lua_fail(L, "%s: '%s' must be true or false", fn, k);
		v = lua_toboolean(L, -1);
	}
	lua_pop(L, 1);
	return v;
}

/* A path next to the scenario; absolute paths and ".." would let a scenario read
 * anything on the machine. */
static void zone_path(lua_State *L, const char *fn, const char *file, char *out, size_t len)
{
	if (!*file || file[0] == '/')
		sl_lua_fail(L, "%s: file '%s' must be a relative path next to the scenario", fn,
			    file);
	for (const char *p = file; p; p = strchr(p, '/')) {
		if (*p == '/')
			p++;
		if (strncmp(p, "..", 2) == 0 && (p[2] == '/' || p[2] == '\0'))
			sl_lua_fail(L, "%s: file '%s' may not contain '..'", fn, file);
	}
	const char *scen = sl_lua_path(L);
	const char *slash = scen ? strrchr(scen, '/') : NULL;
	int n = slash ? snprintf(out, len, "%.*s/%s", (int)(slash - scen), scen, file)
		      : snprintf(out, len, "%s", file);
	if (n < 0 || (size_t)n >= len)
		sl_lua_fail(L, "%s: file path too long", fn);
}

/* Loads into z what the scenario wrote at idx: master-file text, a list of record
 * strings, or { file = "x.zone" }. */
static void load_zone(lua_State *L, const char *fn, struct fdns_zone *z, int idx,
		      const char *origin)
{
	char err[ERRLEN];
	int rc = 0;
	if (lua_type(L, idx) == LUA_TSTRING) {
		const char *text = lua_tostring(L, idx);
		rc = fdns_zone_load_text(z, text, origin, DEFAULT_TTL, sl_lua_path(L),
					 sl_lua_text_line(L, text), err, sizeof(err));
	} else if (lua_istable(L, idx) && sl_lua_opt_str(L, idx, "file")) {
		char path[PATH_MAX];
		if (luaL_len(L, idx) != 0)
			sl_lua_fail(L, "%s: give either file= or records, not both", fn);
		zone_path(L, fn, sl_lua_opt_str(L, idx, "file"), path, sizeof(path));
		rc = fdns_zone_load_file(z, path, origin, DEFAULT_TTL, err, sizeof(err));
	} else if (lua_istable(L, idx)) {
		size_t n = (size_t)luaL_len(L, idx);
		for (size_t i = 0; i < n && !rc; i++) {
			lua_geti(L, idx, (lua_Integer)i + 1);
			if (lua_type(L, -1) != LUA_TSTRING)
				sl_lua_fail(L, "%s: entry %zu must be a record string", fn, i + 1);
			const char *rr = lua_tostring(L, -1);
			rc = fdns_zone_load_text(z, rr, origin, DEFAULT_TTL, sl_lua_path(L),
						 sl_lua_text_line(L, rr), err, sizeof(err));
			lua_pop(L, 1);
		}
	} else {
		sl_lua_fail(L, "%s: expects master-file text, a list of record strings or "
			       "{ file = \"name.zone\" }", fn);
	}
	if (rc < 0)
		luaL_error(L, "%s", err); /* already names file:line */
}

/* A draw from the scenario's math.random, which the worker seeds from the run's seed:
 * the same seed gives the same shuffles. */
static uint64_t scenario_random(lua_State *L)
{
	uint64_t v = 0;
	for (int i = 0; i < 2; i++) {
		lua_getglobal(L, "math");
		lua_getfield(L, -1, "random");
		lua_pushinteger(L, 0);
		lua_pushinteger(L, INT32_MAX);
		lua_call(L, 2, 1);
		v = v << 32 | (uint64_t)lua_tointeger(L, -1);
		lua_pop(L, 2);
	}
	return v;
}

/* Options in a table at idx (may be the zone table itself, whose records are integer
 * keys). */
static void zone_opts(lua_State *L, int idx, struct fdns_zone *z, int list)
{
	/* file= names the records, so it belongs in the first table only. */
	static const char *const keys[] = { "origin", "shuffle", "additional", "chase_cname",
					    "file", NULL };
	check_keys(L, idx, "zone", keys, list);
	if (!list) {
		lua_getfield(L, idx, "file");
		if (!lua_isnil(L, -1))
			sl_lua_fail(L, "zone: file= goes in the first table: zone{ file = \"x.zone\" }");
		lua_pop(L, 1);
	}
	lua_getfield(L, idx, "shuffle");
	int has_shuffle = !lua_isnil(L, -1);
	lua_pop(L, 1);
	if (has_shuffle)
		fdns_zone_set_shuffle(z, opt_bool(L, idx, "shuffle", "zone"), scenario_random(L));
	lua_getfield(L, idx, "additional");
	int has_add = !lua_isnil(L, -1);
	lua_pop(L, 1);
	if (has_add)
		fdns_zone_set_additional(z, opt_bool(L, idx, "additional", "zone"));
	lua_getfield(L, idx, "chase_cname");
	int has_chase = !lua_isnil(L, -1);
	lua_pop(L, 1);
	if (has_chase)
		fdns_zone_set_chase(z, opt_bool(L, idx, "chase_cname", "zone"));
}

static int l_zone(lua_State *L)
{
	struct sl_world *w = sl_lua_world(L, "zone");
	struct fdns_zone *z = sl_world_zone(w);
	const char *origin = NULL;
	if (!lua_isnoneornil(L, 2)) {
		luaL_checktype(L, 2, LUA_TTABLE);
		origin = sl_lua_opt_str(L, 2, "origin");
		zone_opts(L, 2, z, 0);
	}
	if (lua_istable(L, 1)) {
		const char *o = sl_lua_opt_str(L, 1, "origin");
		origin = o ? o : origin;
		zone_opts(L, 1, z, 1);
	}
	load_zone(L, "zone", z, 1, origin);
	return 0;
}

static void apply_change(void *arg)
{
	struct fdns_staged *h = arg;
	struct sl_world *w = fdns_staged_user(h);
	char note[128];
	int rc = fdns_staged_apply(h);
	if (rc < 0)
		snprintf(note, sizeof(note), "zone_at: change not applied: %s", strerror(-rc));
	else
		snprintf(note, sizeof(note), "zone_at: %zu record(s) applied, zone now %zu",
			 fdns_staged_count(h), fdns_zone_count(sl_world_zone(w)));
	sl_world_note(w, note);
}

#define ZONE_BOX "siploc.fdns_zone"

/* A zone held by a Lua userdata until C takes it over: a Lua error (a bad record) in
 * between unwinds past C code, and the collector frees it instead. */
static int box_gc(lua_State *L)
{
	struct fdns_zone **box = luaL_checkudata(L, 1, ZONE_BOX);
	fdns_zone_free(*box);
	*box = NULL;
	return 0;
}

static struct fdns_zone **box_new(lua_State *L)
{
	struct fdns_zone **box = lua_newuserdatauv(L, sizeof(*box), 0);
	*box = NULL;
	if (luaL_newmetatable(L, ZONE_BOX)) {
		lua_pushcfunction(L, box_gc);
		lua_setfield(L, -2, "__gc");
	}
	lua_setmetatable(L, -2);
	if (fdns_zone_new(box) < 0)
		sl_lua_fail(L, "out of memory");
	return box;
}

static int l_zone_at(lua_State *L)
{
	static const char *const keys[] = { "replace", "origin", NULL };
	struct sl_world *w = sl_lua_world(L, "zone_at");
	int replace = 0;
	const char *origin = NULL;
	if (lua_type(L, 1) != LUA_TNUMBER)
		return sl_lua_fail(L, "zone_at: first argument must be the SUT time in seconds");
	double t = lua_tonumber(L, 1);
	if (!isfinite(t) || t < 0)
		return sl_lua_fail(L, "zone_at: time must be a number of seconds >= 0");
	if (!lua_isnoneornil(L, 3)) {
		luaL_checktype(L, 3, LUA_TTABLE);
		check_keys(L, 3, "zone_at", keys, 0);
		replace = opt_bool(L, 3, "replace", "zone_at");
		origin = sl_lua_opt_str(L, 3, "origin");
	}
	if (lua_istable(L, 2)) {
		static const char *const zkeys[] = { "file", NULL };
		check_keys(L, 2, "zone_at", zkeys, 1);
	}
	struct fdns_zone **box = box_new(L);
	/* Parsed now, so a bad record is reported at the line that declares it. */
	load_zone(L, "zone_at", *box, 2, origin);
	struct fdns_staged *h = NULL;
	if (fdns_zone_stage(sl_world_zone(w), *box, replace, w, &h) < 0)
		return sl_lua_fail(L, "zone_at: out of memory");
	*box = NULL; /* the world's zone owns it now */
	int rc = sl_world_at(w, t, apply_change, h);
	if (rc < 0)
		return sl_lua_fail(L, "zone_at: cannot schedule: %s", strerror(-rc));
	return 0;
}

static int opt_count(lua_State *L, int t, const char *k, const char *fn)
{
	lua_getfield(L, t, k);
	lua_Integer v = 0;
	if (!lua_isnil(L, -1)) {
		int isint = 0;
		v = lua_tointegerx(L, -1, &isint);
		if (!isint || v < 1 || v > INT_MAX)
			sl_lua_fail(L, "%s: '%s' must be a whole number >= 1", fn, k);
	}
	lua_pop(L, 1);
	return (int)v;
}

static int l_dns_fault(lua_State *L)
{
	static const char *const keys[] = { "match", "action", "delay", "times", NULL };
	static const char *const mkeys[] = { "name", "type", "transport", "nth", NULL };
	struct sl_world *w = sl_lua_world(L, "dns_fault");
	struct fdns_fault f = { 0 };
	char err[256];

	luaL_checktype(L, 1, LUA_TTABLE);
	check_keys(L, 1, "dns_fault", keys, 0);
	const char *action = sl_lua_opt_str(L, 1, "action");
	if (!action)
		return sl_lua_fail(L, "dns_fault: 'action' is required");
	if (fdns_action_parse(action, &f.action) < 0)
		return sl_lua_fail(L, "dns_fault: unknown action '%s' (servfail, nxdomain, refused, "
				      "notimp, drop, delay, truncate, wrong-id, wrong-port, "
				      "bad-pointer, truncated-rdata, ttl0)", action);
	f.times = (unsigned)opt_count(L, 1, "times", "dns_fault");
	lua_getfield(L, 1, "delay");
	if (!lua_isnil(L, -1)) {
		double d = lua_tonumber(L, -1);
		if (!lua_isnumber(L, -1) || !isfinite(d) || d <= 0 || d > 86400)
			return sl_lua_fail(L, "dns_fault: 'delay' must be SUT seconds > 0");
		if (f.action != FDNS_ACT_DELAY)
			return sl_lua_fail(L, "dns_fault: 'delay' goes with action \"delay\" only");
		f.delay_us = sl_clock_wall_us(sl_world_clock(w), d);
		if (!f.delay_us)
			f.delay_us = 1;
	}
	lua_pop(L, 1);
	lua_getfield(L, 1, "match");
	if (!lua_isnil(L, -1)) {
		int m = lua_gettop(L);
		if (!lua_istable(L, m))
			return sl_lua_fail(L, "dns_fault: 'match' must be a table");
		check_keys(L, m, "dns_fault match", mkeys, 0);
		f.name = sl_lua_opt_str(L, m, "name");
		const char *type = sl_lua_opt_str(L, m, "type");
		if (type) {
			f.qtype = (uint16_t)ldns_get_rr_type_by_name(type);
			if (!f.qtype)
				return sl_lua_fail(L, "dns_fault: unknown type '%s'", type);
		}
		const char *tr = sl_lua_opt_str(L, m, "transport");
		if (tr && strcmp(tr, "udp") == 0)
			f.transport = FDNS_UDP;
		else if (tr && strcmp(tr, "tcp") == 0)
			f.transport = FDNS_TCP;
		else if (tr)
			return sl_lua_fail(L, "dns_fault: transport must be \"udp\" or \"tcp\"");
		f.nth = (unsigned)opt_count(L, m, "nth", "dns_fault");
	}
	/* f.name points into the match table, still on the stack. */
	if (fdns_zone_add_fault(sl_world_zone(w), &f, err, sizeof(err)) < 0)
		return sl_lua_fail(L, "dns_fault: %s", err);
	lua_pop(L, 1);
	return 0;
}

static void set_str(lua_State *L, const char *k, const char *v)
{
	lua_pushstring(L, v);
	lua_setfield(L, -2, k);
}

static void set_int(lua_State *L, const char *k, lua_Integer v)
{
	lua_pushinteger(L, v);
	lua_setfield(L, -2, k);
}

static int l_dns_queries(lua_State *L)
{
	struct sl_world *w = sl_lua_world(L, "dns_queries");
	struct fdns_server *s = sl_world_dns(w);
	size_t n = 0;
	const struct fdns_query_log *v = s ? fdns_server_history(s, &n) : NULL;
	lua_createtable(L, (int)n, 0);
	if (!n)
		return 1;
	/* SUT seconds since the start, with every clock jump where it happened. */
	struct sl_clock *clk = sl_world_clock(w);
	uint64_t now = sl_now_us();
	int64_t now_ns = sl_clock_sut_ns(clk, now);
	double now_s = sl_world_now(w);
	for (size_t i = 0; i < n; i++) {
		const struct fdns_query_log *q = &v[i];
		char addr[SL_ADDRSTRLEN];
		lua_createtable(L, 0, 13);
		lua_pushnumber(L, now_s - (double)(now_ns - sl_clock_sut_ns(clk, q->t_us)) / 1e9);
		lua_setfield(L, -2, "t");
		set_str(L, "transport", q->transport == FDNS_TCP ? "tcp" : "udp");
		set_str(L, "client", sl_addr_fmt((const struct sockaddr *)&q->client, addr,
						 sizeof(addr)));
		set_str(L, "name", q->qname);
		char *t = ldns_rr_type2str((ldns_rr_type)q->qtype);
		set_str(L, "type", t ? t : "?");
		free(t);
		set_int(L, "id", q->id);
		set_int(L, "rcode", q->rcode);
		lua_pushboolean(L, q->tc);
		lua_setfield(L, -2, "tc");
		set_int(L, "ancount", q->ancount);
		char fl[64];
		set_str(L, "flags", fdns_flags_str(q->flags, " ", fl, sizeof(fl)));
		if (q->edns >= 0) {
			set_int(L, "edns", q->edns);
			lua_pushboolean(L, q->dnssec_ok);
			lua_setfield(L, -2, "dnssec_ok");
		}
		if (q->fault)
			set_str(L, "fault", q->fault);
		lua_seti(L, -2, (lua_Integer)i + 1);
	}
	return 1;
}

void sl_lua_open_dns(lua_State *L, void *ctx)
{
	static const luaL_Reg api[] = { { "zone", l_zone },
					{ "zone_at", l_zone_at },
					{ "dns_fault", l_dns_fault },
					{ "dns_queries", l_dns_queries },
					{ NULL, NULL } };
	sl_lua_register(L, ctx, api);
}
