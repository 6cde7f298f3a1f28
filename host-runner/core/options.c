// SPDX-License-Identifier: MIT
/*
 * options.c - the scenario's options as data: one table (hr_options[]) with
 * type, range, default and help; parsing a value into a job against it,
 * printing a value back, and `balloonbench list options`. The INI file and
 * its jobs are scenario.c's.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "scenario.h"
#include "schedule.h"
#include "mechdef.h"
#include "workloads/parse.h"

const char *const hr_accel_names[] = { "auto", "kvm", "tcg", NULL };
const char *const hr_pace_names[] = { "wait", "period", NULL };
const char *const hr_probe_names[] = { "auto", "poll", "kprobe", NULL };
_Static_assert(sizeof(hr_probe_names) / sizeof(hr_probe_names[0]) == HR_PROBE_N + 1, "probe names");
const char *const hr_numa_mode_names[] = { "none", "strict", "preferred", "interleave", NULL };
_Static_assert(sizeof(hr_pace_names) / sizeof(hr_pace_names[0]) == HR_PACE_N + 1, "pace names");
_Static_assert(sizeof(hr_numa_mode_names) / sizeof(hr_numa_mode_names[0]) == HR_NUMA_N + 1,
	       "numa mode names");
_Static_assert(sizeof(hr_accel_names) / sizeof(hr_accel_names[0]) == HR_ACCEL_N + 1,
	       "hr_accel_names must cover enum hr_accel");
const char *const hr_on_fail_names[] = { "stop", "continue", NULL };
const char *const hr_round_order_names[] = { "file", "reverse", "shuffle", NULL };
_Static_assert(sizeof(hr_round_order_names) / sizeof(hr_round_order_names[0]) == HR_RO_N + 1,
	       "round-order names");
_Static_assert(sizeof(hr_on_fail_names) / sizeof(hr_on_fail_names[0]) == HR_ONFAIL_N + 1,
	       "on-guest-failure names");

#define OPT(n, t, f, ...) { .name = n, .type = t, .off = offsetof(struct hr_job, f), __VA_ARGS__ }
#define MIB(x)		((int64_t)(x) * 1024)
#define SEC(x)		((int64_t)(x) * 1000000)

const struct hr_option hr_options[] = {
	OPT("accel", HR_T_ENUM, accel, .def = "auto", .choices = hr_accel_names,
	    .help = "auto: KVM if a guest really boots under it, else TCG (said loudly); kvm; tcg"),
	OPT("agent-watchdog", HR_T_DUR, agent_watchdog_us, .min = SEC(2), .max = SEC(3600), .def = "30s",
	    .help = "the agent powers its guest off after this long without a word from the runner "
		    "(a killed runner leaves no guest behind); the runner speaks at least every sixth of it"),
	OPT("boot-concurrency", HR_T_INT, boot_concurrency, .min = 1, .max = HR_MAX_VMS, .def = "auto",
	    .auto_word = "auto",
	    .help = "at most this many of a host's guests boot at once, the others wait their turn "
		    "(not counted in their boot time); auto: half the host's online CPUs, at least 1 "
		    "(a TCG boot keeps about two host CPUs busy)"),
	OPT("boot-timeout", HR_T_DUR, boot_timeout_us, .min = SEC(1), .max = SEC(3600), .def = "120s",
	    .help = "watchdog: the agent's hello must arrive within this (TCG)"),
	OPT("cmdline", HR_T_STR, cmdline, .size = 256, .def = "",
	    .help = "extra guest kernel command line"),
	OPT("cycles", HR_T_INT, cycles, .min = 1, .max = 100000, .def = "1",
	    .help = "how many times to go through targets"),
	OPT("deflate-on-oom", HR_T_BOOL, deflate_on_oom, .def = "0",
	    .help = "memballoon autodeflate: the guest deflates under OOM pressure"),
	OPT("description", HR_T_STR, description, .size = 256, .def = "",
	    .help = "what question this job answers"),
	OPT("events", HR_T_STR, events_spec, .size = HR_LC_SPEC_MAX, .def = "",
	    .help = "lifecycle events, KIND[:ARG]@after:N or KIND[:ARG]@during:N, comma-separated "
		    "(e.g. pause:3s@after:1, storm:200@after:2, pause:2s@during:1; N from 1, after:0 "
		    "before the first transition): pause, storm, floor, save, reset, reboot, shutdown, migrate "
		    "(balloonbench-scenario(5), LIFECYCLE EVENTS); lifecycle.csv has a row each"),
	OPT("free-page-hint", HR_T_BOOL, free_page_hint, .def = "0",
	    .help = "virtio-balloon free-page-hint (QEMU's device property, through <qemu:override>, "
		    "with an iothread): during a migration's pre-copy the guest tells QEMU which pages "
		    "are free, and they are not sent"),
	OPT("free-page-reporting", HR_T_BOOL, free_page_reporting, .def = "0",
	    .help = "memballoon freePageReporting"),
	OPT("give-up", HR_T_DUR, give_up_us, .min = SEC(0) + 1000, .max = SEC(3600), .def = "10s",
	    .help = "a transition with no progress for this long ends, not reached"),
	OPT("guest-numa", HR_T_INT, guest_numa, .min = 1, .max = 8, .def = "1",
	    .help = "guest NUMA cells; vCPUs and memory are split evenly between them"),
	OPT("high", HR_T_SIZEP, high, .def = "100%",
	    .help = "upper bound of square/sawtooth/staircase/random schedules (size or %)"),
	OPT("host-idle-sample-rate", HR_T_INT, host_idle_hz, .min = 1, .max = 1000, .def = "2",
	    .unit = "Hz", .help = "how often the host's side (QEMU's actual, its RSS, the host's memory) is sampled at rest: between a transition's end and the next target, in warm-ups and settles; host-sample-rate from a target set until QEMU's actual and RSS are still again (above host-sample-rate: that)"),
	OPT("host-numa-mode", HR_T_ENUM, host_numa_mode, .def = "none", .choices = hr_numa_mode_names,
	    .help = "numatune memory mode for the guest's memory on the host"),
	OPT("host-numa-nodes", HR_T_STR, host_numa_nodes, .size = 64, .def = "0",
	    .help = "host NUMA nodes for host-numa-mode (e.g. 0 or 0-1); a job the host cannot provide is skipped"),
	OPT("host-sample-rate", HR_T_INT, host_hz, .min = 1, .max = 1000, .def = "50",
	    .unit = "Hz", .help = "how often the host's side (QEMU's actual, its RSS, the host's memory) is sampled while the balloon moves: from a target set to the transition's end, and on while QEMU's actual or RSS still moves"),
	OPT("host-budget", HR_T_STR, host_budget, .size = 32, .def = "",
	    .help = "one memory limit (a cgroup the host enforces) over every QEMU of the job's guests at once: "
		    "a size, or a percentage of their memory= total (\"\": none); checked against the host before anything boots"),
	OPT("host-swap", HR_T_STR, host_swap, .size = 32, .def = "",
	    .help = "with host-budget: a swap file of this size for each of the job's waves (\"\" or 0: none), "
		    "made in the state dir, swapped on above the host's own swap, the budget's memory and swap "
		    "limit raised by it (the QEMUs swap there rather than meet the OOM killer), swapped off and "
		    "removed at the wave's end (and after a killed runner); refused up front where the state "
		    "dir's file system lacks the room or cannot hold swap (tmpfs), or without root"),
	OPT("hugepages", HR_T_BOOL, hugepages, .def = "0",
	    .help = "back guest memory with host huge pages (skipped where the host has too few free)"),
	OPT("idle-sample-rate", HR_T_INT, idle_hz, .min = 1, .max = 1000, .def = "10",
	    .unit = "Hz", .help = "guest sampling rate while the balloon rests"),
	OPT("initrd", HR_T_STR, initrd, .size = 512, .def = "",
	    .help = "guest initramfs holding the agent (default: the built image)"),
	OPT("kernel", HR_T_STR, kernel, .size = 512, .def = "",
	    .help = "guest kernel (default: the built image's vmlinuz)"),
	OPT("kvm-boot-timeout", HR_T_DUR, kvm_boot_timeout_us, .min = 1000, .max = SEC(3600),
	    .def = "20s", .help = "watchdog for a boot under KVM; accel=auto then retries under TCG (below a boot's time, e.g. 1ms, it forces that fallback)"),
	OPT("low", HR_T_SIZEP, low, .def = "25%",
	    .help = "lower bound or step target of a schedule (size or %)"),
	OPT("mechanism", HR_T_ENUM, mechanism, .def = "balloon", .choices = hr_mech_names,
	    .help = "how the guest's memory is resized: balloon (virtio-balloon) or virtio-mem (a virtio-mem device of memory - vmem-base, plugged and unplugged in vmem-block steps)"),
	OPT("memory", HR_T_SIZE, memory_kib, .min = MIB(64), .max = MIB(1024 * 1024), .def = "1G",
	    .help = "guest memory (the balloon's maximum; with virtio-mem, vmem-base + the device's size)"),
	OPT("migrate-to", HR_T_STR, migrate_to, .size = 256, .def = "",
	    .help = "the libvirt daemon (URI) a migrate event moves the guest to, live (pre-copy); the "
		    "next migrate moves it back. The guest must run on another daemon (--connect URI or "
		    "--hosts), not the embedded driver"),
	OPT("min-step", HR_T_SIZEP, min_step, .def = "64M",
	    .help = "random: smallest change between two targets"),
	OPT("on-guest-failure", HR_T_ENUM, on_guest_failure, .def = "stop", .choices = hr_on_fail_names,
	    .help = "when one of the job's guests fails (its QEMU dies, its agent goes silent...): stop: "
		    "the run ends once the guests started with it have ended; continue: the run goes on "
		    "(later repetitions and jobs too). Either way the failed guest's transitions stay out of "
		    "the statistics and the run is incomplete (exit 1)"),
	OPT("pace", HR_T_ENUM, pace, .def = "wait", .choices = hr_pace_names,
	    .help = "wait: a change waits for the last to finish; period: changes keep the schedule's times"),
	OPT("parallel", HR_T_BOOL, parallel, .def = "0",
	    .help = "run this job side by side with the job before it (a group: a job and the parallel=1 jobs right after it): their guests at once, one start line and one boot pacing per host (the group's smallest boot-concurrency), max-guests and the host's memory counting them all; 0: after the jobs before it"),
	OPT("peak-window", HR_T_DUR, peak_window_us, .min = 1000, .max = SEC(60), .def = "100ms",
	    .help = "window over which the peak rate is measured"),
	OPT("period", HR_T_DUR, period_us, .min = 0, .max = SEC(86400), .def = "0",
	    .help = "time between planned changes (0: back to back)"),
	OPT("policy", HR_T_STR, policy, .size = 256, .def = "",
	    .help = "who sets the targets instead of the schedule: none, fpr, mom, psi or external:CMD "
		    "(docs/policy.md; \"\": the schedule); the job runs "
		    "policy-duration under it, low= is each guest's floor"),
	OPT("policy-duration", HR_T_DUR, policy_duration_us, .min = SEC(1), .max = SEC(86400), .def = "60s",
	    .help = "policy jobs: how long the guests run under the policy"),
	OPT("policy-period-scale", HR_T_STR, policy_period_scale, .size = 32, .def = "1",
	    .help = "policy jobs: the policy's collect and decide periods multiplied by this (0.01 to 100)"),
	OPT("prefill", HR_T_SIZE, prefill_kib, .min = 0, .max = MIB(1024 * 1024), .def = "0",
	    .help = "before the first change the guest touches this much memory once and frees it, so the balloon takes pages the host had backed (0: none)"),
	OPT("refill", HR_T_SIZE, refill_kib, .min = 0, .max = MIB(1024 * 1024), .def = "0",
	    .help = "after the last change the guest touches this much memory again: the refault rate (0: none)"),
	OPT("probe", HR_T_ENUM, probe, .def = "auto", .choices = hr_probe_names,
	    .help = "how the guest follows a moving balloon: kprobe (a perf kprobe event per 1 MiB batch the driver hands the host, the kernel's timestamp, no polling), poll (sysinfo() at sample-rate), auto (kprobe where the guest kernel offers it, else poll)"),
	OPT("probe-sample-rate", HR_T_INT, probe_hz, .min = 1, .max = 100000, .def = "auto", .unit = "Hz",
	    .auto_word = "auto",
	    .help = "kprobe: at most this many batches a second become samples while the balloon moves "
		    "(every batch is still counted, and a change's first and last batch keep their own "
		    "kernel times; t50/t90 resolve to 1/this); auto: sample-rate under KVM, at most 100 "
		    "under TCG, where each sample costs the balloon's vCPUs and host cores measurably"),
	OPT("repeat", HR_T_INT, repeat, .min = 1, .max = 1000, .def = "1",
	    .help = "measured repetitions of the job, each on fresh guests"),
	OPT("round-order", HR_T_ENUM, round_order, .def = "file", .choices = hr_round_order_names,
	    .help = "run-level, with rounds > 1: each round's order of the jobs (a parallel group's "
		    "together): file; reverse (every other round reversed: a drift of the host falls "
		    "on the first and the last jobs alike); shuffle (a pseudo-random order each round, "
		    "the same on every run)"),
	OPT("rounds", HR_T_INT, rounds, .min = 1, .max = 100, .def = "1",
	    .help = "run-level (every job the same: set it in [global] or with --set): the run takes "
		    "its jobs in rounds, each job in file order, then all again, this many times; "
		    "each round is repeat= more repetitions of each job, recorded and pooled as "
		    "repeat= x rounds= would be, so that a slower stretch of the host falls on every job"),
	OPT("sample-rate", HR_T_INT, sample_hz, .min = 1, .max = 100000, .def = "1000", .unit = "Hz",
	    .help = "guest sampling rate while the balloon moves"),
	OPT("schedule", HR_T_ENUM, schedule, .def = "list", .choices = hr_sched_names,
	    .help = "list (targets=), step, square, sawtooth, staircase, random, trace"),
	OPT("seed", HR_T_INT, seed, .min = 0, .max = 2147483647, .def = "1",
	    .help = "random: the walk's seed (VM k of vms= uses seed + k)"),
	OPT("settle", HR_T_DUR, settle_us, .min = 0, .max = SEC(3600), .def = "500ms",
	    .help = "time recorded at rest after each transition"),
	OPT("stall", HR_T_DUR, stall_us, .min = 1000, .max = SEC(3600), .def = "500ms",
	    .help = "no progress for longer than this counts as a stall"),
	OPT("stats-period", HR_T_INT, stats_period, .min = 0, .max = 3600, .def = "1", .unit = "s",
	    .help = "memballoon stats period (0: off)"),
	OPT("steps", HR_T_INT, steps, .min = 1, .max = 100000, .def = "4",
	    .help = "sawtooth/staircase: steps per cycle; random: number of changes"),
	OPT("targets", HR_T_SIZES, targets, .def = "256M,100%",
	    .help = "balloon targets in order, sizes or % of memory (e.g. 256M,1G or 25%,100%)"),
	OPT("timeout", HR_T_DUR, timeout_us, .min = SEC(1), .max = SEC(86400), .def = "120s",
	    .help = "longest a single transition may take"),
	OPT("trace", HR_T_STR, trace, .size = 512, .def = "",
	    .help = "trace: CSV of time,target (relative to the scenario file's directory if relative)"),
	OPT("vcpu-pin", HR_T_STR, vcpu_pin, .size = 64, .def = "none",
	    .help = "host CPUs the vCPUs are pinned to (e.g. 0-1), or none"),
	OPT("vcpus", HR_T_INT, vcpus, .min = 1, .max = 256, .def = "2", .help = "guest vCPUs"),
	OPT("vm-offset", HR_T_DUR, vm_offset_us, .min = 0, .max = SEC(3600), .def = "0",
	    .help = "vms > 1: VM k starts its schedule k * vm-offset later"),
	OPT("vmem-base", HR_T_SIZE, vmem_base_kib, .min = MIB(64), .max = MIB(1024 * 1024),
	    .def = "256M", .help = "mechanism=virtio-mem: the guest's boot memory (targets go from it to memory=)"),
	OPT("vmem-block", HR_T_SIZE, vmem_block_kib, .min = MIB(2), .max = MIB(1024), .def = "2M",
	    .help = "mechanism=virtio-mem: the device's block size (a power of two)"),
	OPT("vms", HR_T_INT, vms, .min = 1, .max = HR_MAX_JOB_VMS, .def = "1",
	    .help = "guests run at once, each with the job's schedule (their memory= together must "
		    "fit the local host's MemTotal; boot-concurrency paces their boots)"),
	OPT("warmup", HR_T_DUR, warmup_us, .min = 0, .max = SEC(3600), .def = "1s",
	    .help = "time at rest before the first target change, after the workload's start and the prefill"),
	OPT("warmup-runs", HR_T_INT, warmup_runs, .min = 0, .max = 10, .def = "1",
	    .help = "repeat x rounds > 1: runs first, recorded but left out of the statistics"),
	OPT("workload", HR_T_STR, workload_spec, .size = 400, .def = "",
	    .help = "guest workload, NAME:key=value,... (see 'balloonbench list workloads')"),
};
const size_t hr_noptions = sizeof(hr_options) / sizeof(hr_options[0]);
_Static_assert(sizeof(hr_options) / sizeof(hr_options[0]) <= HR_MAX_OPTIONS,
	       "per-option arrays of struct hr_job hold HR_MAX_OPTIONS");
_Static_assert(sizeof(hr_options) / sizeof(hr_options[0]) <=
	       sizeof(((struct hr_job *)0)->line) / sizeof(int), "hr_job.line too small");

static const char *const type_names[] = {
	[HR_T_STR] = "string", [HR_T_INT] = "integer", [HR_T_BOOL] = "bool (0/1)",
	[HR_T_SIZE] = "size", [HR_T_DUR] = "duration", [HR_T_ENUM] = "choice",
	[HR_T_SIZES] = "size list",
	[HR_T_SIZEP] = "size or %",
};

/* The allowed range of @o, as text for an error message or the options list. */
static void range_text(const struct hr_option *o, char *buf, size_t size)
{
	char lo[HR_UNIT_TEXT], hi[HR_UNIT_TEXT], list[128];

	switch (o->type) {
	case HR_T_INT:
		snprintf(buf, size, "an integer from %" PRId64 " to %" PRId64 "%s%s%s%s", o->min, o->max,
			 o->unit ? " " : "", o->unit ? o->unit : "", o->auto_word ? ", or " : "",
			 o->auto_word ? o->auto_word : "");
		break;
	case HR_T_SIZE:
		(void)hr_format_size(lo, sizeof(lo), (uint64_t)o->min);
		(void)hr_format_size(hi, sizeof(hi), (uint64_t)o->max);
		snprintf(buf, size, "a size from %s to %s (e.g. 512M, 2G)", lo, hi);
		break;
	case HR_T_DUR:
		(void)hr_format_duration(lo, sizeof(lo), (uint64_t)o->min);
		(void)hr_format_duration(hi, sizeof(hi), (uint64_t)o->max);
		snprintf(buf, size, "a duration from %s to %s (e.g. 500ms, 10s)", lo, hi);
		break;
	case HR_T_BOOL:
		snprintf(buf, size, "0 or 1");
		break;
	case HR_T_ENUM:
		(void)wl_join(list, sizeof(list), o->choices, SIZE_MAX, ", ");
		snprintf(buf, size, "one of %s", list);
		break;
	case HR_T_SIZES:
		snprintf(buf, size, "a comma-separated list of sizes or percentages (e.g. 256M,1G)");
		break;
	case HR_T_SIZEP:
		snprintf(buf, size, "a size of at least 1M or a percentage of memory (e.g. 256M, 25%%)");
		break;
	default:
		snprintf(buf, size, "a string");
	}
}
#define RANGE_TEXT	256	/* fits every range_text: the longest is "one of " and a list of 127 */

