/* ref_log.h: diagnostics through the adapter's log hook (one line per call). */
#ifndef REF_LOG_H
#define REF_LOG_H

#include "sut_adapter.h"

struct ref_log {
	sut_log_fn fn;
	void *arg;
};

void ref_logf(const struct ref_log *log, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
