// SPDX-License-Identifier: MIT
/* abstat.c - A/B comparison statistics (Mann-Whitney U, bootstrap CI, verdict); see abstat.h. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abstat.h"

#define SQRT2	1.41421356237309504880

/* splitmix64 (Steele, Lea, Flood 2014): one 64-bit state, full period, same on every platform. */
static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/*
 * cnt[i] += 1 for each of n indices drawn uniformly from [0, n): two draws per
 * 64-bit output when n fits in 32 bits, each the multiply-shift of a 32-bit
 * half (bias below n / 2^32), else one draw per output by modulo.
 */
static void draw_counts(size_t *cnt, size_t n, uint64_t *s)
{
	size_t i = 0;

	if ((uint64_t)n > UINT32_MAX) {
		for (; i < n; i++)
			cnt[splitmix64(s) % n]++;
		return;
	}
	for (; i + 1 < n; i += 2) {
		uint64_t x = splitmix64(s);

		cnt[((x >> 32) * (uint64_t)n) >> 32]++;
		cnt[((x & 0xFFFFFFFFu) * (uint64_t)n) >> 32]++;
	}
	if (i < n)
		cnt[((splitmix64(s) >> 32) * (uint64_t)n) >> 32]++;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The mean of x and y, written so that it cannot overflow and is exactly x when x == y. */
static double mid2(double x, double y)
{
	return 0.5 * x + 0.5 * y;
}

static double median_sorted(const double *s, size_t n)
{
	return mid2(s[(n - 1) / 2], s[n / 2]);
}

/*
 * The median of one bootstrap resample of the sorted s[0..n-1]: draw n indices
 * into cnt[] (n counters) and walk the counts, so no sort is needed.
 */
static double boot_median(const double *s, size_t n, size_t *cnt, uint64_t *rng)
{
	size_t lo = (n - 1) / 2, hi = n / 2, cum = 0;
	double vlo = s[0];
	int have_lo = 0;

	memset(cnt, 0, n * sizeof(*cnt));
	draw_counts(cnt, n, rng);
	for (size_t i = 0; i < n; i++) {
		cum += cnt[i];
		if (!have_lo && cum > lo) {
			vlo = s[i];
			have_lo = 1;
		}
		if (cum > hi)
			return mid2(vlo, s[i]);
	}
	return mid2(vlo, s[n - 1]);	/* not reached: cum ends at n > hi */
}

static void swap_dbl(double *x, double *y)
{
	double t = *x;

	*x = *y;
	*y = t;
}

/* Restore the max-heap order of h[0..m-1] below position i. */
static void sift_down(double *h, size_t m, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, big = i;

		if (l < m && h[l] > h[big])
			big = l;
		if (l + 1 < m && h[l + 1] > h[big])
			big = l + 1;
		if (big == i)
			return;
		swap_dbl(&h[i], &h[big]);
		i = big;
	}
}

/*
 * The k-th and (k+1)-th smallest (0-based; k + 2 <= n) of sign * x[0..n-1],
 * in out[0] and out[1], in one pass that keeps the k + 2 smallest in the
 * max-heap h (room for k + 2): about n comparisons when k << n, as for the
 * tails of the bootstrap distribution.
 */
static void order_pair(const double *x, size_t n, size_t k, double sign, double *h, double out[2])
{
	size_t m = k + 2;

	for (size_t i = 0; i < m; i++)
		h[i] = sign * x[i];
	for (size_t i = m / 2; i-- > 0;)
		sift_down(h, m, i);
	for (size_t i = m; i < n; i++) {
		double v = sign * x[i];

		if (v < h[0]) {
			h[0] = v;
			sift_down(h, m, 0);
		}
	}
	out[1] = h[0];
	out[0] = m > 2 && h[2] > h[1] ? h[2] : h[1];	/* the second largest of the heap */
}

/*
 * The q-quantile, 0 < q < 1, of x[0..n-1] (n >= 2, no NaN) with linear
 * interpolation between order statistics (R's type 7); h holds n / 2 + 2
 * doubles of scratch. The upper half is found as the lower tail of -x.
 */
