// SPDX-License-Identifier: MIT
/*
 * abstat: the A/B comparison behind `balloonbench compare` - Mann-Whitney p
 * values against hand-computed and brute-force answers, then the verdicts'
 * error rates, power and CI coverage measured on seeded simulated run sets.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/abstat.h"
#include "tap.h"

#define DRAWS	400	/* simulated A/B comparisons per scenario */

static int cov_hits, cov_draws;	/* CI coverage, pooled over the scenarios that measure it */

/* The test's own generator (not the module's), so that data and resamples are independent. */
static uint64_t rng_state = 0x5EED5EED12345678ull;

static uint64_t next_u64(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static double unif(void)	/* (0, 1) */
{
	return ((double)(next_u64() >> 11) + 0.5) / 9007199254740992.0;
}

static double gauss(void)	/* Box-Muller, one of the pair */
{
	return sqrt(-2 * log(unif())) * cos(2 * M_PI * unif());
}

/* n values of center * (1 + noise * Z), Z standard normal: median = center exactly. */
static void draw(double *v, size_t n, double center, double noise)
{
	for (size_t i = 0; i < n; i++)
		v[i] = center * (1 + noise * gauss());
}

static enum ab_verdict judge(const struct ab_result *r, int higher_better)
{
	return ab_judge(r, higher_better, NULL, NULL, 0);
}

/* ---- 1. exact and asymptotic p values ---- */

static void check_p(const double *a, size_t na, const double *b, size_t nb, double want_u,
		    double want_p, int want_exact, const char *what)
{
	struct ab_result r;
	int rc = ab_compare(a, na, b, nb, 1, &r);	/* not in ok(): arguments unsequenced */

	ok(rc == 0 && r.u == want_u && r.exact == want_exact, "%s: U = %g (want %g), %s", what, r.u,
	   want_u, r.exact ? "exact" : "normal approx.");
	is_double(r.p_value, want_p, 1e-9, "%s: p = %.6g", what, want_p);
}

/*
 * The exact two-sided p of the U of b vs a by brute force: every way of
 * choosing which na of the na + nb ranks belong to A (a bit mask), counting
 * the U of each, independent of the module's Gaussian-binomial recurrence.
 */
static double brute_p(size_t na, size_t nb, double u)
{
	size_t N = na + nb;
	double le = 0, ge = 0, total = 0;

	for (uint32_t mask = 0; mask < (1u << N); mask++) {
		double uu = 0;
		size_t below = 0;

		if ((size_t)__builtin_popcount(mask) != na)
			continue;
		for (size_t k = 0; k < N; k++) {	/* rank k: in A if its bit is set */
			if (mask >> k & 1)
				below++;
			else
				uu += (double)below;
		}
		total++;
		le += uu <= u;
		ge += uu >= u;
	}
	return fmin(1, 2 * fmin(le, ge) / total);
}

static void test_p_values(void)
{
	double a3[] = { 1, 2, 3 }, b3[] = { 4, 5, 6 };
	double a3b[] = { 1, 2, 4 }, b3b[] = { 3, 5, 6 };
	double a3c[] = { 1, 3, 5 }, b3c[] = { 2, 4, 6 };
	double a2[] = { 1, 2 }, b4[] = { 3, 4, 5, 6 };
	double lo10[10], hi10[10];
	/*
	 * Ties: the normal approximation, as R's wilcox.test(b, a, correct = TRUE).
	 * Pooled, sorted, with midranks:
	 *   value 1  2   2   3 3 3  4 4 4  5    5    6  6  6  7  8
	 *   rank  1  2.5 2.5 5 5 5  8 8 8  10.5 10.5 13 13 13 15 16
	 * b's rank sum 5 + 8 + 8 + 10.5 + 13 + 13 + 15 + 16 = 88.5,
	 * U = 88.5 - 8 * 9 / 2 = 52.5 (E U = 32). Ties: two pairs (2, 5) and three
	 * triples (3, 4, 6): sum(t^3 - t) = 2 * 6 + 3 * 24 = 84.
	 * sigma^2 = 64 / 12 * (17 - 84 / (16 * 15)) = 5.3333 * 16.65 = 88.8,
	 * z = (20.5 - 0.5) / sqrt(88.8) = 2.12238180, p = 2 (1 - Phi(z)) = 0.0338056893.
	 */
	double at[] = { 1, 2, 2, 3, 3, 4, 5, 6 }, bt[] = { 3, 4, 4, 5, 6, 6, 7, 8 };
	static const size_t sizes[][2] = { { 5, 5 }, { 4, 9 }, { 7, 6 }, { 8, 8 } };

	/* n = 3 + 3: C(6, 3) = 20 arrangements, U = 0..9 with counts 1 1 2 3 3 3 3 2 1 1 */
	check_p(a3, 3, b3, 3, 9, 0.1, 1, "3 vs 3, b all above: P(U >= 9) = 1/20");
	check_p(b3, 3, a3, 3, 0, 0.1, 1, "3 vs 3, b all below: P(U <= 0) = 1/20");
	check_p(a3b, 3, b3b, 3, 8, 0.2, 1, "3 vs 3, U = 8: P(U >= 8) = 2/20");
	check_p(a3c, 3, b3c, 3, 6, 0.7, 1, "3 vs 3, U = 6: P(U >= 6) = 7/20");
	/* 2 + 4: C(6, 2) = 15 arrangements, one with U = 8 */
	check_p(a2, 2, b4, 4, 8, 2.0 / 15, 1, "2 vs 4, b all above: 2/15");
	for (int i = 0; i < 10; i++)
		lo10[i] = i, hi10[i] = 100 + i;
	check_p(lo10, 10, hi10, 10, 100, 2 / 184756.0, 1, "10 vs 10 separated: 2 / C(20, 10)");
	check_p(at, 8, bt, 8, 52.5, 0.03380568929, 0, "8 vs 8 with ties");

	/*
	 * 30 vs 30: C(60, 30) = 1.18e17 arrangements, counts far beyond 2^32.
	 * Reference values from the textbook recurrence f(m, n, u) = f(m - 1, n, u
	 * - n) + f(m, n - 1, u) in exact integers (Python): U = 465 (interleaved):
	 * p = 21574606555045 / 25946595341128; U = 300: p = 0.02633196030257938.
	 */
	{
		double a30[33], b30[33];
		struct ab_result r;

		for (int i = 0; i < 33; i++)
			a30[i] = 2 * i, b30[i] = 2 * i + 1;
		check_p(a30, 30, b30, 30, 465, 21574606555045.0 / 25946595341128.0, 1,
			"30 vs 30 interleaved");
		for (int i = 0; i < 30; i++)
			a30[i] = i, b30[i] = 9.5 + 0.001 * i;	/* ten a's below each b */
		check_p(a30, 30, b30, 30, 300, 0.02633196030257938, 1, "30 vs 30, U = 300");
		for (int i = 0; i < 33; i++)
			b30[i] = 100 + i;
		ok(ab_compare(a30, 30, b30, 30, 1, &r) == 0 && r.exact &&
		   fabs(r.p_value / (2 / 118264581564861424.0) - 1) < 1e-12,
		   "30 vs 30 separated: exact p = 2 / C(60, 30) = 1.69e-17");
		for (int i = 0; i < 33; i++)
			a30[i] = i;
		ok(ab_compare(a30, 33, b30, 33, 1, &r) == 0 && !r.exact,
		   "33 vs 33: C(66, 33) > 2^62, normal approximation");
	}

	/* random arrangements against brute force */
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		size_t na = sizes[s][0], nb = sizes[s][1], bad = 0;

		for (int t = 0; t < 5; t++) {
			double a[16], b[16];
			struct ab_result r;
			size_t ia = 0, ib = 0;

			for (size_t k = 0; k < na + nb; k++) {	/* rank k to A or B at random */
				int to_a = ib == nb ||
					   (ia < na && next_u64() % (na + nb - k) < na - ia);

				if (to_a)
					a[ia++] = (double)k;
				else
					b[ib++] = (double)k;
			}
			if (ab_compare(a, na, b, nb, 7, &r) || !r.exact ||
			    fabs(r.p_value - brute_p(na, nb, r.u)) > 1e-12) {
				bad++;
				diag("  %zu vs %zu: U = %g, p = %.12g, brute force %.12g", na, nb,
				     r.u, r.p_value, brute_p(na, nb, r.u));
			}
		}
		ok(!bad, "%zu vs %zu: exact p of 5 random arrangements = the brute-force count", na,
		   nb);
	}
}