/* For the generated documentation (the man page): the table's words, not a copy of them. */
const char *hr_option_type_name(const struct hr_option *o)
{
	return type_names[o->type];
}

void hr_option_range(const struct hr_option *o, char *buf, size_t size)
{
	range_text(o, buf, size);
}

const struct hr_option *hr_option_find(const char *name)
{
	for (size_t i = 0; i < hr_noptions; i++)
		if (!strcmp(hr_options[i].name, name))
			return &hr_options[i];
	return NULL;
}

int hr_job_line(const struct hr_job *job, const char *name)
{
	const struct hr_option *o = hr_option_find(name);

	return o ? job->line[o - hr_options] : 0;
}

/* A boolean as written: 0/1, true/false, yes/no, on/off. 0, or -1. */
static int parse_bool(const char *v, int64_t *x)
{
	static const char *const yes[] = { "true", "yes", "on", NULL };
	static const char *const no[] = { "false", "no", "off", NULL };

	if (wl_parse_choice(yes, v) >= 0)
		return *x = 1, 0;
	if (wl_parse_choice(no, v) >= 0)
		return *x = 0, 0;
	return wl_parse_int(v, 0, 1, x);
}

int hr_list_empty_entry(const char *s)
{
	for (int i = 1;; i++) {
		size_t n = strcspn(s, ",");
		size_t b = strspn(s, " \t");

		if (b >= n)
			return i;
		if (!s[n])
			return 0;
		s += n + 1;
	}
}

