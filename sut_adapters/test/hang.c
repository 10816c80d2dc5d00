/* hang.c: test adapter: ref, but a request to sip:misbehave@... never returns. */
#include <unistd.h>

#define WRAP_NAME "test-hang"
#define WRAP_CAPS_DROP 0
#include "wrap.h"

static int wrap_misbehave(const struct sut_config *cfg, unsigned id,
			  const struct sut_request *req)
{
	(void)cfg, (void)id, (void)req;
	fprintf(stderr, "test-hang: hanging in request()\n");
	for (;;)
		pause();
	return 0;
}
