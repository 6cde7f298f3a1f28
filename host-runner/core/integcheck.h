/* SPDX-License-Identifier: MIT */
/*
 * integcheck.h - what the runner asks of the integrity workload's reports
 * (IV, BAD: common/proto.h) before it uses them. The guest is untrusted: a
 * report that breaks a rule is dropped (and counted), never used. Pure:
 * unit-tested with hostile reports (tests/integcheck.c).
 */
#ifndef HR_INTEGCHECK_H
#define HR_INTEGCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "../../common/proto.h"

/*
 * IV @m, from a guest whose epochs so far are 0..@max_epoch, after IVs of
 * @total_pages pages in all. Rules: the epoch is one of them; no more
 * mismatches than pages; the total stays below 2^50 pages (its bytes fit in
 * 64 bits with room). Returns 0, or -1 with why in @why.
 */
int hr_iv_check(const struct bbp_iv *m, uint64_t max_epoch, uint64_t total_pages, char *why,
		size_t size);

/*
 * BAD @m, of a workload of @wl_size bytes, after @nbad BADs. Rules: the
 * page is one of the workload's (below @wl_size / WL_PAGE), the byte one of
 * a page's, the kind a known one (not WL_BAD_NONE), and no more BADs than
 * the agent keeps (WL_BAD_KEPT). Its time is checked by the caller (the
 * clock map). Returns 0, or -1 with why in @why.
 */
int hr_bad_check(const struct bbp_bad *m, uint64_t wl_size, uint64_t nbad, char *why, size_t size);

#endif /* HR_INTEGCHECK_H */
