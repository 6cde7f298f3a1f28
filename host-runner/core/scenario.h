/* SPDX-License-Identifier: MIT */
/*
 * scenario.h - scenario files (bench/NAME.ini): jobs and their options.
 *
 * A scenario is an INI file. [global] sets defaults for the jobs that follow
 * it; every other section is a job. A file without job sections is one job
 * named after the file. Options are declared once, as data (hr_options[]),
 * with type, unit, range, default and help; `balloonbench list options`
 * prints that table.
 */
#ifndef HR_SCENARIO_H
#define HR_SCENARIO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "workloads/workload.h"
#include "lifecycle.h"
#include "units.h"
#include "budget.h"

#define HR_MAX_TARGETS	64
#define HR_MAX_JOBS	64
#define HR_NAME_MAX	32
#define HR_MATRIX_VALUES 16	/* values of one matrix key */
#define HR_MAX_OPTIONS	80	/* scenario options (hr_options): room above their count */
#define HR_MAX_VMS	256	/* guests in one run, over all jobs and repetitions */
#define HR_MAX_JOB_VMS	128	/* vms= of one job: guests at once */

enum hr_accel { HR_ACCEL_AUTO, HR_ACCEL_KVM, HR_ACCEL_TCG, HR_ACCEL_N };
enum hr_pace { HR_PACE_WAIT, HR_PACE_PERIOD, HR_PACE_N };
enum hr_probe { HR_PROBE_AUTO, HR_PROBE_POLL, HR_PROBE_KPROBE, HR_PROBE_N };
enum hr_numa_mode { HR_NUMA_NONE, HR_NUMA_STRICT, HR_NUMA_PREFERRED, HR_NUMA_INTERLEAVE, HR_NUMA_N };
enum hr_on_fail { HR_ONFAIL_STOP, HR_ONFAIL_CONTINUE, HR_ONFAIL_N };
/* round-order: each round's order of the jobs (a parallel group's together) */
enum hr_round_order { HR_RO_FILE, HR_RO_REVERSE, HR_RO_SHUFFLE, HR_RO_N };

struct hr_job {
	char name[HR_NAME_MAX];
	char description[256];
	int vcpus;
	uint64_t memory_kib;
	int guest_numa;			/* guest NUMA cells, CPUs and memory split evenly */
	int accel;			/* enum hr_accel */
	struct hr_size targets[HR_MAX_TARGETS];
	int ntargets;
	int cycles;
	int schedule;			/* enum hr_sched_kind */
	struct hr_size low, high;
	uint64_t period_us;
	int steps;
	int seed;
	struct hr_size min_step;
	char trace[512];
	int trace_resolved;		/* trace is a path as given on the command line or beside the scenario */
	int pace;			/* enum hr_pace */
	int vms;
	int boot_concurrency;		/* guests of a host booting at once; 0: auto (hr_boot_slots) */
	uint64_t vm_offset_us;
	int repeat;
	int rounds;			/* run-level (every job the same): the jobs taken in this many rounds */
	int round_order;		/* run-level too: enum hr_round_order */
	int warmup_runs;
	int on_guest_failure;		/* enum hr_on_fail */
	int host_numa_mode;		/* enum hr_numa_mode */
	char host_numa_nodes[64];
	char vcpu_pin[64];
	int hugepages;
	uint64_t settle_us;
	uint64_t timeout_us;
	uint64_t give_up_us;
	uint64_t stall_us;
	uint64_t peak_window_us;
	int sample_hz;
	int probe;			/* enum hr_probe */
	int probe_hz;			/* probe-sample-rate; 0: auto (hr_probe_hz) */
	int idle_hz;
	int host_hz;
	int host_idle_hz;
	int parallel;			/* side by side with the job before it (run.c's group) */		/* the host's side at rest (at most host_hz) */
	int stats_period;
	int deflate_on_oom;
	int free_page_reporting;
	int free_page_hint;		/* virtio-balloon free-page-hint (an iothread, <qemu:override>) */
	int mechanism;			/* enum hr_mech_kind (vmem.h) */
	uint64_t vmem_base_kib;		/* virtio-mem: boot memory, never unplugged */
	uint64_t vmem_block_kib;	/* virtio-mem: the device's block size */
	uint64_t boot_timeout_us;
	uint64_t kvm_boot_timeout_us;
	uint64_t agent_watchdog_us;
	char kernel[512];
	char initrd[512];
	char cmdline[256];
	char workload_spec[400];	/* as written: NAME:key=value,... ("" = none) */
	uint64_t warmup_us;
	uint64_t prefill_kib, refill_kib;	/* touched once before the first / after the last change */
	char events_spec[HR_LC_SPEC_MAX];	/* events= as written (core/lifecycle.h) */
	char migrate_to[256];		/* migrate events' destination: a libvirt daemon's URI ("" = none) */
	/* issue 24: the host budget and the policy in the loop (docs/policy.md) */
	char host_budget[32];		/* as written: SIZE or N%; "" = none */
	char host_swap[32];		/* as written: SIZE; "" = none */
	char policy[256];		/* as written: none, fpr, mom, psi, external:CMD; "" = the schedule */
	char policy_period_scale[32];	/* as written: a number in [0.01, 100] */
	uint64_t policy_duration_us;	/* a policy job's time under its policy */

