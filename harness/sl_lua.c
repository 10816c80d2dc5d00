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
#include "sl_loop.h"
#include "sl_lua_api.h"
#include "sl_peer.h"
#include "sl_sut.h"
#include "sl_world.h"

#define MEM_CAP (64u << 20)
#define INSN_CAP 200000000ull
#define INSN_STEP 10000
#define META_TIME_S 5.0

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
	unsigned long long insns, insn_cap;
	int last_line;           /* of the script, at the last count hook */
	uint64_t deadline_us;    /* wall bound on the script, whatever it does between hooks */
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
	/* The script's line, remembered for errors Lua gives no position (out of memory):
	 * for a call, the caller's line. */
	lua_Debug caller;
	if (ar->event == LUA_HOOKCOUNT) {
		c->insns += INSN_STEP;
		if (lua_getinfo(L, "l", ar) && ar->currentline > 0)
			c->last_line = ar->currentline;
	} else if (lua_getstack(L, 1, &caller) && lua_getinfo(L, "l", &caller) &&
		   caller.currentline > 0) {
		c->last_line = caller.currentline;
	}
	/* Instructions alone do not bound time: a loop of failing allocations under pcall
	 * runs few instructions, each slow. */
	int late = c->deadline_us && sl_now_us() > c->deadline_us;
	if (c->insns > c->insn_cap || late) {
		/* Once over, every instruction errors: a pcall cannot swallow it for long. */
		if (!c->over_cap) {
			c->over_cap = 1;
			lua_sethook(L, insn_hook, LUA_MASKCOUNT | LUA_MASKCALL, 1);
		}
		/* lua_pushfstring knows no %llu: the message is formatted here. */
		char msg[600];
		lua_getinfo(L, "Sl", ar);
		if (late)
			snprintf(msg, sizeof(msg), "%s:%d: the script ran past its time limit: "
				 "endless loop?", ar->short_src, ar->currentline);
		else
			snprintf(msg, sizeof(msg), "%s:%d: instruction limit (%llu) exceeded: "
				 "endless loop?", ar->short_src, ar->currentline, c->insn_cap);
		lua_pushstring(L, msg);
		lua_error(L);
	}
}

/* Raises a scenario error at the calling Lua line. */
int sl_lua_fail(lua_State *L, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return luaL_error(L, "%s", buf);
}

struct sl_world *sl_lua_world(lua_State *L, const char *fn)
{
	struct ctx *c = ctx_of(L);
	if (!c->declared || c->mode == MODE_META)
		sl_lua_fail(L, "%s: scenario{...} must be the first statement of a scenario", fn);
	return c->w;
}

const char *sl_lua_path(lua_State *L)
{
	return ctx_of(L)->path;
}

