/* SPDX-License-Identifier: MIT */
/*
 * guest.h - a guest's series and results (its samples, transitions, fills),
 * and what its controller's thread offers the rest of the engine. The
 * guest's own state, struct hr_guest, is in guestpriv.h, for the files of
 * the controller alone; the main thread reads a guest through the
 * accessors (engine.h, below) once its thread was joined.
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
	int64_t t_ns;		/* the middle of QEMU's answer to the actual's query (run time base) */
	int64_t query_ns;	/* that query's round trip: actual_kib is QEMU's within +-half of it of t_ns */
	int64_t read_ns;	/* fig's reads, after the query: fig is from t_ns + query_ns/2 .. + this */
	uint64_t actual_kib;
	struct hr_hostfig fig;
};

/* fig's time: the middle of its reads (the RSS's metrics use it, not t_ns) */
static inline int64_t hr_hsample_fig_t(const struct hr_hsample *h)
{
	return h->t_ns + h->query_ns / 2 + h->read_ns / 2;
}

struct bbp_psi;

/* samples.c: a samples.csv row of each (@balloon_mib NaN: not known yet; @memory_kib the guest's). */
void hr_samples_guest(struct hr_rec *rec, const char *vm, const struct hr_gsample *x,
		      double balloon_mib, const struct bbp_psi *psi);	/* @psi: the agent's PSI report since the last, or NULL */
void hr_samples_host(struct hr_rec *rec, const char *vm, const struct hr_hsample *h,
		     uint64_t memory_kib);

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
	/* integrity (IV): bytes verified and mismatches during the transition; -1: none sent */
	int64_t verified_bytes, mismatches;
};

/* Integrity figures (IV) of one epoch. */
struct hr_integ_ep {
	int seen;
	uint64_t pages, bad;
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
	/* how the guest followed it: 1 kprobe events (batches; virtio-mem requests), 0 polling (COST probe) */
	int probe;
	uint64_t events, lost, mismatch;	/* batch events, records lost, count mismatches */
	double event_mib;		/* MiB the events moved (COST event_kib; balloon: events x 1 MiB) */
	double coverage;		/* event_mib over the MiB QEMU's actual moved (NAN: unknown) */
	uint64_t hits_entry, hits_return;	/* the hooks' hits (COST), of each kind */
	double perturb_pct;		/* hits x cost a hit over t100, % (NAN: unknown) */
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


/* guest.c: after the guest's thread was joined (main thread), beside engine.h's */
const struct hr_job *hr_guest_job(const struct hr_guest *g);
/* A warm-up repetition's guest (its figures stay out of the tables). */
int hr_guest_warmup(const struct hr_guest *g);
/* Its transitions as recorded, *@n of them (hr_guest_transitions). */
const struct hr_trow *hr_guest_rows(const struct hr_guest *g, size_t *n);
/* Fill @which (HR_FILL_PRE, HR_FILL_RE) of its last boot: read only where it exited. */
const struct hr_fill *hr_guest_fill(const struct hr_guest *g, int which);

/* guestboot.c: before anything boots, BALLOONBENCH_FAULT (a test fault) refused unless it names one (sets hr_error) */
int hr_boot_fault_check(void);

/* guest.c, guestlink.c, guestqemu.c: the controller, for transition.c, wlhost.c, mech.c */
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
/*
 * Keep sampling the host view until @until (run time, ns): at host_idle_hz,
 * at host_hz while QEMU's side still moves; 0, or -1 (hr_error).
 */
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
/*
 * The integrity workload's verdict at its end: an `integrity` event (GiB
 * verified, mismatches) where it sent any figure. Returns 0, or -1 with the
 * reason pending when it found any mismatch (the guest fails with it).
 */
int hr_wl_integrity(struct hr_guest *g);
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