static double quantile(const double *x, size_t n, double q, double *h)
{
	double pos = (double)(n - 1) * q, f = pos - floor(pos), o[2], lo, hi;
	size_t k = (size_t)floor(pos);

	if (k + 1 >= n)
		k = n - 2, f = 1;
	if (k <= (n - 2) / 2) {
		order_pair(x, n, k, 1, h, o);
		lo = o[0];
		hi = o[1];
	} else {
		order_pair(x, n, n - 2 - k, -1, h, o);
		lo = -o[1];
		hi = -o[0];
	}
	return lo == hi || f == 0 ? lo : lo + f * (hi - lo);	/* lo == hi: also two infinities */
}

/*
 * U of b vs a from the sorted sa, sb by a merge over groups of equal values:
 * each b in a group scores the a's below it plus half the a's tied with it.
 * *tie_sum gets sum(t^3 - t) over the groups (0: no ties).
 */
static double mann_whitney_u(const double *sa, size_t na, const double *sb, size_t nb,
			     double *tie_sum)
{
	size_t i = 0, j = 0;
	double u = 0, ts = 0;

	while (i < na || j < nb) {
		double v = i < na && (j >= nb || sa[i] <= sb[j]) ? sa[i] : sb[j];
		size_t ta = 0, tb = 0;

		while (i + ta < na && sa[i + ta] == v)
			ta++;
		while (j + tb < nb && sb[j + tb] == v)
			tb++;
		u += (double)tb * ((double)i + 0.5 * (double)ta);
		ts += ((double)(ta + tb) * (double)(ta + tb) - 1) * (double)(ta + tb);
		i += ta;
		j += tb;
	}
	*tie_sum = ts;
	return u;
}

/* Whether the exact null distribution of U fits: C(m + n, m) < 2^62 and m n <= AB_EXACT_MAX_MN. */
static int exact_fits(size_t m, size_t n)
{
	double lchoose = lgamma((double)(m + n) + 1) - lgamma((double)m + 1) -
			 lgamma((double)n + 1);

	return (double)m * (double)n <= AB_EXACT_MAX_MN && lchoose < 61.9 * log(2.0);
}

/*
 * The exact two-sided p of an integer U for sizes m, n without ties. The count
 * of arrangements with U = k is the coefficient of q^k in the Gaussian
 * binomial [m + n choose m]_q = prod_{i=1..m} (1 - q^(n+i)) / (1 - q^i),
 * built one factor at a time in 64-bit unsigned integers, truncated at degree
 * m n (its full degree). Intermediate coefficients can be negative; arithmetic
 * modulo 2^64 keeps every result exact because each final count is below
 * C(m + n, m) < 2^62. Returns -1 on ENOMEM.
 */
static int exact_p(size_t m, size_t n, double u, double *p)
{
	size_t mn = m * n, k = (size_t)u;
	uint64_t *c = calloc(mn + 1, sizeof(*c)), total = 0, le = 0, ge = 0, tail;

	if (!c)
		return -1;
	c[0] = 1;
	for (size_t i = 1; i <= m; i++) {
		for (size_t d = mn; d >= n + i; d--)	/* times (1 - q^(n+i)) */
			c[d] -= c[d - n - i];
		for (size_t d = i; d <= mn; d++)		/* over (1 - q^i) */
			c[d] += c[d - i];
	}
	for (size_t d = 0; d <= mn; d++) {
		total += c[d];
		if (d <= k)
			le += c[d];
		if (d >= k)
			ge += c[d];
	}
	free(c);
	tail = le < ge ? le : ge;
	*p = 2 * ((double)tail / (double)total);
	if (*p > 1)
		*p = 1;
	return 0;
}