	/* derived from workload_spec by validation */
	char workload_name[32];
	struct wl_opts workload;
	/* derived from events_spec by validation, in time order */
	struct hr_lc_event events[HR_MAX_LC_EVENTS];
	int nevents;
	struct hr_budget_spec budget;	/* host-budget and host-swap, parsed (core/budget.h) */
	int policy_kind;		/* enum hr_pol_kind + 1; 0: no policy (the schedule decides) */
	double policy_scale;		/* policy-period-scale, parsed */

	int line[HR_MAX_OPTIONS];	/* per option: line it was set on, 0 = default */
	int section_line;		/* line of the job's [name], 0 if none */
	char label[256];		/* matrix values this job was expanded with, "" if none */
	char *matrix[HR_MAX_OPTIONS];	/* per option: "a,b,c" when several values were given */
};

struct hr_scenario {
	char path[512];
	char *text;			/* the file as read, kept for run.json */
	char overrides[1024];		/* --set KEY=VALUE ..., as given ("" if none) */
	struct hr_job jobs[HR_MAX_JOBS];
	int njobs;
};

enum hr_opt_type { HR_T_STR, HR_T_INT, HR_T_BOOL, HR_T_SIZE, HR_T_DUR, HR_T_ENUM, HR_T_SIZES, HR_T_SIZEP };

struct hr_option {
	const char *name;
	enum hr_opt_type type;
	size_t off;
	size_t size;			/* HR_T_STR: buffer size */
	int64_t min, max;		/* HR_T_INT; HR_T_SIZE in KiB; HR_T_DUR in us */
	const char *def;		/* default, as it would be written in the file */
	const char *const *choices;	/* HR_T_ENUM, NULL-terminated */
	const char *auto_word;		/* HR_T_INT: this word stores 0, a value the runner picks */
	const char *unit;
	const char *help;
};

extern const struct hr_option hr_options[];
extern const size_t hr_noptions;
extern const char *const hr_accel_names[];
extern const char *const hr_pace_names[];
extern const char *const hr_probe_names[];
extern const char *const hr_numa_mode_names[];
extern const char *const hr_on_fail_names[];
extern const char *const hr_round_order_names[];

/*
 * Parse @path into @sc. On error, prints one line "FILE:LINE: what was
 * expected" (via hr_err) and returns -1; returns 0 on success. Free with
 * hr_scenario_free().
 */
int hr_scenario_load(const char *path, struct hr_scenario *sc);

/*
 * Apply "KEY=VALUE" (the command line's --set) to every job of a loaded
 * scenario, as if each job's section said so last, then validate the jobs
 * again. Returns 0, or -1 with a one-line error naming the --set.
 */
int hr_scenario_set(struct hr_scenario *sc, const char *kv);
/*
 * Apply every "KEY=VALUE" of @kv[0..n) in order, then validate the jobs once:
 * the result does not depend on the order of --set options that each leave
 * the job valid only together (memory=512M and high=512M). 0, or -1 as above.
 */
int hr_scenario_set_all(struct hr_scenario *sc, const char *const *kv, int n);

/*
 * The guest image a run of @sc boots where a job names none (kernel=,
 * initrd=: checked with the job): @image_dir's vmlinuz and initrd.img,
 * regular files that can be read. Returns 0, or -1 with one line naming the
 * file. A dry run checks what the run would open, with this.
 */
int hr_scenario_check_image(const struct hr_scenario *sc, const char *image_dir);

/*
 * Can a host of @host_kib of memory (MemTotal; 0: unknown, nothing checked)
 * hold each job's guests at once? A job's wave is its vms= guests, started
 * together: their memory= added up must not exceed it (QEMU's own overhead
 * and the host's other needs are left to the user: a run that needs more
 * than the host has is refused, one that barely fits is not). Returns 0, or
 * -1 with one line "FILE:LINE: ... need N MiB, this host has M MiB".
 */
int hr_scenario_check_memory(const struct hr_scenario *sc, uint64_t host_kib);

/*
 * The job's schedule for VM @vm (random walks get seed + vm): *out malloc'ed.
 * Returns 0, or -1 with a reason in @err.
 */
