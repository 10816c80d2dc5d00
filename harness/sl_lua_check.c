/* sl_lua_check.c: the scenario API of explicit checks: expect_status, expect_dns,
 * expect_route, expect_weights. */
#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_check.h"
#include "sl_evlog.h"
#include "sl_lua_api.h"
#include "sl_sut.h"
#include "sl_world.h"

static int l_expect_status(lua_State *L)
{
	struct sl_world *w = sl_lua_world(L, "expect_status");
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_getfield(L, 1, "outcome");
	if (!lua_isinteger(L, -1))
		return sl_lua_fail(L, "expect_status: first argument must be what send{} returned");
	int got = (int)lua_tointeger(L, -1);
	lua_pop(L, 1);
	struct sl_check_out o = { 0 };
	char gbuf[32], want[64];
	const char *gs = sl_sut_status_str(got, gbuf, sizeof(gbuf));
	if (lua_isinteger(L, 2)) {
		int w = (int)lua_tointeger(L, 2);
		o.pass = got == w;
		snprintf(want, sizeof(want), "%d", w);
	} else if (lua_type(L, 2) == LUA_TSTRING) {
		const char *w = lua_tostring(L, 2);
		if (!strcmp(w, "failure")) {
			o.pass = got < 100 || got >= 300;
		} else if (!strcmp(w, "success")) {
			o.pass = got >= 200 && got < 300;
		} else {
			static const char *const errs[] = { "timeout", "transport-error", "dns-error",
							   "no-target", "internal-error",
							   "cancelled", NULL };
			int known = 0;
			for (const char *const *e = errs; *e; e++)
				known |= !strcmp(*e, w);
			if (!known)
				return sl_lua_fail(L, "expect_status: '%s' is not a status; use a code, "
					    "'success', 'failure' or one of timeout, transport-error, "
					    "dns-error, no-target, internal-error, cancelled", w);
			o.pass = !strcmp(gs, w);
		}
		snprintf(want, sizeof(want), "%s", w);
	} else {
		return sl_lua_fail(L, "expect_status: second argument must be a status code or name");
	}
	snprintf(o.detail, sizeof(o.detail), "expected %s, the SUT reported %s", want, gs);
	/* The proving events: the SUT's report itself. */
	struct sl_evlog *log = sl_world_log(w);
	for (size_t i = sl_evlog_count(log); i-- > 0;) {
		const struct sl_event *e = sl_evlog_get(log, i);
		if (e->kind == SL_EV_SIP_TX && o.nev < SL_CHECK_MAX_EV) {
			o.ev[o.nev++] = e->idx;
			break;
		}
	}
	sl_lua_record(L, "expect_status", 3, &o);
	return 0;
}

static enum sl_match parse_mode(lua_State *L, int opts)
{
	if (!lua_istable(L, opts))
		return SL_MATCH_EXACT;
	const char *m = sl_lua_opt_str(L, opts, "mode");
	if (!m || !strcmp(m, "exact"))
		return SL_MATCH_EXACT;
	if (!strcmp(m, "subsequence"))
		return SL_MATCH_SUBSEQ;
	if (!strcmp(m, "prefix"))
		return SL_MATCH_PREFIX;
	if (!strcmp(m, "set"))
		return SL_MATCH_SET;
	sl_lua_fail(L, "mode must be exact, subsequence, prefix or set");
	return SL_MATCH_EXACT;
}

