// SPDX-License-Identifier: MIT
/*
 * summary.c - statistics of every metric across a job's transitions and
 * repetitions (warm-up runs left out), written to summary.csv: the file CI
 * jobs and spreadsheets read.
 *
 * summary.csv, schema 1 (every row carries schema=1; new columns are only
 * ever appended; its columns are a table of core/schema.c):
 *   schema       1
 *   scenario     the scenario file
 *   job, label   the job, and its matrix values ("" if none)
 *   vm           "v0", "v1"...: guest k of the job across repetitions; "all": every guest
 *                (a guest that failed, run.json failed_guests, left out)
 *   direction    inflate or deflate
 *   metric       a transitions.csv column (control_latency_ms, mean_rate_mib_s, ...)
 *   unit         ms, us, MiB/s, MiB, count
 *   better       lower or higher: what an improvement is
 *   n            transitions with a value (a transition that did not get there has none):
 *                a transition that ended interrupted, guest-gone or failed
 *                (transitions.csv end_reason) measured the run's end, not
 *                the balloon, and has no value at all; one that gave up,
 *                timed out or was superseded has none for the metrics of
 *                getting there (t100_ms and the rates), and counts for the
 *                others (control latency, t50/t90 if it got that far,
 *                stalls, shortfall, the workload's figures)
 *   median, mean, stddev (n - 1), min, max
 *   ci_lo, ci_hi the distribution-free confidence interval of the median:
 *                order statistics x(k), x(n-k+1) with the largest k such that
 *                the binomial coverage 1 - 2 P(B <= k - 1), B ~ Bin(n, 1/2),
 *                is at least 95 %; with n < 6 no such k exists and the
 *                interval is [min, max]
 *   ci_coverage  that interval's exact coverage (0.95 or more when n >= 6)
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/log.h"
#include "core/scenario.h"
#include "report.h"

/*
 * Every metric is a transitions.csv column (or a scores.csv one: a job's
 * score, direction "job") marked as one in core/schema.c
 * (its .metric: the place in this list, summary.csv's row order), with its
 * unit, which way is better, and for compare what is noise: the host's
 * figures come from the host sampler (20 ms a sample at its default 50 Hz;
 * RSS counted settled within 1 MiB), and host_lag_ms is a difference of two
 * times, of either sign. The list is made from the schema before main()
 * (a constructor: every user reads it as a plain array).
 */
static struct hr_metric metrics[HR_MAX_METRICS];
const struct hr_metric *const hr_metrics = metrics;
size_t hr_nmetrics;

__attribute__((constructor)) static void metrics_from_schema(void)
{
	static const int tables[] = { HR_TB_TRANS, HR_TB_SCORES };

	for (int rank = 1; hr_nmetrics < HR_MAX_METRICS; rank++) {
		const struct hr_col *c = NULL;
		int ti = 0;

		for (; ti < 2 && !c; ti++) {
			const struct hr_table *t = &hr_tables[tables[ti]];

			for (int i = 0; i < t->ncols && !c; i++)
				if (t->cols[i].metric == rank)
					c = &t->cols[i];
		}
		if (!c)
			break;	/* ranks are 1..n (tests/schema.c checks) */
		metrics[hr_nmetrics++] = (struct hr_metric){
			.name = c->name, .unit = c->unit,
			.higher_better = c->better == HR_BETTER_HIGHER,
			.needs_reached = c->needs_reached, .noise = c->noise,
			.absolute = c->absolute, .score = tables[ti - 1] == HR_TB_SCORES,
		};
	}
}

const struct hr_metric *hr_metric_find(const char *name)
{
	for (size_t i = 0; i < hr_nmetrics; i++)
		if (!strcmp(hr_metrics[i].name, name))
			return &hr_metrics[i];
	return NULL;
}

int hr_metric_counts(const struct hr_metric *m, const char *end_reason)
{
	static const char *const cut[] = { "interrupted", "guest-gone", "failed" };

	if (!*end_reason || !strcmp(end_reason, "reached"))
		return 1;	/* reached, or a file from before end_reason */
	for (size_t i = 0; i < sizeof(cut) / sizeof(cut[0]); i++)
		if (!strcmp(end_reason, cut[i]))
			return 0;
	return !m->needs_reached;
}