/* Measured runs of a job: repeat= in each of the run's rounds= (0 taken as 1). */
static inline int hr_job_measured(const struct hr_job *j)
{
	return j->repeat * (j->rounds > 1 ? j->rounds : 1);
}

/* Runs of a job: its measured runs, plus warm-up runs when it has more than one. */
static inline int hr_job_runs(const struct hr_job *j)
{
	int m = hr_job_measured(j);

	return m + (m > 1 ? j->warmup_runs : 0);
}

/* Its warm-up runs: the first ones (repetitions 0 to this - 1), left out of the statistics. */
static inline int hr_job_warmups(const struct hr_job *j)
{
	return hr_job_runs(j) - hr_job_measured(j);
}

/*
 * rounds=: the run takes its jobs in rounds, every job (a parallel group's
 * side by side) in file order in each, so that a slower stretch of the host
 * falls on every job alike. Round @r (from 0) of job @j runs its
 * repetitions [*from, *to): round 0 its warm-up runs and its first repeat=,
 * every later round repeat= more. Over the rounds: [0, hr_job_runs(j)), the
 * same repetitions (and warm-up ones) as repeat= x rounds= back to back.
 */
static inline void hr_round_runs(const struct hr_job *j, int r, int *from, int *to)
{
	int w = hr_job_warmups(j);

	*from = r ? w + r * j->repeat : 0;
	*to = w + (r + 1) * j->repeat;
}

/* One step of a run's order: job @job's repetitions [from, to) in round @round. */
struct hr_round_step {
	int round, job, from, to;
};

/*
 * The order a run of @sc takes its jobs' runs (pure; the engine's run_jobs
 * and the dry run follow it): round by round, each round every job once,
 * a parallel group's jobs together and in file order, the groups in the
 * order round-order= says: file (every round), reverse (file order in the
 * odd rounds, 1st, 3rd..., reversed in the even ones: a drift of the host
 * over the run falls on the first and the last alike), shuffle (a
 * pseudo-random order in each round, from the round's number: the same on
 * every run). At most @max steps into @out; returns how many there are
 * (rounds x jobs), more than @max if they did not fit.
 */
int hr_rounds_plan(const struct hr_scenario *sc, struct hr_round_step *out, int max);
/*
 * Whether step @s of @st (hr_rounds_plan's) runs side by side with the step
 * before it: the next job of the same round, with parallel=1. A parallel=1
 * job that round-order= put after another group (job 0 with parallel=1, its
 * group's head) starts a group of its own. run_jobs and the dry run's
 * rounds (plan.c) both group by this.
 */
static inline int hr_round_step_joins(const struct hr_scenario *sc, const struct hr_round_step *st, int s)
{
	return s > 0 && st[s].round == st[s - 1].round && st[s].job == st[s - 1].job + 1 &&
	       sc->jobs[st[s].job].parallel;
}

struct hr_sched_event;
int hr_job_schedule(const struct hr_job *job, int vm, struct hr_sched_event **out, size_t *n,
		    char *err, size_t errlen);
void hr_scenario_free(struct hr_scenario *sc);
/* Highest number in a list like "0", "0-3", "0,2-3"; -1 if malformed or empty. */
int hr_set_max(const char *s);

/* A policy job's floor for each guest: low= resolved against memory=, at most memory=. */
uint64_t hr_job_floor_kib(const struct hr_job *j);

/* Set every option of @job to its default. */
void hr_job_defaults(struct hr_job *job);

/* ---- options.c: the options table ---- */

/* The option called @name, or NULL. */
const struct hr_option *hr_option_find(const char *name);
/* What `list options` prints of @o: its type's name, and its allowed values in words into @buf. */
const char *hr_option_type_name(const struct hr_option *o);
void hr_option_range(const struct hr_option *o, char *buf, size_t size);

/* The line of the scenario option @name of @job was set on; 0 if a default (or no such option). */
int hr_job_line(const struct hr_job *job, const char *name);

/*
 * Parse one value for option @name (@o) into @job. Returns 0, or -1 with a
 * reason in @err (no file/line: the caller adds them).
 */
int hr_job_set(struct hr_job *job, const char *name, const char *value, char *err, size_t errlen);
int hr_option_set(struct hr_job *job, const struct hr_option *o, const char *v, char *err,
		  size_t errlen);

/* The first empty entry (1-based) of the comma-separated list @s ("256M,,1G": 2), or 0. */
int hr_list_empty_entry(const char *s);

/* Print the options table (for `balloonbench list options`). */
void hr_options_print(FILE *f);

/*
 * Write a value of @job's option @o as it would be written in a file.
 * Returns 0, or -1 if it did not fit in @size (@buf then holds a prefix).
 */
int hr_option_format(const struct hr_option *o, const struct hr_job *job, char *buf, size_t size);

#endif /* HR_SCENARIO_H */