/* targets=: a comma-separated list of sizes (at least 1M) or percentages. */
static int set_sizes(struct hr_job *job, const struct hr_option *o, const char *v, char *err,
		     size_t errlen)
{
	char buf[1024], *save = NULL, *tok, range[RANGE_TEXT];
	struct hr_size sz;
	int n = 0;

	if (strlen(v) >= sizeof(buf))
		return wl_err(err, errlen, "%s: list too long", o->name);
	if (*v && (n = hr_list_empty_entry(v)))
		return wl_err(err, errlen, "%s: entry %d of '%s' is empty", o->name, n, v);
	strcpy(buf, v);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == HR_MAX_TARGETS)
			return wl_err(err, errlen, "%s: more than %d entries", o->name, HR_MAX_TARGETS);
		if (hr_parse_size(tok, &sz) || (!sz.percent && sz.kib < 1024))
			return wl_err(err, errlen,
				      "%s: '%s' is not a size of at least 1M or a percentage (0-100%%]",
				      o->name, tok);
		job->targets[n++] = sz;
	}
	if (!n) {
		range_text(o, range, sizeof(range));
		return wl_err(err, errlen, "%s: expected %s", o->name, range);
	}
	job->ntargets = n;
	return 0;
}

/* Parse @v into the scalar @p of @o's type: 0, or -1 if it is not a value of the type and range. */
static int parse_scalar(const struct hr_option *o, const char *v, void *p)
{
	struct hr_size sz;
	uint64_t us;
	int64_t x;

	switch (o->type) {
	case HR_T_INT:
	case HR_T_BOOL:
		if (o->auto_word && !strcmp(v, o->auto_word))
			return *(int *)p = 0, 0;
		if (o->type == HR_T_BOOL ? parse_bool(v, &x) : wl_parse_int(v, o->min, o->max, &x))
			return -1;
		*(int *)p = (int)x;
		return 0;
	case HR_T_SIZE:
		if (hr_parse_size(v, &sz) || sz.percent > 0 || sz.kib < (uint64_t)o->min ||
		    sz.kib > (uint64_t)o->max)
			return -1;
		*(uint64_t *)p = sz.kib;
		return 0;
	case HR_T_DUR:
		if (hr_parse_duration(v, &us) || us < (uint64_t)o->min || us > (uint64_t)o->max)
			return -1;
		*(uint64_t *)p = us;
		return 0;
	case HR_T_ENUM:
		x = wl_parse_choice(o->choices, v);
		if (x < 0)
			return -1;
		*(int *)p = (int)x;
		return 0;
	case HR_T_SIZEP:
		if (hr_parse_size(v, &sz) || (!sz.percent && sz.kib < 1024))
			return -1;
		*(struct hr_size *)p = sz;
		return 0;
	default:
		return -1;
	}
}

