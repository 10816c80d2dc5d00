/* crash.c: test adapter: ref, but a request to sip:misbehave@... dies of SIGSEGV. */
#include <signal.h>

#define WRAP_NAME "test-crash"
#define WRAP_CAPS_DROP 0
#include "wrap.h"

static int wrap_misbehave(const struct sut_config *cfg, unsigned id,
			  const struct sut_request *req)
{
	(void)cfg, (void)id, (void)req;
	/* The default action, not a sanitizer's handler: a plain crash as a stack shows it. */
	fprintf(stderr, "test-crash: about to die of SIGSEGV\n");
	signal(SIGSEGV, SIG_DFL);
	raise(SIGSEGV);
	return -EFAULT;
}
