/* ref_log.c: formats one diagnostic line and hands it to the adapter's log hook. */
#include <stdarg.h>
#include <stdio.h>

#include "ref_log.h"

void ref_logf(const struct ref_log *log, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (!log || !log->fn)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* The line protocol is line-based: a stray newline would forge a message. */
	for (char *p = line; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	log->fn(log->arg, line);
}
