/* SPDX-License-Identifier: MIT */
/*
 * guest.h - a guest's state, owned by its controller's thread alone (no
 * locks): guest.c (life and waits), transition.c (one target change),
 * wlhost.c (the workload's data), guestjson.c (its part of run.json, read by
 * main after the thread was joined).
 */
#ifndef HR_GUEST_H
#define HR_GUEST_H

#include "engine.h"
#include "hostprobe.h"

/* One guest sample, in the run's time base. */
struct hr_gsample {
	int64_t t_ns;		/* host CLOCK_MONOTONIC - run start */
	uint64_t guest_ns;	/* as the guest stamped it */
	uint64_t seq, inflate, deflate, oom_kill, total_kib, free_kib;
};

/* One host sample: QEMU's view of the balloon, and what the host holds and spends. */
struct hr_hsample {
	int64_t t_ns;
	uint64_t actual_kib;
	struct hr_hostfig fig;
};

/* Latency statistics of one workload in one epoch, one kind; added up from HS/HB. */
struct hr_lat {
	uint64_t e;
	int k;
	int written;
	struct st_hist h;
	struct st_welford w;
};

struct hr_fault_bin {
	int64_t t_ns;
	uint64_t n, slow, sum_ns, max_ns, minflt, majflt;
};

struct hr_oom {
	int64_t t_ns;
	uint64_t pid;
	char comm[32];
	double balloon_mib;
};

struct hr_node_sample {
	int64_t t_ns;
	int node;
	uint64_t total_kib, free_kib;
};

/* What transitions.csv reports about the workload during one transition. */
struct hr_wl_tstats {
	uint64_t faults;		/* the kernel's minflt count during the transition */
	uint64_t slow;			/* timed accesses >= slow threshold */
	double fault_p50, fault_p99, fault_max;	/* ns, NAN if none */
	const char *kind;		/* "request", "access" or "" */
	double p50, p99, p999;		/* ns, during the transition */
	double s50, s99, s999;		/* ns, in the steady epoch before it */
	int ooms;
};

/* How a transition ended. */
enum hr_end {
	HR_END_REACHED, HR_END_GAVE_UP, HR_END_TIMEOUT, HR_END_SUPERSEDED, HR_END_INTERRUPTED,
	HR_END_GUEST_GONE, HR_END_FAILED, HR_END_N
};
extern const char *const hr_end_names[HR_END_N];

/* One transition as recorded (a transitions.csv row). */
struct hr_trow {
	int index, cycle;
	double planned_s, late_ms;
	char node_total[256], node_free[256];
	struct hr_trans_out g, h;
	struct hr_wl_tstats wl;
	double from_mib, to_mib, agent_cpu, hz, t_set_s, set_call_ms;
	/* the host's side (NAN: unknown): QEMU's RSS over the transition and its rest */
	double rss_delta_mib, returned_mib, rss_settle_ms, host_lag_ms;
	double rss_noise_mib;		/* what the RSS does by itself (core/metrics.h) */
	char host_empty[200];		/* which of those are empty and why, "" if none */
	double vcpu_ms_per_gib, other_ms_per_gib;	/* QEMU's CPU per GiB moved */
	size_t nsamples;
	uint64_t samples, dropped, max_gap_us;	/* the agent's own count over the transition */
	/* the mechanism's own (virtio-mem; NAN or 0 for the balloon) */
	double block_kib, blocks_plugged, blocks_unplugged, blocks_failed, event_ms;
	/* how the guest followed it: 1 kprobe batch events, 0 polling (COST probe) */
	int probe;
	uint64_t events, lost, mismatch;	/* batch events, records lost, count mismatches */
	double coverage;		/* events x 1 MiB over the MiB QEMU's actual moved (NAN: unknown) */
	enum hr_end end;
};

/* The host's reclaim rate of a shrink (MiB/s: RSS returned over its settle time), NAN where it got back under a tenth of the move. */
double hr_trow_host_mib_s(const struct hr_trow *r);

/*
 * A fill: the guest touches some memory once and frees it (touch with
 * passes=1, run as workload 2 before the schedule, 3 after it), timed in the
 * guest; and what QEMU's RSS did around it.
 */
enum { HR_FILL_PRE, HR_FILL_RE, HR_NFILLS };

struct hr_fill {
	uint64_t kib;			/* asked for; 0: none */
	int started, exited;
	uint64_t t_start_guest, t_end_guest;	/* guest ns, WSTART and WEXIT */
	struct bbp_wexit wexit;
	int64_t t_free;			/* run time the host heard of its end */
	int64_t rss_before, rss_at_free, rss_after;	/* KiB, -1: unknown */
	double seconds, rate_gib_s;	/* the touching, by the guest's clock */
	double drop_mib, drop_delay_ms;	/* RSS after the free: how much, how soon (NAN: unknown) */
};

