/* SPDX-License-Identifier: MIT */
/*
 * abstat.h - A/B comparison of one metric between a baseline run set (A) and a
 * candidate run set (B): the statistics behind `balloonbench compare`. Pure:
 * libc and libm only, no I/O, no global state, and for a given seed the same
 * result on every platform.
 *
 * Input: the per-repetition values of one metric, na of them from A and nb
 * from B (warm-up runs left out). Every method below assumes that the values
 * within a set are independent and identically distributed (the repetitions
 * are independent runs) and that the two sets are independent of each other.
 * Drift during a run set (thermal state, page cache, a noisy neighbour)
 * breaks that, and nothing here can detect it: interleave A and B runs where
 * possible.
 *
 * Methods:
 *   change     rel_change = (median_b - median_a) / |median_a|, of medians
 *              rather than means so that one outlier repetition cannot move
 *              it; abs_change = median_b - median_a. When median_a == 0 the
 *              relative change is undefined: rel_change, ci_lo and ci_hi are
 *              NAN and the verdict is taken on the absolute change.
 *   CI         percentile bootstrap: AB_BOOT_RESAMPLES times, resample A and
 *              B independently with replacement (na and nb values), recompute
 *              both changes from the resamples' medians; the 2.5 % and 97.5 %
 *              quantiles of the results (linear interpolation between order
 *              statistics) are the 95 % interval. A resample whose median of
 *              A is 0 has a relative change of +-infinity (0 if B's is 0
 *              too), which widens the interval honestly. The PRNG is
 *              splitmix64 seeded by the caller. Caveat: for small n the
 *              bootstrap distribution of a median is lumpy (it takes only
 *              order-statistic values), so the percentile interval covers
 *              only roughly 95 %: the unit test measures 0.96 to 0.97 at
 *              n = 10 a side (normal and log-normal noise).
 *   U test     Mann-Whitney U (Wilcoxon rank-sum) of B against A:
 *                U = #{(i, j): b_j > a_i} + #{(i, j): b_j == a_i} / 2,
 *              from midranks of the pooled sample: 0 <= U <= na nb, U = na nb
 *              when every b is above every a, na nb / 2 is expected under H0.
 *              H0: both sets come from one distribution. The test is
 *              sensitive to a shift in location; strictly it tests
 *              P(B > A) = 1/2, not equality of medians. Two-sided p_value:
 *              - exact when the pooled sample has no ties and the null
 *                distribution fits in 64-bit counts (C(na + nb, na) < 2^62
 *                and na nb <= AB_EXACT_MAX_MN: up to 32 values a side, or
 *                e.g. 5 against 1000): the number of arrangements with each
 *                U is a coefficient of the Gaussian binomial
 *                [na + nb choose na]_q, computed exactly, and
 *                p = min(1, 2 min(P(U <= u), P(U >= u))), as R's
 *                wilcox.test(exact = TRUE);
 *              - otherwise the normal approximation with tie and continuity
 *                corrections, as R's wilcox.test(correct = TRUE):
 *                  z = max(|U - na nb / 2| - 1/2, 0) / sigma,
 *                  sigma^2 = na nb / 12 ((N + 1) - sum(t^3 - t) / (N (N - 1))),
 *                N = na + nb and t the size of each group of tied values;
 *                p = erfc(z / sqrt 2) = 2 (1 - Phi(z)). Every value equal
 *                (sigma = 0): p = 1.
 *              The smallest exact p is 2 / C(na + nb, na): 0.1 for 3 against
 *              3, 0.029 for 4 against 4, so alpha = 0.05 needs >= 4 a side.
 *
 * Near zero (ab_near_zero): a baseline is within noise of zero, so that a
 * relative change says nothing (+156.8 % of a median that is noise, or
 * +inf % where a resample's median is 0), when median_a is 0, |median_a| is
 * at most policy noise (the metric's own noise, in its unit), the 95 %
 * bootstrap interval of median_a (a_ci_lo .. a_ci_hi, from the same
 * resamples) holds 0, the relative CI is not finite, or policy absolute says
 * the metric is a difference of either sign with no zero of its own. Such a
 * metric is judged on its absolute change, in its unit.
 *
 * Verdict (ab_judge), the first rule that applies; "the CI" is the 95 %
 * bootstrap interval of rel_change (of abs_change near zero), "h" is
 * policy max_ci_halfwidth, and the sign of the change names the verdict: a
 * positive change is an improvement when higher_better, a regression
 * otherwise.
 *   1. inconclusive  no valid result (empty input or a NaN value refused by
 *                    ab_compare), or na or nb < min_n
 *   2. p < alpha, not near zero:
 *        |rel_change| >= min_rel_change and the CI excludes 0 (lies wholly
 *        on the change's side)                    -> regression / improvement
 *        |rel_change| >= min_rel_change, CI holds 0 -> inconclusive
 *        |rel_change| < min_rel_change, CI within [-h, +h]
 *                                 -> no-change, "significant but below threshold"
 *        |rel_change| < min_rel_change, CI wider    -> inconclusive
 *   3. p >= alpha, not near zero:
 *        CI within [-h, +h]    -> no-change (a change beyond h is ruled out)
 *        otherwise             -> inconclusive ("too noisy to rule out a change")
 *   4. near zero (no scale: the threshold and h are the metric's noise, n):
 *        p < alpha, the CI of abs_change excludes 0, |abs_change| > n
 *                                                  -> regression / improvement
 *        p < alpha, that CI excludes 0, |abs_change| <= n
 *                                     -> no-change, "within the metric's noise"
 *        p >= alpha and that CI within [-n, +n] ([0, 0] for n = 0) -> no-change
 *        otherwise                                 -> inconclusive
 *      (with n = 0 this is the rule for a baseline median of 0: a count
 *      that went up from 0 is a change however small)
 * Defaults (ab_policy_default): alpha 0.05, min_rel_change 0.10, min_n 5,
 * max_ci_halfwidth 0.20 = 2 min_rel_change. So h is a noise guard rather
 * than an equivalence margin: two identical sets with 5 % noise come out
 * inconclusive in 0.6 % of draws at n = 5 a side and never at n = 10 with
 * h = 0.20, but in 57 % (n = 5) and 9 % (n = 10) with h = 0.10. Set
 * h = min_rel_change for the strict reading (no-change then rules out, at
 * about 95 %, any change of practical size) when the run sets are large
 * enough. Whoever changes min_rel_change should set max_ci_halfwidth too.
 */
