/* sl_cmd_dns.c: `siploc dns`, the fake DNS serving a zone file on its own. */
#include <stdio.h>

#include "sl_cmd.h"

void sl_cmd_dns_usage(FILE *f)
{
	fprintf(f, "usage: siploc dns --zone FILE [--listen ADDR:PORT] [--log]\n"
		   "Serves a zone on loopback for work with dig, kdig or any stack.\n");
}

int sl_cmd_dns(const struct sl_paths *p, int argc, char **argv)
{
	(void)p;
	(void)argc;
	(void)argv;
	fprintf(stderr, "siploc dns: not implemented yet\n");
	return 2;
}
