/* SPDX-License-Identifier: MIT */
/*
 * budget.h - the host budget's options and the checks made before anything
 * boots (issue 24, "A host budget that really presses"):
 *   host-budget = SIZE | N%   one memory limit over every QEMU of the run;
 *                             N% of the guests' nominal (memory=) total
 *   host-swap   = SIZE        a swap file the run creates, swaps on above the
 *                             host's own swap, and removes (with a host-budget
 *                             only: the budget's memory and swap limit allows it)
 * Pure: the host's facts come in a struct the host probe fills (next round:
 * engine/hostdoctor.c's cgroup probe, statvfs of the state dir); nothing
 * here reads the host. Each refusal is one line, naming the option first,
 * for the scenario's "FILE:LINE: " to go before it.
 */
#ifndef HR_BUDGET_H
#define HR_BUDGET_H

#include <stddef.h>
#include <stdint.h>

#include "core/units.h"

/*
 * What one QEMU holds beyond what its guest touches, counted for each guest
 * in the guests' minimum (their floors added up). An estimate, not measured
 * apart: a 1 GiB TCG guest of the shipped image just booted here held 241 MiB
 * of RSS (23 MiB of it file-backed) with 46 MiB in use in the guest (a
 * vm-interrupt.t run, 2026-12-07); the TCG translation cache, QEMU's heap and
 * the guest kernel's early pages make up the rest. KVM needs less. The
 * caller may pass another figure (hr_budget_check's @overhead_kib).
 */
#define HR_BUDGET_QEMU_OVERHEAD_KIB	(128ull * 1024)
#define HR_BUDGET_SWAP_MIN_KIB		40	/* mkswap: at least 10 pages of 4 KiB */

/* The options as written. */
struct hr_budget_spec {
	int has_budget;
	struct hr_size budget;		/* kib, or percent (> 0) of the guests' nominal total */
	int has_swap;
	uint64_t swap_kib;		/* 0: none */
};

enum hr_memcg { HR_MEMCG_NONE, HR_MEMCG_V1, HR_MEMCG_V2 };

/* What the host probe found; -1: unknown. */
struct hr_budget_host {
	int64_t memtotal_kib;		/* /proc/meminfo MemTotal */
	enum hr_memcg memcg;		/* the memory controller a budget would use */
	int memsw;			/* v1: swap accounted (memory.memsw.*); v2: memory.swap.max */
	const char *memcg_why;		/* NONE: why, as found ("not mounted", ...); may be NULL */
	int64_t state_free_kib;		/* free space (f_bavail) of the state dir's file system */
	const char *swap_why;		/* why a swap file cannot be swapped on here (the state dir's
					 * file system, no privilege, no swap in the kernel); NULL: it can */
};

/*
 * Why a swap file on a file system of statfs type @f_type cannot be swapped
 * on ("tmpfs: ..."), or NULL where the kernel takes one (or the type is not
 * known to refuse: swapon then says so at run time, before any guest boots).
 */
const char *hr_budget_swap_fs_why(long f_type);

/* Parse @value of @key ("host-budget" or "host-swap") into @spec. Returns 0,
 * or -1 with "KEY: 'VALUE' ..., expected ..." in @why. */
int hr_budget_parse(const char *key, const char *value, struct hr_budget_spec *spec, char *why,
		    size_t whysize);

/*
 * Check @spec against @host and the guests (@n of them, their nominal sizes
 * and floors in KiB; a floor of 0 is none), each guest counted with
 * @overhead_kib for its QEMU. Refused, each as one line in @why:
 *   a budget as a percentage without guests, or that comes to nothing;
 *   a budget on a host without a memory controller, or whose MemTotal is unknown;
 *   a budget above the host's MemTotal;
 *   a budget below the guests' minimum (their floors plus n * @overhead_kib);
 *   a swap size without a budget, below HR_BUDGET_SWAP_MIN_KIB, above the state
 *   dir's free space (or where that is unknown), or where no swap file can
 *   be swapped on (host->swap_why).
 * Returns 0 with the budget in @limit_kib (4 KiB pages, rounded down; 0: no
 * budget), or -1.
 */
int hr_budget_check(const struct hr_budget_spec *spec, const struct hr_budget_host *host,
		    const uint64_t *nominal_kib, const uint64_t *floor_kib, int n,
		    uint64_t overhead_kib, uint64_t *limit_kib, char *why, size_t whysize);

#endif /* HR_BUDGET_H */
