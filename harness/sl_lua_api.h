/* sl_lua_api.h: what a scenario-API module (sl_lua_*.c) may use from the Lua core.
 * Internal to harness/. Every helper that fails raises a Lua error naming the scenario
 * file and line; none returns on failure. */
#ifndef SL_LUA_API_H
#define SL_LUA_API_H

#include <lauxlib.h>
#include <lua.h>
#include <stddef.h>

struct sl_world;
struct sl_check_out;

/* The world of the running scenario; raises "fn: scenario{...} must be the first
 * statement" before scenario{} (and whenever only metadata is being read). */
struct sl_world *sl_lua_world(lua_State *L, const char *fn);
const char *sl_lua_path(lua_State *L);
/* Line of the scenario file where text (a string literal) starts. */
int sl_lua_text_line(lua_State *L, const char *text);

int sl_lua_fail(lua_State *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A world call failed with rc: -EAGAIN marks the scenario not-run, else an error. */
int sl_lua_world_error(lua_State *L, int rc, const char *err);

/* t.k as a string (NULL when nil; an error when another type). */
const char *sl_lua_opt_str(lua_State *L, int t, const char *k);
/* The first key of table t that is not in allowed (NULL-ended): 1, with *key the key
 * (NULL when it is not a string; *type then says what it is), or 0 when all are known.
 * Integer keys pass when list is set. The key string lives as long as the table. */
int sl_lua_bad_key(lua_State *L, int t, const char *const *allowed, int list,
		   const char **key, int *type);
/* A list of strings (or one string) at idx, malloc'd; NULL and *n = 0 when nil. */
char **sl_lua_str_list(lua_State *L, int idx, const char *what, size_t *n);
void sl_lua_free_list(char **v, size_t n);

/* Records a check; requirement IDs from opts_idx's "covers" (validated against the
 * catalogue), else the scenario's covers. */
void sl_lua_record(lua_State *L, const char *name, int opts_idx, const struct sl_check_out *o);

/* Registers api as globals bound to ctx (the first upvalue). */
void sl_lua_register(lua_State *L, void *ctx, const luaL_Reg *api);

/* The modules. */
void sl_lua_open_dns(lua_State *L, void *ctx);
void sl_lua_open_peer(lua_State *L, void *ctx);
void sl_lua_open_sut(lua_State *L, void *ctx);
void sl_lua_open_check(lua_State *L, void *ctx);
void sl_lua_open_lib(lua_State *L, void *ctx);   /* use("name"): scenarios/lib/name.lua */
void sl_lua_open_time(lua_State *L, void *ctx);
void sl_lua_open_uac(lua_State *L, void *ctx);    /* inject{}, unreachable() */
void sl_lua_open_roles(lua_State *L, void *ctx);  /* expect_response_route, expect_one_server */
void sl_lua_open_farm(lua_State *L, void *ctx);  /* zone_farm{}, expect_farm() */

/* The farm of what zone_farm{} returned, at idx; raises "fn: expected ..." otherwise. */
struct sl_farm;
const struct sl_farm *sl_lua_farm(lua_State *L, int idx, const char *fn);

#endif
