// SPDX-License-Identifier: MIT
/*
 * csv.c - read back the CSV files balloonbench writes: a header row, then
 * rows with the same number of fields; a field may be quoted ("..." with ""
 * for a quote, commas and newlines inside). The file is read whole and split
 * in place, so a million-row samples.csv costs one read and no allocation
 * per row.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/log.h"
#include "core/readfile.h"
#include "core/scenario.h"
#include "report.h"

/* Split one row at c->pos into @out; returns the field count, -1 if too many. */
static int split_row(struct rp_csv *c, char **out)
{
	char *p = c->pos;
	int n = 0;

	for (;;) {
		char *start = p, *w;

		if (n == RP_CSV_MAX_FIELDS)
			return -1;
		if (*p == '"') {
			/* quoted: unescape "" in place */
			start = w = ++p;
			while (*p) {
				if (*p == '"' && p[1] == '"') {
					*w++ = '"';
					p += 2;
				} else if (*p == '"') {
					p++;
					break;
				} else {
					if (*p == '\n')
						c->line++;
					*w++ = *p++;
				}
			}
			/* anything between the closing quote and the separator is dropped */
			while (*p && *p != ',' && *p != '\n')
				p++;
			out[n++] = start;
			*w = '\0';
		} else {
			while (*p && *p != ',' && *p != '\n')
				p++;
			out[n++] = start;
		}
		if (*p == ',') {
			*p++ = '\0';
			continue;
		}
		if (*p == '\n') {
			*p = '\0';
			if (p > start && p[-1] == '\r')
				p[-1] = '\0';
			p++;
		}
		break;
	}
	c->pos = p;
	return n;
}

/*
 * A last line without its newline is a torn write (the run was killed, the
 * disk filled): whatever its fields say, it is not a row. Cut it off, with a
 * warning naming its line. 0, or -1 if not even the header is whole.
 */
static int drop_torn_tail(struct rp_csv *c)
{
	char *nl;
	size_t line = 1;

	if (c->buf[c->len - 1] == '\n')
		return 0;
	nl = memrchr(c->buf, '\n', c->len);
	if (!nl) {
		return hr_error("%s:1: the header row has no newline at its end (a torn write?)", c->path);
	}
	for (const char *p = c->buf; p < nl; p++)
		line += *p == '\n';
	hr_warn("%s:%zu: the last line has no newline at its end (a torn write): left out",
		c->path, line + 1);
	c->len = (size_t)(nl + 1 - c->buf);
	c->buf[c->len] = '\0';
	return 0;
}

int rp_csv_open(struct rp_csv *c, const char *path)
{
	int r;

	memset(c, 0, sizeof(*c));
	if (strlen(path) >= sizeof(c->path)) {
		return hr_error("%s: a path longer than %zu characters", path, sizeof(c->path) - 1);
	}
	memcpy(c->path, path, strlen(path) + 1);
	r = hr_read_file(path, "CSV", HR_MAX_CSV, 1, &c->buf, &c->len, NULL, 0);
	if (r)
		return r;	/* -ENOENT quietly, or -1 reported */
	c->pos = c->buf;
	if (!c->len) {
		hr_error("%s: empty file, expected a header row", path);
		rp_csv_close(c);
		return -1;
	}
	if (memchr(c->buf, '\0', c->len)) {
		hr_error("%s: binary data (a NUL byte): expected a CSV text file", path);
		rp_csv_close(c);
		return -1;
	}
	if (drop_torn_tail(c)) {
		rp_csv_close(c);
		return -1;
	}
	c->line = 1;
	c->ncols = split_row(c, c->cols);
	if (c->ncols < 0) {
		hr_error("%s:1: more than %d columns", path, RP_CSV_MAX_FIELDS);
		rp_csv_close(c);
		return -1;
	}
	return 0;
}

struct json_t *rp_json_load(const char *path, int enoent_quiet)
{
	json_error_t jerr;
	json_t *j;
	char *text;
	size_t len;
	int r = hr_read_file(path, "JSON", HR_MAX_RUN_JSON, enoent_quiet, &text, &len, NULL, 0);

	if (r)
		return NULL;
	j = json_loadb(text, len, 0, &jerr);
	free(text);
	if (!j)
		hr_error("%s:%d: %s", path, jerr.line, jerr.text);
	else if (!json_is_object(j)) {
		hr_error("%s:1: expected a JSON object", path);
		json_decref(j);
		j = NULL;
	}
	return j;
}

