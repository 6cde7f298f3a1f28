/* SPDX-License-Identifier: MIT */
/*
 * formats.h - the output formats of run, report and compare, one table
 * (formats.c). Private to host-runner/report; the commands see
 * rp_formats_parse() and rp_results_write() (report.h).
 */
#ifndef RP_FORMATS_H
#define RP_FORMATS_H

#include <stdio.h>

#include "compare.h"
#include "report.h"

/*
 * A writer of compare's: @rows[0..n) of comparison @c with outcome @status
 * (compare's exit status) and @mismatch ("" if the runs are comparable) to
 * @f. Returns 0, or -1 if a write failed (said by the caller, which knows
 * the file).
 */
typedef int rp_cmp_writer(FILE *f, const struct cmp *c, const struct row *rows, size_t n,
			  int status, const char *mismatch);

/*
 * One output format. @offered: the commands whose --output-format takes
 * @name (RP_CMD_*; 0: none). @file: the file compare writes it to in its
 * output directory, every time (NULL: none). @results: run's and report's
 * writer, the results directories @dirs[0..n) to @f, 0 or -1 (said); NULL
 * where they have none (normal: their own lines, printed as they go).
 * @compare: compare's writer (normal: the table on stdout).
 */
struct rp_format {
	const char *name;
	unsigned offered;
	const char *file;
	int (*results)(FILE *f, char *const *dirs, int n);
	rp_cmp_writer *compare;
};

/* By enum rp_format_id: format i is bit 1 << i of a mask (RP_FMT_*). */
extern const struct rp_format rp_formats[RP_FORMAT_N];

/* output.c: the JSON and the CSV of results directories (the schema at its top). */
int rp_results_json(FILE *f, char *const *dirs, int n);
int rp_results_csv(FILE *f, char *const *dirs, int n);

#endif /* RP_FORMATS_H */
