/* nocaps.c: test adapter: ref without the configurable-timers capability, so scenarios
 * that need "timers" must be not-run. It never misbehaves otherwise. */
#define WRAP_NAME "test-nocaps"
#define WRAP_CAPS_DROP SUT_CAP_TIMERS
#include "wrap.h"

static int wrap_misbehave(const struct sut_config *cfg, unsigned id,
			  const struct sut_request *req)
{
	(void)cfg, (void)id, (void)req;
	return -ENOTSUP;
}
