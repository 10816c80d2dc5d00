/* sl_cmd_coverage.c: `siploc coverage`: every catalogue requirement with the scenarios
 * that cover it, and what is missing (an ID no scenario covers, an ID no catalogue has). */
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_catalogue.h"
#include "sl_cmd.h"
#include "sl_lua.h"

void sl_cmd_coverage_usage(FILE *f)
{
	fprintf(f,
		"usage: siploc coverage [--catalogue FILE] [--json] [PATHS...]\n"
		"Prints every requirement of the catalogue (docs/requirements.md) with the\n"
		"scenarios (default: all of scenarios/) whose covers name it.\n"
		"  --catalogue FILE  another catalogue (same markdown tables)\n"
		"  --json            one object: {requirements: {ID: [scenario ids]}, uncovered,\n"
		"                    unknown}\n"
		"Exit status: 0 every requirement but the zone duties (Z-*, which `siploc lint`\n"
		"checks) has a scenario and every ID a scenario names is in the catalogue; 1\n"
		"otherwise; 2 for a catalogue or scenario that cannot be read.\n");
}

int sl_cmd_coverage(const struct sl_paths *p, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "catalogue", required_argument, 0, 'c' }, { "json", no_argument, 0, 'J' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	const char *catpath = NULL;
	int as_json = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", lo, NULL)) != -1) {
		switch (c) {
		case 'c': catpath = optarg; break;
		case 'J': as_json = 1; break;
		case 'h': sl_cmd_coverage_usage(stdout); return 0;
		default: sl_cmd_coverage_usage(stderr); return 2;
		}
	}
	struct sl_catalogue *cat = NULL;
	char err[1024];
	if (catpath) {
		if (sl_catalogue_load(&cat, catpath, err, sizeof(err)) < 0) {
			fprintf(stderr, "siploc coverage: catalogue: %s\n", err);
			return 2;
		}
	} else if (sl_cmd_catalogue(p, &cat) < 0) {
		return 2;
	}
	char **files = NULL;
	size_t nfiles = 0;
	int rc = 2;
	if (sl_cmd_scenario_files(p, argc - optind, argv + optind, &files, &nfiles) < 0)
		goto out;
	size_t nreq = sl_catalogue_count(cat);
	json_t *by = json_object();      /* ID -> [scenario ids], catalogue order */
	json_t *unknown = json_array();  /* {scenario, file, id} */
	json_t *uncovered = json_array();
	for (size_t i = 0; i < nreq; i++)
		json_object_set_new(by, sl_catalogue_at(cat, i)->id, json_array());
	int input_error = 0;
	for (size_t f = 0; f < nfiles; f++) {
		struct sl_scn_meta m;
		if (sl_lua_meta(files[f], NULL, &m, err, sizeof(err)) < 0) {
			fprintf(stderr, "siploc coverage: %s\n", err);
			input_error = 1;
			continue;
		}
		for (size_t k = 0; k < m.ncovers; k++) {
			json_t *list = json_object_get(by, m.covers[k]);
			if (list)
				json_array_append_new(list, json_string(m.id));
			else
				json_array_append_new(unknown, json_pack("{s:s, s:s, s:s}", "scenario",
									 m.id, "file", m.file, "id",
									 m.covers[k]));
		}
		sl_lua_meta_clear(&m);
	}
	for (size_t i = 0; i < nreq; i++) {
		const struct sl_req *r = sl_catalogue_at(cat, i);
		if (strncmp(r->id, "Z-", 2) && !json_array_size(json_object_get(by, r->id)))
			json_array_append_new(uncovered, json_string(r->id));
	}
	if (as_json) {
		json_t *o = json_pack("{s:O, s:O, s:O}", "requirements", by, "uncovered",
				      uncovered, "unknown", unknown);
		json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(o);
	} else {
		for (size_t i = 0; i < nreq; i++) {
			const struct sl_req *r = sl_catalogue_at(cat, i);
			json_t *list = json_object_get(by, r->id);
			printf("%-24s %-2s %-2s", r->id, r->level, r->role);
			if (!json_array_size(list))
				printf(" %s", strncmp(r->id, "Z-", 2) ? "MISSING: no scenario" :
					    "(zone duty: siploc lint)");
			size_t k;
			json_t *s;
			json_array_foreach(list, k, s)
				printf("%s%s", k ? ", " : " ", json_string_value(s));
			printf("\n");
		}
		size_t k;
		json_t *u;
		json_array_foreach(unknown, k, u)
			printf("UNKNOWN: %s (%s) covers %s, which the catalogue does not have\n",
			       json_string_value(json_object_get(u, "scenario")),
			       json_string_value(json_object_get(u, "file")),
			       json_string_value(json_object_get(u, "id")));
		printf("coverage: %zu requirements, %zu without a scenario (Z-* aside), %zu unknown "
		       "ID(s) in %zu scenario(s)\n", nreq, json_array_size(uncovered),
		       json_array_size(unknown), nfiles);
	}
	rc = input_error ? 2 : json_array_size(uncovered) || json_array_size(unknown) ? 1 : 0;
	json_decref(by);
	json_decref(unknown);
	json_decref(uncovered);
out:
	for (size_t i = 0; i < nfiles; i++)
		free(files[i]);
	free(files);
	sl_catalogue_free(cat);
	return rc;
}