/* ---- 2. - 5. simulated run sets ---- */

struct tally {
	int v[4];	/* by enum ab_verdict, default policy */
	int v0[4];	/* the same with min_rel_change = 0: significance and CI alone */
	int sig;	/* p < 0.05 */
	int covered;	/* truth within [ci_lo, ci_hi] */
};

/* DRAWS comparisons of n values a side, A ~ ca (1 + noise Z), B ~ cb (1 + noise Z). */
static void simulate(struct tally *t, size_t n, double ca, double cb, double noise,
		     int higher_better, int draws)
{
	double truth = (cb - ca) / fabs(ca);
	struct ab_policy p0;

	ab_policy_default(&p0);
	p0.min_rel_change = 0;
	memset(t, 0, sizeof(*t));
	for (int d = 0; d < draws; d++) {
		double a[64], b[64];
		struct ab_result r;

		draw(a, n, ca, noise);
		draw(b, n, cb, noise);
		if (ab_compare(a, n, b, n, (uint64_t)d * 7919 + 1, &r))
			continue;	/* counted as nothing: the totals below then fail */
		t->v[judge(&r, higher_better)]++;
		t->v0[ab_judge(&r, higher_better, &p0, NULL, 0)]++;
		t->sig += r.p_value < 0.05;
		t->covered += r.ci_lo <= truth && truth <= r.ci_hi;
	}
}