int sl_lua_text_line(lua_State *L, const char *text)
{
	struct ctx *c = ctx_of(L);
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

int sl_lua_world_error(lua_State *L, int rc, const char *err)
{
	struct ctx *c = ctx_of(L);
	if (rc == -EAGAIN) {
		c->not_run = 1;
		snprintf(c->stop_reason, sizeof(c->stop_reason), "%s", err);
	}
	return sl_lua_fail(L, "%s", err);
}

void sl_lua_register(lua_State *L, void *ctx, const luaL_Reg *api)
{
	lua_pushglobaltable(L);
	lua_pushlightuserdata(L, ctx);
	luaL_setfuncs(L, api, 1);
	lua_pop(L, 1);
}

/* Raises unless the value at idx is nil, a string or a table of strings. Raw reads: no
 * metamethod may raise once a caller holds allocations. */
static void check_str_list(lua_State *L, int idx, const char *what)
{
	if (lua_isnoneornil(L, idx) || lua_isstring(L, idx))
		return;
	if (!lua_istable(L, idx))
		sl_lua_fail(L, "%s must be a list of strings", what);
	size_t len = (size_t)lua_rawlen(L, idx);
	for (size_t i = 0; i < len; i++) {
		int ok = lua_rawgeti(L, idx, (lua_Integer)i + 1) == LUA_TSTRING ||
			 lua_isnumber(L, -1);
		lua_pop(L, 1);
		if (!ok)
			sl_lua_fail(L, "%s[%zu] must be a string", what, i + 1);
	}
}

/* Reads a list of strings at table index idx (or a single string). Every check that can
 * raise runs before anything is allocated, so a bad list leaks nothing. */
char **sl_lua_str_list(lua_State *L, int idx, const char *what, size_t *n)
{
	*n = 0;
	check_str_list(L, idx, what);
	if (lua_isnoneornil(L, idx))
		return NULL;
	size_t len = lua_istable(L, idx) ? (size_t)lua_rawlen(L, idx) : 1;
	char **v = calloc(len ? len : 1, sizeof(*v));
	if (!v)
		sl_lua_fail(L, "%s: out of memory", what);
	for (size_t i = 0; i < len; i++) {
		if (lua_istable(L, idx))
			lua_rawgeti(L, idx, (lua_Integer)i + 1);
		else
			lua_pushvalue(L, idx);
		v[i] = strdup(lua_tostring(L, -1));
		lua_pop(L, 1);
		if (!v[i]) {
			sl_lua_free_list(v, i);
			sl_lua_fail(L, "%s: out of memory", what);
		}
	}
	*n = len;
	return v;
}

void sl_lua_free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

const char *sl_lua_opt_str(lua_State *L, int t, const char *k)
{
	lua_getfield(L, t, k);
	const char *s = NULL;
	if (!lua_isnil(L, -1)) {
		if (lua_type(L, -1) != LUA_TSTRING)
			sl_lua_fail(L, "field '%s' must be a string", k);
		s = lua_tostring(L, -1);
	}
	lua_pop(L, 1); /* the string stays alive: it is still referenced by the table */
	return s;
}

int sl_lua_bad_key(lua_State *L, int t, const char *const *allowed, int list,
		   const char **key, int *type)
{
	t = lua_absindex(L, t);
	lua_pushnil(L);
	while (lua_next(L, t)) {
		lua_pop(L, 1);
		*type = lua_type(L, -1);
		if (*type == LUA_TNUMBER && list)
			continue;
		*key = *type == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
		int ok = 0;
		for (const char *const *a = allowed; *key && *a && !ok; a++)
			ok = !strcmp(*a, *key);
		if (!ok) {
			lua_pop(L, 1);
			return 1;
		}
	}
	return 0;
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
	for (size_t i = 0; c->cat && i < n; i++) {
		if (!sl_catalogue_find(c->cat, v[i])) {
			char bad[64];
			snprintf(bad, sizeof(bad), "%s", v[i]);
			sl_lua_free_list(v, n);
			sl_lua_fail(L, "unknown requirement '%s' (not in the catalogue)", bad);
		}
	}
}

static int l_scenario(lua_State *L)
{
	struct ctx *c = ctx_of(L);
	luaL_checktype(L, 1, LUA_TTABLE);
	if (c->declared)
		return sl_lua_fail(L, "scenario{} declared twice");
	const char *id = sl_lua_opt_str(L, 1, "id");
	const char *role = sl_lua_opt_str(L, 1, "role");
	const char *summary = sl_lua_opt_str(L, 1, "summary");
	if (!id || !valid_id(id))
		return sl_lua_fail(L, "scenario{}: id must be a non-empty string of a-z, 0-9, '-'");
	if (!role)
		role = "client";
	if (strcmp(role, "client") && strcmp(role, "stateless-proxy") && strcmp(role, "server"))
		return sl_lua_fail(L, "scenario{}: role must be client, stateless-proxy or server");
	if (!summary || !*summary)
		return sl_lua_fail(L, "scenario{}: a summary is required (one paragraph for the report)");
	lua_getfield(L, 1, "t1");
	double t1 = lua_isnil(L, -1) ? 0 : luaL_checknumber(L, -1);
	lua_pop(L, 1);
	if (t1 < 0 || t1 > 60)
		return sl_lua_fail(L, "scenario{}: t1 must be between 0 and 60 seconds");
	lua_Integer max_events = SL_WORLD_MAX_EVENTS;
	if (lua_getfield(L, 1, "limits") != LUA_TNIL) {
		if (!lua_istable(L, -1))
			return sl_lua_fail(L, "scenario{}: limits must be a table: { events = N }");
		lua_pushnil(L);
		while (lua_next(L, -2)) {
			lua_pop(L, 1);
			if (lua_type(L, -1) != LUA_TSTRING || strcmp(lua_tostring(L, -1), "events"))
				return sl_lua_fail(L, "scenario{}: limits: unknown key (only events)");
		}
		lua_getfield(L, -1, "events");
		int isnum = 0;
		max_events = lua_tointegerx(L, -1, &isnum);
		if (!isnum || max_events < 100 || max_events > 10000000)
			return sl_lua_fail(L, "scenario{}: limits.events must be an integer from 100 "
					   "to 10000000");
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	size_t ncov, nneed;
	lua_getfield(L, 1, "covers");
	lua_getfield(L, 1, "needs");
	/* Both checked before either is allocated: a bad needs must not leak covers. */
	check_str_list(L, -1, "needs");
	char **cov = sl_lua_str_list(L, lua_gettop(L) - 1, "covers", &ncov);
	char **need = sl_lua_str_list(L, lua_gettop(L), "needs", &nneed);
	lua_pop(L, 2);
	static const char *const known_needs[] = { "udp", "tcp", "tls", "ipv6", "cancel",
						  "timers", "alarm", "ack2xx", NULL };
	for (size_t i = 0; i < nneed; i++) {
		int ok = 0;
		for (const char *const *k = known_needs; *k; k++)
			ok |= !strcmp(*k, need[i]);
		if (!ok) {
			char bad[64];
			snprintf(bad, sizeof(bad), "%s", need[i]);
			sl_lua_free_list(cov, ncov);
			sl_lua_free_list(need, nneed);
			return sl_lua_fail(L, "scenario{}: unknown need '%s' (udp tcp tls ipv6 cancel timers "
					   "alarm)",
				    bad);
		}
	}
	if (!ncov) {
		sl_lua_free_list(cov, ncov);
		sl_lua_free_list(need, nneed);
		return sl_lua_fail(L, "scenario{}: covers must name at least one requirement ID");
	}
	for (size_t i = 0; c->cat && i < ncov; i++) {
		if (!sl_catalogue_find(c->cat, cov[i])) {
			char bad[64];
			snprintf(bad, sizeof(bad), "%s", cov[i]);
			sl_lua_free_list(cov, ncov);
			sl_lua_free_list(need, nneed);
			return sl_lua_fail(L, "scenario{}: unknown requirement '%s' (not in the catalogue)",
				    bad);
		}
	}
	lua_getfield(L, 1, "exclusive");
	int excl = lua_isnil(L, -1) ? -1 : lua_toboolean(L, -1);
	if (!lua_isnil(L, -1) && !lua_isboolean(L, -1)) {
		sl_lua_free_list(cov, ncov);
		sl_lua_free_list(need, nneed);
		return sl_lua_fail(L, "scenario{}: exclusive must be true or false");
	}
	lua_pop(L, 1);
	c->declared = 1;
	if (c->mode == MODE_META) {
		struct sl_scn_meta *m = c->meta;
		/* A starved SUT fires its timers late and retries: a timing window (expect_gap)
		 * is missed by tens of ms of wall time, a statistical check (expect_weights) over
		 * many transactions sees time-outs. Both run alone unless the file says not. */
		if (excl < 0 && c->src && strstr(c->src, "expect_weights"))
			m->exclusive = 1, m->exclusive_why = "uses expect_weights";
		else if (excl < 0 && c->src && strstr(c->src, "expect_gap"))
			m->exclusive = 1, m->exclusive_why = "uses expect_gap";
		else if (excl > 0)
			m->exclusive = 1, m->exclusive_why = "declared";
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
	sl_world_set_max_events(c->w, (size_t)max_events);
	sl_lua_free_list(cov, ncov);
	sl_lua_free_list(need, nneed);
	if (rc < 0)
		return sl_lua_fail(L, "out of memory");
	return 0;
}

static int l_log(lua_State *L)
{
	struct ctx *c = ctx_of(L);
	luaL_Buffer b;
	int n = lua_gettop(L); /* before buffinit, which may push a box of its own */
	luaL_buffinit(L, &b);
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
	char **v = sl_lua_str_list(L, lua_gettop(L), "covers", n);
	lua_pop(L, 1);
	if (v)
		check_reqs(L, c, v, *n);
	return v;
}

void sl_lua_record(lua_State *L, const char *name, int opts_idx, const struct sl_check_out *o)
{
	struct ctx *c = ctx_of(L);
	size_t n;
	char **reqs = opt_covers(L, c, opts_idx, &n);
	int rc = sl_world_check(c->w, name, (const char *const *)reqs, n, o);
	sl_lua_free_list(reqs, n);
	if (rc < 0)
		sl_lua_fail(L, "out of memory");
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
	/* math.random must not differ between runs of one seed: Lua 5.4 seeds it from the
	 * time and an address, so it is reseeded from the scenario's seed. */
	if (c->w) {
		lua_getglobal(L, "math");
		lua_getfield(L, -1, "randomseed");
		lua_pushinteger(L, (lua_Integer)sl_world_seed(c->w));
		lua_call(L, 1, 0);
		lua_pop(L, 1);
	}
	static const luaL_Reg api[] = {
		{ "scenario", l_scenario }, { "log", l_log }, { "print", l_log }, { NULL, NULL },
	};
	sl_lua_register(L, c, api);
	sl_lua_open_dns(L, c);
	sl_lua_open_peer(L, c);
	sl_lua_open_sut(L, c);
	sl_lua_open_check(L, c);
	sl_lua_open_time(L, c);
	sl_lua_open_lib(L, c);
	sl_lua_open_uac(L, c);
	sl_lua_open_roles(L, c);
	sl_lua_open_farm(L, c);
	/* Calls too: a few slow C calls (huge string.rep under pcall) may run for long
	 * between two count hooks. */
	lua_sethook(L, insn_hook, LUA_MASKCOUNT | LUA_MASKCALL, INSN_STEP);
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

/* Runs c->src in mode; returns 0 or -errno with err set. */
static int exec_src(struct ctx *c, char *err, size_t errlen)
{
	int rc = 0;
	c->mem_cap = MEM_CAP;
	if (!c->insn_cap)
		c->insn_cap = INSN_CAP;
	/* Reading a declaration takes microseconds; a run gets the scenario's watchdog. */
	c->deadline_us = sl_now_us() +
			 (uint64_t)((c->w ? sl_world_timeout(c->w) : META_TIME_S) * 1e6);
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
			if (!msg)
				msg = "error object is not a string";
			/* Lua names the position of most errors itself; not of all (a parser "C
			 * stack overflow", an error(table)): the file is always named. */
			if (c->not_run)
				snprintf(err, errlen, "%s", c->stop_reason);
			else if (!strncmp(msg, c->path, strlen(c->path)))
				snprintf(err, errlen, "%s", msg);
			else if (st == LUA_ERRMEM && c->last_line)
				snprintf(err, errlen, "%s:%d: %s (the scenario's cap is %u MiB)",
					 c->path, c->last_line, msg, MEM_CAP >> 20);
			else
				snprintf(err, errlen, "%s: %s", c->path, msg);
			rc = c->not_run ? -EAGAIN : -EINVAL;
		}
	} else if (!c->declared) {
		snprintf(err, errlen, "%s:1: no scenario{...} declaration", c->path);
		rc = -EINVAL;
	}
	lua_close(L);
	return rc;
}

static int exec_file(struct ctx *c, char *err, size_t errlen)
{
	int rc = read_file(c, err, errlen);
	return rc < 0 ? rc : exec_src(c, err, errlen);
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

int sl_lua_meta_text(const char *name, const char *text, size_t len,
		     unsigned long long insn_cap, const struct sl_catalogue *cat,
		     struct sl_scn_meta *m, char *err, size_t errlen)
{
	struct ctx c = { .mode = MODE_META, .cat = cat, .meta = m, .path = name,
			 .insn_cap = insn_cap };
	memset(m, 0, sizeof(*m));
	c.src = malloc(len + 1);
	if (!c.src)
		return -ENOMEM;
	memcpy(c.src, text, len);
	c.src[len] = 0;
	c.src_len = len;
	int rc = exec_src(&c, err, errlen);
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
	sl_lua_free_list(m->covers, m->ncovers);
	sl_lua_free_list(m->needs, m->nneeds);
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