struct hr_gate {
	pthread_mutex_t lock;
	int need, arrived, open;
	int64_t t0;
};

/*
 * One boot of the guest: everything a boot makes, hears or measures, from its
 * domain and channel to its samples. A retried boot (guest.c's bring_up)
 * starts from a fresh one (hr_boot_reset): a new member here needs no line
 * anywhere else to be forgotten with its boot.
 */
struct hr_boot {
	virDomainPtr dom;
	virStreamPtr st;
	struct hr_chan *chan;
	int lifecycle_id;		/* -1: none */
	int accel;			/* HR_ACCEL_KVM or HR_ACCEL_TCG once booted */
	char accel_note[1024];
	int64_t boot_ns;		/* create -> hello */
	uint64_t last_send;		/* hr_now_ns() of the last message sent, 0 before the first */

	int have_hello;
	struct bbp_hello hello;
	int dead;			/* the domain stopped */
	char dead_reason[160];
	int hangup;
	uint64_t bad_msgs;
	uint64_t seq_gaps;		/* samples the agent dropped, seen as seq gaps */

	/* Clock: the pair with the smallest round trip wins. */
	uint64_t ping_id;
	uint64_t ping_sent;		/* host ns of the outstanding ping */
	int have_offset;
	struct hr_clock_est best;
	struct hr_clock_est est[64];
	int nest;

	struct hr_gsample *gs;
	size_t ngs, gcap;
	uint64_t nmsgs, last_msg_ns;	/* messages from the agent, and when the latest came */
	uint64_t conf_sent;		/* hr_now_ns() when CONF went: from then on it talks */
	struct bbp_msg conf;		/* that CONF, sent again after a reopened channel */
	int silent;			/* it stopped talking (hr_guest_check fails) */
	/*
	 * A silent agent's channel is reopened once per boot (NUDGE_NS): QEMU
	 * then drops what the port held and the agent writes on. chan_events is
	 * the first channel, which the lifecycle and memory-device events keep
	 * feeding; reopened: 1 done, 2 the agent spoke again after it.
	 */
	struct hr_chan *chan_events;
	int reopened;
	uint64_t reopen_ns, reopen_seq;
	int64_t reopen_vcpu_ms;		/* QEMU's vCPU time then, -1 unknown */
	struct hr_hsample *hs;
	size_t nhs, hcap;
	int host_via_stats;		/* query-balloon refused: use memory stats */
	struct hr_hostprobe hp;		/* QEMU's process and the host's memory */
	struct bbp_cost cost_first, cost_last;
	uint64_t cost_recv;		/* hr_now_ns() when cost_last came */
	int ncost;

	/* workload (one per job; host id 1) */
	int have_cal;
	struct bbp_cal cal;
	int wl_started, wl_exited;
	struct bbp_wexit wexit;
	struct hr_lat *lat;
	size_t nlat, latcap;
	uint64_t eend;			/* epochs below this have ended (EEND e => e + 1) */
	struct hr_fault_bin *fb;
	size_t nfb, fbcap;
	struct hr_oom ooms[64];
	int nooms;
	struct hr_node_sample *ns;
	size_t nns, nscap;
	/*
	 * The fills this boot ran: each run_fill starts its own from nothing
	 * with its size; only one that exited is read (run.json, the tables).
	 */
	struct hr_fill fills[HR_NFILLS];

	/* the mechanism's (mech.c) */
	int mech_event_id;		/* memory-device size-change callback, -1: none */
	int64_t mech_reserve_kib;	/* virtio-mem: full memory - MemTotal when fully plugged */
	int mech_calibrated;		/* mech_reserve_kib is known */
	struct { int64_t t_ns; uint64_t kib; } mech_ev[64];	/* size-change events, a ring */
	unsigned nmech_ev;
};

/*
 * A guest: who it is, where its files are, how it ended, its current boot,
 * and what the schedule recorded after its last boot. Outside struct
 * hr_boot only what outlives a boot: identity and set-up, the progress
 * board's snapshot, the state and failure, why a first boot was given up
 * (retry_reason: the second boot's kernel command line depends on it), and
 * the transitions, which only the last boot makes.
 */
struct hr_guest {
	char name[64];
	int index;			/* VM number within the job (0 .. vms-1) */
	int rep;			/* repetition (warm-up runs first) */
	int warmup;			/* this repetition is a warm-up run */
	const struct hr_job *job;
	struct hr_run *run;		/* read-only here */
	struct hr_host *host;		/* where it runs (fleet.h): its connection */
	struct hr_gate *gate;
	int slot;			/* on the progress board */
	struct hr_snap snap;		/* what it last published */
	uint64_t last_publish;
	const struct hr_mech_ops *mech;	/* the job's mechanism (mech.c) */
	char console_path[PATH_MAX + 80];	/* the current boot's; a given-up one's is renamed */
	char disk_path[PATH_MAX + 80];	/* pagecache workload's disk, "" = none */

