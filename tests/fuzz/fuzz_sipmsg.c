/* fuzz_sipmsg.c: libFuzzer target for the peers' SIP parser: datagrams, TCP stream
 * framing, and responses built from whatever parsed. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "sl_sipmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy: a read past the end is an ASan report, not luck. */
	char *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	char err[256], out[8192];
	struct sl_sipmsg *m = NULL;
	if (sl_sipmsg_parse(buf, size, &m, err, sizeof(err)) == 0) {
		if (sl_sipmsg_is_request(m)) {
			int n = sl_sipmsg_build_response(m, 503, NULL, "fz1", "Retry-After: 5\r\n", out,
							 sizeof(out));
			struct sl_sipmsg *r = NULL;
			if (n > 0 && sl_sipmsg_parse(out, (size_t)n, &r, err, sizeof(err)) != 0)
				abort(); /* what we build must parse */
			sl_sipmsg_free(r);
		}
		(void)sl_sipmsg_via_branch(m);
		(void)sl_sipmsg_from_tag(m);
		(void)sl_sipmsg_to_tag(m);
		(void)sl_sipmsg_cseq_num(m);
		for (unsigned i = 0; i < sl_sipmsg_header_count(m, "Via"); i++)
			(void)sl_sipmsg_header(m, "Via", i);
	}
	sl_sipmsg_free(m);
	/* The same bytes as a stream: frame message after message. */
	size_t off = 0;
	while (off < size) {
		off += sl_sipmsg_skip_crlf(buf + off, size - off);
		ssize_t n = sl_sipmsg_frame(buf + off, size - off);
		if (n <= 0)
			break;
		if ((size_t)n > size - off)
			abort();
		off += (size_t)n;
	}
	free(buf);
	return 0;
}
