// SPDX-License-Identifier: MIT
/*
 * csv.c - read back the CSV files balloonbench writes: a header row, then
 * rows with the same number of fields; a field may be quoted ("..." with ""
 * for a quote, commas and newlines inside). The file is read whole and split
 * in place, so a million-row samples.csv costs one read and no allocation
 * per row.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
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

int rp_csv_open(struct rp_csv *c, const char *path)
{
	struct stat st;
	ssize_t r;
	size_t got = 0;
	int fd;

	memset(c, 0, sizeof(*c));
	snprintf(c->path, sizeof(c->path), "%s", path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return -ENOENT;
		hr_err("%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || !(c->buf = malloc((size_t)st.st_size + 1))) {
		hr_err("%s: cannot read: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	while (got < (size_t)st.st_size && (r = read(fd, c->buf + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)r;
	close(fd);
	c->buf[got] = '\0';
	c->len = got;
	c->pos = c->buf;
	if (!got) {
		hr_err("%s: empty file, expected a header row", path);
		rp_csv_close(c);
		return -1;
	}
	c->line = 1;
	c->ncols = split_row(c, c->cols);
	if (c->ncols < 0) {
		hr_err("%s:1: more than %d columns", path, RP_CSV_MAX_FIELDS);
		rp_csv_close(c);
		return -1;
	}
	return 0;
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
		hr_err("%s:%zu: %d fields, expected %d as in the header", c->path, c->line,
		       c->nf < 0 ? RP_CSV_MAX_FIELDS + 1 : c->nf, c->ncols);
		return -1;
	}
	return 1;
}

const char *rp_csv_str(const struct rp_csv *c, int i)
{
	return i >= 0 && i < c->nf ? c->f[i] : "";
}

double rp_csv_num(const struct rp_csv *c, int i)
{
	const char *s = rp_csv_str(c, i);
	char *end;
	double v;

	if (!*s)
		return NAN;
	v = strtod(s, &end);
	return *end ? NAN : v;
}

void rp_csv_close(struct rp_csv *c)
{
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
	hr_err("%s/%s: a path longer than %zu characters", dir, name, size - 1);
	return -1;
}
