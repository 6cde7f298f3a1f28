// SPDX-License-Identifier: MIT
/*
 * csv.c - read back the CSV files balloonbench writes: a header row, then
 * rows with the same number of fields; a field may be quoted ("..." with ""
 * for a quote, commas and newlines inside). The file is read as a stream,
 * a window of RP_CSV_WINDOW bytes at a time (more only for a row longer than
 * that), split in place: a samples.csv of ten million rows costs no more
 * memory than one of ten, and no allocation per row. It is read once through
 * first, so that a file with a NUL byte is refused and a torn last line said
 * before any row is read, as when the file was read whole.
 */
#include <errno.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "core/log.h"
#include "core/readfile.h"
#include "core/scenario.h"
#include "report.h"

#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define FIRST_BYTE(m)	(__builtin_clzll(m) / 8)
#define BYTE_FLAG(i)	(0x80ull << (56 - 8 * (i)))
#else
#define FIRST_BYTE(m)	(__builtin_ctzll(m) / 8)
#define BYTE_FLAG(i)	(0x80ull << (8 * (i)))
#endif

/*
 * The bytes of the word at @p that are at or below ',', a flag each: a
 * field's bytes are nearly all above it (digits, letters, '.', '-'), so a
 * word at a time finds the separators. Exact for every byte ((x | 0x80) -
 * 0x2d keeps each byte's borrow to itself). The window has RP_CSV_PAD bytes
 * after its NUL to read.
 */
static inline uint64_t low_bytes(const char *p)
{
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
	uint64_t x;

	memcpy(&x, p, 8);
	return ~((x | high) - ones * (',' + 1)) & ~x & high;
}

/*
 * The unquoted fields from @p (not a '"'), into @out from *@n on, while
 * they are unquoted: each ',' found in a word of eight bytes becomes a NUL,
 * the next field starting after it, until the row's '\n' (or the window's
 * NUL) or a field that starts with '"'. Returns where it stopped (that
 * '\n', NUL or '"'), or NULL if the row has more than RP_CSV_MAX_FIELDS.
 */
static char *plain_fields(char *p, char **out, int *n)
{
	int k = *n;	/* not through @n: a char written may be any object's to the compiler */

	out[k++] = p;
	for (;; p += 8) {
		uint64_t low = low_bytes(p);

		while (low) {
			int i = FIRST_BYTE(low);
			char *q = p + i;

			if (*q == ',') {
				*q = '\0';
				if (q[1] == '"') {
					*n = k;
					return q + 1;
				}
				if (k == RP_CSV_MAX_FIELDS)
					return NULL;
				out[k++] = q + 1;
			} else if (*q == '\n' || !*q) {
				*n = k;
				return q;
			}
			low &= ~BYTE_FLAG(i);	/* a blank, '"' or '\r' inside a field, or done */
		}
	}
}

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
			p = plain_fields(p, out, &n);
			if (!p)
				return -1;
			if (*p == '"')
				continue;	/* a quoted field next, its ',' already a NUL */
			start = out[n - 1];
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
 * The end of the row at @p (the byte after its newline) if the window holds
 * it all, else NULL: split_row's walk, without writing. A row with no quote
 * before its newline, nearly every row, is two memchr.
 */
static const char *row_end(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	if (nl && !memchr(p, '"', (size_t)(nl - p)))
		return nl + 1;
	for (;;) {
		if (p < end && *p == '"') {
			for (p++;; p++) {
				if (p + 1 >= end)
					return NULL;	/* a quote needs the byte after it */
				if (*p == '"' && p[1] == '"')
					p++;
				else if (*p == '"') {
					p++;
					break;
				}
			}
		}
		while (p < end && *p != ',' && *p != '\n')
			p++;
		if (p >= end)
			return NULL;
		if (*p++ == '\n')
			return p;
	}
}

/*
 * More of the file into the window: what is left of it moved to its start,
 * the window doubled if that is all of it, then filled up to c->len. 0, or
 * -1 (reported).
 */
