// SPDX-License-Identifier: MIT
/*
 * score.c - a policy job's scores from recorded figures (score.h).
 */
#include <math.h>
#include <stdlib.h>

#include "score.h"

void hr_score_step(struct hr_score_acc *a, double t, double v)
{
	if (isnan(t))
		return;
	if (a->has) {
		if (!(t > a->t))
			return;	/* earlier than (or as) the last: nothing to count */
		if (!isnan(a->v)) {
			a->integral += a->v * (t - a->t);
			a->span += t - a->t;
		}
	}
	a->t = t;
	a->v = v;
	a->has = 1;
}

double hr_score_mean(const struct hr_score_acc *a)
{
	return a->span > 0 ? a->integral / a->span : NAN;
}

double hr_score_below_gib_s(const struct hr_score_acc *a, double nominal_mib)
{
	if (!(a->span > 0) || isnan(nominal_mib))
		return a->span > 0 ? NAN : 0;
	return (nominal_mib * a->span - a->integral) / 1024.0;
}

void hr_score_counter_add(struct hr_score_counter *c, double v, int from_zero)
{
	if (isnan(v) || v < 0)
		return;
	if (isnan(c->last)) {
		if (from_zero)
			c->sum += v;
	} else if (v >= c->last) {
		c->sum += v - c->last;
	} else {
		c->sum += v;	/* it went back: counting afresh */
	}
	c->last = v;
}

void hr_score_slo_end(struct hr_score_slo *s)
{
	if (s->open && s->n > 0) {
		s->windows++;
		if (s->slow > floor(s->n / 100))
			s->violated++;
	}
	s->open = 0;
	s->n = s->slow = 0;
}

void hr_score_slo_add(struct hr_score_slo *s, double t, double n, double slow)
{
	double w = floor(t);

	if (isnan(t) || isnan(n) || n < 0)
		return;
	if (!s->open || w > s->win) {
		hr_score_slo_end(s);
		s->win = w;
		s->open = 1;
	}
	s->n += n;
	s->slow += isnan(slow) || slow < 0 ? 0 : fmin(slow, n);
}

double hr_score_churn(const double *moved, size_t n)
{
	double s = 0;

	for (size_t i = 0; i < n; i++)
		if (!isnan(moved[i]))
			s += fabs(moved[i]);
	return s;
}

size_t hr_score_decide_latency(const struct hr_score_decision *d, size_t nd,
			       const struct hr_score_trans *tr, size_t nt, double *ms)
{
	size_t got = 0, j = 0;

	for (size_t i = 0; i < nd; i++) {
		double next = i + 1 < nd ? d[i + 1].t : INFINITY;

		ms[i] = NAN;
		while (j < nt && tr[j].t_set < d[i].t)
			j++;	/* transitions before this decision are an earlier one's */
		for (size_t k = j; k < nt && tr[k].t_set < next; k++) {
			if (fabs(tr[k].to_mib - d[i].target_mib) > 0.5)
				continue;
			if (!isnan(tr[k].t100_ms)) {
				ms[i] = (tr[k].t_set - d[i].t) * 1000.0 + tr[k].t100_ms;
				got++;
			}
			break;
		}
	}
	return got;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double hr_score_median(double *v, size_t n)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		if (!isnan(v[i]))
			v[c++] = v[i];
	if (!c)
		return NAN;
	qsort(v, c, sizeof(*v), cmp_dbl);
	return c % 2 ? v[c / 2] : 0.5 * v[c / 2 - 1] + 0.5 * v[c / 2];
}

double hr_score_ratio(double x, double base)
{
	if (isnan(x) || isnan(base) || !(base > 0))
		return NAN;
	return x / base;
}
