/* SPDX-License-Identifier: MIT */
/*
 * policy.h - who sets the balloon targets when a job has a policy instead
 * of a schedule (issue 24, "Policies in the loop"): one table of policies,
 * each a row (name, what it needs, its periods, a pure decide function).
 *
 * Pure: no I/O, no threads, no clock. The engine (next round) collects the
 * guests' recorded figures and the host budget's state into a struct
 * hr_pol_in every collect period (hr_policy_collect) and asks for targets
 * every decide period (hr_policy_decide); it never lets a policy set a
 * target itself: the proposals go to each guest's controller, which owns
 * the target. Every proposal carries a one-line reason, to be recorded.
 *
 * Units: MiB (doubles), seconds, microseconds for PSI totals. A figure that
 * could not be had is NaN, never 0. Rows:
 *   none      static sizes: no target changes
 *   fpr       free page reporting on (a domain-XML matter); no target changes
 *   mom       oVirt MOM's doc/balloon.rules (policy.c says which rule is which)
 *   psi       Senpai's controller (facebookincubator/senpai, senpai.py) on
 *             each guest's own /proc/pressure/memory
 *   external  a user's program decides, over core/policyproto.h's protocol
 *             (engine/policyproc.h runs it); its row says what it needs, and
 *             its decide function, a stand-in, changes nothing
 */
#ifndef HR_POLICY_H
#define HR_POLICY_H

#include <stddef.h>
#include <stdint.h>

#define HR_POL_MAX_GUESTS	64	/* guests under one policy; a job with more is to be refused at load */
#define HR_POL_NAME		64	/* a guest's name, with its NUL */
#define HR_POL_REASON		128	/* a decision's reason, with its NUL */
#define HR_MOM_HISTORY		10	/* MOM's sample-history-length (doc/mom-balloon.conf) */

/* What a policy needs (a row's needs): said before anything boots. */
enum {
	HR_POL_NEEDS_PSI	= 1 << 0,	/* the agent's /proc/pressure/memory */
	HR_POL_NEEDS_BSTATS	= 1 << 1,	/* virtio-balloon statistics (virDomainMemoryStats) */
	HR_POL_NEEDS_BUDGET	= 1 << 2,	/* a host budget (host-budget=), its usage and limit */
	HR_POL_NEEDS_PROGRAM	= 1 << 3,	/* a program to run (external:CMD) */
	HR_POL_FPR		= 1 << 4,	/* free page reporting on in the domain XML */
};

/* virDomainMemoryStats' balloon statistics, in MiB (swap in MiB, faults a count). */
struct hr_pol_bstats {
	double available_mib;	/* VIR_DOMAIN_MEMORY_STAT_AVAILABLE */
	double unused_mib;	/* VIR_DOMAIN_MEMORY_STAT_UNUSED (the guest's free) */
	double usable_mib;	/* VIR_DOMAIN_MEMORY_STAT_USABLE */
	double swap_in_mib;	/* VIR_DOMAIN_MEMORY_STAT_SWAP_IN (cumulative) */
	double swap_out_mib;	/* VIR_DOMAIN_MEMORY_STAT_SWAP_OUT (cumulative) */
	double major_faults;	/* VIR_DOMAIN_MEMORY_STAT_MAJOR_FAULT (cumulative) */
};

/* The agent's /proc/pressure/memory (avg10 in %, totals in us, cumulative). */
struct hr_pol_psi {
	double some_avg10, full_avg10;
	double some_total_us, full_total_us;
};

/* The agent's /proc/vmstat (cumulative counts of pages or events). */
struct hr_pol_vmstat {
	double pswpin, pswpout, pgmajfault, oom_kill;
};

/* One guest's recorded figures at one collection. */
struct hr_pol_guest {
	char name[HR_POL_NAME];
	double nominal_mib;	/* its memory= (the balloon empty) */
	double floor_mib;	/* the least a policy may give it (>= 0, <= nominal) */
	double target_mib;	/* the balloon target now */
	double actual_mib;	/* what the host reads ("actual") */
	struct hr_pol_bstats bs;
	struct hr_pol_psi psi;
	struct hr_pol_vmstat vm;
};

/* The host budget's state (the run's memory cgroup); NaN: no budget or unknown. */
struct hr_pol_host {
	double limit_mib, usage_mib;
	double swap_mib;		/* swap the budget's processes hold */
	double ev_high, ev_max, ev_oom, ev_oom_kill;	/* memory.events (v1: failcnt in ev_max) */
	double swap_in_mib, swap_out_mib;	/* the host's pswpin, pswpout since the budget's creation */
	double swapfile_mib, swapfile_used_mib;	/* host-swap's file: its size, its Used (NaN: none) */
};

