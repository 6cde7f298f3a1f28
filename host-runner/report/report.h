/* SPDX-License-Identifier: MIT */
/*
 * report.h - reading a results directory back (CSV reader, display
 * downsampling) and turning it into summary.csv and report.html.
 */
#ifndef HR_REPORT_H
#define HR_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "core/schema.h"

/*
 * csv.c: the results' CSV files (header row, RFC 4180 quoting). A file may
 * have as many columns as the schema's widest row (the recorder's writes
 * are read back whole); two branches adding two columns each took
 * transitions.csv to 66, past the 64 this was, and every report refused it.
 */
#define RP_CSV_MAX_FIELDS	HR_MAX_COLS

struct rp_csv {
	char path[4096];
	int fd;
	char *buf;			/* a window of the file, NUL-terminated, split in place */
	size_t cap;			/* its size (less the NUL) */
	char *pos, *end;		/* next row; the end of what the window holds */
	size_t len;			/* the file's bytes that are rows: up to its last newline */
	size_t off;			/* of them, read so far */
	int eof;			/* the window holds the rest of them */
	char *head;			/* the header row, split in place */
	size_t hlen, hline;		/* its bytes and lines */
	int quiet;			/* nothing said or counted: values and rows left out, bad rows */
	size_t line;			/* line number of the current row (1 = header) */
	char *cols[RP_CSV_MAX_FIELDS];	/* header names */
	int ncols;
	char *f[RP_CSV_MAX_FIELDS];	/* the current row's fields: until the next row */
	int nf;
	size_t bad;			/* values and rows left out (rp_csv_num, rp_csv_get) */
};

/* The window a CSV file is read through (grown for a longer row). */
#define RP_CSV_WINDOW	(1u << 20)
/* Bytes after its NUL, zeroed, that the field scanner may read (a word at a time). */
#define RP_CSV_PAD	8

/* Fields left out that are said one by one, a file; rp_csv_close says how many in all beyond. */
#define RP_CSV_SAID	5
/* A time in seconds from a run's start that no run reaches (about 31 years), either way. */
#define RP_MAX_T_S	1e9
/* A count no run makes (and below 2^63: it converts to an integer). */
#define RP_MAX_COUNT	1e18

/*
 * Open @path (a regular file of at most HR_MAX_CSV bytes, read as a stream)
 * and read its header. A file with a NUL byte is refused; a last line
 * without a newline is a torn write: left out, with a warning. Returns 0;
 * -ENOENT (no message) if the file does not exist; -1 with the error
 * reported otherwise.
 */
int rp_csv_open(struct rp_csv *c, const char *path);
/*
 * Back to the first data row, for a second pass over the file (the rows it
 * had at rp_csv_open). 0, or -1 (reported).
 */
int rp_csv_rewind(struct rp_csv *c);
/*
 * To the first row that starts in the last @bytes of the file (all of it if
 * shorter), for a look at its end: a row is found as if no quoted field
 * spanned the line before it, so what it reads there is a guess, to read
 * quietly (c->quiet). 0, or -1 (reported, or no row starts there).
 */
int rp_csv_tail(struct rp_csv *c, size_t bytes);
/*
 * A JSON file (run.json) read whole, bounded and regular-files-only
 * (core/readfile.h), parsed: an object, or NULL with one line naming the
 * file and where (nothing said for a missing file if @enoent_quiet).
 */
struct json_t *rp_json_load(const char *path, int enoent_quiet);
/*
 * A run's run.json: rp_json_load, and its vms[] and scenario.jobs[] (if
 * there) arrays no longer than a run can make (HR_MAX_VMS, HR_MAX_JOBS), so
 * that no reader's work grows with a damaged file. NULL if not (reported).
 */
struct json_t *rp_run_load(const char *path);
/*
 * byhost.c: the host group ("" for a run on one host) of guest @vm of @run:
 * its host's first label, else the host's name; summaries go by JOB@GROUP.
 */