	enum hr_gstate state;
	int failed;
	char fail_reason[1024];
	char retry_reason[512];		/* why the first boot was given up, "" if it was not */

	struct hr_boot boot;		/* the current boot's */

	/* the schedule's, after the last boot */
	int *trans_dir;			/* direction of transition i (for phase names) */
	size_t ntrans_dir;
	struct hr_trow *rows;		/* every transition, for the table and run.json */
	size_t nrows, rowcap;
	char *placement;		/* JSON: QEMU memory per host node, MiB, at the schedule's end */
};

/* guest.c */
/* A boot from nothing: zero, and no callbacks (-1). */
void hr_boot_reset(struct hr_boot *b);
/* Free what @b allocated (its series); its domain and channels are dropped before. */
void hr_boot_free(struct hr_boot *b);
/*
 * Take every item the event thread queued, waiting until @deadline for the
 * first; a signal (hr_stop) ends the wait within HR_QUEUE_TICK_MS.
 */
void hr_guest_pump(struct hr_guest *g, uint64_t deadline);
/* Why the guest cannot go on (signal, domain gone, failed write), or 0. Sets hr_error. */
int hr_guest_check(struct hr_guest *g);
/* After a failed call: wait up to 3 s for a dying domain to be seen as gone (g->dead). */
void hr_guest_domain_gone(struct hr_guest *g);
int hr_guest_send(struct hr_guest *g, const struct bbp_msg *m);
/* PHASE: epoch @e of the workload begins, in @phase (enum wl_phase). */
int hr_guest_send_phase(struct hr_guest *g, uint64_t e, int phase);
/* FAST: sample at the fast rate for @ms (0: back to the slow rate). */
int hr_guest_send_fast(struct hr_guest *g, uint64_t ms);
enum hr_qemu_call { QEMU_ACTUAL, QEMU_SET_TARGET };
/* QEMU's "actual" into *kib, or set the target to *kib, under the watchdog. 0 or -1. */
int hr_guest_qemu_call(struct hr_guest *g, enum hr_qemu_call call, uint64_t *kib);
/* Record QEMU's view now (a host sample). */
void hr_guest_poll_host(struct hr_guest *g);
/* Keep sampling the host view at host_hz until @until (run time, ns); 0, or -1 (hr_error). */
int hr_guest_record_until(struct hr_guest *g, int64_t until);
int hr_guest_clock_sync(struct hr_guest *g, int pings);
void hr_guest_set_state(struct hr_guest *g, enum hr_gstate s, double target_mib);
/*
 * The host sample at or before @t (else the first after) whose figure
 * @what is known (>= 0); NULL if none.
 */
const struct hr_hsample *hr_guest_host_at(const struct hr_guest *g, int64_t t,
					  int64_t (*what)(const struct hr_hsample *));
/* What QEMU holds of the host's memory at @h: RSS plus huge pages (KiB), -1: unknown. */
int64_t hr_hsample_held(const struct hr_hsample *h);
/* Balloon size of the latest guest sample in pages, or -1 if there is none. */
double hr_guest_balloon_pages(const struct hr_guest *g);
/* Guest time @guest_ns in the run's time base; 0 if it cannot be mapped. */
int hr_guest_time(const struct hr_guest *g, uint64_t guest_ns, int64_t *t);

/* transition.c */
/*
 * One target change, planned for run time @planned: set it, record until
 * reached, given up, timed out or (with @deadline, pace=period) superseded by
 * the next planned change, then record `settle` at rest (pace=wait). Returns 0
 * (also when the target was not reached: that is a result), or -1 (hr_error)
 * when the guest cannot go on.
 */
int hr_transition(struct hr_guest *g, int index, int cycle, uint64_t target_kib, int64_t planned,
		  int64_t deadline);

/* wlhost.c: the workload's messages and figures */
int hr_wl_msg(struct hr_guest *g, const struct bbp_msg *m);
/* Write every epoch not yet written (end of a job). */
void hr_wl_write_rest(struct hr_guest *g);
void hr_wl_transition(struct hr_guest *g, int index, int64_t t_set, int64_t t_end,
		      struct hr_wl_tstats *out);
/* Per guest NUMA node, MemTotal and MemFree change over [t0, t1] as "0:-512.0;1:-256.0" (MiB). */
void hr_node_deltas(const struct hr_guest *g, int64_t t0, int64_t t1, char *total, char *freed,
		    size_t len);
/* 1 if a node sample at or after @t has arrived, or the guest sends none at all. */
int hr_node_after(const struct hr_guest *g, int64_t t);

#endif /* HR_GUEST_H */
