/* SPDX-License-Identifier: MIT */
/*
 * runner.h - the run engine's state: one run, its libvirt connection, its VMs
 * and where their samples go.
 *
 * Threads: main drives the schedule; one thread runs libvirt's event loop,
 * which delivers the agent's stream data and domain lifecycle events. The
 * event thread appends samples under vm->lock; main reads them under it.
 */
#ifndef HR_RUNNER_H
#define HR_RUNNER_H

#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include <libvirt/libvirt.h>

#include "../common/proto.h"
#include "metrics.h"
#include "scenario.h"
#include "../workloads/workload.h"

#define HR_META_NS	"https://balloonbench.invalid/ns/run/1"

/* One guest sample, in the run's time base. */
struct hr_gsample {
	int64_t t_ns;		/* host CLOCK_MONOTONIC - run start */
	uint64_t guest_ns;	/* as the guest stamped it */
	uint64_t seq, inflate, deflate, oom_kill, total_kib, free_kib;
};

/* One host sample: QEMU's view of the balloon. */
struct hr_hsample {
	int64_t t_ns;
	uint64_t actual_kib;
};

struct hr_clock_est {
	int64_t t_ns;		/* when it was taken (run time base) */
	int64_t offset_ns;	/* guest - host */
	uint64_t rtt_ns;
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

struct hr_vm {
	char name[64];
	int index;			/* VM number within the job (0 .. vms-1) */
	int rep;			/* repetition (warm-up runs first) */
	int warmup;			/* this repetition is a warm-up run */
	const struct hr_job *job;
	struct hr_run *run;
	virDomainPtr dom;
	virStreamPtr st;
	int accel;			/* HR_ACCEL_KVM or HR_ACCEL_TCG once booted */
	char accel_note[512];
	char console_path[PATH_MAX];
	char disk_path[PATH_MAX];	/* pagecache workload's disk, "" = none */

	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_mutex_t send_lock;	/* hr_vm_send: one message at a time */
	uint64_t last_send;		/* hr_now_ns() of the last message sent, 0 before the first */
	struct bbp_reader rd;
	int have_hello;
	struct bbp_hello hello;
	int dead;			/* the domain stopped */
	char dead_reason[128];
	int hangup;
	uint64_t bad_msgs;
	uint64_t seq_gaps;		/* samples the agent dropped, seen as seq gaps */
	int64_t boot_ns;		/* create -> hello */

	/* Clock: the pair with the smallest round trip wins. */
	uint64_t ping_id;
	uint64_t ping_sent;		/* host ns of the outstanding ping */
	int have_offset;
	struct hr_clock_est best;
	struct hr_clock_est est[64];
	int nest;

	struct hr_gsample *gs;
	size_t ngs, gcap;
	struct hr_hsample *hs;
	size_t nhs, hcap;
	int host_via_stats;		/* query-balloon refused: use memory stats */
	struct bbp_cost cost_first, cost_last;
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
	int *trans_dir;			/* direction of transition i (for phase names) */
	size_t ntrans_dir;
	struct hr_node_sample *ns;
	size_t nns, nscap;
	char *placement;		/* JSON: QEMU memory per host node, MiB */

	/* progress, for the live line */
	const char *state;
	double target_mib;
	int64_t t_state;
	int result;			/* of its thread: 0 or -1 */
	struct hr_gate *gate;		/* the job's guests start their schedules together */
};

/* A start line: every guest of a job arrives (ready or failed); all leave at t0. */
struct hr_gate {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_mutex_t send_lock;	/* hr_vm_send: one message at a time */
	uint64_t last_send;		/* hr_now_ns() of the last message sent, 0 before the first */
	int need, arrived;
	int64_t t0;
};

struct hr_run {
	const struct hr_scenario *sc;
	char id[64];
	char dir[PATH_MAX];
	char uri[1024];
	char state_dir[PATH_MAX];
	char image_dir[PATH_MAX];
	int reprobe_kvm;
	int lock_fd;
	virConnectPtr conn;
	int lifecycle_cb;
	pthread_t ev_thread;
	int ev_running;
	uint64_t t0_mono_ns;
	char started_at[40];

	pthread_mutex_t out_lock;
	FILE *samples_csv, *trans_csv, *events_csv;
	FILE *faults_csv, *latency_csv, *latstats_csv, *nodes_csv, *slowest_csv;
	uint64_t ntransitions;

	struct hr_vm *vms[HR_MAX_VMS];
	int nvms;

