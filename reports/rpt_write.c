/* rpt_write.c: every report of a run into its output directory, each file replaced
 * atomically so a reader never sees half a report. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rpt.h"
#include "rpt_int.h"

static int write_file(const char *dir, const char *name, int (*fn)(FILE *, const json_t *),
		      const json_t *run, char *err, size_t errlen)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", tmp, strerror(e));
		return -e;
	}
	int rc = fn(f, run);
	if (fclose(f) && !rc)
		rc = -EIO;
	if (!rc && rename(tmp, path) < 0)
		rc = -errno;
	if (rc) {
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		unlink(tmp);
	}
	return rc;
}

/* pcapng next to each scenario's pcap; a pcap that is not there is skipped (a report
 * rebuilt from results.json alone), one that cannot be read is an error. */
static int pcapngs(const json_t *run, const char *dir, char *err, size_t errlen)
{
	size_t i;
	json_t *sc;
	json_array_foreach(json_object_get(run, "scenarios"), i, sc) {
		const char *rel = rpt_str(sc, "pcap");
		char in[PATH_MAX], out[PATH_MAX + 8];
		if (!*rel)
			continue;
		snprintf(in, sizeof(in), "%s/%s", dir, rel);
		if (access(in, F_OK) < 0)
			continue;
		size_t l = strlen(in);
		if (l > 5 && !strcmp(in + l - 5, ".pcap"))
			snprintf(out, sizeof(out), "%sng", in);
		else
			snprintf(out, sizeof(out), "%s.pcapng", in);
		int rc = rpt_pcapng_write(sc, in, out, err, errlen);
		if (rc)
			return rc;
	}
	return 0;
}

int rpt_write_all(const json_t *run, const char *dir, int flags, char *err, size_t errlen)
{
	int rc = write_file(dir, "junit.xml", rpt_junit_write, run, err, errlen);
	if (!rc)
		rc = write_file(dir, "report.html", rpt_html_write, run, err, errlen);
	if (!rc && (flags & RPT_PCAPNG))
		rc = pcapngs(run, dir, err, errlen);
	return rc;
}
