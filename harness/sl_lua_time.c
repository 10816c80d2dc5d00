/* sl_lua_time.c: the scenario API of timing checks: expect_gap{} measures the SUT time
 * between two logged events against a window widened by a tolerance that grows with R. */
#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sl_check.h"
#include "sl_clock.h"
#include "sl_evlog.h"
#include "sl_lua_api.h"
#include "sl_world.h"

/* Event times are taken when the worker's loop handles a packet, libfaketime rounds the
 * SUT's poll timeouts to whole real milliseconds, and a busy machine wakes either late:
 * up to ~30 real ms, i.e. R times that in SUT time (3 s at the default rate: still far
 * from the halved or doubled timers the windows exist to catch). */
#define TOL_BASE_S 0.05
#define TOL_REAL_S 0.03

struct ev_match {
	int kind;              /* enum sl_ev_kind, -1: any */
	const char *method, *at, *qname, *qtype;
	int status;            /* 0: any */
	long nth;              /* 1: first, -1: last */
	char desc[256];
};

static const struct { const char *name; enum sl_ev_kind kind; } kinds[] = {
	{ "sip", SL_EV_SIP_RX }, { "reply", SL_EV_SIP_TX }, { "dns", SL_EV_DNS },
	{ "request", SL_EV_SUT_REQ }, { "done", SL_EV_SUT_DONE },
};

/* Reads the matcher table t.key (absolute index t). */
static void read_match(lua_State *L, int t, const char *key, struct ev_match *m)
{
	memset(m, 0, sizeof(*m));
	m->kind = -1;
	m->nth = 1;
	lua_getfield(L, t, key);
	if (!lua_istable(L, -1))
		sl_lua_fail(L, "expect_gap: %s must be a table such as { method = \"INVITE\", "
			    "at = \"127.0.0.2:5060/udp\" }", key);
	int mt = lua_gettop(L);
	const char *kind = sl_lua_opt_str(L, mt, "kind");
	m->method = sl_lua_opt_str(L, mt, "method");
	m->at = sl_lua_opt_str(L, mt, "at");
	m->qname = sl_lua_opt_str(L, mt, "qname");
	m->qtype = sl_lua_opt_str(L, mt, "qtype");
	lua_getfield(L, mt, "status");
	if (!lua_isnil(L, -1))
		m->status = (int)luaL_checkinteger(L, -1);
	lua_pop(L, 1);
	lua_getfield(L, mt, "nth");
	if (!lua_isnil(L, -1))
		m->nth = (long)luaL_checkinteger(L, -1);
	lua_pop(L, 1);
	if (m->nth == 0)
		sl_lua_fail(L, "expect_gap: %s.nth must be 1, 2, ... or -1 (the last), ...", key);
	if (kind) {
		for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			if (!strcmp(kind, kinds[i].name))
				m->kind = (int)kinds[i].kind;
		if (m->kind < 0)
			sl_lua_fail(L, "expect_gap: %s.kind '%s' must be sip, reply, dns, request "
				    "or done", key, kind);
	} else if (m->qname || m->qtype) {
		m->kind = SL_EV_DNS;
	} else if (m->method || m->at) {
		m->kind = SL_EV_SIP_RX;
	}
	if (m->kind < 0 && !m->status)
		sl_lua_fail(L, "expect_gap: %s matches every event; give kind, method, at, "
			    "status or qname", key);
	char st[16] = "", nth[24] = "";
	if (m->status)
		snprintf(st, sizeof(st), "status %d", m->status);
	if (m->nth != 1)
		snprintf(nth, sizeof(nth), "(nth %ld)", m->nth);
	const char *parts[] = { kind, m->method, m->at ? "at" : NULL, m->at, m->qtype,
				m->qname, st, nth };
	size_t l = 0;
	m->desc[0] = 0;
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (parts[i] && *parts[i] && l < sizeof(m->desc))
			l += (size_t)snprintf(m->desc + l, sizeof(m->desc) - l, "%s%s",
					      l ? " " : "", parts[i]);
	/* The strings stay referenced by the scenario's table, which is still on the stack. */
	lua_pop(L, 1);
}

static int same_at(const struct sl_event *e, const char *at)
{
	/* The peer's side of the packet: where the SUT sent it, or where a reply came from. */
	const char *addr = e->server;
	if (!addr)
		return 0;
	size_t l = strlen(addr);
	if (strncmp(at, addr, l))
		return 0;
	if (!at[l])
		return 1;
	return at[l] == '/' && e->transport && !strcmp(at + l + 1, e->transport);
}