int rp_guest_counts(json_t *run, const char *vm)
{
	json_t *failed = json_object_get(run, "failed_guests");

	/* no more names than a run has guests: a damaged file costs no more */
	for (size_t i = 0; i < json_array_size(failed) && i < HR_MAX_VMS; i++)
		if (!strcmp(json_string_value(json_array_get(failed, i)) ?: "", vm))
			return 0;
	return 1;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* P(B <= k) for B ~ Bin(n, 1/2), by summing terms in log space. */
static double binom_cdf_half(size_t n, size_t k)
{
	double sum = 0;

	for (size_t i = 0; i <= k && i <= n; i++)
		sum += exp(lgamma((double)n + 1) - lgamma((double)i + 1) -
			   lgamma((double)(n - i) + 1) - (double)n * log(2.0));
	return sum > 1 ? 1 : sum;
}

int hr_stats_compute(double *v, size_t n, struct hr_stats *o)
{
	double sum = 0, m2 = 0, scale, mean;
	size_t k = 0;

	memset(o, 0, sizeof(*o));
	if (!n)
		return -1;
	qsort(v, n, sizeof(*v), cmp_dbl);
	o->n = n;
	o->min = v[0];
	o->max = v[n - 1];
	o->median = n % 2 ? v[n / 2] : 0.5 * v[n / 2 - 1] + 0.5 * v[n / 2];
	/* in units of the largest magnitude: a sum or a square of 1e300s stays finite */
	scale = fmax(fabs(o->min), fabs(o->max));
	if (!(scale > 0))
		scale = 1;
	for (size_t i = 0; i < n; i++)
		sum += v[i] / scale;
	mean = sum / (double)n;
	for (size_t i = 0; i < n; i++)
		m2 += (v[i] / scale - mean) * (v[i] / scale - mean);
	o->mean = mean * scale;
	o->stddev = n > 1 ? sqrt(m2 / (double)(n - 1)) * scale : 0;
	/* largest k with coverage >= 95 %: x(k) .. x(n-k+1), 1-based */
	for (size_t c = 1; c <= n / 2; c++)
		if (1 - 2 * binom_cdf_half(n, c - 1) >= 0.95)
			k = c;
	if (k) {
		o->ci_lo = v[k - 1];
		o->ci_hi = v[n - k];
		o->ci_coverage = 1 - 2 * binom_cdf_half(n, k - 1);
	} else {
		o->ci_lo = o->min;
		o->ci_hi = o->max;
		o->ci_coverage = 1 - 2 * binom_cdf_half(n, 0);
	}
	return 0;
}

/* Room for the jobs and, over several hosts, a JOB@GROUP entry per job and host. */
#define SJOBS_ROOM(njobs)	((njobs) * 17 + 1)

/* One transitions.csv row, reduced to what the summary groups and averages. */
struct srow {
	int job;		/* index into the run's jobs */
	int vm_index;		/* scores.csv's all: -1 */
	int dir;		/* +1 inflate, -1 deflate, 0 a job's score (scores.csv) */
	double m[HR_MAX_METRICS];
};

struct sjob {
	const char *name, *label;
	int vms;
	char own[192];		/* JOB@GROUP of a run over several hosts (byhost.c) */
};

static int find_job(const struct sjob *jobs, size_t n, const char *name);

/* Job @j on host group @grp: its own entry, added at *n (room for it is there). */
static int job_at(struct sjob *jobs, size_t *n, int j, const char *grp)
{
	char key[192];
	int k;

	snprintf(key, sizeof(key), "%.120s@%.64s", jobs[j].name, grp);
	if ((k = find_job(jobs, *n, key)) >= 0)
		return k;
	jobs[*n] = jobs[j];
	snprintf(jobs[*n].own, sizeof(jobs[*n].own), "%s", key);
	jobs[*n].name = jobs[*n].own;
	return (int)(*n)++;
}

static int find_job(const struct sjob *jobs, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(jobs[i].name, name))
			return (int)i;
	return -1;
}

/* vm_index of guest @name from run.json's vms[], 0 if not listed. */
static int vm_index_of(json_t *vms, const char *name)
{
	size_t i;
	json_t *v;

	json_array_foreach(vms, i, v)
		if (!strcmp(json_string_value(json_object_get(v, "name")) ?: "", name))
		{
			json_int_t k = json_integer_value(json_object_get(v, "vm_index"));

			return k >= 0 && k < HR_MAX_VMS ? (int)k : -1;
		}
	return 0;
}