#ifndef HR_ABSTAT_H
#define HR_ABSTAT_H

#include <stddef.h>
#include <stdint.h>

#define AB_BOOT_RESAMPLES	2000
#define AB_EXACT_MAX_MN		65536	/* largest na * nb for the exact U distribution */

struct ab_result {
	size_t na, nb;
	double median_a, median_b;
	double rel_change;	/* (median_b - median_a) / |median_a|; NAN if median_a == 0 */
	double ci_lo, ci_hi;	/* 95 % bootstrap CI of rel_change; NAN if median_a == 0 */
	double abs_change;	/* median_b - median_a */
	double abs_ci_lo, abs_ci_hi;	/* 95 % bootstrap CI of abs_change (same resamples) */
	double a_ci_lo, a_ci_hi;	/* 95 % bootstrap CI of median_a (same resamples) */
	double u;		/* Mann-Whitney U of b vs a, a multiple of 1/2 */
	double p_value;		/* two-sided */
	int exact;		/* 1 if p_value is from the exact distribution */
};

/*
 * Compare b (candidate) against a (baseline). Both arrays are only read and
 * need not be sorted; the result does not depend on their order. seed picks
 * the bootstrap resamples: same input and seed, same result.
 * Returns 0, or -1 with errno EINVAL (a, b or out NULL, na or nb 0, a value
 * not finite) or ENOMEM. On -1 with out non-NULL, *out holds na, nb and NAN
 * in every double, which ab_judge() calls inconclusive.
 */
int ab_compare(const double *a, size_t na, const double *b, size_t nb, uint64_t seed,
	       struct ab_result *out);

enum ab_verdict { AB_NO_CHANGE, AB_IMPROVEMENT, AB_REGRESSION, AB_INCONCLUSIVE };

struct ab_policy {
	double alpha;		/* significance level of the U test */
	double min_rel_change;	/* practical threshold, 0.10 = 10 % */
	size_t min_n;		/* fewer values on either side: inconclusive */
	double max_ci_halfwidth; /* "no-change" needs the CI of rel_change within +-this */
	double noise;		/* the metric's noise in its unit: a baseline median within it is 0 (0: none) */
	int absolute;		/* 1: a difference of either sign (a lag), always judged absolutely */
};

/* The defaults listed above (noise 0, absolute 0). */
void ab_policy_default(struct ab_policy *p);

/*
 * Whether @r's baseline is within noise of zero by the rules above (p NULL:
 * the defaults): then only the absolute change means something. 1 or 0.
 */
int ab_near_zero(const struct ab_result *r, const struct ab_policy *p);

/*
 * The verdict on r by the rules above. higher_better: 1 for rates, 0 for
 * latencies, times and counts. p NULL: the defaults. why, when non-NULL and
 * whylen > 0, receives a one-line, NUL-terminated reason (truncated to fit),
 * e.g. "p=0.003 < 0.05, -23.1 % (95 % CI -30.2 .. -15.8 %) beyond the 10 %
 * threshold". r NULL: inconclusive.
 */
enum ab_verdict ab_judge(const struct ab_result *r, int higher_better, const struct ab_policy *p,
			 char *why, size_t whylen);

/* "no-change", "improvement", "regression", "inconclusive"; "?" for another value. */
const char *ab_verdict_name(enum ab_verdict v);

#endif /* HR_ABSTAT_H */
