/* SPDX-License-Identifier: MIT */
/*
 * compare.h - what the parts of `balloonbench compare` hand each other: the
 * two run sets, the compared series, the thresholds and one verdict row per
 * series. Private to host-runner/report: compare.c (the command), cmpread.c
 * (reading the runs), cmpjudge.c (thresholds and verdicts) and cmpout.c
 * (the writers: the table, CSV, TAP, HTML, JSON, JUnit XML, Markdown).
 */
#ifndef RP_COMPARE_H
#define RP_COMPARE_H

#include <stdio.h>

#include "core/abstat.h"
#include "report.h"

#define MAX_RUNS	256
#define MAX_KEYS	1024	/* compared series */

/* One compared series: a scenario's job, label, direction and metric. */
struct key {
	char scen[64], job[64], label[128], dir[8];
	const struct hr_metric *m;
	double *v[2];
	size_t n[2], cap[2];
	int runs[2];		/* runs (repetitions on fresh guests) the values come from */
	long last_run[2];	/* the one that gave the last value, 0 = none yet */
};

struct side {
	const char *arg;
	char *runs[MAX_RUNS];
	int nruns;
	/* what makes two sides comparable, from run.json */
	char scen[MAX_RUNS][64];	/* each run's scenario file, without its directory */
	char accel[64], texts[2048], guests[2048], overrides[1024];	/* sorted lists */
	char hosts[512];		/* host groups of a run over several hosts (byhost.c) */
};

struct cmp {
	struct side side[2];
	struct key *keys;
	size_t nkeys;
	const char *out;	/* the output directory (where compare.html is) */
};

struct row {
	const struct key *k;
	struct ab_result r;
	enum ab_verdict v;
	int gate;
	char why[200];
};

/* A metric's policy as the thresholds file sets it (compare.c says the format). */
struct policy {
	struct ab_policy ab;
	int gate;		/* -1: not set in the file */
	int min_runs;		/* 0: not set in the file */
};

struct thresholds {
	const char *path;
	struct policy def;
	struct policy metric[HR_MAX_METRICS];	/* by index into hr_metrics */
	int err_line;
	char err[256];
};

/*
 * cmpread.c. rp_cmp_side_find: the runs of side @s, @arg itself or its
 * subdirectories that hold a run.json. rp_cmp_side_describe: what must agree
 * between the sides, from each run's run.json, into @s's sorted lists.
 * rp_cmp_read_side: every run's transitions.csv of side @side into @c's
 * keys. Each returns 0, or -1 (said). rp_cmp_texts_clash: 1 if the sorted
 * "name=hash" list @texts names one scenario file with two texts.
 */
int rp_cmp_side_find(struct side *s, const char *arg);
int rp_cmp_side_describe(struct side *s);
int rp_cmp_read_side(struct cmp *c, int side);
int rp_cmp_texts_clash(const char *texts);

/*
 * cmpjudge.c. rp_cmp_thresholds_load: the thresholds file @path (NULL: the
 * built-in defaults) into @t; 0, or -1 (said, with the file's line).
 * rp_cmp_judge: the verdict on key @k under @th into @w, the bootstrap
 * seeded with @seed.
 */
int rp_cmp_thresholds_load(struct thresholds *t, const char *path);
void rp_cmp_judge(const struct key *k, const struct thresholds *th, unsigned long long seed,
		  struct row *w);

/* "+12.3%", or "-" for what is not a finite number (never "inf%"), into @buf; returns @buf. */
const char *rp_pct(double x, char *buf, size_t size);
/*
 * Row @w's change (@which 0), or the low (1) or high (2) bound of its 95 %
 * CI, into @buf: relative ("+12.3%") where the baseline has a scale, else
 * (within noise of zero, abstat.h) absolute in the metric's unit ("+67.5 ms");
 * "-" if there is none. Returns @buf.
 */
const char *rp_cmp_change(const struct row *w, int which, char *buf, size_t size);

/*
 * cmpout.c, the writers of the formats table (formats.c), each writes
 * @rows[0..n) of comparison @c with outcome @status (compare's exit status)
 * and @mismatch ("" if the runs are comparable) to @f and returns 0, or -1
 * if a write failed.
 *   rp_cmp_table: the table (normal), then the outcome and where the page is.
 *   rp_cmp_csv: compare.csv (schema in compare.c).
 *   rp_cmp_tap: TAP, one test per row.
 *   rp_cmp_html: compare.html, the verdicts drawn, the distributions by compare.js.
 *   rp_cmp_json: schema "balloonbench-compare", schema_version 1 (cmpout.c).
 *   rp_cmp_junit: JUnit XML (Ant/Surefire as Jenkins, GitLab and GitHub
 *     actions read it): one testcase per gated metric, <failure> for a
 *     regression, <skipped> for an inconclusive result.
 *   rp_cmp_markdown: a summary for a pull request comment or GitHub's
 *     $GITHUB_STEP_SUMMARY: the outcome, the gated metrics, the rest folded.
 */
int rp_cmp_table(FILE *f, const struct cmp *c, const struct row *rows, size_t n, int status,
		 const char *mismatch);
int rp_cmp_csv(FILE *f, const struct cmp *c, const struct row *rows, size_t n, int status,
	       const char *mismatch);
int rp_cmp_tap(FILE *f, const struct cmp *c, const struct row *rows, size_t n, int status,
	       const char *mismatch);
int rp_cmp_html(FILE *f, const struct cmp *c, const struct row *rows, size_t n, int status,
		const char *mismatch);
int rp_cmp_json(FILE *f, const struct cmp *c, const struct row *rows, size_t n, int status,
		const char *mismatch);
int rp_cmp_junit(FILE *f, const struct cmp *c, const struct row *rows, size_t n, int status,
		 const char *mismatch);
int rp_cmp_markdown(FILE *f, const struct cmp *c, const struct row *rows, size_t n, int status,
		    const char *mismatch);

#endif /* RP_COMPARE_H */
