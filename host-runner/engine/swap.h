/* SPDX-License-Identifier: MIT */
/*
 * swap.h - host-swap (issue 24): a swap file a job's host budget wave makes,
 * swaps on and removes (engine/budget.c holds one in its hr_budget_cg).
 *
 * The file is STATE/NAME.swap, NAME the budget's cgroup name
 * (bb-HASH-RUN-wN, budget.h): made O_EXCL, mode 0600, its blocks allocated
 * (fallocate, else zeros written: swapon refuses a file with holes), the swap
 * header written (what mkswap writes: version 1, its last page, the
 * SWAPSPACE2 magic), fsynced, and swapped on with a priority above every
 * swap area the host has (/proc/swaps), so that the run's pages go there
 * first. Removed (swapoff, then unlink) at the wave's end, by the guardian
 * after a killed runner (this run's), and by the next run's start (every
 * STATE/bb-HASH-*.swap: the state dir's lock says no run of it is live).
 *
 * swapoff reads back every page the area holds: quick once the QEMUs that
 * swapped are gone (their pages are freed with them), slow where another
 * process's pages are there. It runs in a child process under a deadline
 * (HR_SWAPOFF_DEADLINE_S; after a signal of the run HR_SWAPOFF_GRACE_NS
 * more at most), the child dying with its parent (PR_SET_PDEATHSIG): at the
 * deadline the child is killed, which ends swapoff with EINTR and the area
 * still on; the file is then left, said, for the guardian (hr_swap_guard:
 * tried again, with a backoff, for a bounded time) or the next run to remove.
 *
 * The file is swapped on and off by its open fd (/proc/self/fd/N): that
 * inode, whatever its name says meanwhile. The sweep takes only a regular
 * file of this user with one name (never a symlink's target), and unlinks
 * it only once /proc/swaps no longer lists it: swapoff's EINVAL is also
 * what a second swapoff says of an area another swapoff is taking off.
 */
#ifndef HR_ENGINE_SWAP_H
#define HR_ENGINE_SWAP_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define HR_SWAPOFF_DEADLINE_S	10
/* after a signal (hr_stop), the wave end's swapoff goes on for this much at most */
#define HR_SWAPOFF_GRACE_NS	1500000000ull
/* a swapoff child killed at its deadline is reaped within this, else left to init (never waited on) */
#define HR_SWAPOFF_REAP_NS	2000000000ull

struct hr_swap {
	char path[PATH_MAX];
	uint64_t kib;			/* its size (whole pages, the header page included) */
	int prio;			/* its swapon priority */
	int fd;				/* the file, open while made (-1: not) */
	int made;			/* the file exists (ours) */
	int on;				/* swapped on */
};

/*
 * Make @dir/@name a swap file of @kib (rounded down to whole pages) and swap
 * it on above every other area (sw->path: its absolute path, as /proc/swaps
 * says it). 0, or -1 (hr_error, what it made removed).
 */
int hr_swap_create(struct hr_swap *sw, const char *dir, const char *name, uint64_t kib);

/*
 * swapoff (by @deadline, hr_now_ns; after a signal of the run, hr_stop,
 * HR_SWAPOFF_GRACE_NS more at most) and unlink. 0, or -1 (hr_error; the
 * file left while on).
 */
int hr_swap_remove(struct hr_swap *sw, uint64_t deadline);

/* A guardian that gave up on NAME.swap notes why in NAME.swap.left, for the next run's sweep to say. */
#define HR_SWAP_NOTE	".left"

/* The step of a sweep a file was left at: opened (and checked), swapped off, unlinked. */
enum { HR_SWAP_OPEN, HR_SWAP_OFF, HR_SWAP_UNLINK };

