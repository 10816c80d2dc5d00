/* abort.c: test adapter: ref, but a request to sip:misbehave@... calls abort(). */
#include <stdlib.h>

#define WRAP_NAME "test-abort"
#define WRAP_CAPS_DROP 0
#include "wrap.h"

static int wrap_misbehave(const struct sut_config *cfg, unsigned id,
			  const struct sut_request *req)
{
	(void)cfg, (void)id, (void)req;
	fprintf(stderr, "test-abort: assertion-like failure, aborting\n");
	abort();
}
