/* wrap.h: shared by the misbehaving test adapters (test/NAME.c): each forwards to ref.so,
 * found next to itself, and misbehaves only for a Request-URI starting "sip:misbehave@",
 * so the other scenarios of the same run still pass against the same adapter. */
#ifndef SUT_TEST_WRAP_H
#define SUT_TEST_WRAP_H

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sut_adapter.h"

#define WRAP_TRIGGER "sip:misbehave@"

/* Each adapter defines these before including this header:
 *   WRAP_NAME        its name in the hello line
 *   WRAP_CAPS_DROP   capability bits it hides from the harness (0: none)
 * and this function, called instead of ref's request() for a triggering URI.
 * WRAP_ON_OPEN(cfg), if defined, runs first in open(): open has no URI, so adapters that
 * misbehave there look for "misbehave-at-open" in the workdir (the scenario id). */
static int wrap_misbehave(const struct sut_config *cfg, unsigned id,
			  const struct sut_request *req);

/* Leaves a file where libfaketime keeps its shared memory, named with this pid as it
 * does, so tests can see the harness remove it even when the SUT dies or is killed. */
static void wrap_leave_shm(void)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/dev/shm/faketime_siploctest_%d", (int)getpid());
	f = fopen(path, "w");
	if (f)
		fclose(f);
	fprintf(stderr, "%s: pid %d left %s\n", WRAP_NAME, (int)getpid(), path);
}

static const struct sut_adapter *wrap_ref;
static const struct sut_config *wrap_cfg;
static void *wrap_ref_ctx; /* ref's context, for adapters that go on to ref's request() */

/* ref.so lives in the directory this adapter was loaded from. */
static const struct sut_adapter *wrap_load_ref(void)
{
	Dl_info di;
	char path[4096];
	const char *slash;
	void *h;
	sut_adapter_fn fn;

	if (!dladdr((void *)wrap_load_ref, &di) || !di.dli_fname)
		return NULL;
	slash = strrchr(di.dli_fname, '/');
	snprintf(path, sizeof(path), "%.*s/ref.so",
		 slash ? (int)(slash - di.dli_fname) : 1, slash ? di.dli_fname : ".");
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "%s: cannot load %s: %s\n", WRAP_NAME, path, dlerror());
		return NULL;
	}
	fn = (sut_adapter_fn)dlsym(h, SUT_ADAPTER_SYMBOL);
	return fn ? fn() : NULL;
}

static int wrap_open(const struct sut_config *cfg, void **ctxp)
{
	wrap_cfg = cfg;
#ifdef WRAP_ON_OPEN
	if (cfg->workdir && strstr(cfg->workdir, "misbehave-at-open")) {
		wrap_leave_shm();
		WRAP_ON_OPEN(cfg);
	}
#endif
	int rc = wrap_ref->open(cfg, ctxp);
	if (rc == 0)
		wrap_ref_ctx = *ctxp;
	return rc;
}

static int wrap_request(void *ctx, unsigned id, const struct sut_request *req)
{
	if (!strncmp(req->uri, WRAP_TRIGGER, strlen(WRAP_TRIGGER))) {
		wrap_leave_shm();
		return wrap_misbehave(wrap_cfg, id, req);
	}
	return wrap_ref->request(ctx, id, req);
}

static int wrap_cancel(void *ctx, unsigned id)
{
	return wrap_ref->cancel ? wrap_ref->cancel(ctx, id) : -ENOTSUP;
}

static int wrap_run(void *ctx, int timeout_ms, sut_done_fn on_done, void *arg)
{
	return wrap_ref->run(ctx, timeout_ms, on_done, arg);
}

static void wrap_close(void *ctx)
{
	wrap_ref->close(ctx);
}

static struct sut_adapter wrap_adapter = {
	.abi_version = SUT_ABI_VERSION,
	.name = WRAP_NAME,
	.open = wrap_open,
	.request = wrap_request,
	.cancel = wrap_cancel,
	.run = wrap_run,
	.close = wrap_close,
};

const struct sut_adapter *sut_adapter_v1(void);

const struct sut_adapter *sut_adapter_v1(void)
{
	if (!wrap_ref && !(wrap_ref = wrap_load_ref()))
		return NULL;
	wrap_adapter.version = wrap_ref->version;
	wrap_adapter.caps = wrap_ref->caps & ~(unsigned)(WRAP_CAPS_DROP);
	return &wrap_adapter;
}

#endif
