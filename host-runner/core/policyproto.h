/* SPDX-License-Identifier: MIT */
/*
 * policyproto.h - the external policy's protocol (docs/policy.md): every
 * period the runner writes one JSON line of stats to the program's stdin,
 *   {"v":1,"t":12.5,"period":3,"host":{...},"guests":[{"name":"g0","nominal_mib":1024,...}]}
 * and the program answers one JSON line of targets on its stdout,
 *   {"v":1,"period":3,"targets":[{"name":"g0","target_mib":900}]}
 *
 * The program is untrusted: an answer is decoded by one strict reader and
 * every field is range-checked; an answer that breaks any rule is refused
 * whole, with a one-line reason, and none of its targets is obeyed. Pure:
 * no I/O (engine/policyproc.c runs the program).
 */
#ifndef HR_POLICYPROTO_H
#define HR_POLICYPROTO_H

#include <stddef.h>
#include <stdint.h>

#include "core/policy.h"

#define HR_PP_VERSION	1		/* the stats line may gain fields within it (docs/policy.md) */
#define HR_PP_LINE_MAX	65536		/* an answer's bytes, its newline not counted */
#define HR_PP_STATS_MAX	(HR_POL_MAX_GUESTS * 1536 + 1024)	/* a stats line's bytes at most */

/* What became of an answer; the refusals are counted by kind. */
enum hr_pp_verdict {
	HR_PP_OK,
	HR_PP_MALFORMED,	/* not JSON, not one object, a field missing, extra, of the wrong type or a duplicate */
	HR_PP_RANGE,		/* a target out of range, an unknown or repeated guest, a non-finite number */
	HR_PP_LATE,		/* an answer for an earlier period */
	HR_PP_TOO_LONG,		/* a line over HR_PP_LINE_MAX */
	HR_PP_TIMEOUT,		/* no answer by the deadline (engine/policyproc.c) */
	HR_PP_EXITED,		/* the program exited or closed its stdout (engine/policyproc.c) */
	HR_PP_NVERDICTS
};

/* "ok", "malformed", "range", "late", "too_long", "timeout", "exited". */
const char *hr_pp_verdict_name(enum hr_pp_verdict v);

/* A decoded answer: the targets it gives, by the stats' guest index. */
struct hr_pp_answer {
	uint64_t period;
	int n;					/* = the stats' guest count */
	int given[HR_POL_MAX_GUESTS];		/* 1: target_mib[i] is this guest's target */
	double target_mib[HR_POL_MAX_GUESTS];
};

/*
 * One stats line of @in (its period and guests) into @buf, ending in '\n'
 * and holding no other. A figure that is unknown (NaN) is JSON null.
 * Returns its length, or -ENOSPC if @size is too small, -EINVAL if @in is
 * not one (n out of range, a name that is not UTF-8), -ENOMEM.
 */
int hr_pp_encode_stats(const struct hr_pol_in *in, char *buf, size_t size);

/*
 * Decode the answer @line (@len bytes, no newline) to the stats @in asked.
 * Returns HR_PP_OK with @a filled, or the refusal's kind with a one-line
 * reason in @why (the program's own text in it quoted, at most 40 bytes,
 * anything but printable ASCII as '?'); @a is then unspecified.
 * Rules: at most HR_PP_LINE_MAX bytes; one JSON object with exactly the keys
 * v (the integer 1), period (the integer @in->period: lower is late) and
 * targets (an array of at most @in->n objects with exactly name, a guest of
 * @in, each once, and target_mib, a finite number within the guest's
 * [floor_mib, nominal_mib]); no key twice in an object.
 */
enum hr_pp_verdict hr_pp_decode_answer(const char *line, size_t len, const struct hr_pol_in *in,
				       struct hr_pp_answer *a, char *why, size_t whysize);

/* An answer as a program would write it, '\n' ended (the example, the tests and the fuzzer). */
int hr_pp_encode_answer(const struct hr_pp_answer *a, const struct hr_pol_in *in, char *buf, size_t size);

#endif /* HR_POLICYPROTO_H */
