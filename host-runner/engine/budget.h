/* SPDX-License-Identifier: MIT */
/*
 * budget.h - the host budget on the host (issue 24): one memory cgroup over
 * every QEMU of a job's wave, a libvirt resource partition the run creates
 * before the domains start and removes after they end.
 *
 * libvirt's embedded driver honours <resource><partition>/machine/NAME
 * </partition></resource> when the partition's cgroup already exists in
 * every hierarchy it uses (it does not create it there itself: "Failed to
 * create v2 cgroup"); it then puts each domain's cgroup inside:
 * machine/NAME.partition/qemu-embed-HASH-ID-DOM.libvirt-qemu. The run
 * creates machine/NAME.partition in each mounted hierarchy that has a
 * machine/ directory (cpuset: cpus and mems copied from machine/), and in the
 * memory hierarchy sets memory.limit_in_bytes, and memory.memsw.limit_in_bytes
 * where swap is accounted, to the budget: the memory and swap of every QEMU
 * of the wave together. QEMU is in it from its start (libvirt places it
 * before QEMU allocates the guest's memory): no race.
 *
 * NAME is bb-HASH-RUN-wN: HASH the embedded root's (cgroup.c's), RUN the
 * run id's last 4 hex digits, N the wave. Removed at the wave's end, by the
 * guardian after a killed runner (this run's), and by the next run's start
 * (every one of this state dir's: the state dir's lock says none is live).
 * Only cgroup v1's memory controller is supported; a v2 one is refused up
 * front, saying so.
 */
#ifndef HR_ENGINE_BUDGET_H
#define HR_ENGINE_BUDGET_H

#include <stdint.h>
#include <stdio.h>
#include <limits.h>

#include "core/budget.h"
#include "core/kmsg.h"
#include "core/scenario.h"
#include "swap.h"

struct hr_run_opts;

/*
 * memory.memsw.limit_in_bytes is the budget and this: memory's limit is hit
 * first, its failcnt counted (budget.c); with host-swap, the budget and the
 * swap file's size instead (the QEMUs swap there rather than being killed).
 */
#define HR_BUDGET_MEMSW_SLACK_KIB	1024

struct hr_budget_cg {
	char name[64];			/* bb-HASH-RUN-wN */
	char partition[96];		/* /machine/NAME, for the domain XML */
	char memdir[PATH_MAX];		/* the memory hierarchy's machine/NAME.partition */
	uint64_t limit_kib;
	int memsw;			/* memory.memsw.* present: swap accounted */
	int created;
	/* the kernel log from the budget's creation on (/dev/kmsg, non-blocking; -1: not read) */
	int kmsg_fd;
	uint64_t kmsg_lost;		/* records the kernel overwrote before they were read (EPIPE) */
	char kmsg_why[128];		/* why the log cannot be read */
	int kmsg_told;			/* kmsg_why told (hr_budget_state.kmsg_note) */
	struct hr_kmsg_counter kmsg_count;	/* its kills, one a pid (core/kmsg.h) */
	struct hr_swap swap;		/* host-swap's file (swap.h); swap.made 0: none */
	int64_t pswpin0, pswpout0;	/* /proc/vmstat's at the budget's creation, pages; -1: unknown */
};

/* One OOM kill of the budget, as the kernel log says it (core/kmsg.h). */
struct hr_budget_kill {
	int pid;
	char task[32];
	char task_memcg[256];
};

/* The budget cgroup's state; -1 (or NaN for MiB): unknown. */
struct hr_budget_state {
	double limit_mib, usage_mib, max_usage_mib, memsw_usage_mib, swap_mib;
	double swap_in_mib, swap_out_mib;	/* the host's pswpin, pswpout since the budget's creation */
	double swapfile_mib;		/* host-swap's file: its size while on (NaN: none) */
	double swapfile_used_mib;	/* host-swap's file: its Used in /proc/swaps (NaN: none) */
	int64_t failcnt, memsw_failcnt, oom_kill, under_oom;
	int64_t kmsg_oom_kills;		/* the kernel log's count since the budget's creation, -1: unknown */
	int nkills;			/* kills read from the log this time, told here (at most 8) */
	int nuntold;			/* and those not told here */
	struct hr_budget_kill kills[8];
	char kmsg_note[192];		/* for a kmsg event: the log cannot be read, or records were lost; "": nothing */
};

/* What this host offers a budget: MemTotal, the memory controller, the state dir's free space. */
void hr_budget_host_probe(struct hr_budget_host *h, const char *state_dir, char *why, size_t whysize);

/*
 * Every job's host-budget against this host (before anything boots, run and
 * dry run alike): a job with a budget needs the embedded driver's one local
 * host, a v1 memory controller, and core/budget.c's checks. Returns 0, or
 * -1 with one line "FILE:LINE: [JOB] host-budget: ..." (hr_error). With
 * @say, each job's budget is told there (the dry run).
 */
int hr_budget_check_scenario(const struct hr_scenario *sc, const struct hr_run_opts *o, FILE *say);

/* Job @j's budget in KiB on this host, its swap in state dir @state_dir (0: none, or refused). */
uint64_t hr_budget_job_limit(const struct hr_job *j, const char *state_dir);

/* The cgroup names of state dir @state_dir's budgets ("bb-HASH-"), then @run4 and "-" if given. */
int hr_budget_prefix(const char *state_dir, const char *run4, char *buf, size_t size);

/*
 * Create wave @wave's budget of @limit_kib and, with @swap_kib, its swap file
 * first (STATE/NAME.swap, swapped on: swap.h), memsw's limit then the budget
 * and the swap. 0, or -1 (hr_error; what it made removed).
 */
int hr_budget_create(struct hr_budget_cg *cg, const char *state_dir, const char *run4, int wave,
		     uint64_t limit_kib, uint64_t swap_kib);

/*
 * Read the budget's state now, and the kernel log's records since the last
 * read (its OOM kills: st->kills): an oom-kill summary whose oom_memcg is the
 * budget's, or a "Killed process PID" line whose pid is one of @qpids (its
 * QEMUs, @nq of them: a summary split by interleaved records), one count a
 * pid. 0, or -1 if its memory cgroup cannot be read (st's kills and
 * kmsg_note still filled). One thread at a time (the policy thread's).
 */
int hr_budget_read(struct hr_budget_cg *cg, struct hr_budget_state *st, const int *qpids, int nq);

/*
 * Remove @cg's directories, in every hierarchy, waiting for QEMU to leave
 * until @deadline; then its swap file (swapoff by HR_SWAPOFF_DEADLINE_S from
 * then, unlink). 0, or -1 (hr_error: what is left).
 */
int hr_budget_remove(struct hr_budget_cg *cg, uint64_t deadline);

/*
 * Remove every budget cgroup (every hierarchy's machine/PREFIX*.partition,
 * their insides first) until @deadline; returns how many were removed,
 * *@left how many could not be. For the guardian and the next run.
 */
int hr_budget_sweep(const char *prefix, uint64_t deadline, int *left);

#endif /* HR_ENGINE_BUDGET_H */