/* One period's inputs. */
struct hr_pol_in {
	double t_s;			/* the run's clock */
	uint64_t period;		/* which decision this is, from 1 */
	struct hr_pol_host host;
	int n;				/* guests, 0..HR_POL_MAX_GUESTS */
	struct hr_pol_guest g[HR_POL_MAX_GUESTS];
};

/* One guest's decision: a new target (set) or none, and why, always. */
struct hr_pol_target {
	int set;			/* 1: target_mib is a new target for the controller */
	double target_mib;		/* set: whole MiB in [floor, nominal]; else the current target */
	char reason[HR_POL_REASON];
};

struct hr_pol_out {
	int n;
	struct hr_pol_target t[HR_POL_MAX_GUESTS];
};

/* The psi row's knobs: senpai.py's command-line options and defaults. */
struct hr_psi_params {
	int interval;			/* --interval 6: ticks between probes */
	double pressure_us;		/* --pressure 10000: stall us per interval aimed at */
	double max_probe;		/* --max-probe 0.01: largest shrink, a fraction */
	double max_backoff;		/* --max-backoff 1.0: largest growth, a fraction */
	double coeff_probe;		/* --coeff-probe 10 */
	double coeff_backoff;		/* --coeff-backoff 20 */
};

/* Per-guest state a row keeps between calls (a guest is matched by its name). */
struct hr_pol_gstate {
	char name[HR_POL_NAME];
	/* mom: the last HR_MOM_HISTORY collections (StatAvg) */
	double hist_cur[HR_MOM_HISTORY], hist_unused[HR_MOM_HISTORY];
	int nhist, head;
	/* psi */
	double last_total_us, last_t_s, integral_us, last_set_mib;
	int grace, primed;
};

struct hr_pol_state {
	const struct hr_policy *row;
	struct hr_psi_params psi;
	double host_free_hist[HR_MOM_HISTORY];	/* mom: the host's free fraction, StatAvg */
	int nhost, hhead;
	int n;
	struct hr_pol_gstate g[HR_POL_MAX_GUESTS];
};

enum hr_pol_kind { HR_POL_NONE, HR_POL_FPR_ONLY, HR_POL_MOM, HR_POL_PSI, HR_POL_EXTERNAL, HR_POL_N };

struct hr_policy {
	enum hr_pol_kind kind;
	const char *name;
	const char *help;		/* one line */
	const char *source;		/* where its rules come from */
	unsigned needs;			/* HR_POL_NEEDS_* and HR_POL_FPR */
	double collect_s, decide_s;	/* default periods, before the scale */
	/* The row's rule over validated inputs: fills @out->t[i] for each guest
	 * hr_policy_decide did not already settle (out->t[i].reason == ""),
	 * @cur[i] its current size (actual, else target; at most nominal). */
	void (*decide)(struct hr_pol_state *st, const struct hr_pol_in *in, const double *cur,
		       struct hr_pol_out *out);
};

extern const struct hr_policy hr_policies[HR_POL_N];

/* The row named @name ("external:CMD" finds external, @cmd then points at
 * CMD); NULL if none, with "expected none, fpr, mom, psi or external:CMD"
 * in @why. @cmd may be NULL. */
const struct hr_policy *hr_policy_find(const char *name, const char **cmd, char *why, size_t whysize);

/* A row's periods scaled by @scale (finite, in [0.01, 100]): returns 0, or
 * -1 with the reason in @why. */
int hr_policy_periods(const struct hr_policy *row, double scale, double *collect_s,
		      double *decide_s, char *why, size_t whysize);

/* Senpai's defaults (senpai.py's argparse). */
void hr_psi_defaults(struct hr_psi_params *p);

/* Start a policy's state for @row; @psi NULL: the defaults. */
void hr_policy_init(struct hr_pol_state *st, const struct hr_policy *row,
		    const struct hr_psi_params *psi);

/* One collection (every collect period): what a row averages over. */
void hr_policy_collect(struct hr_pol_state *st, const struct hr_pol_in *in);

/*
 * One decision (every decide period): @out->n = @in->n, and for each guest
 * either a new target in whole MiB within [floor, nominal] and never NaN,
 * or none; a reason for each either way. A guest whose figures cannot be
 * used (nominal not a positive finite size, floor outside [0, nominal], no
 * actual and no target) gets no change, the reason saying which figure.
 * An actual above nominal is taken as nominal. Returns 0, or -1 if @in->n
 * is outside [0, HR_POL_MAX_GUESTS] (then @out->n = 0).
 */
int hr_policy_decide(struct hr_pol_state *st, const struct hr_pol_in *in, struct hr_pol_out *out);

/* An input with every figure unknown (NaN) and no guests. */
void hr_pol_in_clear(struct hr_pol_in *in);

#endif /* HR_POLICY_H */