static double frac(int k, int draws)
{
	return (double)k / draws;
}

static void test_identical(void)
{
	struct tally t;

	simulate(&t, 10, 100, 100, 0.05, 1, DRAWS);
	diag("identical, n=10, 5 %% noise, %d draws: regression %.4f, improvement %.4f, "
	     "no-change %.4f, inconclusive %.4f; U test p<0.05 in %.4f",
	     DRAWS, frac(t.v[AB_REGRESSION], DRAWS), frac(t.v[AB_IMPROVEMENT], DRAWS),
	     frac(t.v[AB_NO_CHANGE], DRAWS), frac(t.v[AB_INCONCLUSIVE], DRAWS), frac(t.sig, DRAWS));
	ok(frac(t.v[AB_REGRESSION], DRAWS) <= 0.05,
	   "identical sets: false regression rate %.4f <= 0.05", frac(t.v[AB_REGRESSION], DRAWS));
	ok(frac(t.v[AB_IMPROVEMENT], DRAWS) <= 0.05,
	   "identical sets: false improvement rate %.4f <= 0.05", frac(t.v[AB_IMPROVEMENT], DRAWS));
	/* the exact test's size at 0.05 for 10 + 10 is 0.043; 400 draws: sd 0.01 */
	ok(t.sig >= 0.02 * DRAWS && t.sig <= 0.08 * DRAWS,
	   "the U test rejects at its nominal rate under H0 (%.4f, size 0.043)",
	   frac(t.sig, DRAWS));
	ok(frac(t.v[AB_NO_CHANGE], DRAWS) >= 0.90, "identical sets: no-change in %.4f >= 0.90",
	   frac(t.v[AB_NO_CHANGE], DRAWS));
	/* without the practical threshold only p and the CI guard: each side near alpha / 2 */
	diag("the same without the 10 %% threshold: regression %.4f, improvement %.4f "
	     "(alpha / 2 = 0.025 each)", frac(t.v0[AB_REGRESSION], DRAWS),
	     frac(t.v0[AB_IMPROVEMENT], DRAWS));
	ok(frac(t.v0[AB_REGRESSION], DRAWS) <= 0.05 && frac(t.v0[AB_IMPROVEMENT], DRAWS) <= 0.05,
	   "... threshold 0: false regression %.4f and improvement %.4f each <= 0.05",
	   frac(t.v0[AB_REGRESSION], DRAWS), frac(t.v0[AB_IMPROVEMENT], DRAWS));
}

