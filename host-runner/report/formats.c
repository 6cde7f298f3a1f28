// SPDX-License-Identifier: MIT
/*
 * formats.c - the output formats of run, report and compare as one table
 * (fio's idea: one results model, several writers): each format's name,
 * the commands whose --output-format offers it, the file compare writes it
 * to, and its writers. --output-format is parsed against it, run's and
 * report's results go through it (rp_results_write), and compare writes its
 * output directory, its stdout and its --output-file from it. A new format
 * is a row here and its writer (docs/HACKING.md, "An output format").
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "formats.h"

#define RP_CMD_ALL	(RP_CMD_RUN | RP_CMD_REPORT | RP_CMD_COMPARE)

const struct rp_format rp_formats[RP_FORMAT_N] = {
	[RP_FORMAT_NORMAL] = { "normal", RP_CMD_ALL, NULL, NULL, rp_cmp_table },
	[RP_FORMAT_JSON] = { "json", RP_CMD_ALL, NULL, rp_results_json, rp_cmp_json },
	[RP_FORMAT_CSV] = { "csv", RP_CMD_ALL, "compare.csv", rp_results_csv, rp_cmp_csv },
	[RP_FORMAT_TAP] = { "tap", 0, "compare.tap", NULL, rp_cmp_tap },
	[RP_FORMAT_HTML] = { "html", 0, "compare.html", NULL, rp_cmp_html },
	[RP_FORMAT_JUNIT] = { "junit", 0, "compare.junit.xml", NULL, rp_cmp_junit },
	[RP_FORMAT_MARKDOWN] = { "markdown", 0, "compare.md", NULL, rp_cmp_markdown },
};

/* The mask bits fit an unsigned; every row is filled (a name each). */
_Static_assert(RP_FORMAT_N <= 32, "a format is a bit of an unsigned mask");
_Static_assert(sizeof(rp_formats) / sizeof(rp_formats[0]) == RP_FORMAT_N, "a row per format");

/* "normal, json or csv": the names that command @cmd's --output-format takes, into @buf. */
static const char *offered_list(unsigned cmd, char *buf, size_t size)
{
	size_t off = 0;
	int k = 0, n = 0;

	for (int i = 0; i < RP_FORMAT_N; i++)
		n += !!(rp_formats[i].offered & cmd);
	buf[0] = '\0';
	for (int i = 0; i < RP_FORMAT_N && off < size; i++) {
		if (!(rp_formats[i].offered & cmd))
			continue;
		k++;
		off += (size_t)snprintf(buf + off, size - off, "%s%s", k == 1 ? "" : k == n ? " or " : ", ",
					rp_formats[i].name);
	}
	return buf;
}

int rp_formats_parse(const char *arg, unsigned cmd, unsigned *mask)
{
	char buf[256], names[128], *save = NULL, *t;

	*mask = 0;
	if (snprintf(buf, sizeof(buf), "%s", arg) >= (int)sizeof(buf) || !*arg) {
		return hr_error("--output-format: '%.40s', expected %s (comma-separated)", arg,
		       offered_list(cmd, names, sizeof(names)));
	}
	for (t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int i;

		for (i = 0; i < RP_FORMAT_N; i++)
			if ((rp_formats[i].offered & cmd) && !strcmp(t, rp_formats[i].name))
				break;
		if (i == RP_FORMAT_N) {
			return hr_error("--output-format: unknown format '%s' (expected %s, comma-separated)", t,
			       offered_list(cmd, names, sizeof(names)));
		}
		*mask |= 1u << i;
	}
	return 0;
}

int rp_results_write(FILE *f, unsigned fmts, char *const *dirs, int n)
{
	int ret = 0;

	for (int i = 0; i < RP_FORMAT_N; i++)
		if ((fmts & (1u << i)) && rp_formats[i].results && rp_formats[i].results(f, dirs, n))
			ret = -1;
	if (ferror(f)) {
		hr_error("cannot write the output: %s", strerror(errno));
		ret = -1;
	}
	return ret;
}