/* @what of run.json at @path: absent, or an array of at most @max entries. 0, or -1 (reported). */
static int check_array(const char *path, json_t *a, const char *what, size_t max)
{
	if (!a)
		return 0;
	if (!json_is_array(a)) {
		return hr_error("%s: %s: expected an array", path, what);
	}
	if (json_array_size(a) > max) {
		return hr_error("%s: %s: %zu entries, a run has at most %zu", path, what, json_array_size(a),
		       max);
	}
	return 0;
}

struct json_t *rp_run_load(const char *path)
{
	json_t *run = rp_json_load(path, 0);

	if (run && (check_array(path, json_object_get(run, "vms"), "vms", HR_MAX_VMS) ||
		    check_array(path, json_object_get(json_object_get(run, "scenario"), "jobs"),
				"scenario.jobs", HR_MAX_JOBS))) {
		json_decref(run);
		return NULL;
	}
	return run;
}

int rp_csv_col(const struct rp_csv *c, const char *name)
{
	for (int i = 0; i < c->ncols; i++)
		if (!strcmp(c->cols[i], name))
			return i;
	return -1;
}

int rp_csv_next(struct rp_csv *c)
{
	while (*c->pos == '\n' || *c->pos == '\r') {	/* blank lines */
		c->pos++;
		c->line++;
	}
	if (!*c->pos)
		return 0;
	c->line++;
	c->nf = split_row(c, c->f);
	if (c->nf != c->ncols) {
		return hr_error("%s:%zu: %d fields, expected %d as in the header", c->path, c->line,
		       c->nf < 0 ? RP_CSV_MAX_FIELDS + 1 : c->nf, c->ncols);
	}
	return 1;
}

const char *rp_csv_str(const struct rp_csv *c, int i)
{
	return i >= 0 && i < c->nf ? c->f[i] : "";
}

/* Field @i as a finite number into *@v: 1; 0 if empty or missing (*@v NAN); -1 if anything else. */
static int field_num(const struct rp_csv *c, int i, double *v)
{
	const char *s = rp_csv_str(c, i);
	char *end;

	*v = NAN;
	if (!*s)
		return 0;
	*v = strtod(s, &end);
	if (*end || !isfinite(*v)) {
		*v = NAN;	/* text, nan, inf, or beyond a double (1e999) */
		return -1;
	}
	return 1;
}

/* "FILE:LINE: COLUMN 'value'" and @what, the first RP_CSV_SAID times; counted always. */
static void left_out(struct rp_csv *c, int i, const char *what)
{
	const char *s = rp_csv_str(c, i);

	if (c->bad++ < RP_CSV_SAID)
		hr_warn("%s:%zu: %s '%.40s%s'%s", c->path, c->line, c->cols[i], s,
			strlen(s) > 40 ? "..." : "", what);
}

double rp_csv_num(struct rp_csv *c, int i)
{
	double v;

	if (field_num(c, i, &v) < 0)
		left_out(c, i, " is not a number: value left out");
	return v;
}

int rp_csv_get(struct rp_csv *c, int i, double min, double max, double *v)
{
	char what[96];
	int r = field_num(c, i, v);

	if (r == 0 || (r > 0 && *v >= min && *v <= max))
		return 0;
	snprintf(what, sizeof(what), ", expected a number from %g to %g: row left out", min, max);
	left_out(c, i, what);
	*v = NAN;
	return -1;
}

void rp_csv_drop(struct rp_csv *c, const char *why)
{
	if (c->bad++ < RP_CSV_SAID)
		hr_warn("%s:%zu: %s: row left out", c->path, c->line, why);
}

void rp_csv_close(struct rp_csv *c)
{
	if (c->buf && c->bad > RP_CSV_SAID)
		hr_warn("%s: %zu values or rows left out in all (the first %d said)", c->path, c->bad,
			RP_CSV_SAID);
	free(c->buf);
	c->buf = c->pos = NULL;
}

void rp_escape_markup(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '\'': fputs("&apos;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

int rp_path(char *buf, size_t size, const char *dir, const char *name)
{
	int n = snprintf(buf, size, "%s/%s", dir, name);

	if (n >= 0 && (size_t)n < size)
		return 0;
	return hr_error("%s/%s: a path longer than %zu characters", dir, name, size - 1);
}
