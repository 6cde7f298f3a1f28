/* SPDX-License-Identifier: MIT */
/*
 * kprobe.h - the agent's event-driven balloon source: perf kprobe events on
 * the virtio_balloon driver, one record per batch the driver hands to the
 * host, each with the kernel's CLOCK_MONOTONIC timestamp, read from per-CPU
 * ring buffers when the agent wakes (every 1/idle-sample-rate while the
 * balloon moves, BBP_FLUSH_MS after a busy read), so the agent does not wake
 * per sample.
 *
 * Events: the return of tell_host() (a kretprobe: the host has acknowledged
 * one batch of up to 256 pages, in either direction; an entry kprobe where a
 * return probe cannot be opened, or with bb.kprobe=entry on the kernel
 * command line: one hook a batch instead of two, at the time the batch was
 * handed over), and the entry of leak_balloon() (a deflate batch follows: it
 * tells the direction of the next tell_host). Each hook runs in the balloon's
 * own path; bench/probe-cost.sh's `entry` arm measures the difference.
 */
#ifndef GA_KPROBE_H
#define GA_KPROBE_H

#include <stddef.h>
#include <stdint.h>

#include "../common/proto.h"

#define KP_MAX_CPUS	64

/* One batch the driver told the host about. */
struct kp_ev {
	uint64_t t_ns;		/* CLOCK_MONOTONIC, the kernel's */
	int deflate;		/* 1: a leak_balloon() preceded it */
};

struct kp {
	int ok;			/* the events are open */
	int retprobe;		/* tell_host is timed at its return (else at entry) */
	int ncpu;
	int fd_tell[KP_MAX_CPUS], fd_leak[KP_MAX_CPUS];
	void *ring_tell[KP_MAX_CPUS], *ring_leak[KP_MAX_CPUS];
	size_t ring_bytes;	/* data area of one ring */
	int leak_pending;	/* a leak_balloon() not yet followed by its tell_host */
	uint64_t last_t;	/* the latest event handed out */
	uint64_t lost;		/* records the kernel lost (PERF_RECORD_LOST), cumulative */
	uint64_t late;		/* records older than one already handed out, cumulative */
	uint64_t hits_entry;	/* records read of entry probes (hook hits), cumulative */
	uint64_t hits_return;	/* records read of the return probe, cumulative */
	int hc_more;		/* bb.hookcost=more: kp_hook_cost times the parts of a hit too */
	char why[160];		/* why it is not ok */
};

/*
 * Open the events (one per online CPU); with @entry tell_host's at its entry
 * (one hook a batch, the time the batch was handed over), else at its return
 * where return probes exist (two hooks, the time the host acknowledged it).
 * Returns 0, or -1 with kp->why set.
 */
int kp_open(struct kp *kp, int entry);

/* Close everything; kp->ok becomes 0. */
void kp_close(struct kp *kp);

/* The same, done by a thread of its own: returns at once (kp_close where no thread starts). */
void kp_close_async(struct kp *kp);

/*
 * Read every record with a time <= @until from the rings, in time order, into
 * @ev (room for @max); the rest stays for the next call. Returns how many,
 * counting lost and late records into kp->lost and kp->late.
 */
size_t kp_drain(struct kp *kp, uint64_t until, struct kp_ev *ev, size_t max);

/*
 * What one hit of each kind of hook @kp uses costs (@kp open): a cheap
 * syscall whose kernel function can be probed (__x64_sys_getppid, ...) is
 * called HC_CALLS times a round on CPU 0, with an entry kprobe on it, with a
 * return probe (where @kp times tell_host at its return) and without,
 * each opened as kp_open opens the balloon's (one event a CPU, the same
 * sample type and ring); per call, the fastest of HC_ROUNDS rounds, into @h
 * (BBP_HOOK: a hit costs entry_ns - plain_ns, return_ns - plain_ns). @say
 * gets where the kernel put the probes (debugfs kprobes/list: ftrace or
 * int3), or why nothing was measured. Returns 0, or -1.
 */
int kp_hook_cost(const struct kp *kp, struct bbp_hook *h, char *say, size_t size);

#endif /* GA_KPROBE_H */
