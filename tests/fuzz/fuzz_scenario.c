/* fuzz_scenario.c: libFuzzer target for the scenario loader: any Lua source, in the
 * sandbox, with a small instruction cap so endless loops end quickly. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_catalogue.h"
#include "sl_lua.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sl_catalogue *cat;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[1024];
	if (!cat) {
		const char *path = getenv("SIPLOC_CATALOGUE");
		if (sl_catalogue_load(&cat, path ? path : "docs/requirements.md", err,
				      sizeof(err)) < 0) {
			fprintf(stderr, "%s (run from the source tree or set SIPLOC_CATALOGUE)\n", err);
			abort();
		}
	}
	struct sl_scn_meta m;
	int rc = sl_lua_meta_text("fuzz.lua", (const char *)data, size, 2000000, cat, &m, err,
				  sizeof(err));
	if (rc == 0)
		sl_lua_meta_clear(&m);
	else if (!strstr(err, "fuzz.lua") && !strstr(err, "not enough memory")) {
		fprintf(stderr, "scenario error without the file name: %s\n", err);
		abort(); /* every scenario error names the file */
	}
	return 0;
}
