// SPDX-License-Identifier: MIT
/*
 * cmpjudge.c - `balloonbench compare`'s verdicts: the thresholds file (its
 * format in compare.c), the policy of each metric, and the verdict on each
 * compared series with the statistics of abstat.c.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "core/abstat.h"
#include "core/log.h"
#include "core/readfile.h"
#include "compare.h"

/* Metrics that gate by default: how fast the balloon moves and what the workload feels. */
static const char *const default_gated[] = { "mean_rate_mib_s", "t100_ms", "wl_p99_us" };

#define DEFAULT_MIN_RUNS	3

/* ---- thresholds file ---- */

static int parse_pct(const char *v, double *out)
{
	char *end;
	double x = strtod(v, &end);

	if (end == v)
		return -1;
	if (*end == '%') {
		x /= 100;
		end++;
	}
	if (*end || !(x >= 0))
		return -1;
	*out = x;
	return 0;
}

static int th_handler(void *user, const char *section, const char *name, const char *value)
{
	struct thresholds *t = user;
	struct policy *p;
	const struct hr_metric *m = NULL;
	char *end;

	if (t->err[0])
		return 1;
	if (!strcmp(section, "default")) {
		p = &t->def;
	} else if ((m = hr_metric_find(section))) {
		p = &t->metric[m - hr_metrics];
	} else {
		snprintf(t->err, sizeof(t->err), "[%s]: expected [default] or a metric name (a transitions.csv column such as mean_rate_mib_s, t100_ms)", section);
		return 0;
	}
	if (!strcmp(name, "alpha")) {
		double a = strtod(value, &end);

		if (*end || !(a > 0 && a < 1)) {
			snprintf(t->err, sizeof(t->err), "alpha: '%s', expected a number between 0 and 1", value);
			return 0;
		}
		p->ab.alpha = a;
	} else if (!strcmp(name, "min-change") || !strcmp(name, "max-ci")) {
		double x;

		if (parse_pct(value, &x) || x > 10) {
			snprintf(t->err, sizeof(t->err), "%s: '%s', expected a relative change such as 10%% or 0.1", name, value);
			return 0;
		}
		if (name[1] == 'i')
			p->ab.min_rel_change = x;
		else
			p->ab.max_ci_halfwidth = x;
	} else if (!strcmp(name, "min-n")) {
		long n = strtol(value, &end, 10);

		if (*end || n < 2 || n > 100000) {
			snprintf(t->err, sizeof(t->err), "min-n: '%s', expected an integer from 2 to 100000", value);
			return 0;
		}
		p->ab.min_n = (size_t)n;
	} else if (!strcmp(name, "min-runs")) {
		long n = strtol(value, &end, 10);

		if (*end || n < 1 || n > 100000) {
			snprintf(t->err, sizeof(t->err), "min-runs: '%s', expected an integer from 1 to 100000", value);
			return 0;
		}
		p->min_runs = (int)n;
	} else if (!strcmp(name, "gate")) {
		if (!strcmp(value, "yes") || !strcmp(value, "1") || !strcmp(value, "true"))
			p->gate = 1;
		else if (!strcmp(value, "no") || !strcmp(value, "0") || !strcmp(value, "false"))
			p->gate = 0;
		else {
			snprintf(t->err, sizeof(t->err), "gate: '%s', expected yes or no", value);
			return 0;
		}
	} else {
		snprintf(t->err, sizeof(t->err), "unknown key '%s': expected alpha, min-change, min-n, min-runs, max-ci or gate", name);
		return 0;
	}
	return 1;
}

