/* SPDX-License-Identifier: MIT */
/*
 * compare.h - what `balloonbench compare` (compare.c) hands its writers: the
 * two run sets, the compared series and one verdict row per series. Private
 * to host-runner/report: compare.c (reading, judging, the table, CSV, TAP,
 * HTML) and cmpout.c (JSON, JUnit XML, Markdown).
 */
#ifndef RP_COMPARE_H
#define RP_COMPARE_H

#include <stdio.h>

#include "core/abstat.h"
#include "report.h"

#define MAX_RUNS	256

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
};

struct row {
	const struct key *k;
	struct ab_result r;
	enum ab_verdict v;
	int gate;
	char why[200];
};

/* "+12.3%", or "-" for what is not a finite number (never "inf%"), into @buf; returns @buf. */
const char *rp_pct(double x, char *buf, size_t size);
/*
 * Row @w's change (@which 0), or the low (1) or high (2) bound of its 95 %
 * CI, into @buf: relative ("+12.3%") where the baseline has a scale, else
 * (within noise of zero, abstat.h) absolute in the metric's unit ("+67.5 ms");
 * "-" if there is none. Returns @buf.
 */
const char *rp_cmp_change(const struct row *w, int which, char *buf, size_t size);

/* compare.csv (schema in compare.c) of @rows[0..n). */
void rp_cmp_csv(FILE *f, const struct row *rows, size_t n);

/*
 * cmpout.c, each writes @rows[0..n) of comparison @c with outcome @status
 * (compare's exit status) and @mismatch ("" if the runs are comparable) to
 * @f and returns 0, or -1 if a write failed.
 *   rp_cmp_json: schema "balloonbench-compare", schema_version 1 (cmpout.c).
 *   rp_cmp_junit: JUnit XML (Ant/Surefire as Jenkins, GitLab and GitHub
 *     actions read it): one testcase per gated metric, <failure> for a
 *     regression, <skipped> for an inconclusive result.
 *   rp_cmp_markdown: a summary for a pull request comment or GitHub's
 *     $GITHUB_STEP_SUMMARY: the outcome, the gated metrics, the rest folded.
 */
int rp_cmp_json(FILE *f, const struct cmp *c, const struct row *rows, size_t n, int status,
		const char *mismatch);
int rp_cmp_junit(FILE *f, const struct cmp *c, const struct row *rows, size_t n, int status,
		 const char *mismatch);
int rp_cmp_markdown(FILE *f, const struct cmp *c, const struct row *rows, size_t n, int status,
		    const char *mismatch);

#endif /* RP_COMPARE_H */