/* Read the run's transitions (warm-up runs left out). Returns rows, or NULL and *n = 0. */
static struct srow *read_rows(const char *dir, struct sjob *jobs, size_t *njobs, size_t room,
			      json_t *run, size_t *n, int *err)
{
	char path[PATH_MAX];
	struct rp_csv c;
	struct srow *rows = NULL;
	size_t cap = 0;
	int cj, cv, cd, cw, ce, cm[HR_MAX_METRICS], r;

	*n = 0;
	*err = 0;
	if (rp_path(path, sizeof(path), dir, "transitions.csv")) {
		*err = 1;
		return NULL;
	}
	r = rp_csv_open(&c, path);
	if (r == -ENOENT)
		return NULL;	/* a run that failed before its first transition */
	if (r) {
		*err = 1;
		return NULL;
	}
	cj = rp_csv_col(&c, "job");
	cv = rp_csv_col(&c, "vm");
	cd = rp_csv_col(&c, "direction");
	cw = rp_csv_col(&c, "warmup");
	ce = rp_csv_col(&c, "end_reason");
	if (cj < 0 || cv < 0 || cd < 0) {
		hr_error("%s:1: expected columns job, vm and direction", path);
		rp_csv_close(&c);
		*err = 1;
		return NULL;
	}
	for (size_t k = 0; k < hr_nmetrics; k++)
		cm[k] = rp_csv_col(&c, hr_metrics[k].name);
	while ((r = rp_csv_next(&c)) > 0) {
		struct srow *row;
		int j = find_job(jobs, *njobs, rp_csv_str(&c, cj));
		char grp[64];
		double warm;

		if (j < 0 || rp_csv_get(&c, cw, 0, 1, &warm) || warm == 1 ||
		    !rp_guest_counts(run, rp_csv_str(&c, cv)))
			continue;
		rp_host_group(run, rp_csv_str(&c, cv), grp, sizeof(grp));
		if (grp[0] && *njobs < room)
			j = job_at(jobs, njobs, j, grp);
		if (*n == cap) {
			struct srow *nr = realloc(rows, (cap = cap ? 2 * cap : 64) * sizeof(*rows));

			if (!nr) {
				*err = 1;
				break;
			}
			rows = nr;
		}
		row = &rows[(*n)++];
		row->job = j;
		row->vm_index = vm_index_of(json_object_get(run, "vms"), rp_csv_str(&c, cv));
		row->dir = !strcmp(rp_csv_str(&c, cd), "inflate") ? 1 : -1;
		for (size_t k = 0; k < hr_nmetrics; k++)
			row->m[k] = !hr_metrics[k].score &&
				    hr_metric_counts(&hr_metrics[k], rp_csv_str(&c, ce)) ?
				    rp_csv_num(&c, cm[k]) : NAN;
	}
	if (r < 0)
		*err = 1;
	rp_csv_close(&c);
	return rows;
}

/*
 * Append scores.csv's rows (report/scores.c wrote it just before) to @rows
 * (*n of them) as direction 0: a guest's by its vm_index, all's as -1 (a
 * guest run.json does not list left out). Returns the rows (the array may
 * have moved); *err set if the file could not be read whole or memory ran out.
 */
static struct srow *read_scores(const char *dir, const struct sjob *jobs, size_t njobs, json_t *run,
				struct srow *rows, size_t *n, int *err)
{
	char path[PATH_MAX];
	struct rp_csv c;
	size_t cap = *n;
	int cj, cv, cm[HR_MAX_METRICS], r;

	if (rp_path(path, sizeof(path), dir, "scores.csv")) {
		*err = 1;
		return rows;
	}
	r = rp_csv_open(&c, path);
	if (r == -ENOENT)
		return rows;
	if (r) {
		*err = 1;
		return rows;
	}
	cj = rp_csv_col(&c, "job");
	cv = rp_csv_col(&c, "vm");
	for (size_t k = 0; k < hr_nmetrics; k++)
		cm[k] = hr_metrics[k].score ? rp_csv_col(&c, hr_metrics[k].name) : -1;
	while ((r = rp_csv_next(&c)) > 0) {
		int j = find_job(jobs, njobs, rp_csv_str(&c, cj));
		const char *vm = rp_csv_str(&c, cv);
		struct srow *row;

		if (j < 0)
			continue;
		if (*n >= cap) {
			struct srow *nr = realloc(rows, (cap = 2 * cap + 16) * sizeof(*rows));

			if (!nr) {
				*err = 1;
				break;
			}
			rows = nr;
		}
		row = &rows[(*n)++];
		row->job = j;
		row->dir = 0;
		row->vm_index = !strcmp(vm, "all") ? -1 : vm_index_of(json_object_get(run, "vms"), vm);
		if (row->vm_index < 0 && strcmp(vm, "all")) {
			(*n)--;
			continue;
		}
		for (size_t k = 0; k < hr_nmetrics; k++)
			row->m[k] = cm[k] < 0 ? NAN : rp_csv_num(&c, cm[k]);
	}
	if (r < 0)
		*err = 1;
	rp_csv_close(&c);
	return rows;
}

