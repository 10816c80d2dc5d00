/* sl_lua.h: scenario files: a sandboxed Lua 5.4 state (no io, os, require, load, debug,
 * string.dump; instruction and memory caps a pcall cannot escape) and the scenario API.
 * Promises: every error names the scenario file and line. */
#ifndef SL_LUA_H
#define SL_LUA_H

#include <stddef.h>

struct sl_world;
struct sl_catalogue;

struct sl_scn_meta {
	char *id, *file, *role, *summary;
	char **covers;
	size_t ncovers;
	char **needs;
	size_t nneeds;
	/* Runs with no other worker beside it: scenario{ exclusive = true }, or inferred
	 * (exclusive_why "uses expect_weights" / "uses expect_gap") when the file calls
	 * one of those and does not say exclusive = false. */
	int exclusive;
	const char *exclusive_why; /* static text: "declared", "uses expect_..." */
};

/* Reads only the scenario{} declaration (which must come first) and validates it against
 * the catalogue (cat NULL: covers are taken as written, for `siploc coverage` to judge).
 * Returns 0 or -EINVAL with "file:line: reason" in err. */
int sl_lua_meta(const char *path, const struct sl_catalogue *cat, struct sl_scn_meta *m,
		char *err, size_t errlen);
void sl_lua_meta_clear(struct sl_scn_meta *m);
/* The same for scenario source held in memory (fuzzing, tests); insn_cap 0: default. */
int sl_lua_meta_text(const char *name, const char *text, size_t len,
		     unsigned long long insn_cap, const struct sl_catalogue *cat,
		     struct sl_scn_meta *m, char *err, size_t errlen);

/* Runs the whole scenario in w. Returns 0; -EAGAIN when it cannot run here (err says
 * why: not-run); any other -errno is an error with "file:line: reason" in err. */
int sl_lua_run(const char *path, struct sl_world *w, const struct sl_catalogue *cat,
	       char *err, size_t errlen);

#endif