int hr_option_set(struct hr_job *job, const struct hr_option *o, const char *v, char *err,
		  size_t errlen)
{
	char *p = (char *)job + o->off, range[RANGE_TEXT];

	switch (o->type) {
	case HR_T_STR:
		if (strlen(v) >= o->size)
			return wl_err(err, errlen, "%s: longer than %zu characters", o->name,
				      o->size - 1);
		memcpy(p, v, strlen(v) + 1);
		return 0;
	case HR_T_SIZES:
		return set_sizes(job, o, v, err, errlen);
	default:
		if (!parse_scalar(o, v, p))
			return 0;
		range_text(o, range, sizeof(range));
		return wl_err(err, errlen, "%s: '%s' is not %s", o->name, v, range);
	}
}

int hr_job_set(struct hr_job *job, const char *name, const char *value, char *err, size_t errlen)
{
	const struct hr_option *o = hr_option_find(name);

	if (!o)
		return wl_err(err, errlen, "unknown option '%s' (see 'balloonbench list options')",
			      name);
	return hr_option_set(job, o, value, err, errlen);
}

void hr_job_defaults(struct hr_job *job)
{
	char err[256];

	memset(job, 0, sizeof(*job));
	for (size_t i = 0; i < hr_noptions; i++)
		if (hr_option_set(job, &hr_options[i], hr_options[i].def, err, sizeof(err)))
			hr_err("internal error: default of %s: %s", hr_options[i].name, err);
}

