/* sl_lua_lib.c: use("name"): runs scenarios/lib/name.lua (text only) in the scenario's own
 * sandbox, with its globals and limits, once per scenario; returns what the file returns. */
#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_lua_api.h"

#define LIB_MAX (256u << 10)

/* Registry key (its address) of the table name -> what the library returned. */
static const char loaded_key;
/* Marks a library whose file is still running: use() of it again is a cycle. */
static const char loading_mark;

static int valid_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

/* lib/ lives in the nearest ancestor directory of the scenario file named "scenarios". */
static int lib_path(const char *scenario, const char *name, char *out, size_t len)
{
	char dir[4096];
	if (snprintf(dir, sizeof(dir), "%s", scenario) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	for (;;) {
		char *slash = strrchr(dir, '/');
		if (!slash)
			return -ENOENT;
		*slash = '\0';
		const char *base = strrchr(dir, '/');
		base = base ? base + 1 : dir;
		if (!strcmp(base, "scenarios"))
			break;
	}
	return snprintf(out, len, "%s/lib/%s.lua", dir, name) >= (int)len ? -ENAMETOOLONG : 0;
}

/* The file's text, malloc'd, in *buf; 0 or -errno. */
static int slurp(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -errno;
	int rc = 0;
	*buf = malloc(LIB_MAX + 1);
	*len = 0;
	if (!*buf) {
		rc = -ENOMEM;
		goto out;
	}
	*len = fread(*buf, 1, LIB_MAX + 1, f);
	if (ferror(f))
		rc = -EIO;
	else if (*len > LIB_MAX)
		rc = -EFBIG;
out:
	fclose(f);
	if (rc < 0) {
		free(*buf);
		*buf = NULL;
	}
	return rc;
}

static int l_use(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);
	if (!valid_name(name))
		return sl_lua_fail(L, "use: '%s' is not a library name (a-z 0-9 _ -, at most 64)", name);
	lua_rawgetp(L, LUA_REGISTRYINDEX, &loaded_key);
	int loaded = lua_gettop(L);
	lua_getfield(L, loaded, name);
	if (lua_touserdata(L, -1) == &loading_mark)
		return sl_lua_fail(L, "use: '%s' uses itself (a cycle of use() calls)", name);
	if (!lua_isnil(L, -1))
		return 1;
	lua_pop(L, 1);
	char path[4200];
	int rc = lib_path(sl_lua_path(L), name, path, sizeof(path));
	if (rc < 0)
		return sl_lua_fail(L, "use: '%s': the scenario is not under a scenarios/ directory, "
				   "so there is no scenarios/lib/", name);
	char *src = NULL;
	size_t len = 0;
	rc = slurp(path, &src, &len);
	if (rc < 0)
		return sl_lua_fail(L, "use: %s: %s", path, rc == -EFBIG ? "larger than 256 KiB" :
			    strerror(-rc));
	char chunk[4300];
	snprintf(chunk, sizeof(chunk), "@%s", path);
	/* "t": text only, as for scenarios; the chunk's _ENV is the sandbox's globals. */
	int st = luaL_loadbufferx(L, src, len, chunk, "t");
	free(src);
	if (st != LUA_OK)
		return lua_error(L); /* the message names the library file and line */
	lua_pushlightuserdata(L, (void *)&loading_mark);
	lua_setfield(L, loaded, name);
	lua_call(L, 0, 1);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		lua_pushboolean(L, 1);
	}
	lua_pushvalue(L, -1);
	lua_setfield(L, loaded, name);
	return 1;
}

void sl_lua_open_lib(lua_State *L, void *ctx)
{
	lua_newtable(L);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &loaded_key);
	static const luaL_Reg api[] = { { "use", l_use }, { NULL, NULL } };
	sl_lua_register(L, ctx, api);
}