static int l_expect_dns(lua_State *L)
{
	struct sl_world *w = sl_lua_world(L, "expect_dns");
	luaL_checktype(L, 1, LUA_TTABLE);
	enum sl_match mode = parse_mode(L, 2);
	size_t n = (size_t)luaL_len(L, 1);
	if (n > 64)
		return sl_lua_fail(L, "expect_dns: at most 64 queries");
	struct sl_dns_want want[64];
	char buf[64][2][256];
	for (size_t i = 0; i < n; i++) {
		lua_geti(L, 1, (lua_Integer)i + 1);
		int ok = 0;
		if (lua_type(L, -1) == LUA_TSTRING) {
			ok = sscanf(lua_tostring(L, -1), "%255s %255s", buf[i][0], buf[i][1]) == 2;
		} else if (lua_istable(L, -1)) {
			lua_geti(L, -1, 1);
			lua_geti(L, -2, 2);
			if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING) {
				snprintf(buf[i][0], sizeof(buf[i][0]), "%s", lua_tostring(L, -2));
				snprintf(buf[i][1], sizeof(buf[i][1]), "%s", lua_tostring(L, -1));
				ok = 1;
			}
			lua_pop(L, 2);
		}
		lua_pop(L, 1);
		if (!ok)
			return sl_lua_fail(L, "expect_dns: entry %zu must be \"TYPE name\" or {TYPE, name}",
				    i + 1);
		want[i].qtype = buf[i][0];
		want[i].qname = buf[i][1];
	}
	struct sl_check_out o;
	sl_check_dns(sl_world_log(w), want, n, mode, &o);
	sl_lua_record(L, "expect_dns", 2, &o);
	return 0;
}

static int l_expect_route(lua_State *L)
{
	struct sl_world *w = sl_lua_world(L, "expect_route");
	luaL_checktype(L, 1, LUA_TTABLE);
	const char *method = lua_istable(L, 2) ? sl_lua_opt_str(L, 2, "method") : NULL;
	size_t n = (size_t)luaL_len(L, 1);
	if (n > 64)
		return sl_lua_fail(L, "expect_route: at most 64 attempts");
	const char *dests[64];
	for (size_t i = 0; i < n; i++) {
		lua_geti(L, 1, (lua_Integer)i + 1);
		if (lua_type(L, -1) != LUA_TSTRING)
			return sl_lua_fail(L, "expect_route: entry %zu must be \"addr:port/transport\"", i + 1);
		dests[i] = lua_tostring(L, -1);
		lua_pop(L, 1); /* still referenced by the table */
	}
	struct sl_check_out o;
	sl_check_route(sl_world_log(w), method, dests, n, &o);
	sl_lua_record(L, "expect_route", 2, &o);
	return 0;
}

static int l_expect_ack2xx(lua_State *L)
{
	struct sl_world *w = sl_lua_world(L, "expect_ack2xx");
	struct sl_check_out o;
	sl_check_ack2xx(sl_world_log(w), &o);
	sl_lua_record(L, "expect_ack2xx", 1, &o);
	return 0;
}

static int by_dest(const void *a, const void *b)
{
	return strcmp(((const struct sl_weight_want *)a)->dest,
		      ((const struct sl_weight_want *)b)->dest);
}

/* Runs n fresh transactions of method to uri, settling once at the end; returns how
 * many did not end in a 2xx (the test counts first choices, whatever the outcome). */
static int run_trials(lua_State *L, struct sl_world *w, lua_Integer n, const char *method,
		      const char *uri, lua_Integer *not2xx)
{
	char err[1024];
	*not2xx = 0;
	for (lua_Integer i = 0; i < n; i++) {
		int status = 0;
		int rc = sl_world_send_quick(w, method, uri, 0, NULL, &status, err, sizeof(err));
		if (rc < 0)
			return sl_lua_world_error(L, rc, err);
		*not2xx += status < 200 || status >= 300;
	}
	int rc = sl_world_settle(w, err, sizeof(err));
	if (rc < 0)
		return sl_lua_world_error(L, rc, err);
	return 0;
}

/* expect_weights({ ["addr:port/udp"] = w, ... } [, { method =, p =, covers =,
 *                 trials =, uri = }]) */
