/* SPDX-License-Identifier: MIT */
/*
 * policyproc.h - the external policy's program (policy = external:CMD):
 * started once per run with /bin/sh -c CMD in a process group of its own,
 * its stdin and stdout pipes; every decide period one stats line written
 * (core/policyproto.h) and one answer read by a deadline.
 *
 * The program is untrusted. What it can do wrong, and what the runner does:
 *   an answer refused by hr_pp_decode_answer (malformed, out of range, too
 *   long), no answer by the deadline (timeout): that period's answer is
 *   refused, counted by kind, and the guests keep the last accepted targets;
 *   an answer for an earlier period (late, after a timeout): dropped,
 *   counted, and the current period's answer still awaited;
 *   a line longer than HR_PP_LINE_MAX (a flood): refused, and the rest of
 *   it up to its newline discarded as it comes;
 *   the program exits or closes its stdout: refused, and the fallback at once.
 * The fallback: after max_refusals periods refused in a row (or an exit),
 * the program's process group is killed (SIGTERM, then SIGKILL), it is never
 * asked again, and the policy is `none` from then on (no target changes).
 * Not thread-safe: one owner (the policy loop's thread). SIGPIPE is blocked
 * in the calling thread while a line is written, a pending one taken back.
 */
#ifndef HR_POLICYPROC_H
#define HR_POLICYPROC_H

#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/policy.h"
#include "core/policyproto.h"

#define HR_PPROC_MAX_REFUSALS	3	/* the default K: periods refused in a row before the fallback */
#define HR_PPROC_GRACE_MS	1000	/* from closing its stdin to SIGTERM, SIGTERM to SIGKILL, SIGKILL to giving up its wait */
#define HR_PPROC_SLICE_MS	50	/* while waiting on the program, the stop flags are looked at this often */

struct hr_pproc {
	pid_t pid;			/* the program's, also its process group's; 0: none */
	int to_fd, from_fd;		/* its stdin (written), its stdout (read); -1: closed */
	char *line;			/* the stats line (HR_PP_STATS_MAX) */
	char *buf;			/* what it wrote past the last line read (HR_PP_LINE_MAX + 1) */
	size_t len;
	int skipping;			/* discarding an overlong line up to its newline */
	int max_refusals;
	int consecutive;		/* periods refused in a row */
	int gave_up;			/* the fallback: `none` from now on */
	int stopped;			/* the last ask was cut short by a stop flag: neither asked nor refused */
	uint64_t asked, accepted;	/* periods */
	uint64_t count[HR_PP_NVERDICTS];	/* answers (or periods, for timeout and exited) by verdict */
	int status;			/* its wait status once reaped, -1 before */
	char why[256];			/* the last refusal's reason */
	char fallback[320];		/* why it was given up, "" while asked */
};

/*
 * Start /bin/sh -c @cmd, its stderr to @stderr_path (appended; NULL: the
 * runner's). @max_refusals <= 0: HR_PPROC_MAX_REFUSALS. Returns 0, or -1
 * with hr_error() (nothing left running).
 */
int hr_pproc_start(struct hr_pproc *p, const char *cmd, const char *stderr_path, int max_refusals);

/*
 * One period: @in's stats line written and the answer for @in->period read
 * within @timeout_ms (writing included; what the program keeps writing past
 * the deadline is read once more at most). @out->n = @in->n; on an accepted
 * answer each guest it names gets set = 1 and its target, the others none;
 * otherwise no guest gets a target and each reason says why (the last
 * accepted targets stay; or the fallback). Returns HR_PP_OK, the refusal's
 * kind, or HR_PP_NVERDICTS when the program was already given up (not asked)
 * or the ask was cut short: @stop or @sig (either may be NULL) nonzero,
 * looked at every HR_PPROC_SLICE_MS; then p->stopped = 1 and the period is
 * neither asked nor refused.
 */
enum hr_pp_verdict hr_pproc_ask(struct hr_pproc *p, const struct hr_pol_in *in, int timeout_ms,
				const atomic_int *stop, const volatile sig_atomic_t *sig,
				struct hr_pol_out *out);

/* Close its stdin, give it HR_PPROC_GRACE_MS to exit, then SIGTERM and
 * SIGKILL its process group and itself (it may have left the group); reap
 * it within HR_PPROC_GRACE_MS more (else a zombie is left, not a hang);
 * free the buffers. Safe twice, and on a struct that never started (zeroed,
 * or after a failed start). */
void hr_pproc_stop(struct hr_pproc *p);

#endif /* HR_POLICYPROC_H */