void rp_host_group(struct json_t *run, const char *vm, char *out, size_t len);
/*
 * killed.c: a run.json still "running" whose runner process (same host and
 * boot) is gone becomes "incomplete" (killed), rewritten in place. 0, or -1
 * if it could not be rewritten (said).
 */
int rp_settle_killed(const char *dir);
/* Index of column @name, or -1. */
int rp_csv_col(const struct rp_csv *c, const char *name);
/*
 * Next data row into c->f[]. Returns 1, 0 at the end, or -1 (reported,
 * with file:line, unless c->quiet) for a row whose field count differs from
 * the header's.
 */
int rp_csv_next(struct rp_csv *c);
/* Field @i of the current row ("" if @i < 0 or missing). */
const char *rp_csv_str(const struct rp_csv *c, int i);
/*
 * Field @i as a number; NAN if the column is missing or the field empty (no
 * value), and NAN for anything else that is not a finite number (text, nan,
 * inf), said with a warning "FILE:LINE: COLUMN 'abc' is not a number: value
 * left out" (the first RP_CSV_SAID times a file).
 */
double rp_csv_num(struct rp_csv *c, int i);
/*
 * Field @i, one the row cannot do without (a time, a node, a bucket), as a
 * number from @min to @max into *@v: 0, with NAN for a missing column or an
 * empty field; -1 for anything else (text, nan, inf, out of range), said
 * with a warning "FILE:LINE: COLUMN '1e300', expected a number from MIN to
 * MAX: row left out" (the first RP_CSV_SAID times a file): the caller skips
 * the row.
 */
int rp_csv_get(struct rp_csv *c, int i, double min, double max, double *v);
/* Leave the current row out: "FILE:LINE: @why: row left out", said as rp_csv_get says it. */
void rp_csv_drop(struct rp_csv *c, const char *why);
/* Close @c (NULL-safe buffer); if more than RP_CSV_SAID were left out, say how many in all. */
void rp_csv_close(struct rp_csv *c);
/*
 * @dir/@name into @buf of @size. Returns 0, or -1 (reported: the path is
 * longer than @size allows; never a path cut short).
 */
int rp_path(char *buf, size_t size, const char *dir, const char *name);
/* Write @s with & < > ' " escaped: for HTML and for XML (the domain XML). */
void rp_escape_markup(FILE *f, const char *s);

/*
 * downsample.c: min/max decimation for display. The x range [x[0], x[n-1]]
 * (x ascending) is cut into @buckets equal buckets; from each bucket the
 * points with the smallest and the largest y are kept, in x order (one if
 * they are the same point), so every peak and trough survives while a chart
 * gets at most 2 * buckets points. NaN y values are dropped. The first and
 * last points are always kept. @ox/@oy need room for 2 * buckets + 2 points.
 * Returns the number of points written. With n <= 2 * buckets the series is
 * copied as it is (NaNs dropped).
 */
size_t rp_downsample(const double *x, const double *y, size_t n, size_t buckets, double *ox,
		     double *oy);
/*
 * The same, streamed: a series too long to hold is given twice, point by
 * point in the same order, first to rp_ds_count (which learns n, the x range
 * and the last point with a value), then, after rp_ds_start, to rp_ds_add,
 * which writes the kept points to @ox/@oy (room for @cap: 2 * buckets + 2 is
 * enough for a series of more than 2 * buckets points, n for a shorter one).
 * rp_ds_finish returns how many; the points are rp_downsample's, one for one.
 * A zeroed struct rp_ds is ready for rp_ds_count.
 */
struct rp_ds {
	/* pass 1 */
	size_t n, last;		/* points; 1 + the index of the last one with a value (0: none) */
	double x0, xn;		/* the first and last points' x */
	double xl, yl;		/* the last point with a value */
	/* pass 2 */
	size_t buckets, cap, i, out, b, lo, hi;	/* b: the open bucket; lo, hi: its points' indices */
	int copy, open, has;	/* copy: n too small to cut; has: the open bucket has a value */
	double span, y0, xlo, ylo, xhi, yhi;
	double *ox, *oy;
};
void rp_ds_count(struct rp_ds *d, double x, double y);
void rp_ds_start(struct rp_ds *d, size_t buckets, double *ox, double *oy, size_t cap);
void rp_ds_add(struct rp_ds *d, double x, double y);
size_t rp_ds_finish(struct rp_ds *d);

