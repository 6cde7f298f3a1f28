/* SPDX-License-Identifier: MIT */
/*
 * agentcheck.h - what the runner asks of the agent's reports before it uses
 * them. The guest is untrusted: a report that breaks a rule is dropped (and
 * counted), never used. Pure: unit-tested with hostile reports.
 */
#ifndef HR_AGENTCHECK_H
#define HR_AGENTCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "../../common/proto.h"

/*
 * COST @c, after @prev (NULL: the first of the run), @dt_ns after it (the
 * first: after the run's start), from a guest of @mem_mib MiB. Rules: probe
 * is 0 or 1; every cumulative count (samples, dropped, batch events, records
 * lost, mismatches, CPU time, sampling time, writes, /proc/vmstat reads and
 * their time) never goes back; the agent's RSS is at most the guest's
 * memory; no more batch events (1 MiB each) than twice the guest's memory
 * for each second that passed, and one more (one sample may stand for
 * several batches; a balloon moves at most all of the memory each way), and
 * no more hook hits (hits_entry + hits_return) than twice that (two hooks a
 * batch at most).
 * Returns 0, or -1 with why in @why.
 */
int hr_cost_check(const struct bbp_cost *prev, const struct bbp_cost *c, uint64_t dt_ns,
		  uint64_t mem_mib, char *why, size_t size);

/*
 * HOOK @h: what one hit of the agent's hooks costs. Rules: calls 100..10^7
 * a round; plain_ns 1..10^8 (a call of at most 100 ms); entry_ns measured
 * and return_ns 0 (not measured) or measured, each no faster than plain_ns
 * (a hit's cost is never negative) and at most 10^7 ns (10 ms) above it;
 * ftrace 0..2; func non-empty. Returns 0, or -1 with why in @why.
 */
int hr_hook_check(const struct bbp_hook *h, char *why, size_t size);

/*
 * PSI @c after @prev, the last of the same boot (NULL: the first; the host
 * knows a new boot by itself: a reset or a new agent's HELLO forgets the
 * last). Rules: psi is 0 or 1, and with 0 the six pressure fields are 0; each
 * average is a number from 0 to 100 (%); neither total (us stalled) exceeds
 * the guest's time t (ns) by more than a second (a share of the time since
 * boot); full_total <= some_total; vm_missing is a mask of BBP_PSI_MISS_*
 * bits, each figure said missing 0; after @prev, t does not go back, nor does
 * any cumulative count (pswpin, pswpout, pgmajfault, oom_kill where both
 * reports have it; the totals where both have them, psi=1).
 * Returns 0, or -1 with why in @why.
 */
int hr_psi_check(const struct bbp_psi *prev, const struct bbp_psi *c, char *why, size_t size);

/*
 * A checked PSI's vmstat figure @bit (BBP_PSI_MISS_PSWPIN, ...): its count,
 * or NAN where the agent could not read it (published as unknown, never 0).
 */
double hr_psi_vm(const struct bbp_psi *p, unsigned bit);

/* One hit of an entry probe and of a return probe in us, from a checked HOOK (NAN: not measured). */
double hr_hook_entry_us(const struct bbp_hook *h);
double hr_hook_return_us(const struct bbp_hook *h);

/*
 * The probe's estimated share of a transition: @hits_entry hits of entry
 * probes at @entry_us each and @hits_return of return probes at @return_us,
 * over @duration_s, in per cent. NAN where the duration is not positive or
 * a kind that was hit has no cost (NAN); a kind not hit needs none.
 */
double hr_probe_perturbation_pct(uint64_t hits_entry, double entry_us, uint64_t hits_return,
				 double return_us, double duration_s);

/* Above this share of a transition (%), run warns that the hooks cost too much. */
#define HR_PROBE_PERTURB_MAX	2.0

/*
 * Whether @pct (a probe_perturbation_pct) exceeds HR_PROBE_PERTURB_MAX;
 * then @buf gets the cheaper way to name, with its resolution. NAN: no.
 */
int hr_probe_advice(double pct, char *buf, size_t size);

#endif /* HR_AGENTCHECK_H */
