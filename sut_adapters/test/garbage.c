/* garbage.c: test adapter: ref, but a request to sip:misbehave@... writes junk on the
 * control channel instead of an outcome. */
#include <unistd.h>

#define WRAP_NAME "test-garbage"
#define WRAP_CAPS_DROP 0
#include "wrap.h"

static int wrap_misbehave(const struct sut_config *cfg, unsigned id,
			  const struct sut_request *req)
{
	static const char junk[] = "\x01\x02 this is not the protocol\n";

	(void)id, (void)req;
	if (write(cfg->wake_fd, junk, sizeof(junk) - 1) < 0)
		return -errno;
	return 0;
}