static void row_out(FILE *f, const char *scenario, const struct sjob *j, const char *vm,
		    const char *dir, const struct hr_metric *m, const struct hr_stats *s)
{
	const double st[] = { s->median, s->mean, s->stddev, s->min, s->max, s->ci_lo, s->ci_hi,
			      s->ci_coverage };
	struct hr_row row;

	hr_row_init(&row, HR_TB_SUMMARY);
	hr_row_set_i(&row, HR_SU_SCHEMA, 1);
	hr_row_set_s(&row, HR_SU_SCENARIO, scenario);
	hr_row_set_s(&row, HR_SU_JOB, j->name);
	hr_row_set_s(&row, HR_SU_LABEL, j->label);
	hr_row_set_s(&row, HR_SU_VM, vm);
	hr_row_set_s(&row, HR_SU_DIRECTION, dir);
	hr_row_set_s(&row, HR_SU_METRIC, m->name);
	hr_row_set_s(&row, HR_SU_UNIT, m->unit);
	hr_row_set_s(&row, HR_SU_BETTER, m->higher_better ? "higher" : "lower");
	hr_row_set_u(&row, HR_SU_N, s->n);
	for (int i = 0; i < (int)(sizeof(st) / sizeof(st[0])); i++)
		hr_row_set_f(&row, HR_SU_MEDIAN + i, st[i]);
	(void)hr_row_write(f, &row, 0);
}

/* The directions in summary.csv's order: inflate, deflate, a job's score. */
static const int dirs[] = { 1, -1, 0 };
static const char *const dir_names[] = { "inflate", "deflate", "job" };

static int dir_rank(int d)
{
	return d > 0 ? 0 : d < 0 ? 1 : 2;
}

/* Rows in the order of the groups: job, inflate, deflate, the job's scores, guest (all first). */
static int cmp_srow(const void *a, const void *b)
{
	const struct srow *x = a, *y = b;

	if (x->job != y->job)
		return x->job < y->job ? -1 : 1;
	if (x->dir != y->dir)
		return dir_rank(x->dir) < dir_rank(y->dir) ? -1 : 1;
	return x->vm_index < y->vm_index ? -1 : x->vm_index > y->vm_index;
}

/* Every metric's row of one group (@rows[0..n): a job, direction and guest or "all"). */
static void write_metrics(FILE *f, const char *scenario, const struct sjob *j, const char *vm,
			  const char *dir, const struct srow *rows, size_t n, double *v,
			  int print, int *printed)
{
	for (size_t mi = 0; mi < hr_nmetrics; mi++) {
		const char *name = hr_metrics[mi].name;
		struct hr_stats st;
		size_t c = 0;

		for (size_t i = 0; i < n; i++)
			if (!isnan(rows[i].m[mi]))
				v[c++] = rows[i].m[mi];
		if (hr_stats_compute(v, c, &st))
			continue;
		row_out(f, scenario, j, vm, dir, &hr_metrics[mi], &st);
		if (!print || strcmp(vm, "all") ||
		    (strcmp(name, "mean_rate_mib_s") && strcmp(name, "t100_ms")))
			continue;
		if (!(*printed)++)
			printf("%-16s %-8s %-16s %4s %10s %21s\n", "job", "dir", "metric", "n",
			       "median", "95% CI of median");
		printf("%-16s %-8s %-16s %4zu %10.1f [%8.1f, %8.1f]%s\n", j->name, dir, name, st.n,
		       st.median, st.ci_lo, st.ci_hi, st.ci_coverage < 0.95 ? " (n<6: min-max)" : "");
	}
}

/*
 * The per-job, per-direction, per-guest, per-metric rows; prints the short
 * table if @print. @rows are sorted here so that each group is one range:
 * the work is the rows' count, whatever run.json says of jobs and guests.
 */
static void write_groups(FILE *f, const char *scenario, const struct sjob *jobs, size_t njobs,
			 struct srow *rows, size_t n, double *v, int print)
{
	int printed = 0;
	size_t i = 0;

