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
 *
 * virtio-mem (kp_vm_open, where a virtio-mem device is bound): the entry and
 * the return of virtio_mem_send_plug_request() and
 * virtio_mem_send_unplug_request() in virtio_mem.ko, one request each to
 * the device, serialised by the driver. The entry's record carries the
 * request's size (the third argument, %rdx, sampled with
 * PERF_SAMPLE_REGS_INTR: the probe sits on the function's ftrace site, before
 * its prologue); the return's its result (%rax: 0 the device acknowledged
 * it, the plugged size moved by that size) and the kernel's time of the
 * answer. Two hooks a request.
 */
#ifndef GA_KPROBE_H
#define GA_KPROBE_H

#include <stddef.h>
#include <stdint.h>

#include "../common/proto.h"

#define KP_MAX_CPUS	64

/* virtio-mem: the four probes of kp_vm_open */
#define KP_VM_PROBES	4	/* plug entry, plug return, unplug entry, unplug return */

/* Records one drain sorts at most; an @ev of kp_drain or kp_vm_drain of this many takes them all. */
#define KP_MAX_RECS	8192

/* One virtio-mem request the device answered. */
struct kp_vm_ev {
	uint64_t t_ns;		/* CLOCK_MONOTONIC, the kernel's, at the request's return */
	int64_t bytes;		/* + plugged, - unplugged; 0: the device refused it */
};

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
	int keep_open;		/* bb.kprobe=open|idle: kept open under probe=poll, never read (a cost experiment) */
	char why[160];		/* why it is not ok */
	/* virtio-mem (kp_vm_open) */
	int vm_ok;		/* its request events are open */
	int fd_vm[KP_VM_PROBES][KP_MAX_CPUS];
	void *ring_vm[KP_VM_PROBES][KP_MAX_CPUS];
	int vm_pend;		/* a request's entry read, its return not yet: +1 plug, -1 unplug */
	uint64_t vm_pend_bytes;	/* its size */
	uint64_t vm_refused;	/* requests the device answered with an error, cumulative */
	char vm_why[160];	/* why vm_ok is 0 */
};

/*
 * Open the events (one per online CPU); with @entry tell_host's at its entry
 * (one hook a batch, the time the batch was handed over), else at its return
 * where return probes exist (two hooks, the time the host acknowledged it).
 * Returns 0, or -1 with kp->why set.
 */
int kp_open(struct kp *kp, int entry, int idle);

/*
 * virtio-mem's request events, beside @kp's (kp_open first): only where a
 * virtio-mem device is bound to its driver and return probes exist. Returns
 * 0, or -1 with kp->vm_why set.
 */
int kp_vm_open(struct kp *kp);

/*
 * kp_drain for virtio-mem: every request answered by @until, in time order,
 * into @ev (room for @max, as kp_drain); an entry whose return is later waits in @kp.
 * Records that cannot be paired (a return without its entry, or a record
 * without its register) count into kp->late.
 */
size_t kp_vm_drain(struct kp *kp, uint64_t until, struct kp_vm_ev *ev, size_t max);

/* Close everything; kp->ok and kp->vm_ok become 0. */
void kp_close(struct kp *kp);

/* The same, done by a thread of its own: returns at once (kp_close where no thread starts). */
void kp_close_async(struct kp *kp);

/*
 * Read every record with a time <= @until from the rings, in time order, into
 * @ev (room for @max: at most @max records are taken, each at most one
 * event); the rest stays for the next call. Returns how many,
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

/*
 * The same for virtio-mem's hooks (@kp->vm_ok): the probes opened as
 * kp_vm_open opens them (each record with its register), entry and return.
 */
int kp_vm_hook_cost(const struct kp *kp, struct bbp_hook *h, char *say, size_t size);

#endif /* GA_KPROBE_H */