/* The normal approximation with tie and continuity corrections (see abstat.h). */
static double normal_p(size_t na, size_t nb, double u, double tie_sum)
{
	double m = (double)na, n = (double)nb, nn = m + n;
	double var = m * n / 12 * ((nn + 1) - tie_sum / (nn * (nn - 1)));
	double d = fabs(u - m * n / 2) - 0.5;

	if (!(var > 0))
		return 1;	/* every value equal */
	if (d < 0)
		d = 0;
	return erfc(d / sqrt(var) / SQRT2);
}

static void result_invalid(struct ab_result *out, size_t na, size_t nb)
{
	memset(out, 0, sizeof(*out));
	out->na = na;
	out->nb = nb;
	out->median_a = out->median_b = NAN;
	out->rel_change = out->ci_lo = out->ci_hi = NAN;
	out->abs_change = out->abs_ci_lo = out->abs_ci_hi = NAN;
	out->a_ci_lo = out->a_ci_hi = NAN;
	out->u = out->p_value = NAN;
}

int ab_compare(const double *a, size_t na, const double *b, size_t nb, uint64_t seed,
	       struct ab_result *out)
{
	const size_t nboot = AB_BOOT_RESAMPLES;
	double *sa, *sb, *rel, *absd, *meda, *heap, tie_sum;
	size_t *cnt;
	uint64_t rng = seed;
	int ties = 0;

	if (!out) {
		errno = EINVAL;
		return -1;
	}
	result_invalid(out, na, nb);
	if (!a || !b || !na || !nb || na > SIZE_MAX / 32 || nb > SIZE_MAX / 32) {
		errno = EINVAL;
		return -1;
	}
	for (size_t i = 0; i < na; i++)
		if (!isfinite(a[i])) {
			errno = EINVAL;
			return -1;
		}
	for (size_t i = 0; i < nb; i++)
		if (!isfinite(b[i])) {
			errno = EINVAL;
			return -1;
		}
	sa = malloc((na + nb + 3 * nboot + nboot / 2 + 2) * sizeof(double));
	cnt = malloc((na > nb ? na : nb) * sizeof(*cnt));
	if (!sa || !cnt) {
		free(sa);
		free(cnt);
		errno = ENOMEM;
		return -1;
	}
	sb = sa + na;
	rel = sb + nb;
	absd = rel + nboot;
	meda = absd + nboot;
	heap = meda + nboot;
	memcpy(sa, a, na * sizeof(*a));
	memcpy(sb, b, nb * sizeof(*b));
	qsort(sa, na, sizeof(*sa), cmp_dbl);
	qsort(sb, nb, sizeof(*sb), cmp_dbl);

	out->median_a = median_sorted(sa, na);
	out->median_b = median_sorted(sb, nb);
	out->abs_change = out->median_b - out->median_a;
	if (out->median_a != 0)
		out->rel_change = out->abs_change / fabs(out->median_a);

	/* The U test. */
	out->u = mann_whitney_u(sa, na, sb, nb, &tie_sum);
	ties = tie_sum > 0;
	if (!ties && exact_fits(na < nb ? na : nb, na < nb ? nb : na)) {
		if (exact_p(na < nb ? na : nb, na < nb ? nb : na, out->u, &out->p_value)) {
			free(sa);
			free(cnt);
			result_invalid(out, na, nb);
			errno = ENOMEM;
			return -1;
		}
		out->exact = 1;
	} else {
		out->p_value = normal_p(na, nb, out->u, tie_sum);
	}

	/* The bootstrap: A's resample, then B's, in that order every round. */
	for (size_t r = 0; r < nboot; r++) {
		double ma = boot_median(sa, na, cnt, &rng), mb = boot_median(sb, nb, cnt, &rng);

		meda[r] = ma;
		absd[r] = mb - ma;
		if (ma != 0)
			rel[r] = (mb - ma) / fabs(ma);
		else
			rel[r] = mb == ma ? 0 : copysign(INFINITY, mb - ma);
	}
	out->abs_ci_lo = quantile(absd, nboot, 0.025, heap);
	out->abs_ci_hi = quantile(absd, nboot, 0.975, heap);
	out->a_ci_lo = quantile(meda, nboot, 0.025, heap);
	out->a_ci_hi = quantile(meda, nboot, 0.975, heap);
	if (out->median_a != 0) {
		out->ci_lo = quantile(rel, nboot, 0.025, heap);
		out->ci_hi = quantile(rel, nboot, 0.975, heap);
	}
	free(sa);
	free(cnt);
	return 0;
}