	if (!n)
		return;	/* no transition (and @rows may be NULL) */
	qsort(rows, n, sizeof(*rows), cmp_srow);
	for (size_t ji = 0; ji < njobs; ji++) {
		const struct sjob *j = &jobs[ji];

		for (int di = 0; di < 3; di++) {
			const char *dir = dir_names[di];
			int d = dirs[di];
			size_t lo = i, guests;

			while (i < n && rows[i].job == (int)ji && rows[i].dir == d)
				i++;
			/* a score's all is its own row (sums), the first of the group */
			for (guests = lo; d == 0 && guests < i && rows[guests].vm_index < 0; guests++)
				;
			write_metrics(f, scenario, j, "all", dir, rows + lo, (d ? i : guests) - lo, v, print,
				      &printed);
			for (size_t k = d ? lo : guests, e; j->vms > 1 && k < i; k = e) {
				char vmname[16];

				for (e = k; e < i && rows[e].vm_index == rows[k].vm_index; e++)
					;
				if (rows[k].vm_index < 0 || rows[k].vm_index >= j->vms)
					continue;	/* "all" has them */
				snprintf(vmname, sizeof(vmname), "v%d", rows[k].vm_index);
				write_metrics(f, scenario, j, vmname, dir, rows + k, e - k, v, print,
					      &printed);
			}
		}
	}
}

/* A job's vms from run.json (a string or a number): 1..HR_MAX_VMS. 0, or -1 (reported). */
static int job_vms(const char *path, size_t i, json_t *jv, int *out)
{
	const char *s = json_string_value(jv);
	char *end = NULL;
	long long x = 1;

	if (json_is_integer(jv))
		x = json_integer_value(jv);
	else if (s) {
		errno = 0;
		x = strtoll(s, &end, 10);
		if (end == s || *end || errno)
			x = -1;
	} else if (jv) {
		x = -1;
	}
	if (x < 1 || x > HR_MAX_VMS) {
		return hr_error("%s: scenario.jobs[%zu].vms: expected a number of guests from 1 to %d",
		       path, i, HR_MAX_VMS);
	}
	*out = (int)x;
	return 0;
}

int hr_summary_dir(const char *dir, int print)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	json_t *run, *jobsj, *jj;
	struct sjob *jobs = NULL;
	struct srow *rows = NULL;
	size_t njobs = 0, n = 0, i;
	double *v = NULL;
	FILE *f = NULL;
	int err = 0, ret = RP_BAD_INPUT, sret = 0;

	if (rp_path(path, sizeof(path), dir, "run.json"))
		return RP_BAD_INPUT;
	run = rp_run_load(path);
	if (!run)
		return RP_BAD_INPUT;
	jobsj = json_object_get(json_object_get(run, "scenario"), "jobs");
	njobs = json_array_size(jobsj);
	jobs = calloc(SJOBS_ROOM(njobs), sizeof(*jobs));
	if (!jobs)
		goto out;
	json_array_foreach(jobsj, i, jj) {
		jobs[i].name = json_string_value(json_object_get(jj, "name")) ?: "";
		jobs[i].label = json_string_value(json_object_get(jj, "label")) ?: "";
		if (job_vms(path, i, json_object_get(jj, "vms"), &jobs[i].vms))
			goto out;
	}
	sret = rp_scores_write(dir, run, print);
	if (sret == -1) {
		ret = -1;	/* this side's failure (memory, a write), not bad input */
		goto out;
	}
	rows = read_rows(dir, jobs, &njobs, SJOBS_ROOM(json_array_size(jobsj)), run, &n, &err);
	if (!err)
		rows = read_scores(dir, jobs, njobs, run, rows, &n, &err);
	if (err)
		goto out;
	ret = -1;	/* from here on, a failure is this side's: memory, a write */
	v = calloc(n + 1, sizeof(*v));
	if (rp_path(path, sizeof(path), dir, "summary.csv") ||
	    rp_path(tmp, sizeof(tmp), dir, ".summary.csv.tmp"))
		goto out;
	if (!v || !(f = fopen(tmp, "we"))) {
		hr_error("cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	(void)hr_table_header(f, &hr_tables[HR_TB_SUMMARY]);
	write_groups(f, json_string_value(json_object_get(json_object_get(run, "scenario"), "file")) ?: "",
		     jobs, njobs, rows, n, v, print);
	if (fclose(f) || rename(tmp, path)) {
		f = NULL;
		hr_error("cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	f = NULL;
	ret = sret;	/* a bad input of the scores' said, summary.csv written all the same */
out:
	free(v);
	free(rows);
	free(jobs);
	json_decref(run);
	return ret;
}