/* summary.c: the metrics (transitions.csv and scores.csv columns) with their unit and direction. */
struct hr_metric {
	const char *name;
	const char *unit;
	int higher_better;
	int needs_reached;	/* a time to the target or a rate: only a transition that got there has one */
	double noise;		/* in its unit: a median within it of 0 is noise (compare: an absolute change) */
	int absolute;		/* a difference of either sign with no zero of its own: compared absolutely */
	int score;		/* a scores.csv column (a value per job repetition), not transitions.csv's */
};
/* in summary.csv's order; made from core/schema.c's transitions.csv columns marked as metrics */
#define HR_MAX_METRICS 48
extern const struct hr_metric *const hr_metrics;
extern size_t hr_nmetrics;
const struct hr_metric *hr_metric_find(const char *name);
/*
 * Whether a transition that ended with @end_reason (transitions.csv; "" in
 * files from before it) has a value of metric @m: 1 if reached; 0 for every
 * metric if interrupted, guest-gone or failed (the run's end, not the
 * balloon, ended it); for the metrics of getting there (needs_reached)
 * 0 otherwise (gave-up, timeout, superseded), 1 for the rest.
 */
int hr_metric_counts(const struct hr_metric *m, const char *end_reason);
/*
 * Whether guest @vm's transitions belong in the statistics (summary.csv,
 * compare, trend): 0 for a guest in @run's failed_guests (run.json: it failed
 * on its own, whatever on-guest-failure let the other guests do), 1 else.
 */
int rp_guest_counts(struct json_t *run, const char *vm);

/* What hr_summary_dir and hr_report return when an input file is bad (reported), not a write. */
#define RP_BAD_INPUT	(-2)

/*
 * summary.c: summary.csv of results directory @dir from its run.json and
 * transitions.csv. Returns 0; RP_BAD_INPUT if an input file is bad; -1 if
 * summary.csv could not be written (all reported).
 */
int hr_summary_dir(const char *dir, int print);

/*
 * scores.c: scores.csv of results directory @dir (@run: its run.json, a
 * json_t *): a job's scores per repetition and guest (core/score.h), and if
 * @print and a job has a policy, their table on stdout. Returns 0;
 * RP_BAD_INPUT if an input file is bad; -1 if it could not be written (all
 * reported).
 */
int rp_scores_write(const char *dir, struct json_t *run, int print);

/*
 * report.c: the pages' shared frame. rp_page_head writes everything up to
 * <body> (title escaped; uPlot's and report.css's styles, then @css if not
 * NULL; the error catcher the browser tests read). rp_page_tail writes @json
 * as #bb-data (it must be dumped with JSON_ESCAPE_SLASH), then uPlot,
 * common.js and the page's script [@js, @js_end), and closes the page.
 * Both return 0, or -1 if a write failed.
 */
int rp_page_head(FILE *f, const char *title, const char *css);
int rp_page_tail(FILE *f, const char *json, const char *js, const char *js_end);
extern const char rp_compare_js[], rp_compare_js_end[];
extern const char rp_trend_js[], rp_trend_js_end[];

/* trend.c: `balloonbench trend` (argv[0] is "trend"); returns the exit status. */
int hr_trend_main(int argc, char **argv);

/*
 * openmetrics.c: metrics.prom in results directory @dir: its summary.csv as
 * OpenMetrics text (names at the top of openmetrics.c); @run is its run.json
 * (a json_t *). Returns 0, or -1 (said).
 */
struct json_t;
int rp_openmetrics_write(const char *dir, struct json_t *run);

