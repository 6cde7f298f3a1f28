// SPDX-License-Identifier: MIT
/*
 * summary.c - statistics of every metric across a job's transitions and
 * repetitions (warm-up runs left out), written to summary.csv: the file CI
 * jobs and spreadsheets read.
 *
 * summary.csv, schema 1 (every row carries schema=1; new columns are only
 * ever appended):
 *   schema       1
 *   scenario     the scenario file
 *   job, label   the job, and its matrix values ("" if none)
 *   vm           "v0", "v1"...: guest k of the job across repetitions; "all": every guest
 *   direction    inflate or deflate
 *   metric       a transitions.csv column (control_latency_ms, mean_rate_mib_s, ...)
 *   unit         ms, us, MiB/s, MiB, count
 *   better       lower or higher: what an improvement is
 *   n            transitions with a value (a transition that did not get there has none)
 *   median, mean, stddev (n - 1), min, max
 *   ci_lo, ci_hi the distribution-free confidence interval of the median:
 *                order statistics x(k), x(n-k+1) with the largest k such that
 *                the binomial coverage 1 - 2 P(B <= k - 1), B ~ Bin(n, 1/2),
 *                is at least 95 %; with n < 6 no such k exists and the
 *                interval is [min, max]
 *   ci_coverage  that interval's exact coverage (0.95 or more when n >= 6)
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "runner.h"

#define PAGE_KIB	4

enum unit_kind { U_MS, U_US, U_RATE, U_MIB, U_COUNT };

struct metric {
	const char *name;
	enum unit_kind unit;
	int higher_better;
	double (*get)(const struct hr_trow *r);
};

static const char *const unit_names[] = { "ms", "us", "MiB/s", "MiB", "count" };

#define PMIB(x)	((x) * PAGE_KIB / 1024.0)
static double g_ctl(const struct hr_trow *r) { return r->g.control * 1e3; }
static double g_t50(const struct hr_trow *r) { return r->g.t50 * 1e3; }
static double g_t90(const struct hr_trow *r) { return r->g.t90 * 1e3; }
static double g_t100(const struct hr_trow *r) { return r->g.t100 * 1e3; }
static double g_mean(const struct hr_trow *r) { return r->g.npoints ? PMIB(r->g.mean_rate) : NAN; }
static double g_peak(const struct hr_trow *r) { return r->g.npoints ? PMIB(r->g.peak_rate) : NAN; }
static double h_mean(const struct hr_trow *r) { return r->h.npoints ? PMIB(r->h.mean_rate) : NAN; }
static double g_stalls(const struct hr_trow *r) { return r->g.stalls; }
static double g_short(const struct hr_trow *r) { return PMIB(r->g.shortfall); }
static double w_faults(const struct hr_trow *r) { return r->wl.kind[0] ? (double)r->wl.faults : NAN; }
static double w_fp99(const struct hr_trow *r) { return r->wl.fault_p99 / 1e3; }
static double w_p50(const struct hr_trow *r) { return r->wl.p50 / 1e3; }
static double w_p99(const struct hr_trow *r) { return r->wl.p99 / 1e3; }
static double w_p999(const struct hr_trow *r) { return r->wl.p999 / 1e3; }
static double w_oom(const struct hr_trow *r) { return r->wl.kind[0] ? r->wl.ooms : NAN; }

static const struct metric metrics[] = {
	{ "control_latency_ms", U_MS, 0, g_ctl },
	{ "t50_ms", U_MS, 0, g_t50 },
	{ "t90_ms", U_MS, 0, g_t90 },
	{ "t100_ms", U_MS, 0, g_t100 },
	{ "mean_rate_mib_s", U_RATE, 1, g_mean },
	{ "peak_rate_mib_s", U_RATE, 1, g_peak },
	{ "host_mean_rate_mib_s", U_RATE, 1, h_mean },
	{ "stalls", U_COUNT, 0, g_stalls },
	{ "shortfall_mib", U_MIB, 0, g_short },
	{ "faults", U_COUNT, 0, w_faults },
	{ "fault_p99_us", U_US, 0, w_fp99 },
	{ "wl_p50_us", U_US, 0, w_p50 },
	{ "wl_p99_us", U_US, 0, w_p99 },
	{ "wl_p999_us", U_US, 0, w_p999 },
	{ "oom_kills", U_COUNT, 0, w_oom },
};

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
	double sum = 0, m2 = 0;
	size_t k = 0;

	memset(o, 0, sizeof(*o));
	if (!n)
		return -1;
	qsort(v, n, sizeof(*v), cmp_dbl);
	o->n = n;
	o->min = v[0];
	o->max = v[n - 1];
	o->median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	o->mean = sum / (double)n;
	for (size_t i = 0; i < n; i++)
		m2 += (v[i] - o->mean) * (v[i] - o->mean);
	o->stddev = n > 1 ? sqrt(m2 / (double)(n - 1)) : 0;
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

static void row_out(FILE *f, const struct hr_run *run, const struct hr_job *j, const char *vm,
		    const char *dir, const struct metric *m, const struct hr_stats *s)
{
	fprintf(f, "1,%s,%s,\"%s\",%s,%s,%s,%s,%s,%zu,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.4f\n",
		run->sc->path, j->name, j->label, vm, dir, m->name, unit_names[m->unit],
		m->higher_better ? "higher" : "lower", s->n, s->median, s->mean, s->stddev, s->min,
		s->max, s->ci_lo, s->ci_hi, s->ci_coverage);
}

int hr_summary_write(struct hr_run *run, const struct hr_trow *rows, size_t n, int print)
{
	char path[PATH_MAX + 16];
	double *v = calloc(n + 1, sizeof(*v));
	FILE *f;
	int printed = 0;

	snprintf(path, sizeof(path), "%s/summary.csv", run->dir);
	f = fopen(path, "we");
	if (!f || !v) {
		hr_err("cannot write %s", path);
		free(v);
		if (f)
			fclose(f);
		return -1;
	}
	fprintf(f, "schema,scenario,job,label,vm,direction,metric,unit,better,n,median,mean,stddev,"
		   "min,max,ci_lo,ci_hi,ci_coverage\n");
	for (int ji = 0; ji < run->sc->njobs; ji++) {
		const struct hr_job *j = &run->sc->jobs[ji];

		for (int d = -1; d <= 1; d += 2) {
			const char *dir = d > 0 ? "inflate" : "deflate";

			for (int vmi = -1; vmi < j->vms; vmi++) {
				char vmname[16];

				if (vmi >= 0 && j->vms == 1)
					continue;	/* "all" is the one guest */
				snprintf(vmname, sizeof(vmname), vmi < 0 ? "all" : "v%d", vmi);
				for (size_t mi = 0; mi < sizeof(metrics) / sizeof(metrics[0]); mi++) {
					struct hr_stats st;
					size_t c = 0;

					for (size_t i = 0; i < n; i++) {
						const struct hr_trow *r = &rows[i];
						double x;

						if (r->job != j || r->warmup || r->g.direction != d ||
						    (vmi >= 0 && r->vm_index != vmi))
							continue;
						x = metrics[mi].get(r);
						if (!isnan(x))
							v[c++] = x;
					}
					if (hr_stats_compute(v, c, &st))
						continue;
					row_out(f, run, j, vmname, dir, &metrics[mi], &st);
					if (print && vmi < 0 && (!strcmp(metrics[mi].name, "mean_rate_mib_s") ||
								 !strcmp(metrics[mi].name, "t100_ms"))) {
						if (!printed++)
							printf("%-16s %-8s %-16s %4s %10s %21s\n", "job", "dir",
							       "metric", "n", "median", "95% CI of median");
						printf("%-16s %-8s %-16s %4zu %10.1f [%8.1f, %8.1f]%s\n", j->name,
						       dir, metrics[mi].name, st.n, st.median, st.ci_lo, st.ci_hi,
						       st.ci_coverage < 0.95 ? " (n<6: min-max)" : "");
					}
				}
			}
		}
	}
	free(v);
	if (fclose(f)) {
		hr_err("cannot write %s", path);
		return -1;
	}
	return 0;
}
