/* SPDX-License-Identifier: MIT */
/*
 * policyloop.h - a job's balloon policy in the loop (issue 24), and the host
 * budget's samples.
 *
 * Per wave of a job with a policy or a host budget, one thread (the policy
 * thread) and the guests' controllers share a struct hr_polwave:
 *   - each controller, instead of walking the schedule, runs policy-duration
 *     at rest (hr_policy_walk): every collect period it reads its own
 *     balloon statistics (virDomainMemoryStats, under the watchdog) and its
 *     QEMU's VmRSS and VmSwap, and publishes them; when the policy proposes a
 *     target it makes the change itself (hr_transition: the same set_target
 *     path, the same transitions.csv row as a scheduled change). The target
 *     stays the controller's: the policy never sets one.
 *   - the policy thread, every collect period, reads the budget's cgroup
 *     (budget.csv: a budget row and a qemu row per guest), hands the
 *     published figures to the policy (core/policy.h), and every decide
 *     period asks for targets, records each guest's decision (decisions.csv)
 *     and posts the targets it proposes.
 * A guest in a transition publishes nothing meanwhile: the policy decides
 * on its figures of before, and a proposal that comes then waits for the
 * transition's end (the latest proposal wins).
 */
#ifndef HR_POLICYLOOP_H
#define HR_POLICYLOOP_H

#include <stddef.h>
#include <stdint.h>

struct hr_run;
struct hr_job;
struct hr_guest;
struct hr_budget_cg;
struct hr_polwave;

/*
 * Main thread, before the wave's controllers start: the shared state for
 * @guests[0..n) of job @j, repetition @rep (@cg: its budget, or NULL), and
 * the policy thread started. NULL (hr_error) if it cannot be.
 */
struct hr_polwave *hr_polwave_start(struct hr_run *run, const struct hr_job *j, int rep,
				    struct hr_budget_cg *cg, struct hr_guest *const *guests, int n);

/* Main thread, after the controllers were joined: the thread stopped, joined, freed. */
void hr_polwave_stop(struct hr_polwave *pw);

/*
 * A controller of a policy job, once its bring-up is done: in the loop at
 * once (its figures published, the policy's proposals applied) while the
 * others still come up (the bring-up phase: decisions.csv's phase), then
 * policy-duration from the wave's start line (the run phase). *@done: the
 * transitions made, both phases. 0, or -1 (hr_error) when the guest cannot
 * go on.
 */
int hr_policy_walk(struct hr_guest *g, size_t *done);

/*
 * The bring-up turn of a policy job's wave: one guest at a time starts its
 * workload and prefill (the memory of bring-up), the guests up before it in
 * the loop meanwhile, so that a policy can make room under a budget before
 * the next one fills. Taken after the agent's CONF (hr_policy_turn_take:
 * 0, or -1 with hr_error when the guest cannot go on or waited longer than
 * 120 s + 120 s a guest), given on by its holder in the loop once the
 * policy made a decision with it up (or two decide periods and 5 s
 * without), or when its bring-up fails (hr_policy_turn_give: idempotent).
 * Nothing to do outside a policy job.
 */
int hr_policy_turn_take(struct hr_guest *g);
void hr_policy_turn_give(struct hr_guest *g);

/*
 * An external:CMD program's process group is recorded while it runs, in the
 * state dir's policy-RUN-JOB-rREP.pgid (its pgid and start time). The
 * guardian of a killed runner (@run4: its run's) and the next run's start
 * (NULL: every one) kill each group still running (the same start time: not
 * a recycled pid) and remove the records.
 */
void hr_policy_reap(const char *state_dir, const char *run4);

#endif /* HR_POLICYLOOP_H */