static void test_power(void)
{
	struct tally t;

	simulate(&t, 10, 100, 80, 0.05, 1, DRAWS);
	diag("rate -20 %%, higher better, n=10, 5 %% noise: regression %.4f, CI coverage %.4f",
	     frac(t.v[AB_REGRESSION], DRAWS), frac(t.covered, DRAWS));
	ok(frac(t.v[AB_REGRESSION], DRAWS) >= 0.95, "rate down 20 %%: regression in %.4f >= 0.95",
	   frac(t.v[AB_REGRESSION], DRAWS));
	ok(t.covered >= 0.92 * DRAWS, "its bootstrap CI holds the true -20 %% in %.4f >= 0.92",
	   frac(t.covered, DRAWS));
	cov_hits += t.covered, cov_draws += DRAWS;

	simulate(&t, 10, 10, 12, 0.05, 0, DRAWS);
	diag("latency +20 %%, lower better, n=10, 5 %% noise: regression %.4f, CI coverage %.4f",
	     frac(t.v[AB_REGRESSION], DRAWS), frac(t.covered, DRAWS));
	ok(frac(t.v[AB_REGRESSION], DRAWS) >= 0.95, "latency up 20 %%: regression in %.4f >= 0.95",
	   frac(t.v[AB_REGRESSION], DRAWS));
	ok(t.covered >= 0.92 * DRAWS, "its bootstrap CI holds the true +20 %% in %.4f >= 0.92",
	   frac(t.covered, DRAWS));
	cov_hits += t.covered, cov_draws += DRAWS;

	simulate(&t, 10, 100, 120, 0.05, 1, DRAWS / 4);
	ok(t.v[AB_IMPROVEMENT] >= 0.95 * DRAWS / 4, "rate up 20 %%: improvement in %.4f >= 0.95",
	   frac(t.v[AB_IMPROVEMENT], DRAWS / 4));
	simulate(&t, 10, 10, 8, 0.05, 0, DRAWS / 4);
	ok(t.v[AB_IMPROVEMENT] >= 0.95 * DRAWS / 4,
	   "latency down 20 %%: improvement in %.4f >= 0.95", frac(t.v[AB_IMPROVEMENT], DRAWS / 4));
}

static void test_noisy(void)
{
	double a[3] = { 100, 60, 140 }, b[3] = { 30, 20, 25 };
	struct ab_result r;
	struct tally t;
	char why[160] = "";
	int v;

	v = ab_compare(a, 3, b, 3, 1, &r) ? -1 : (int)ab_judge(&r, 1, NULL, why, sizeof(why));
	ok(v == AB_INCONCLUSIVE && strstr(why, "fewer than 5"),
	   "3 vs 3, even with b far below a: inconclusive (%s)", why);

	simulate(&t, 5, 100, 100, 0.40, 1, DRAWS / 2);
	diag("identical, n=5, 40 %% noise: inconclusive %.4f, no-change %.4f, regression %.4f, "
	     "improvement %.4f", frac(t.v[AB_INCONCLUSIVE], DRAWS / 2),
	     frac(t.v[AB_NO_CHANGE], DRAWS / 2), frac(t.v[AB_REGRESSION], DRAWS / 2),
	     frac(t.v[AB_IMPROVEMENT], DRAWS / 2));
	ok(t.v[AB_INCONCLUSIVE] >= 0.9 * DRAWS / 2 && t.v[AB_NO_CHANGE] <= 0.02 * DRAWS / 2,
	   "n=5 with 40 %% noise: inconclusive, not no-change (%.4f inconclusive)",
	   frac(t.v[AB_INCONCLUSIVE], DRAWS / 2));
	simulate(&t, 5, 100, 80, 0.40, 1, DRAWS / 2);
	ok(t.v[AB_INCONCLUSIVE] >= 0.8 * DRAWS / 2 && t.v[AB_NO_CHANGE] <= 0.02 * DRAWS / 2,
	   "... and a real 20 %% drop under it is not called no-change (inconclusive %.4f, "
	   "regression %.4f)", frac(t.v[AB_INCONCLUSIVE], DRAWS / 2),
	   frac(t.v[AB_REGRESSION], DRAWS / 2));
}

