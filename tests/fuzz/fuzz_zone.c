/* fuzz_zone.c: libFuzzer target for the zone loader (master-file text from scenarios). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fdns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0; /* zone text arrives as a C string from Lua */
	struct fdns_zone *z = NULL;
	char err[512];
	if (fdns_zone_new(&z) == 0) {
		int rc = fdns_zone_load_text(z, text, "example.test.", 300, "fuzz.lua", 10, err,
					     sizeof(err));
		if (rc < 0 && strncmp(err, "fuzz.lua:", 9))
			abort(); /* every zone error names the file and line */
		fdns_zone_free(z);
	}
	free(text);
	return 0;
}
