/* ref_log.c: formats one diagnostic line and hands it to the adapter's log hook. */
#include <stdarg.h>
#include <stdio.h>

#include "ref_log.h"

static void vline(char *line, size_t len, const char *fmt, va_list ap)
{
	vsnprintf(line, len, fmt, ap);
	/* The line protocol is line-based: a stray newline would forge a message. */
	for (char *p = line; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

void ref_logf(const struct ref_log *log, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (!log || !log->fn)
		return;
	va_start(ap, fmt);
	vline(line, sizeof(line), fmt, ap);
	va_end(ap);
	log->fn(log->arg, line);
}

void ref_alarmf(const struct ref_log *log, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (!log)
		return;
	va_start(ap, fmt);
	vline(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (log->alarm)
		log->alarm(log->arg, line);
	if (log->fn)
		log->fn(log->arg, line);
}