/* inih reports the line of the first handler error; we keep our message. */
int rp_cmp_thresholds_load(struct thresholds *t, const char *path)
{
	char *text;
	size_t len;
	int r;

	memset(t, 0, sizeof(*t));
	ab_policy_default(&t->def.ab);
	t->def.gate = -1;
	t->def.min_runs = DEFAULT_MIN_RUNS;
	for (size_t i = 0; i < sizeof(t->metric) / sizeof(t->metric[0]); i++) {
		t->metric[i].ab.alpha = NAN;
		t->metric[i].ab.min_rel_change = NAN;
		t->metric[i].ab.max_ci_halfwidth = NAN;
		t->metric[i].ab.min_n = 0;
		t->metric[i].gate = -1;
	}
	if (!path)
		return 0;
	t->path = path;
	if (hr_read_file(path, "thresholds", HR_MAX_SCENARIO, 0, &text, &len, NULL, 0))
		return -1;	/* a regular file of at most 1 MiB (core/readfile.h) */
	r = memchr(text, '\0', len) ? 1 : ini_parse_string(text, th_handler, t);
	free(text);
	if (r < 0) {
		return hr_error("%s: cannot parse thresholds file (out of memory)", path);
	}
	if (r > 0) {
		return hr_error("%s:%d: %s", path, r, t->err[0] ? t->err : "expected '[section]' or 'key = value'");
	}
	return 0;
}

/* The policy for metric @m: the file's metric section over its [default] over built-ins. */
static void th_policy(const struct thresholds *t, const struct hr_metric *m, struct ab_policy *out,
		      int *gate, int *min_runs)
{
	const struct policy *p = &t->metric[m - hr_metrics];

	*out = t->def.ab;
	out->noise = m->noise;
	out->absolute = m->absolute;
	*min_runs = p->min_runs ? p->min_runs : t->def.min_runs;
	if (!isnan(p->ab.alpha))
		out->alpha = p->ab.alpha;
	if (!isnan(p->ab.min_rel_change))
		out->min_rel_change = p->ab.min_rel_change;
	if (!isnan(p->ab.max_ci_halfwidth))
		out->max_ci_halfwidth = p->ab.max_ci_halfwidth;
	if (p->ab.min_n)
		out->min_n = p->ab.min_n;
	if (p->gate >= 0) {
		*gate = p->gate;
	} else if (t->def.gate >= 0) {
		*gate = t->def.gate;
	} else {
		*gate = 0;
		for (size_t i = 0; i < sizeof(default_gated) / sizeof(default_gated[0]); i++)
			if (!strcmp(default_gated[i], m->name))
				*gate = 1;
	}
}

/* Set @w->why; a reason cut short ends in "...". */
static void __attribute__((format(printf, 2, 3))) set_why(struct row *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)hr_vfmt(w->why, sizeof(w->why), fmt, ap);
	va_end(ap);
}

/* The verdict on key @k into @w: compared, judged, and inconclusive on too few runs. */
void rp_cmp_judge(const struct key *k, const struct thresholds *th, unsigned long long seed,
		  struct row *w)
{
	struct ab_policy p;
	int min_runs;

	w->k = k;
	th_policy(th, k->m, &p, &w->gate, &min_runs);
	if (!k->n[0] || !k->n[1]) {
		memset(&w->r, 0, sizeof(w->r));
		w->r.na = k->n[0];
		w->r.nb = k->n[1];
		w->r.median_a = w->r.median_b = w->r.rel_change = w->r.ci_lo = w->r.ci_hi = NAN;
		w->r.abs_change = w->r.abs_ci_lo = w->r.abs_ci_hi = w->r.u = w->r.p_value = NAN;
		w->v = AB_INCONCLUSIVE;
		set_why(w, "no values in the %s", k->n[0] ? "candidate" : "baseline");
	} else if (ab_compare(k->v[0], k->n[0], k->v[1], k->n[1], seed, &w->r)) {
		w->v = AB_INCONCLUSIVE;
		set_why(w, "cannot compare: %s", strerror(errno));
	} else {
		w->v = ab_judge(&w->r, k->m->higher_better, &p, w->why, sizeof(w->why));
		/* a baseline within noise of 0 has no relative change: the absolute one is shown */
		if (ab_near_zero(&w->r, &p))
			w->r.rel_change = w->r.ci_lo = w->r.ci_hi = NAN;
		/*
		 * Transitions of one run share its guest and its minute of the
		 * host: too few runs are too few repetitions, however many
		 * values they hold.
		 */
		if (k->runs[0] < min_runs || k->runs[1] < min_runs) {
			char was[sizeof(w->why)];

			memcpy(was, w->why, sizeof(was));
			set_why(w, "%d vs %d run(s): fewer than min-runs %d (alone: %s, %s)",
				k->runs[0], k->runs[1], min_runs, ab_verdict_name(w->v), was);
			w->v = AB_INCONCLUSIVE;
		}
	}
}
