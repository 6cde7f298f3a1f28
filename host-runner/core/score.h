/* SPDX-License-Identifier: MIT */
/*
 * score.h - a policy job's scores (issue 24, "Scores, side by side"), from
 * what a run recorded. Pure: the caller (report/scores.c) reads the results
 * files and hands the figures in; nothing here reads a file or a clock.
 *
 * The caller picks the samples: report/scores.c takes those of the policy's
 * window (its first decision to its last) for the memory and SLO scores.
 *
 *   memory saved    GiB*s below nominal: the integral over the guest's host
 *                   samples of (nominal - QEMU's balloon actual), each
 *                   sample's value held until the next (a step function:
 *                   the sampler reads a value, it does not interpolate);
 *                   an interval after a sample of unknown value counts
 *                   neither way
 *   mean RSS        the same integral of QEMU's RSS over the same span,
 *                   divided by the span: what the host held, time-weighted
 *   OOM kills       the increments of a cumulative counter (a counter that
 *                   went back, a rebooted guest, counts on from its new value)
 *   churn           the sum of |moved| over the job's transitions
 *   decide-to-target
 *                   per decision that proposed a target (decisions.csv set=1):
 *                   the first transition of that guest set at or after the
 *                   decision, to that target (within half a MiB), and before
 *                   the guest's next decision (a later proposal supersedes an
 *                   earlier one not applied yet); its t_set - the decision's
 *                   time + its t100. A decision with no such transition, or
 *                   one that did not reach its target, has no latency
 *   SLO seconds     the guest's access bins (faults.csv, 10 ms each) in
 *                   windows of 1 s of the run's time base (a bin in the
 *                   window of its time's whole second): a window with
 *                   accesses violates the SLO "p99 under the workload's
 *                   slow=" when more than floor(n / 100) of its n accesses
 *                   were slow (at least slow=): then its nearest-rank p99 is
 *                   at least slow=
 *   ratios          a score over the baseline job's (same guests, no budget):
 *                   NAN where either is unknown or the baseline's is 0
 */
#ifndef HR_SCORE_H
#define HR_SCORE_H

#include <stddef.h>

/* A step integral over time, fed one sample at a time in time order. */
struct hr_score_acc {
	double t, v;		/* the last sample (v NAN: unknown) */
	int has;		/* a sample was given */
	double integral;	/* sum of v * dt over the known intervals, unit*s */
	double span;		/* their length, s */
};

/*
 * Add the sample (@t s, @v) to @a: the interval since the last sample counts
 * with the last sample's value if that was known (not NAN) and @t is later.
 * A sample earlier than the last one is ignored (its value too).
 */
void hr_score_step(struct hr_score_acc *a, double t, double v);
/* The time-weighted mean of @a: integral / span; NAN if its span is 0. */
double hr_score_mean(const struct hr_score_acc *a);
/*
 * MiB*s below @nominal_mib of @a (a series in MiB), in GiB*s: (nominal *
 * span - integral) / 1024. 0 for an empty span.
 */
double hr_score_below_gib_s(const struct hr_score_acc *a, double nominal_mib);

/* A cumulative counter's increments, fed in time order. */
struct hr_score_counter {
	double last;		/* NAN until the first value */
	double sum;
};
/*
 * Add the counter's value @v (NAN or negative: skipped). With @from_zero the
 * first value counts whole (a counter that started with the thing measured:
 * the budget's own cgroup); otherwise it is the base.
 */
void hr_score_counter_add(struct hr_score_counter *c, double v, int from_zero);

/* 1 s windows of access bins, fed in time order (a bin earlier than the open window joins it). */
struct hr_score_slo {
	double win;		/* the open window's second */
	double n, slow;		/* its accesses, and the slow ones */
	int open;
	double windows;		/* closed windows with accesses */
	double violated;	/* of them, over the SLO */
};
void hr_score_slo_add(struct hr_score_slo *s, double t, double n, double slow);
/* Close the open window (call once, after the last bin). */
void hr_score_slo_end(struct hr_score_slo *s);

/* Sum of |@moved[i]| (NAN skipped), MiB. */
double hr_score_churn(const double *moved, size_t n);

struct hr_score_decision {
	double t;		/* s, the run's time base */
	double target_mib;
};
struct hr_score_trans {
	double t_set;		/* s */
	double to_mib;
	double t100_ms;		/* NAN: not reached */
};
/*
 * One guest's decisions (set = 1) and transitions, each in time order:
 * the latency of each decision into @ms[i] (NAN: none, above). Returns how
 * many decisions have one.
 */
size_t hr_score_decide_latency(const struct hr_score_decision *d, size_t nd,
			       const struct hr_score_trans *tr, size_t nt, double *ms);

/* The median of @v's non-NAN values (@v is reordered); NAN if none. */
double hr_score_median(double *v, size_t n);

/* @x / @base; NAN where either is NAN or @base is not above 0. */
double hr_score_ratio(double x, double base);

#endif /* HR_SCORE_H */