static int matches(const struct sl_event *e, const struct ev_match *m)
{
	if (m->kind >= 0 && (int)e->kind != m->kind)
		return 0;
	if (m->method && !(e->method && !strcmp(e->method, m->method)) &&
	    !(e->cseq_method && e->status && !strcmp(e->cseq_method, m->method)))
		return 0;
	if (m->status && !(e->status == m->status && e->kind != SL_EV_SUT_DONE))
		return 0;
	if (m->at && !same_at(e, m->at))
		return 0;
	if (m->qname && !(e->qname && !strcasecmp(e->qname, m->qname)))
		return 0;
	if (m->qtype && !(e->qtype && !strcasecmp(e->qtype, m->qtype)))
		return 0;
	return 1;
}

/* Index of the nth matching event, or -1. */
static long find(const struct sl_evlog *log, const struct ev_match *m)
{
	size_t n = sl_evlog_count(log);
	long seen = 0;
	if (m->nth > 0) {
		for (size_t i = 0; i < n; i++)
			if (matches(sl_evlog_get(log, i), m) && ++seen == m->nth)
				return (long)i;
	} else {
		for (size_t i = n; i-- > 0;)
			if (matches(sl_evlog_get(log, i), m) && --seen == m->nth)
				return (long)i;
	}
	return -1;
}

static double opt_num(lua_State *L, int t, const char *k, double def)
{
	lua_getfield(L, t, k);
	double v = lua_isnil(L, -1) ? def : luaL_checknumber(L, -1);
	lua_pop(L, 1);
	return v;
}

static int l_expect_gap(lua_State *L)
{
	struct sl_world *w = sl_lua_world(L, "expect_gap");
	luaL_checktype(L, 1, LUA_TTABLE);
	struct ev_match from, to;
	read_match(L, 1, "from", &from);
	read_match(L, 1, "to", &to);
	double min = opt_num(L, 1, "min", NAN), max = opt_num(L, 1, "max", INFINITY);
	if (isnan(min) || min < 0 || max < min)
		return sl_lua_fail(L, "expect_gap: needs min >= 0 (and max >= min) in SUT seconds");
	double rate = sl_clock_rate(sl_world_clock(w));
	double tol = opt_num(L, 1, "tolerance", TOL_BASE_S + TOL_REAL_S * rate);
	if (tol < 0)
		return sl_lua_fail(L, "expect_gap: tolerance must be >= 0");
	struct sl_evlog *log = sl_world_log(w);
	long a = find(log, &from), b = find(log, &to);
	struct sl_check_out o = { 0 };
	char win[128];
	if (isinf(max))
		snprintf(win, sizeof(win), "at least %g s (- %.3f s tolerance at rate %g)", min,
			 tol, rate);
	else
		snprintf(win, sizeof(win), "%g..%g s (+- %.3f s tolerance at rate %g)", min, max,
			 tol, rate);
	if (a < 0 || b < 0) {
		snprintf(o.detail, sizeof(o.detail), "expected a gap of %s from [%s] to [%s], but "
			 "%s never happened", win, from.desc, to.desc,
			 a < 0 ? "the first event" : "the second event");
		if (a >= 0)
			o.ev[o.nev++] = (unsigned)a;
	} else {
		const struct sl_event *ea = sl_evlog_get(log, (size_t)a);
		const struct sl_event *eb = sl_evlog_get(log, (size_t)b);
		double gap = eb->t_sut - ea->t_sut;
		o.pass = gap >= min - tol && gap <= max + tol;
		snprintf(o.detail, sizeof(o.detail), "measured %.3f s of SUT time from [%s] "
			 "(event %ld, t=%.3f s) to [%s] (event %ld, t=%.3f s); expected %s",
			 gap, from.desc, a, ea->t_sut, to.desc, b, eb->t_sut, win);
		o.ev[o.nev++] = (unsigned)a;
		o.ev[o.nev++] = (unsigned)b;
	}
	sl_lua_record(L, "expect_gap", 1, &o);
	return 0;
}

/* timer_b(): 64*T1 of this scenario, in SUT seconds, for windows in expect_gap{}. */
static int l_timer_b(lua_State *L)
{
	struct sl_world *w = sl_lua_world(L, "timer_b");
	lua_pushnumber(L, sl_world_timer_b(w));
	return 1;
}

void sl_lua_open_time(lua_State *L, void *ctx)
{
	static const luaL_Reg api[] = {
		{ "expect_gap", l_expect_gap }, { "timer_b", l_timer_b }, { NULL, NULL },
	};
	sl_lua_register(L, ctx, api);
}