/*
 * report.c: summary.csv, metrics.prom and report.html for results directory @dir (the page
 * shows what could be read). Returns 0; -1 if a file could not be written;
 * otherwise RP_BAD_INPUT if an input file was bad (all reported).
 */
int hr_report(const char *dir, int print);

/* compare.c: `balloonbench compare` (argv[0] is "compare"); returns the exit status. */
/*
 * compare.c: FNV-1a of a scenario text's meaning: comments, blank lines and
 * white space left out, so that editing a comment keeps runs comparable.
 */
unsigned long long rp_scenario_hash(const char *text);
int hr_compare_main(int argc, char **argv);

/*
 * formats.c: the output formats of run, report and compare, one table (its
 * rows by enum rp_format_id; format i is bit 1 << i of a mask).
 * rp_formats_parse: "normal,json,csv" (any of those that command @cmd,
 * RP_CMD_*, offers; comma-separated) into @mask; -1 (said) for an unknown
 * format. rp_results_write: the formats of @fmts that run and report write
 * (JSON and CSV, schema at the top of output.c) of results directories
 * @dirs[0..n) to @f; 0, or -1 (said).
 * output.c: --output-file of run, report and compare. rp_output_open:
 * @path, or stdout for NULL or "-"; NULL (said) if it cannot be written.
 * rp_output_close closes (or flushes stdout); -1 (said) if a write failed.
 */
enum rp_format_id {
	RP_FORMAT_NORMAL, RP_FORMAT_JSON, RP_FORMAT_CSV, RP_FORMAT_TAP, RP_FORMAT_HTML,
	RP_FORMAT_JUNIT, RP_FORMAT_MARKDOWN, RP_FORMAT_N
};
enum {
	RP_FMT_NORMAL = 1u << RP_FORMAT_NORMAL,
	RP_FMT_JSON = 1u << RP_FORMAT_JSON,
	RP_FMT_CSV = 1u << RP_FORMAT_CSV,
};
enum { RP_CMD_RUN = 1, RP_CMD_REPORT = 2, RP_CMD_COMPARE = 4 };
#define RP_RESULTS_SCHEMA	1
int rp_formats_parse(const char *arg, unsigned cmd, unsigned *mask);
int rp_results_write(FILE *f, unsigned fmts, char *const *dirs, int n);
FILE *rp_output_open(const char *path);
int rp_output_close(FILE *f, const char *path);

/*
 * manpage.c: the man pages in roff, generated from the binary's own texts.
 * rp_man_main: balloonbench(1), a section per command of @cmds[0..n) with
 * its --help text (@usage; NULL: none). rp_man_scenario:
 * balloonbench-scenario(5) from the option table and the workloads.
 */
struct rp_man_cmd {
	const char *name, *help;
	void (*usage)(FILE *f);
};
void rp_man_main(FILE *f, const struct rp_man_cmd *cmds, size_t n);
void rp_man_scenario(FILE *f);
/* balloonbench-results(5): every results file's columns, from core/schema.c. */
void rp_man_results(FILE *f);
/* @c's type (with its precision), unit and better direction, in words ("float (3 decimals), ms, lower is better"). */
void rp_col_kind(const struct hr_col *c, char *buf, size_t size);
/* output.c: `list schema` (every file's columns), `list metrics` (name, unit, better), and the JSON Schema of --output-format json. */
void rp_schema_print(FILE *f);
void rp_metrics_print(FILE *f);
int rp_json_schema(FILE *f);
/* compare.c and trend.c: their --help texts */
void rp_compare_usage(FILE *f);
void rp_trend_usage(FILE *f);

/* summary.c: statistics across repetitions */
struct hr_stats {
	size_t n;
	double median, mean, stddev, min, max;
	double ci_lo, ci_hi, ci_coverage;	/* distribution-free CI of the median */
};
/* Statistics of @v[0..n) (sorted in place). Returns 0, or -1 if n == 0. */
int hr_stats_compute(double *v, size_t n, struct hr_stats *out);

#endif /* HR_REPORT_H */