/* Coverage on a skewed metric: log-normal, sigma 0.15, B's median 15 % above A's. */
static void test_coverage(void)
{
	int covered = 0, draws = DRAWS;
	double truth = 0.15;

	for (int d = 0; d < draws; d++) {
		double a[10], b[10];
		struct ab_result r;

		for (int i = 0; i < 10; i++) {
			a[i] = 50 * exp(0.15 * gauss());
			b[i] = 50 * 1.15 * exp(0.15 * gauss());
		}
		if (!ab_compare(a, 10, b, 10, (uint64_t)d, &r))
			covered += r.ci_lo <= truth && truth <= r.ci_hi;
	}
	diag("log-normal, +15 %%, n=10: the 95 %% CI covers the truth in %.4f",
	     frac(covered, draws));
	ok(covered >= 0.92 * draws, "bootstrap CI coverage on a skewed metric %.4f >= 0.92",
	   frac(covered, draws));
	/*
	 * Pooled, 1200 draws (sd about 0.006): a 95 % interval measures 0.96 here
	 * (medians of 10 are lumpy), a 90 % one 0.925, a 99 % one 0.99.
	 */
	cov_hits += covered, cov_draws += draws;
	ok(cov_hits >= 0.94 * cov_draws && cov_hits <= 0.985 * cov_draws,
	   "pooled coverage %.4f of %d draws: within [0.94, 0.985]", frac(cov_hits, cov_draws),
	   cov_draws);
}

/* ---- 6. edge cases, policy paths, reproducibility ---- */

