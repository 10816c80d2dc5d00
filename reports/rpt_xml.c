/* rpt_xml.c: escaping any bytes into well-formed XML/HTML text, and small accessors the
 * report writers share. */
#include <string.h>

#include "rpt_int.h"

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 when it is not one. */
static size_t utf8_len(const unsigned char *s, size_t n, unsigned *cp)
{
	unsigned char b = s[0];
	size_t len;
	unsigned lo = 0x80, hi = 0xbf;
	if (b < 0x80) {
		*cp = b;
		return 1;
	}
	if (b >= 0xc2 && b <= 0xdf) {
		len = 2;
		*cp = b & 0x1f;
	} else if (b >= 0xe0 && b <= 0xef) {
		len = 3;
		*cp = b & 0x0f;
		if (b == 0xe0)
			lo = 0xa0; /* overlong */
		if (b == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (b >= 0xf0 && b <= 0xf4) {
		len = 4;
		*cp = b & 0x07;
		if (b == 0xf0)
			lo = 0x90;
		if (b == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		unsigned char c = s[i];
		if (c < (i == 1 ? lo : 0x80) || c > (i == 1 ? hi : 0xbf))
			return 0;
		*cp = (*cp << 6) | (c & 0x3f);
	}
	return len;
}

/* XML 1.0 Char production, minus the C0/C1 controls HTML also rejects. */
static int allowed(unsigned cp)
{
	if (cp == '\t' || cp == '\n' || cp == '\r')
		return 1;
	if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
		return 0;
	return cp != 0xfffe && cp != 0xffff;
}

void rpt_xml_escn(FILE *f, const char *s, size_t len, int attr)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		unsigned cp = 0;
		size_t n = utf8_len(p + i, len - i, &cp);
		if (!n || !allowed(cp)) {
			/* Show the byte(s) instead of dropping them: a detail's raw bytes are
			 * evidence. */
			size_t k = n ? n : 1;
			for (size_t j = 0; j < k; j++)
				fprintf(f, "\\x%02X", p[i + j]);
			i += k;
			continue;
		}
		switch (cp) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs(attr ? "&quot;" : "\"", f); break;
		case '\'': fputs(attr ? "&#39;" : "'", f); break;
		case '\t': fputs(attr ? "&#9;" : "\t", f); break;
		case '\n': fputs(attr ? "&#10;" : "\n", f); break;
		case '\r': fputs("&#13;", f); break;
		default: fwrite(p + i, 1, n, f); break;
		}
		i += n;
	}
}

void rpt_xml_esc(FILE *f, const char *s, int attr)
{
	if (s)
		rpt_xml_escn(f, s, strlen(s), attr);
}

const char *rpt_str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

const char *rpt_level_name(const char *level)
{
	static const char *const map[][2] = {
		{ "M", "MUST" }, { "S", "SHOULD" }, { "Y", "MAY" }, { "D", "ZONE" },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(level, map[i][0]))
			return map[i][1];
	return level;
}

void rpt_section(const json_t *sc, char *out, size_t len)
{
	const char *file = rpt_str(sc, "file");
	const char *end = strrchr(file, '/');
	if (!end) {
		snprintf(out, len, "scenarios");
		return;
	}
	const char *start = end;
	while (start > file && start[-1] != '/')
		start--;
	snprintf(out, len, "%.*s", (int)(end - start), start);
}

int rpt_has_int(const json_t *arr, json_int_t v)
{
	size_t i;
	json_t *x;
	json_array_foreach(arr, i, x)
		if (json_is_integer(x) && json_integer_value(x) == v)
			return 1;
	return 0;
}