static int l_expect_weights(lua_State *L)
{
	struct sl_world *w = sl_lua_world(L, "expect_weights");
	luaL_checktype(L, 1, LUA_TTABLE);
	const char *method = lua_istable(L, 2) ? sl_lua_opt_str(L, 2, "method") : NULL;
	const char *uri = lua_istable(L, 2) ? sl_lua_opt_str(L, 2, "uri") : NULL;
	lua_Integer trials = 0;
	if (lua_istable(L, 2)) {
		lua_getfield(L, 2, "trials");
		if (!lua_isnil(L, -1)) {
			if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 ||
			    lua_tointeger(L, -1) > 100000)
				return sl_lua_fail(L, "expect_weights: trials must be an integer from 1 "
						   "to 100000");
			trials = lua_tointeger(L, -1);
		}
		lua_pop(L, 1);
	}
	if (trials && !uri)
		return sl_lua_fail(L, "expect_weights: trials needs the uri to send to");
	if (!trials && uri)
		return sl_lua_fail(L, "expect_weights: uri goes with trials = N");
	if (trials && !method)
		method = "OPTIONS";
	if (method)
		for (const char *p = method; *p; p++)
			if (*p < 'A' || *p > 'Z')
				return sl_lua_fail(L, "expect_weights: method '%s' must be upper-case "
						   "letters", method);
	double p_min = 0.001;
	if (lua_istable(L, 2)) {
		lua_getfield(L, 2, "p");
		if (!lua_isnil(L, -1)) {
			if (!lua_isnumber(L, -1) || lua_tonumber(L, -1) <= 0 || lua_tonumber(L, -1) >= 1)
				return sl_lua_fail(L, "expect_weights: p must be a number in (0, 1)");
			p_min = lua_tonumber(L, -1);
		}
		lua_pop(L, 1);
	}
	double zero_share = 0.05;
	if (lua_istable(L, 2)) {
		lua_getfield(L, 2, "zero_share");
		if (!lua_isnil(L, -1)) {
			if (!lua_isnumber(L, -1) || lua_tonumber(L, -1) <= 0 || lua_tonumber(L, -1) >= 1)
				return sl_lua_fail(L, "expect_weights: zero_share must be a number in "
						   "(0, 1)");
			zero_share = lua_tonumber(L, -1);
		}
		lua_pop(L, 1);
	}
	struct sl_weight_want want[64];
	size_t n = 0;
	lua_pushnil(L);
	while (lua_next(L, 1)) {
		if (lua_type(L, -2) != LUA_TSTRING || !lua_isnumber(L, -1))
			return sl_lua_fail(L, "expect_weights: entries must be [\"addr:port/transport\"] "
					   "= weight");
		if (n == 64)
			return sl_lua_fail(L, "expect_weights: at most 64 destinations");
		want[n].dest = lua_tostring(L, -2); /* the key stays referenced by the table */
		want[n].weight = lua_tonumber(L, -1);
		want[n].max_share = zero_share;
		n++;
		lua_pop(L, 1);
	}
	qsort(want, n, sizeof(want[0]), by_dest);
	struct sl_check_out o;
	size_t from = 0;
	lua_Integer not2xx = 0;
	if (trials) {
		/* Too few trials is the scenario's mistake: say so before running them. */
		double wsum = 0;
		size_t npos = 0;
		for (size_t j = 0; j < n; j++) {
			wsum += want[j].weight > 0 ? want[j].weight : 0;
			npos += want[j].weight > 0;
		}
		for (size_t j = 0; j < n; j++)
			if (npos > 1 && want[j].weight > 0 && trials * want[j].weight / wsum < 5)
				return sl_lua_fail(L, "expect_weights: %lld trials give %s an expected "
						   "count of %.1f; a chi-square test needs at least 5",
						   (long long)trials, want[j].dest,
						   trials * want[j].weight / wsum);
		from = sl_evlog_count(sl_world_log(w));
		run_trials(L, w, trials, method, uri, &not2xx);
	}
	if (sl_check_weights_from(sl_world_log(w), from, method, want, n, p_min, &o) < 0)
		return sl_lua_fail(L, "expect_weights: %s", o.detail);
	if (trials) {
		size_t len = strlen(o.detail);
		snprintf(o.detail + len, sizeof(o.detail) - len, "; %lld fresh %s transaction(s) "
			 "to %s run by the check, %lld without a 2xx", (long long)trials, method,
			 uri, (long long)not2xx);
	}
	sl_lua_record(L, "expect_weights", 2, &o);
	return 0;
}

