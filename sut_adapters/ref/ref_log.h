/* ref_log.h: diagnostics through the adapter's log hook (one line per call). */
#ifndef REF_LOG_H
#define REF_LOG_H

#include "sut_adapter.h"

struct ref_log {
	sut_log_fn fn;
	void *arg;
	sut_log_fn alarm;  /* security alarms (sut_config.alarm), or NULL */
};

void ref_logf(const struct ref_log *log, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A security alarm: through the alarm hook, and as a diagnostic line too. */
void ref_alarmf(const struct ref_log *log, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