static void test_edges(void)
{
	double five[5] = { 5, 5, 5, 5, 5 }, zeros[8] = { 0 }, up[8] = { 3, 4, 5, 6, 7, 8, 9, 10 };
	double a[10], b[10], shuf[10], nanv[5] = { 1, 2, NAN, 4, 5 };
	struct ab_result r, r2;
	struct ab_policy pol;
	char why[200] = "";
	int rc, v;

	errno = 0;
	ok(ab_compare(five, 0, five, 5, 1, &r) == -1 && errno == EINVAL,
	   "no baseline values: refused with EINVAL");
	v = ab_judge(&r, 1, NULL, why, sizeof(why));
	ok(v == AB_INCONCLUSIVE, "... and the result it leaves is inconclusive (%s)", why);
	ok(ab_compare(five, 5, five, 0, 1, &r) == -1, "no candidate values: refused");
	ok(ab_compare(nanv, 5, five, 5, 1, &r) == -1 && isnan(r.p_value) &&
	   ab_judge(&r, 0, NULL, NULL, 0) == AB_INCONCLUSIVE, "a NaN value: refused, inconclusive");
	ok(ab_judge(NULL, 0, NULL, why, sizeof(why)) == AB_INCONCLUSIVE, "no result: inconclusive");

	ok(ab_compare(five, 5, five, 5, 1, &r) == 0, "all values equal on both sides");
	is_double(r.p_value, 1, 0, "... p = 1");
	ok(!r.exact && r.u == 12.5 && r.rel_change == 0 && r.ci_lo == 0 && r.ci_hi == 0,
	   "... U = 12.5 (all ties, normal approx.), change 0, CI [0, 0]");
	v = ab_judge(&r, 1, NULL, why, sizeof(why));
	is_str(ab_verdict_name(v), "no-change", "... no-change (%s)", why);

	/* median_a == 0: relative change undefined, judged on the absolute change */
	rc = ab_compare(zeros, 8, up, 8, 1, &r);
	ok(rc == 0 && isnan(r.rel_change) && isnan(r.ci_lo) && r.abs_change == 6.5 &&
	   r.abs_ci_lo > 0, "baseline median 0: rel NAN, abs +6.5, CI [%g, %g]", r.abs_ci_lo,
	   r.abs_ci_hi);
	v = ab_judge(&r, 0, NULL, why, sizeof(why));
	ok(v == AB_REGRESSION && strstr(why, "median is 0"),
	   "... a count that went up from 0: regression (%s)", why);
	v = ab_compare(zeros, 8, zeros, 8, 1, &r) ? -1
						   : (int)ab_judge(&r, 0, NULL, why, sizeof(why));
	ok(v == AB_NO_CHANGE && r.p_value == 1, "zeros against zeros: no-change, p = 1 (%s)", why);

	/*
	 * Near zero: a baseline that is noise around 0 (host_returned_mib of
	 * untouched memory gave +156.8 % [-100.1 %, +inf %]) is judged on its
	 * absolute change, never a relative one.
	 */
	{
		double ra[8] = { -0.8, 0.3, 1.1, -0.2, 0.6, 0.9, -0.5, 0.2 };
		double rb[8] = { 0.4, 1.2, -0.3, 0.9, 0.1, 0.7, 1.5, 0.6 };
		double la[6] = { -80, -77, -75, -78, -79, -76 }, lb[6] = { -12, -10, -9, -11, -8, -10 };
		double pa[8] = { 0.4, 0.5, 0.45, 0.55, 0.5, 0.48, 0.52, 0.5 }, big[8];
		double ca[7] = { 0, 0, 0, 1, 1, 1, 1 }, cb[7] = { 1, 1, 1, 2, 2, 2, 2 };

		ab_policy_default(&pol);
		rc = ab_compare(ra, 8, rb, 8, 1, &r);
		ok(rc == 0 && r.a_ci_lo <= 0 && r.a_ci_hi >= 0,
		   "noise around 0: the baseline median's CI [%g, %g] holds 0", r.a_ci_lo, r.a_ci_hi);
		ok(ab_near_zero(&r, &pol), "... near zero");
		v = ab_judge(&r, 1, &pol, why, sizeof(why));
		ok(v == AB_INCONCLUSIVE && strstr(why, "within noise of 0") && strstr(why, "absolute") &&
		   !strstr(why, "inf"), "... judged absolutely, no relative change (%s)", why);
		pol.absolute = 1;
		pol.noise = 20;
		ok(ab_compare(la, 6, lb, 6, 1, &r) == 0 && ab_near_zero(&r, &pol),
		   "a lag of either sign (host_lag_ms): near zero by the metric, whatever its median");
		v = ab_judge(&r, 0, &pol, why, sizeof(why));
		ok(v == AB_REGRESSION && strstr(why, "+67.5 absolute"),
		   "... -77.5 to -10 ms, lower better: a regression of +67.5 absolute (%s)", why);
		pol.noise = 100;
		v = ab_judge(&r, 0, &pol, why, sizeof(why));
		ok(v == AB_NO_CHANGE && strstr(why, "within the metric's noise 100"),
		   "... within a noise of 100: no-change (%s)", why);
		ab_policy_default(&pol);
		pol.noise = 1;
		rc = ab_compare(pa, 8, pa, 8, 1, &r);
		ok(rc == 0 && r.a_ci_lo > 0 && ab_near_zero(&r, &pol),
		   "a median of 0.5 with the metric's noise 1: near zero, though its CI excludes 0");
		v = ab_judge(&r, 1, &pol, why, sizeof(why));
		ok(v == AB_NO_CHANGE && strstr(why, "noise 1 of 0"), "... same values: no-change (%s)", why);
		for (int i = 0; i < 8; i++)
			big[i] = 100 + pa[i];
		ok(ab_compare(big, 8, big, 8, 1, &r) == 0 && !ab_near_zero(&r, &pol),
		   "a median of 100.5 with noise 1: not near zero (a relative change)");
		ok(ab_compare(ca, 7, cb, 7, 1, &r) == 0, "counts 0,0,0,1,1,1,1 against 1..2");
		ok(ab_near_zero(&r, NULL) && r.a_ci_lo == 0 && (!isfinite(r.ci_hi) || !isfinite(r.ci_lo)),
		   "... median 1 but resamples of median 0 (a relative CI of inf): near zero");
		v = ab_judge(&r, 0, NULL, why, sizeof(why));
		ok(!strstr(why, "inf") && strstr(why, "absolute"), "... judged absolutely, no inf (%s)", why);
	}

	/* significant but below threshold: +3 % on 0.3 % noise */
	for (int i = 0; i < 10; i++) {
		a[i] = 100 + 0.3 * (i - 4.5);
		b[i] = 103 + 0.3 * (i - 4.5);
	}
	v = ab_compare(a, 10, b, 10, 1, &r) ? -1 : (int)ab_judge(&r, 1, NULL, why, sizeof(why));
	ok(v == AB_NO_CHANGE && r.p_value < 0.05 && strstr(why, "significant but below threshold"),
	   "+3 %% on 0.3 %% noise: no-change (%s)", why);
	ab_policy_default(&pol);
	pol.min_rel_change = 0.02;
	pol.max_ci_halfwidth = 0.04;
	v = ab_judge(&r, 1, &pol, why, sizeof(why));
	ok(v == AB_IMPROVEMENT && ab_judge(&r, 0, &pol, NULL, 0) == AB_REGRESSION,
	   "... with a 2 %% threshold: an improvement for a rate, a regression for a latency (%s)",
	   why);
	pol.min_n = 11;
	ok(ab_judge(&r, 1, &pol, NULL, 0) == AB_INCONCLUSIVE,
	   "... fewer than min_n=11: inconclusive");

	/* reproducible, and independent of the input order */
	for (int i = 0; i < 10; i++) {
		a[i] = 100 * (1 + 0.05 * gauss());
		b[i] = 95 * (1 + 0.05 * gauss());
	}
	for (int i = 0; i < 10; i++)
		shuf[i] = a[(i * 7) % 10];
	ab_compare(a, 10, b, 10, 42, &r);
	ab_compare(shuf, 10, b, 10, 42, &r2);
	ok(r.u == r2.u && r.p_value == r2.p_value && r.rel_change == r2.rel_change &&
	   r.ci_lo == r2.ci_lo && r.ci_hi == r2.ci_hi && r.abs_ci_lo == r2.abs_ci_lo &&
	   r.abs_ci_hi == r2.abs_ci_hi, "same seed, shuffled input: the same result");
	ab_compare(a, 10, b, 10, 43, &r2);
	ok(r2.ci_lo != r.ci_lo || r2.ci_hi != r.ci_hi, "another seed: other resamples");

	is_str(ab_verdict_name(AB_INCONCLUSIVE), "inconclusive", "verdict names");
	is_str(ab_verdict_name(AB_IMPROVEMENT), "improvement", "verdict names");
	is_str(ab_verdict_name(AB_REGRESSION), "regression", "verdict names");
	ab_judge(&r, 1, NULL, why, 8);
	ok(strlen(why) == 7, "the reason is truncated to the caller's buffer");
}

int main(void)
{
	test_p_values();
	test_identical();
	test_power();
	test_noisy();
	test_coverage();
	test_edges();
	return done_testing();
}
