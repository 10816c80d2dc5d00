/* fuzz_ctl.c: libFuzzer target for the control channel between worker and runner: the
 * bytes are a stream cut into lines; every line that parses must format back into a
 * line that parses to the same message. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sut_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same(const struct sut_proto_msg *a, const struct sut_proto_msg *b)
{
	if (a->kind != b->kind || a->id != b->id || a->seq != b->seq ||
	    a->body_len != b->body_len || a->ns != b->ns || a->status != b->status ||
	    a->rc != b->rc || a->abi != b->abi || a->caps != b->caps)
		return 0;
	/* Free text may lose a trailing space or an inner newline in formatting. */
	const char *const sa[] = { a->key, a->method, a->uri, a->name };
	const char *const sb[] = { b->key, b->method, b->uri, b->name };
	for (size_t i = 0; i < 4; i++)
		if ((sa[i] == NULL) != (sb[i] == NULL) || (sa[i] && strcmp(sa[i], sb[i])))
			return 0;
	return 1;
}

static int on_line(void *arg, char *line)
{
	(void)arg;
	struct sut_proto_msg m, back;
	const char *why;
	char out[SUT_PROTO_MAX_LINE + 2];
	if (sut_proto_parse(line, &m, &why) < 0) {
		if (!why)
			abort(); /* a refusal always says why */
		return 0;
	}
	int n = sut_proto_format(&m, out, sizeof(out));
	if (n < 0)
		return 0; /* a parsed line can grow only by its kind word: never past the cap */
	if (out[n - 1] != '\n' || memchr(out, '\n', (size_t)n - 1))
		abort();
	out[n - 1] = 0;
	if (sut_proto_parse(out, &back, &why) < 0 || !same(&m, &back))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sut_proto_lines *lb = calloc(1, sizeof(*lb));
	if (!lb)
		return 0;
	/* Feed in uneven chunks, as reads from a socket arrive. */
	size_t off = 0, chunk = size ? (size_t)data[0] % 97 + 1 : 1;
	while (off < size) {
		size_t room, n = size - off < chunk ? size - off : chunk;
		char *dst = sut_proto_lines_space(lb, &room);
		if (n > room)
			n = room;
		memcpy(dst, data + off, n);
		off += n;
		if (sut_proto_lines_commit(lb, n, on_line, NULL) < 0)
			lb->len = 0; /* what a reader does after naming the bad line: drop it */
	}
	free(lb);
	return 0;
}