	int incomplete;
	char reason[2048];
	pthread_mutex_t reason_lock;
	char skipped[HR_MAX_JOBS][256];	/* per job: why it was skipped, "" = ran */
};

extern volatile sig_atomic_t hr_stop;

/* Host CLOCK_MONOTONIC in ns. */
uint64_t hr_now_ns(void);
/* Run time base: ns since the run started. */
int64_t hr_run_time(const struct hr_run *run);

struct hr_wl_tstats {
	uint64_t faults;		/* perf minflt during the transition */
	uint64_t slow;			/* timed accesses >= slow threshold */
	double fault_p50, fault_p99, fault_max;	/* ns, NAN if none */
	const char *kind;		/* "request" or "access" */
	double p50, p99, p999;		/* ns, during the transition */
	double s50, s99, s999;		/* ns, in the steady epoch before it */
	int ooms;
};

/* One transition as recorded (transitions.csv row), kept for the table and statistics. */
struct hr_trow {
	char vm[64];
	const struct hr_job *job;
	int vm_index, rep, warmup;
	double planned_s, late_ms;
	char node_total[256], node_free[256];
	int index, cycle;
	struct hr_trans_out g, h;
	struct hr_wl_tstats wl;
	double from_mib, to_mib, agent_cpu;
	const char *end_reason;
};

/* vm.c */
int hr_conn_open(struct hr_run *run);
void hr_conn_close(struct hr_run *run);
int hr_reap_leftovers(struct hr_run *run);
/* Boot with the job's accel policy; on failure the reason is in @err. */
int hr_vm_boot(struct hr_run *run, struct hr_vm *vm, char *err, size_t errlen);
void hr_vm_destroy(struct hr_vm *vm);
int hr_vm_send(struct hr_vm *vm, const struct bbp_msg *m);
int hr_vm_clock_sync(struct hr_vm *vm, int pings);
int hr_vm_set_target(struct hr_vm *vm, uint64_t kib);
int hr_vm_poll_host(struct hr_vm *vm);
/* Wait up to @ms for a new guest sample; returns 1 if one came, 0 if not. */
int hr_vm_wait_sample(struct hr_vm *vm, size_t seen, int ms);
void hr_vm_free(struct hr_vm *vm);

/* wlhost.c: workload messages (event thread, vm->lock held) and their figures */
int hr_wl_msg(struct hr_vm *vm, const struct bbp_msg *m);
int64_t hr_guest_to_run(const struct hr_vm *vm, uint64_t guest_ns);
/* Write every epoch not yet written (end of a job). */
void hr_wl_write_rest(struct hr_vm *vm);
/* Wait up to @ms for EEND of epoch @e. Returns 1 if it came. */
int hr_wl_wait_epoch(struct hr_vm *vm, uint64_t e, int ms);

void hr_wl_transition(struct hr_vm *vm, int index, int64_t t_set, int64_t t_end,
		      struct hr_wl_tstats *out);

/*
 * Per guest NUMA node, MemTotal and MemFree change between the last sample at
 * or before @t0 and the first at or after @t1, as "0:-512.0;1:-256.0" (MiB).
 */
void hr_node_deltas(struct hr_vm *vm, int64_t t0, int64_t t1, char *total, char *freed, size_t len);
/* 1 if a node sample at or after @t has arrived, or the guest sends none at all. */
int hr_node_after(struct hr_vm *vm, int64_t t);

/* summary.c: statistics across repetitions */
struct hr_stats {
	size_t n;
	double median, mean, stddev, min, max;
	double ci_lo, ci_hi, ci_coverage;	/* distribution-free CI of the median */
};
/* Statistics of @v[0..n) (sorted in place). Returns 0, or -1 if n == 0. */
int hr_stats_compute(double *v, size_t n, struct hr_stats *out);

/* results.c */
/* mkdir -p; returns 0 or -errno. */
int hr_mkdir_p(const char *path);
int hr_results_open(struct hr_run *run, const char *results_root);
void hr_results_close(struct hr_run *run);
/* Push every CSV file to disk (before reading them back for the report). */
void hr_results_flush(struct hr_run *run);
void hr_event(struct hr_run *run, const struct hr_vm *vm, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void hr_write_gsample(struct hr_run *run, const struct hr_vm *vm, const struct hr_gsample *s);
void hr_write_hsample(struct hr_run *run, const struct hr_vm *vm, const struct hr_hsample *s);
int hr_write_run_json(struct hr_run *run, const char *status);

#endif /* HR_RUNNER_H */