/* A size as written: a percentage, or G/M/K. */
static int format_sizep(char *buf, size_t size, const struct hr_size *z)
{
	int n;

	if (!(z->percent > 0))
		return hr_format_size(buf, size, z->kib);
	n = snprintf(buf, size, "%g%%", z->percent);
	return n >= 0 && (size_t)n < size ? 0 : -1;
}

int hr_option_format(const struct hr_option *o, const struct hr_job *job, char *buf, size_t size)
{
	const char *p = (const char *)job + o->off;
	char one[HR_UNIT_TEXT];
	size_t off = 0;
	int n = 0;

	switch (o->type) {
	case HR_T_STR:
		n = snprintf(buf, size, "%s", p);
		break;
	case HR_T_INT:
	case HR_T_BOOL:
		if (o->auto_word && !*(const int *)p)
			n = snprintf(buf, size, "%s", o->auto_word);
		else
			n = snprintf(buf, size, "%d", *(const int *)p);
		break;
	case HR_T_SIZE:
		return hr_format_size(buf, size, *(const uint64_t *)p);
	case HR_T_DUR:
		return hr_format_duration(buf, size, *(const uint64_t *)p);
	case HR_T_ENUM:
		n = snprintf(buf, size, "%s", o->choices[*(const int *)p]);
		break;
	case HR_T_SIZEP:
		return format_sizep(buf, size, (const struct hr_size *)p);
	case HR_T_SIZES:
		buf[0] = '\0';
		for (int i = 0; i < job->ntargets; i++) {
			(void)format_sizep(one, sizeof(one), &job->targets[i]);
			n = snprintf(buf + off, size - off, "%s%s", i ? "," : "", one);
			if (n < 0 || (size_t)n >= size - off)
				return -1;
			off += (size_t)n;
		}
		return 0;
	}
	return n >= 0 && (size_t)n < size ? 0 : -1;
}

void hr_options_print(FILE *f)
{
	fprintf(f, "%-20s %-10s %-10s %s\n", "OPTION", "TYPE", "DEFAULT", "MEANING (allowed values)");
	for (size_t i = 0; i < hr_noptions; i++) {
		const struct hr_option *o = &hr_options[i];
		char range[RANGE_TEXT];

		range_text(o, range, sizeof(range));
		fprintf(f, "%-20s %-10s %-10s %s (%s)\n", o->name, type_names[o->type],
			*o->def ? o->def : "-", o->help, range);
	}
}
