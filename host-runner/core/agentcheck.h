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
 * several batches; a balloon moves at most all of the memory each way).
 * Returns 0, or -1 with why in @why.
 */
int hr_cost_check(const struct bbp_cost *prev, const struct bbp_cost *c, uint64_t dt_ns,
		  uint64_t mem_mib, char *why, size_t size);

#endif /* HR_AGENTCHECK_H */
