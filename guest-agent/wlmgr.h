/* SPDX-License-Identifier: MIT */
/*
 * wlmgr.h - the agent's side of workloads: runs each in a forked child with a
 * shared, locked statistics region, ships its statistics by epoch, its fault
 * time series, its slowest accesses and its end (OOM kills confirmed by the
 * kernel), and samples the guest's NUMA nodes.
 */
#ifndef GA_WLMGR_H
#define GA_WLMGR_H

#include <stdint.h>
#include <sys/types.h>

#include "../common/proto.h"
#include "../workloads/workload.h"

#define WLM_MAX		8

typedef int (*wlm_send_fn)(void *opaque, const struct bbp_msg *m);

struct wlm_slot {
	int used;
	uint64_t w;			/* the host's id */
	pid_t pid;
	struct wl_shm *shm;
	int statfd;			/* its /proc/PID/stat, for its fault counts; -1 none */
	uint64_t minflt, majflt;	/* last values read, since it was let go */
	uint64_t sent_minflt, sent_majflt;	/* the last values shipped in an F */
	uint64_t last_bin;		/* highest bin id shipped */
	uint64_t oom_before;		/* /proc/vmstat oom_kill when it started */
	uint64_t stop_at;		/* SIGKILL deadline after STOPW, 0 = none */
	uint64_t iv_pages, iv_bad;	/* integrity: what the IVs so far carried */
	uint32_t sent_bad;		/* integrity: BADs sent (of shm->bad[]) */
};

#define WLM_SAID	8		/* WSTART and WEXIT kept to say again */

struct wlm {
	wlm_send_fn send;
	struct bbp_msg said[WLM_SAID];	/* the latest WSTART and WEXIT, a ring */
	unsigned nsaid;
	void *opaque;
	struct wlm_slot slot[WLM_MAX];
	uint32_t epoch;			/* internal epoch counter: buffer = epoch & 1 */
	uint64_t label;			/* the host's label for the current epoch */
	double ns_per_tick;
	uint64_t tick0, ns0;
	int calibrated;
	int kmsg;
	pid_t oom_pids[16];		/* recent "Killed process" pids */
	int noom;
	int nodes[64], nnodes;
	uint64_t next_nodes, next_drain, next_kmsg;
	int was_busy;			/* @busy at the last wlm_poll */
	int go_unmatched_said;		/* a GO for no workload was logged (once) */
};

void wlm_init(struct wlm *m, wlm_send_fn send, void *opaque);
/* Measure rdtsc and clock costs and the timing overhead; sends CAL. */
void wlm_calibrate(struct wlm *m);
void wlm_run(struct wlm *m, const struct bbp_run *r);
void wlm_stop(struct wlm *m, uint64_t w);
/*
 * GO w since_ns: workload @w's clock (wl_shm.go_ns, go_since_ns) reads
 * @since_ns now (ns since the job's start line; over BBP_GO_SINCE_MAX: logged, 0).
 */
void wlm_go(struct wlm *m, uint64_t w, uint64_t since_ns);
/* The host reopened the channel (what the port held may be lost): say the latest WSTARTs and WEXITs again. */
void wlm_say_again(struct wlm *m);
void wlm_phase(struct wlm *m, uint64_t label);
/*
 * Reap, drain, read /dev/kmsg (every 100 ms while no workload runs), sample
 * nodes when due (and at once when
 * @busy changes, so a transition's per-node change has a sample at each
 * end). @busy: the balloon moves.
 */
void wlm_poll(struct wlm *m, uint64_t now, int busy);
/* When wlm_poll next has work, in guest ns (UINT64_MAX: nothing to do). */
uint64_t wlm_next_deadline(const struct wlm *m);
/* Stop everything, for power-off. */
void wlm_shutdown(struct wlm *m);

#endif /* GA_WLMGR_H */