/* expect_alarm{ [after = t,] [contains = "text",] [none = true,] covers = }: the SUT raised
 * a security alarm (sut_config.alarm; the scenario needs "alarm") after SUT time t, with
 * that text; none = true: it raised none (no false alarm). */
static int l_expect_alarm(lua_State *L)
{
	struct sl_world *w = sl_lua_world(L, "expect_alarm");
	if (!lua_isnoneornil(L, 1))
		luaL_checktype(L, 1, LUA_TTABLE);
	double after = -1e300;
	const char *contains = NULL;
	int none = 0;
	if (lua_istable(L, 1)) {
		lua_getfield(L, 1, "after");
		if (!lua_isnil(L, -1)) {
			if (!lua_isnumber(L, -1))
				return sl_lua_fail(L, "expect_alarm: after must be SUT seconds");
			after = lua_tonumber(L, -1);
		}
		lua_pop(L, 1);
		contains = sl_lua_opt_str(L, 1, "contains");
		lua_getfield(L, 1, "none");
		none = lua_toboolean(L, -1);
		lua_pop(L, 1);
	}
	struct sl_evlog *log = sl_world_log(w);
	struct sl_check_out o = { 0 };
	unsigned n = 0;
	size_t len = 0;
	for (size_t i = 0; i < sl_evlog_count(log); i++) {
		const struct sl_event *e = sl_evlog_get(log, i);
		if (!e->alarm || e->t_sut < after || (contains && !strstr(e->text, contains)))
			continue;
		if (n++ < 3)
			len += (size_t)snprintf(o.detail + len, len < sizeof(o.detail) ?
						sizeof(o.detail) - len : 0, "%s'%s' at %.3f s",
						n > 1 ? ", " : "", e->text, e->t_sut);
		if (o.nev < SL_CHECK_MAX_EV)
			o.ev[o.nev++] = e->idx;
		if (len >= sizeof(o.detail))
			len = sizeof(o.detail) - 1;
	}
	char what[160];
	snprintf(what, sizeof(what), "%s%s%s", contains ? " with '" : "", contains ? contains : "",
		 contains ? "'" : "");
	o.pass = none ? n == 0 : n > 0;
	o.seen = 1;
	if (!n)
		snprintf(o.detail, sizeof(o.detail), "the SUT raised no security alarm%s%s", what,
			 after > -1e299 ? " after the zone changed" : "");
	else {
		char head[192];
		snprintf(head, sizeof(head), "%u security alarm(s)%s: ", n, what);
		size_t hl = strlen(head), dl = strlen(o.detail);
		if (hl + dl >= sizeof(o.detail))
			dl = sizeof(o.detail) - hl - 1;
		memmove(o.detail + hl, o.detail, dl);
		memcpy(o.detail, head, hl);
		o.detail[hl + dl] = 0;
	}
	sl_lua_record(L, "expect_alarm", 1, &o);
	return 0;
}

void sl_lua_open_check(lua_State *L, void *ctx)
{
	static const luaL_Reg api[] = {
		{ "expect_status", l_expect_status }, { "expect_dns", l_expect_dns },
		{ "expect_route", l_expect_route }, { "expect_weights", l_expect_weights },
		{ "expect_alarm", l_expect_alarm }, { "expect_ack2xx", l_expect_ack2xx },
		{ NULL, NULL },
	};
	sl_lua_register(L, ctx, api);
}