static int fill(struct rp_csv *c)
{
	size_t keep = (size_t)(c->end - c->pos);

	if (c->eof)
		return 0;
	memmove(c->buf, c->pos, keep);
	if (keep == c->cap) {
		char *nb = realloc(c->buf, 2 * c->cap + 1 + RP_CSV_PAD);

		if (!nb)
			return hr_error("%s: cannot read: out of memory for a row of %zu bytes", c->path,
					keep);
		memset(nb + c->cap + 1 + RP_CSV_PAD, 0, c->cap);
		c->buf = nb;
		c->cap *= 2;
	}
	c->pos = c->buf;
	c->end = c->buf + keep;
	while ((size_t)(c->end - c->buf) < c->cap && c->off < c->len) {
		size_t want = c->cap - (size_t)(c->end - c->buf);
		ssize_t r = read(c->fd, c->end, want < c->len - c->off ? want : c->len - c->off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return hr_error("%s: cannot read CSV: %s", c->path, strerror(errno));
		if (r == 0)
			break;	/* shorter than it was: what there is */
		c->off += (size_t)r;
		c->end += r;
	}
	if (c->off >= c->len || (size_t)(c->end - c->buf) < c->cap)
		c->eof = 1;
	*c->end = '\0';
	return 0;
}

/* To byte @off of the file, the window empty. 0, or -1 (reported). */
static int seek_to(struct rp_csv *c, size_t off)
{
	if (lseek(c->fd, (off_t)off, SEEK_SET) < 0)
		return hr_error("%s: cannot read CSV: %s", c->path, strerror(errno));
	c->off = off;
	c->eof = 0;
	c->pos = c->end = c->buf;
	*c->end = '\0';
	return 0;
}

static int seek_start(struct rp_csv *c)
{
	return seek_to(c, 0);
}

/* Make sure the window holds the whole row at c->pos (or the file's end). 0, or -1. */
static int have_row(struct rp_csv *c)
{
	while (!c->eof && !row_end(c->pos, c->end))
		if (fill(c))
			return -1;
	return 0;
}

/*
 * The file once through: refused if empty or binary (a NUL byte) or larger
 * than the limit; the rows end at its last newline. A last line without its
 * newline is a torn write (the run was killed, the disk filled): whatever its
 * fields say, it is not a row: left out, with a warning naming its line. 0,
 * or -1 (reported).
 */
static int prescan(struct rp_csv *c)
{
	size_t total = 0, rows = 0, line = 0;

	c->len = HR_MAX_CSV + 1;
	for (;;) {
		const char *nl;
		size_t n;

		c->pos = c->end = c->buf;
		if (fill(c))
			return -1;
		n = (size_t)(c->end - c->buf);
		if (!n)
			break;
		if (memchr(c->buf, '\0', n))
			return hr_error("%s: binary data (a NUL byte): expected a CSV text file",
					c->path);
		nl = memrchr(c->buf, '\n', n);
		if (nl)
			rows = total + (size_t)(nl + 1 - c->buf);
		total += n;
		if (total > HR_MAX_CSV)
			return hr_file_too_large(c->path, "CSV", HR_MAX_CSV);
		if (c->eof)
			break;
	}
	if (!total)
		return hr_error("%s: empty file, expected a header row", c->path);
	if (!rows)
		return hr_error("%s:1: the header row has no newline at its end (a torn write?)", c->path);
	if (rows < total) {
		c->len = rows;
		if (seek_start(c))
			return -1;
		while (!c->eof) {
			if (fill(c))
				return -1;
			for (const char *p = c->buf; p < c->end; p++)
				line += *p == '\n';
			c->pos = c->end;
		}
		hr_warn("%s:%zu: the last line has no newline at its end (a torn write): left out",
			c->path, line + 1);
	}
	c->len = rows;
	return seek_start(c);
}

/* The header row, copied out of the window (the names outlive it) and split; 0 or -1. */
static int read_header(struct rp_csv *c)
{
	char *save;
	size_t n;

	if (have_row(c))
		return -1;
	n = (size_t)(row_end(c->pos, c->end) ? row_end(c->pos, c->end) - c->pos : c->end - c->pos);
	c->head = calloc(1, n + 1 + RP_CSV_PAD);
	if (!c->head)
		return hr_error("%s: cannot read: out of memory", c->path);
	memcpy(c->head, c->pos, n);
	c->head[n] = '\0';
	c->hlen = n;
	save = c->pos + n;
	c->pos = c->head;
	c->line = 1;
	c->ncols = split_row(c, c->cols);
	c->hline = c->line;
	c->pos = save;
	if (c->ncols < 0)
		return hr_error("%s:1: more than %d columns", c->path, RP_CSV_MAX_FIELDS);
	return 0;
}

int rp_csv_open(struct rp_csv *c, const char *path)
{
	int fd;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (strlen(path) >= sizeof(c->path)) {
		return hr_error("%s: a path longer than %zu characters", path, sizeof(c->path) - 1);
	}
	memcpy(c->path, path, strlen(path) + 1);
	fd = hr_open_file(path, "CSV", HR_MAX_CSV, 1);
	if (fd < 0)
		return fd;	/* -ENOENT quietly, or -1 reported */
	c->fd = fd;
	c->cap = RP_CSV_WINDOW;
	c->buf = calloc(1, c->cap + 1 + RP_CSV_PAD);
	if (!c->buf) {
		hr_error("%s: cannot read CSV: out of memory", path);
		rp_csv_close(c);
		return -1;
	}
	if (prescan(c) || read_header(c)) {
		rp_csv_close(c);
		return -1;
	}
	return 0;
}

int rp_csv_tail(struct rp_csv *c, size_t bytes)
{
	const char *nl;

	if (c->len <= c->hlen + bytes)
		return rp_csv_rewind(c);
	if (seek_to(c, c->len - bytes) || fill(c))
		return -1;
	nl = memchr(c->pos, '\n', (size_t)(c->end - c->pos));
	if (!nl)
		return -1;
	c->pos += nl + 1 - c->pos;
	c->line = 0;	/* not known */
	c->nf = 0;
	return 0;
}

int rp_csv_rewind(struct rp_csv *c)
{
	if (seek_start(c) || have_row(c))
		return -1;
	c->pos += c->hlen;
	c->line = c->hline;
	c->nf = 0;
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
	for (;;) {
		while (c->pos < c->end && (*c->pos == '\n' || *c->pos == '\r')) {	/* blank lines */
			c->pos++;
			c->line++;
		}
		if (c->pos < c->end || c->eof)
			break;
		if (fill(c))
			return -1;
	}
	if (have_row(c))
		return -1;
	if (!*c->pos)
		return 0;
	c->line++;
	c->nf = split_row(c, c->f);
	if (c->nf != c->ncols) {
		if (c->quiet)
			return -1;
		return hr_error("%s:%zu: %d fields, expected %d as in the header", c->path, c->line,
		       c->nf < 0 ? RP_CSV_MAX_FIELDS + 1 : c->nf, c->ncols);
	}
	return 1;
}

const char *rp_csv_str(const struct rp_csv *c, int i)
{
	return i >= 0 && i < c->nf ? c->f[i] : "";
}

/*
 * A plain decimal (-?D*.?D*, at least a digit) of at most 19 digits whose
 * digits without the point are below 2^53 and with at most 22 after it, as
 * balloonbench writes its numbers ("%.6f", "%.3f", integers), into *@v: 1;
 * 0 for anything else. The digits and 10^k are exact doubles and one
 * division rounds once, to the nearest: strtod's value, bit for bit
 * (Clinger's fast path), in a fraction of its time.
 */
static int plain_num(const char *s, double *v)
{
	static const double p10[] = {
		1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
		1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
	};
	const char *d0, *f0;
	uint64_t m = 0;
	int neg = *s == '-';
	size_t digits, frac = 0, point = 0;
	unsigned d;

	s += neg;
	for (d0 = s; (d = (unsigned)(*s - '0')) < 10; s++)
		m = m * 10 + d;
	if (*s == '.') {
		point = 1;
		for (f0 = ++s; (d = (unsigned)(*s - '0')) < 10; s++)
			m = m * 10 + d;
		frac = (size_t)(s - f0);
	}
	digits = (size_t)(s - d0) - point;
	if (*s || !digits || digits > 19 || m >= (1ull << 53) || frac > 22)
		return 0;
	*v = (double)m / p10[frac];
	if (neg)
		*v = -*v;
	return 1;
}

/* Field @i as a finite number into *@v: 1; 0 if empty or missing (*@v NAN); -1 if anything else. */
static int field_num(const struct rp_csv *c, int i, double *v)
{
	const char *s = rp_csv_str(c, i);
	char *end;

	*v = NAN;
	if (!*s)
		return 0;
	if (plain_num(s, v))
		return 1;
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

	if (c->quiet)
		return;
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
	if (c->quiet)
		return;
	if (c->bad++ < RP_CSV_SAID)
		hr_warn("%s:%zu: %s: row left out", c->path, c->line, why);
}

void rp_csv_close(struct rp_csv *c)
{
	if (c->buf && c->bad > RP_CSV_SAID)
		hr_warn("%s: %zu values or rows left out in all (the first %d said)", c->path, c->bad,
			RP_CSV_SAID);
	free(c->buf);
	free(c->head);
	if (c->fd >= 0)
		(void)close(c->fd);
	c->fd = -1;
	c->buf = c->pos = c->end = c->head = NULL;
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