void ab_policy_default(struct ab_policy *p)
{
	p->alpha = 0.05;
	p->min_rel_change = 0.10;
	p->min_n = 5;
	p->max_ci_halfwidth = 2 * p->min_rel_change;
	p->noise = 0;
	p->absolute = 0;
}

int ab_near_zero(const struct ab_result *r, const struct ab_policy *p)
{
	struct ab_policy def;

	if (!p) {
		ab_policy_default(&def);
		p = &def;
	}
	return p->absolute || r->median_a == 0 || fabs(r->median_a) <= p->noise ||
	       (r->a_ci_lo <= 0 && r->a_ci_hi >= 0) || !isfinite(r->ci_lo) || !isfinite(r->ci_hi);
}

static __attribute__((format(printf, 3, 4))) void say(char *why, size_t whylen, const char *fmt,
						      ...)
{
	va_list ap;

	if (!why || !whylen)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* The verdict named by the sign of a change that matters. */
static enum ab_verdict signed_verdict(double change, int higher_better)
{
	return (change > 0) == !!higher_better ? AB_IMPROVEMENT : AB_REGRESSION;
}

/* Why a baseline is near zero, for the reasons below: "is 0", "... within noise of 0 (...)". */
static void zero_why(const struct ab_result *r, const struct ab_policy *p, char *buf, size_t len)
{
	if (r->median_a == 0)
		snprintf(buf, len, "baseline median is 0");
	else if (p->absolute)
		snprintf(buf, len, "a difference of either sign, compared absolutely");
	else if (fabs(r->median_a) <= p->noise)
		snprintf(buf, len, "baseline median %.4g is within the metric's noise %g of 0",
			 r->median_a, p->noise);
	else
		snprintf(buf, len, "baseline median %.4g is within noise of 0 (95 %% CI %.4g .. %.4g)",
			 r->median_a, r->a_ci_lo, r->a_ci_hi);
}

/* Near zero: the absolute change, the metric's noise as its threshold (rule 4 in abstat.h). */
static enum ab_verdict judge_absolute(const struct ab_result *r, int higher_better,
				      const struct ab_policy *p, char *why, size_t whylen)
{
	double c = r->abs_change, lo = r->abs_ci_lo, hi = r->abs_ci_hi, n = p->noise;
	char z[160];

	zero_why(r, p, z, sizeof(z));
	if (r->p_value < p->alpha) {
		if ((c > 0 && lo > 0) || (c < 0 && hi < 0)) {
			if (fabs(c) > n) {
				say(why, whylen, "p=%.2g < %g, %+.4g absolute (95 %% CI %+.4g .. %+.4g); "
				    "%s, so no relative change", r->p_value, p->alpha, c, lo, hi, z);
				return signed_verdict(c, higher_better);
			}
			say(why, whylen, "p=%.2g < %g but %+.4g absolute is within the metric's noise "
			    "%g (%s)", r->p_value, p->alpha, c, n, z);
			return AB_NO_CHANGE;
		}
		say(why, whylen, "p=%.2g < %g, %+.4g absolute, but the 95 %% CI %+.4g .. %+.4g "
		    "includes 0 (%s)", r->p_value, p->alpha, c, lo, hi, z);
		return AB_INCONCLUSIVE;
	}
	if (lo >= -n && hi <= n) {
		if (n > 0)
			say(why, whylen, "p=%.2g >= %g, %+.4g absolute (95 %% CI %+.4g .. %+.4g, within "
			    "the metric's noise +-%g; %s)", r->p_value, p->alpha, c, lo, hi, n, z);
		else
			say(why, whylen, "p=%.2g >= %g and the 95 %% CI of the absolute change is "
			    "[0, 0] (%s)", r->p_value, p->alpha, z);
		return AB_NO_CHANGE;
	}
	say(why, whylen, "p=%.2g >= %g, but %s (no relative scale) and the 95 %% CI of the "
	    "absolute change %+.4g .. %+.4g does not rule out a change", r->p_value, p->alpha, z,
	    lo, hi);
	return AB_INCONCLUSIVE;
}

enum ab_verdict ab_judge(const struct ab_result *r, int higher_better, const struct ab_policy *p,
			 char *why, size_t whylen)
{
	struct ab_policy def;
	double c, lo, hi, h, thr;
	int narrow;

	if (!p) {
		ab_policy_default(&def);
		p = &def;
	}
	if (!r || isnan(r->p_value) || isnan(r->median_a) || isnan(r->median_b)) {
		say(why, whylen, "no result (empty input or a value that is not a number)");
		return AB_INCONCLUSIVE;
	}
	if (r->na < p->min_n || r->nb < p->min_n) {
		say(why, whylen, "n=%zu vs %zu: fewer than %zu values on a side", r->na, r->nb,
		    p->min_n);
		return AB_INCONCLUSIVE;
	}
	if (ab_near_zero(r, p))
		return judge_absolute(r, higher_better, p, why, whylen);

	c = r->rel_change;
	lo = r->ci_lo;
	hi = r->ci_hi;
	h = p->max_ci_halfwidth;
	thr = p->min_rel_change;
	narrow = lo >= -h && hi <= h;	/* false for a NAN bound */
	if (r->p_value < p->alpha) {
		if (fabs(c) >= thr) {
			if ((c > 0 && lo > 0) || (c < 0 && hi < 0)) {
				say(why, whylen, "p=%.2g < %g, %+.1f %% (95 %% CI %+.1f .. "
				    "%+.1f %%) beyond the %g %% threshold", r->p_value, p->alpha,
				    100 * c, 100 * lo, 100 * hi, 100 * thr);
				return signed_verdict(c, higher_better);
			}
			say(why, whylen, "p=%.2g < %g and %+.1f %%, but the 95 %% CI %+.1f .. "
			    "%+.1f %% includes 0", r->p_value, p->alpha, 100 * c, 100 * lo,
			    100 * hi);
			return AB_INCONCLUSIVE;
		}
		if (narrow) {
			say(why, whylen, "p=%.2g < %g but %+.1f %% is within the %g %% threshold "
			    "(significant but below threshold)", r->p_value, p->alpha, 100 * c,
			    100 * thr);
			return AB_NO_CHANGE;
		}
		say(why, whylen, "p=%.2g < %g and %+.1f %% is within the %g %% threshold, but the "
		    "95 %% CI %+.1f .. %+.1f %% reaches beyond +-%g %%", r->p_value, p->alpha,
		    100 * c, 100 * thr, 100 * lo, 100 * hi, 100 * h);
		return AB_INCONCLUSIVE;
	}
	if (narrow) {
		say(why, whylen, "p=%.2g >= %g, %+.1f %% (95 %% CI %+.1f .. %+.1f %%, within "
		    "+-%g %%)", r->p_value, p->alpha, 100 * c, 100 * lo, 100 * hi, 100 * h);
		return AB_NO_CHANGE;
	}
	say(why, whylen, "p=%.2g >= %g, %+.1f %%, but the 95 %% CI %+.1f .. %+.1f %% reaches "
	    "beyond +-%g %%: too noisy to rule out a change", r->p_value, p->alpha, 100 * c,
	    100 * lo, 100 * hi, 100 * h);
	return AB_INCONCLUSIVE;
}

const char *ab_verdict_name(enum ab_verdict v)
{
	switch (v) {
	case AB_NO_CHANGE:
		return "no-change";
	case AB_IMPROVEMENT:
		return "improvement";
	case AB_REGRESSION:
		return "regression";
	case AB_INCONCLUSIVE:
		return "inconclusive";
	}
	return "?";
}
