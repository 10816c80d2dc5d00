/* exit.c: test adapter: ref, but a request to sip:misbehave@... makes the runner exit
 * (status 3), and so does open() in a scenario whose id has "misbehave-at-open" (4). */
#include <unistd.h>

#define WRAP_NAME "test-exit"
#define WRAP_CAPS_DROP 0
#define WRAP_ON_OPEN(cfg) (fprintf(stderr, "test-exit: leaving in open()\n"), _exit(4))
#include "wrap.h"

static int wrap_misbehave(const struct sut_config *cfg, unsigned id,
			  const struct sut_request *req)
{
	(void)cfg, (void)id, (void)req;
	fprintf(stderr, "test-exit: leaving early with status 3\n");
	/* _exit: a SUT that vanishes runs no cleanup (and no leak check) either. */
	_exit(3);
}