/*
 * What a sweep did with one file, @path: @err 0, swapped off and removed;
 * ENOENT, gone already (only its guardian's note was left, now removed);
 * EIDRM, its name removed while the area is on (only its note was left,
 * kept; /proc/swaps lists "@path (deleted)": only a reboot frees it, or a
 * swapoff of /proc/PID/fd/N by a process that still has it open); else
 * left at @step with an errno: HR_SWAP_OPEN, not swapped off (ESTALE:
 * replaced as it was opened); HR_SWAP_OFF, still on (ETIMEDOUT: its
 * deadline, also one passed before it was begun; EBUSY: still listed);
 * HR_SWAP_UNLINK, off but not unlinked (ESTALE: its name names another
 * file now, left alone). @note: the guardian's note on it ("": none).
 */
typedef void hr_swap_seen_fn(const char *path, int step, int err, const char *note, void *arg);

/* What happened to a file left (@step, @err of hr_swap_seen_fn), one phrase in @buf ("swapoff: WHY"). */
const char *hr_swap_why(int step, int err, char *buf, size_t size);
/* The state that leaves it in, one phrase ("still on"; "off, the file still there"; ...). */
const char *hr_swap_state(int step, int err);

/*
 * Every @dir/@prefix*.swap: swapped off (each by @deadline: one not begun by
 * then is left, ETIMEDOUT) and unlinked, with its guardian's note
 * (NAME.swap.left). Returns how many were removed, *@left how many could
 * not be; @fn (NULL: none) is told of each; -errno: @dir cannot be read
 * (nothing done, *@left 0). For the guardian and the next run's start
 * (which a signal, hr_stop, cuts short: what is left, the run after removes).
 */
int hr_swap_sweep(const char *dir, const char *prefix, uint64_t deadline, int *left, hr_swap_seen_fn *fn,
		  void *arg);

/*
 * The guardian's (@who: its run's id): hr_swap_sweep(@dir, @prefix) again
 * and again until nothing is left or @until. The files' QEMUs are dead, so
 * swapoff is quick (their pages went with them); what fails it is
 * transient: ENOMEM (another process's pages there cannot be charged back
 * to its cgroup now), a read-back at disk speed cut by its deadline (the
 * next try goes on from what came back), another swapoff at work. So it
 * tries again after HR_SWAP_RETRY_FIRST_NS, doubling up to
 * HR_SWAP_RETRY_MAX_NS (each try under min(HR_SWAPOFF_DEADLINE_S, @until)),
 * the last wait cut short so that the last try begins HR_SWAP_LAST_TRY_NS
 * before @until. Any other error, @dir unreadable (but EMFILE, ENFILE,
 * ENOMEM), or @until ends it: each file left is said in its note for the
 * next run, in the host's kernel log, then on stderr (the run's, which the
 * guardian holds after the runner ended; whatever hr_verbosity says), in
 * that order: what sees the stderr line finds the others. Each file
 * "left alone" (not a run's) is said once. It ends by @until plus one
 * swapoff's reaping (HR_SWAPOFF_REAP_NS) at most. 0: none left; -1: some.
 */
int hr_swap_guard(const char *dir, const char *prefix, uint64_t until, const char *who);
#define HR_SWAP_RETRY_FIRST_NS	250000000ull
#define HR_SWAP_RETRY_MAX_NS	4000000000ull
/* the least a try's swapoff is given: the last begins this long before the guardian's bound */
#define HR_SWAP_LAST_TRY_NS	1000000000ull

/* @path's Used in /proc/swaps, KiB; -1: not on (or /proc/swaps unreadable). */
int64_t hr_swap_used_kib(const char *path);

/*
 * 1 (the file in @file): /proc/swaps lists a bb-*.swap of another state dir
 * than @state_dir whose lock is held (a live run, or its guardian at work):
 * a host-swap run beside it would swap into its file and it into ours.
 */
int hr_swap_live_other(const char *state_dir, char *file, size_t size);

/* The highest priority of the host's swap areas (/proc/swaps), INT_MIN: none. */
int hr_swap_max_prio(void);

#endif /* HR_ENGINE_SWAP_H */
