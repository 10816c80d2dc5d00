/* rpt_int.h: helpers the report writers share (not for the harness): XML/HTML escaping,
 * tolerant accessors over a validated results model, and the SVG ladder. */
#ifndef RPT_INT_H
#define RPT_INT_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

/* Writes s[0..len) escaped for XML 1.0 / HTML text (attr: also quotes, tab and newline,
 * so attribute normalisation keeps them). Bytes that are not valid UTF-8, and characters
 * XML forbids (controls, U+FFFE/FFFF), come out as the visible text \xNN. */
void rpt_xml_escn(FILE *f, const char *s, size_t len, int attr);
void rpt_xml_esc(FILE *f, const char *s, int attr);

/* The string member k of o, "" when absent or not a string. */
const char *rpt_str(const json_t *o, const char *k);
/* "MUST", "SHOULD", "MAY", "ZONE" for a catalogue level letter; the letter otherwise. */
const char *rpt_level_name(const char *level);
/* The scenario's section folder: the name of the directory holding its file
 * ("4.3-failure" for scenarios/rfc3263/4.3-failure/x.lua); "scenarios" when none. */
void rpt_section(const json_t *sc, char *out, size_t len);
/* 1 when the array arr of integers holds v. */
int rpt_has_int(const json_t *arr, json_int_t v);

/* An SVG ladder diagram of sc's "events" (columns DNS server, SUT, each peer; one arrow
 * per packet, SUT time at the left) with the packets of failed checks marked. Returns 0,
 * or -EINVAL when sc has no events to draw (nothing is written then). */
int rpt_svg_ladder(FILE *f, const json_t *sc);

#endif
