// SPDX-License-Identifier: MIT
/*
 * schema.c - the results files' columns (schema.h): one table per file, and
 * the row builder that writes them.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"

const char *const hr_ctype_names[HR_CT_N] = {
	[HR_CT_STR] = "string", [HR_CT_INT] = "int", [HR_CT_BOOL] = "bool",
	[HR_CT_FLOAT] = "float", [HR_CT_GFLOAT] = "float",
};
const char *const hr_better_names[HR_BETTER_N] = {
	[HR_BETTER_NONE] = "", [HR_BETTER_LOWER] = "lower", [HR_BETTER_HIGHER] = "higher",
};

/* type and precision; which way is better */
#define STR	HR_CT_STR, 0
#define INT	HR_CT_INT, 0
#define BOOL	HR_CT_BOOL, 0
#define FLT(p)	HR_CT_FLOAT, p
#define GFL(p)	HR_CT_GFLOAT, p
#define LO	HR_BETTER_LOWER
#define HI	HR_BETTER_HIGHER
#define NO	HR_BETTER_NONE

static const struct hr_col samples[] = {
	[HR_SA_T_S] = { "t_s", FLT(6), "s", NO, "time in the run's time base (host monotonic since the run began)" },
	[HR_SA_VM] = { "vm", STR, "", NO, "the guest" },
	[HR_SA_SOURCE] = { "source", STR, "", NO, "guest (the agent's sample) or host (QEMU's view, the host sampler)" },
	[HR_SA_SEQ] = { "seq", INT, "", NO, "guest: the agent's sample number (a gap is a dropped sample)" },
	[HR_SA_T_GUEST_NS] = { "t_guest_ns", INT, "ns", NO, "guest: the sample's time by the guest's clock" },
	[HR_SA_BALLOON_MIB] = { "balloon_mib", FLT(3), "MiB", NO, "memory the mechanism holds out of the guest (empty until known)" },
	[HR_SA_INFLATED_PAGES] = { "inflated_pages", INT, "pages", NO, "guest: /proc/vmstat balloon_inflate, cumulative" },
	[HR_SA_DEFLATED_PAGES] = { "deflated_pages", INT, "pages", NO, "guest: /proc/vmstat balloon_deflate, cumulative" },
	[HR_SA_OOM_KILLS] = { "oom_kills", INT, "count", NO, "guest: /proc/vmstat oom_kill, cumulative" },
	[HR_SA_MEM_TOTAL_KIB] = { "mem_total_kib", INT, "KiB", NO, "guest: MemTotal" },
	[HR_SA_MEM_FREE_KIB] = { "mem_free_kib", INT, "KiB", NO, "guest: MemFree" },
	[HR_SA_ACTUAL_MIB] = { "actual_mib", FLT(3), "MiB", NO, "host: QEMU's actual (the guest's memory as QEMU sees it)" },
	[HR_SA_QEMU_RSS_KIB] = { "qemu_rss_kib", INT, "KiB", NO, "host: QEMU's resident set (empty where unknown)" },
	[HR_SA_QEMU_ANON_KIB] = { "qemu_anon_kib", INT, "KiB", NO, "host: QEMU's anonymous resident memory" },
	[HR_SA_QEMU_FILE_KIB] = { "qemu_file_kib", INT, "KiB", NO, "host: QEMU's file-backed resident memory" },
	[HR_SA_QEMU_SHMEM_KIB] = { "qemu_shmem_kib", INT, "KiB", NO, "host: QEMU's shared-memory resident memory" },
	[HR_SA_QEMU_HUGETLB_KIB] = { "qemu_hugetlb_kib", INT, "KiB", NO, "host: QEMU's huge pages" },
	[HR_SA_HOST_AVAIL_KIB] = { "host_avail_kib", INT, "KiB", NO, "host: MemAvailable" },
	[HR_SA_HOST_NODE_FREE_KIB] = { "host_node_free_kib", STR, "KiB", NO, "host: free memory per host NUMA node, as 0:KiB;1:KiB" },
	[HR_SA_QEMU_VCPU_CPU_MS] = { "qemu_vcpu_cpu_ms", INT, "ms", NO, "host: CPU time of QEMU's vCPU threads, cumulative" },
	[HR_SA_QEMU_OTHER_CPU_MS] = { "qemu_other_cpu_ms", INT, "ms", NO, "host: CPU time of QEMU's other threads, cumulative" },
	[HR_SA_PSI_SOME_AVG10] = { "psi_some_avg10", FLT(2), "%", NO, "guest: /proc/pressure/memory some avg10 (set on the guest sample after each of the agent's PSI reports, once a second; empty on the others and where the kernel has no PSI)" },
	[HR_SA_PSI_FULL_AVG10] = { "psi_full_avg10", FLT(2), "%", NO, "guest: full avg10 (as psi_some_avg10)" },
	[HR_SA_PSI_SOME_TOTAL_US] = { "psi_some_total_us", INT, "us", NO, "guest: some total, the time some task stalled on memory, cumulative (as psi_some_avg10)" },
	[HR_SA_PSI_FULL_TOTAL_US] = { "psi_full_total_us", INT, "us", NO, "guest: full total, cumulative (as psi_some_avg10)" },
	[HR_SA_PSWPIN] = { "pswpin", INT, "pages", NO, "guest: /proc/vmstat pswpin, cumulative (with the PSI report: as psi_some_avg10)" },
	[HR_SA_PSWPOUT] = { "pswpout", INT, "pages", NO, "guest: /proc/vmstat pswpout, cumulative (as pswpin)" },
	[HR_SA_PGMAJFAULT] = { "pgmajfault", INT, "count", NO, "guest: /proc/vmstat pgmajfault, cumulative (as pswpin)" },
	[HR_SA_HOST_QUERY_MS] = { "host_query_ms", FLT(3), "ms", NO, "host: the round trip of QEMU's answer to the actual's query; t_s is its middle, so actual_mib is QEMU's within half of this of t_s" },
	[HR_SA_HOST_READ_MS] = { "host_read_ms", FLT(3), "ms", NO, "host: the reads after the query (QEMU's RSS and CPU, the host's memory): those figures are from between t_s + host_query_ms/2 and that + this" },
};
_Static_assert(sizeof(samples) / sizeof(samples[0]) == HR_SA_NCOLS, "samples.csv: a column per id");

static const struct hr_col events[] = {
	[HR_EV_T_S] = { "t_s", FLT(6), "s", NO, "when it happened, in the run's time base (rows in this order)" },
	[HR_EV_VM] = { "vm", STR, "", NO, "the guest, empty for the run's own" },
	[HR_EV_EVENT] = { "event", STR, "", NO, "what: boot, target, transition-end, probe, workload-start, oom-kill, failed..." },
	[HR_EV_DETAIL] = { "detail", STR, "", NO, "free text", .quote = 1 },
};
_Static_assert(sizeof(events) / sizeof(events[0]) == HR_EV_NCOLS, "events.csv: a column per id");

static const struct hr_col trans[] = {
	[HR_TR_VM] = { "vm", STR, "", NO, "the guest" },
	[HR_TR_JOB] = { "job", STR, "", NO, "the scenario's job" },
	[HR_TR_INDEX] = { "index", INT, "", NO, "the transition's number in the guest's schedule, from 0" },
	[HR_TR_CYCLE] = { "cycle", INT, "", NO, "the cycle of the targets list, from 0" },
	[HR_TR_DIRECTION] = { "direction", STR, "", NO, "inflate (memory taken from the guest), deflate (given back) or none" },
	[HR_TR_FROM_MIB] = { "from_mib", FLT(3), "MiB", NO, "the guest's size before" },
	[HR_TR_TO_MIB] = { "to_mib", FLT(3), "MiB", NO, "the target" },
	[HR_TR_REQUESTED_MIB] = { "requested_mib", FLT(3), "MiB", NO, "the change asked of the balloon (negative: deflate)" },
	[HR_TR_MOVED_MIB] = { "moved_mib", FLT(3), "MiB", NO, "what the guest's counters moved" },
	[HR_TR_T_SET_S] = { "t_set_s", FLT(6), "s", NO, "when the target was set, in the run's time base" },
	[HR_TR_SET_CALL_MS] = { "set_call_ms", FLT(3), "ms", LO, "how long libvirt's call to set it took" },
	[HR_TR_CONTROL_LATENCY_MS] = { "control_latency_ms", FLT(3), "ms", LO, "target set -> first page moved", .metric = 1 },
	[HR_TR_T50_MS] = { "t50_ms", FLT(3), "ms", LO, "target set -> 50 % of the change moved", .metric = 2 },
	[HR_TR_T90_MS] = { "t90_ms", FLT(3), "ms", LO, "target set -> 90 % moved", .metric = 3 },
	[HR_TR_T100_MS] = { "t100_ms", FLT(3), "ms", LO, "target set -> all of it moved (empty: not reached)", .metric = 4, .needs_reached = 1 },
	[HR_TR_MEAN_RATE_MIB_S] = { "mean_rate_mib_s", FLT(3), "MiB/s", HI, "mean rate while it moved", .metric = 5, .needs_reached = 1 },
	[HR_TR_PEAK_RATE_MIB_S] = { "peak_rate_mib_s", FLT(3), "MiB/s", HI, "highest rate over the peak window", .metric = 6, .needs_reached = 1 },
	[HR_TR_STALLS] = { "stalls", INT, "count", LO, "pauses of the stall option's length or more while it moved", .metric = 8 },
	[HR_TR_LONGEST_STALL_MS] = { "longest_stall_ms", FLT(3), "ms", LO, "the longest of them" },
	[HR_TR_REACHED] = { "reached", BOOL, "", HI, "1 if the target was reached" },
	[HR_TR_SHORTFALL_MIB] = { "shortfall_mib", FLT(3), "MiB", LO, "how far short of the target it ended", .metric = 9 },
	[HR_TR_GUEST_SAMPLES] = { "guest_samples", INT, "count", NO, "guest samples over the transition" },
	[HR_TR_GUEST_SAMPLE_HZ] = { "guest_sample_hz", FLT(1), "Hz", HI, "their achieved rate while it moved" },
	[HR_TR_HOST_MOVED_MIB] = { "host_moved_mib", FLT(3), "MiB", NO, "what QEMU's actual moved" },
	[HR_TR_HOST_T100_MS] = { "host_t100_ms", FLT(3), "ms", LO, "target set -> QEMU's actual there" },
	[HR_TR_HOST_MEAN_RATE_MIB_S] = { "host_mean_rate_mib_s", FLT(3), "MiB/s", HI, "mean rate by QEMU's actual", .metric = 7, .needs_reached = 1 },
	[HR_TR_AGENT_CPU_PCT] = { "agent_cpu_pct", FLT(1), "%", LO, "the agent's CPU over the transition, % of one vCPU" },
	[HR_TR_FAULTS] = { "faults", INT, "count", LO, "the workload's page faults (the kernel's count)", .metric = 10 },
	[HR_TR_SLOW_ACCESSES] = { "slow_accesses", INT, "count", LO, "the workload's accesses slower than its slow option" },
	[HR_TR_FAULT_P50_US] = { "fault_p50_us", FLT(3), "us", LO, "median latency of the slow accesses" },
	[HR_TR_FAULT_P99_US] = { "fault_p99_us", FLT(3), "us", LO, "p99 latency of the slow accesses", .metric = 11 },
	[HR_TR_FAULT_MAX_US] = { "fault_max_us", FLT(3), "us", LO, "the slowest access" },
	[HR_TR_WL_KIND] = { "wl_kind", STR, "", NO, "what the workload timed: access or request" },
	[HR_TR_WL_P50_US] = { "wl_p50_us", FLT(3), "us", LO, "the workload's p50 during the change", .metric = 12 },
	[HR_TR_WL_P99_US] = { "wl_p99_us", FLT(3), "us", LO, "its p99 during the change", .metric = 13 },
	[HR_TR_WL_P999_US] = { "wl_p999_us", FLT(3), "us", LO, "its p99.9 during the change", .metric = 14 },
	[HR_TR_STEADY_P50_US] = { "steady_p50_us", FLT(3), "us", LO, "its p50 in the steady state before the change" },
	[HR_TR_STEADY_P99_US] = { "steady_p99_us", FLT(3), "us", LO, "its p99 in the steady state before" },
	[HR_TR_STEADY_P999_US] = { "steady_p999_us", FLT(3), "us", LO, "its p99.9 in the steady state before" },
	[HR_TR_OOM_KILLS] = { "oom_kills", INT, "count", LO, "OOM kills in the guest during the change", .metric = 15 },
	[HR_TR_END_REASON] = { "end_reason", STR, "", NO, "reached, gave-up, timeout, superseded, interrupted, guest-gone or failed" },
	[HR_TR_REP] = { "rep", INT, "", NO, "the repetition, from 0 (warm-up runs first)" },
	[HR_TR_WARMUP] = { "warmup", BOOL, "", NO, "1 in a warm-up repetition (left out of the statistics)" },
	[HR_TR_LABEL] = { "label", STR, "", NO, "the job's matrix values", .quote = 1 },
	[HR_TR_PLANNED_S] = { "planned_s", FLT(6), "s", NO, "when the schedule planned the change, in the run's time base" },
	[HR_TR_LATE_MS] = { "late_ms", FLT(3), "ms", LO, "how much later than planned it was set" },
	[HR_TR_NODE_TOTAL_DELTA_MIB] = { "node_total_delta_mib", STR, "MiB", NO, "MemTotal's change per guest NUMA node, as 0:MiB;1:MiB" },
	[HR_TR_NODE_FREE_DELTA_MIB] = { "node_free_delta_mib", STR, "MiB", NO, "MemFree's change per guest NUMA node, as 0:MiB;1:MiB" },
	[HR_TR_HOST_RSS_DELTA_MIB] = { "host_rss_delta_mib", FLT(3), "MiB", NO, "QEMU's RSS change over the transition and its rest" },
	[HR_TR_HOST_RETURNED_MIB] = { "host_returned_mib", FLT(3), "MiB", HI, "memory QEMU gave back to the host (empty where its RSS did not move beyond its noise)", .metric = 16, .noise = 1 },
	[HR_TR_HOST_RSS_SETTLE_MS] = { "host_rss_settle_ms", FLT(3), "ms", LO, "target set -> QEMU's RSS settled (within 1 MiB)", .metric = 17, .noise = 20 },
	[HR_TR_HOST_LAG_MS] = { "host_lag_ms", FLT(3), "ms", LO, "the host's settle minus the guest's t100 (either sign)", .metric = 18, .noise = 20, .absolute = 1 },
	[HR_TR_QEMU_VCPU_MS_PER_GIB] = { "qemu_vcpu_ms_per_gib", FLT(3), "ms/GiB", LO, "QEMU's vCPU threads' CPU per GiB moved", .metric = 19 },
	[HR_TR_QEMU_OTHER_MS_PER_GIB] = { "qemu_other_ms_per_gib", FLT(3), "ms/GiB", LO, "QEMU's other threads' CPU per GiB moved", .metric = 20 },
	[HR_TR_MECHANISM] = { "mechanism", STR, "", NO, "balloon or virtio-mem" },
	[HR_TR_BLOCK_KIB] = { "block_kib", FLT(3), "KiB", NO, "virtio-mem: its block size" },
	[HR_TR_BLOCKS_PLUGGED] = { "blocks_plugged", FLT(3), "count", NO, "virtio-mem: blocks plugged" },
	[HR_TR_BLOCKS_UNPLUGGED] = { "blocks_unplugged", FLT(3), "count", NO, "virtio-mem: blocks unplugged" },
	[HR_TR_UNPLUG_FAILED_BLOCKS] = { "unplug_failed_blocks", FLT(3), "count", LO, "virtio-mem: blocks the guest could not unplug" },
	[HR_TR_HOST_EVENT_MS] = { "host_event_ms", FLT(3), "ms", LO, "virtio-mem: target set -> libvirt's memory-device event" },
	[HR_TR_HOST_T100_EST_MS] = { "host_t100_est_ms", FLT(3), "ms", LO, "host_t100_ms placed between two host samples, on the line of the two before" },
	[HR_TR_HOST] = { "host", STR, "", NO, "the host (of the fleet: the hosts file's name) that ran it" },
	[HR_TR_WL_VERIFIED_MIB] = { "wl_verified_mib", FLT(3), "MiB", HI, "integrity: memory the workload verified during the change" },
	[HR_TR_WL_MISMATCHES] = { "wl_mismatches", INT, "count", LO, "integrity: pages found not as written during the change (each an integrity-mismatch event)" },
	[HR_TR_PROBE_HITS] = { "probe_hits", INT, "count", NO, "kprobe: hits of the agent's hooks over it (balloon batches or virtio-mem requests; empty: polled)" },
	[HR_TR_PROBE_PERTURBATION_PCT] = { "probe_perturbation_pct", FLT(3), "%", LO, "kprobe: hits x the cost of a hit the agent measured (in a hot loop: a lower bound on a slow host, docs/probe.md), % of t100 (empty: polled or not measured)" },
};
_Static_assert(sizeof(trans) / sizeof(trans[0]) == HR_TR_NCOLS, "transitions.csv: a column per id");

static const struct hr_col faults[] = {
	[HR_FA_T_S] = { "t_s", FLT(6), "s", NO, "the bin's time, in the run's time base" },
	[HR_FA_VM] = { "vm", STR, "", NO, "the guest" },
	[HR_FA_WORKLOAD] = { "workload", STR, "", NO, "the workload" },
	[HR_FA_BIN_MS] = { "bin_ms", FLT(3), "ms", NO, "the bin's length" },
	[HR_FA_ACCESSES] = { "accesses", INT, "count", NO, "accesses timed in the bin" },
	[HR_FA_SLOW_ACCESSES] = { "slow_accesses", INT, "count", LO, "those slower than the slow option" },
	[HR_FA_SLOW_MEAN_NS] = { "slow_mean_ns", FLT(0), "ns", LO, "their mean latency (0 if none)" },
	[HR_FA_SLOW_MAX_NS] = { "slow_max_ns", INT, "ns", LO, "their largest latency" },
	[HR_FA_MINFLT] = { "minflt", INT, "count", NO, "minor faults of the workload and its children, cumulative" },
	[HR_FA_MAJFLT] = { "majflt", INT, "count", NO, "major faults, cumulative" },
};
_Static_assert(sizeof(faults) / sizeof(faults[0]) == HR_FA_NCOLS, "faults.csv: a column per id");

#define EPOCH_COLS(P) \
	[P##_VM] = { "vm", STR, "", NO, "the guest" }, \
	[P##_WORKLOAD] = { "workload", STR, "", NO, "the workload" }, \
	[P##_EPOCH] = { "epoch", INT, "", NO, "the epoch: a phase of the schedule" }, \
	[P##_PHASE] = { "phase", STR, "", NO, "steady or transition" }, \
	[P##_TRANSITION] = { "transition", INT, "", NO, "the transition's index (-1: none)" }, \
	[P##_KIND] = { "kind", STR, "", NO, "access or request" }

static const struct hr_col latency[] = {
	EPOCH_COLS(HR_LA),
	[HR_LA_BUCKET_LO_NS] = { "bucket_lo_ns", INT, "ns", NO, "the histogram bucket's lower bound" },
	[HR_LA_BUCKET_HI_NS] = { "bucket_hi_ns", INT, "ns", NO, "its upper bound" },
	[HR_LA_COUNT] = { "count", INT, "count", NO, "latencies in the bucket" },
};
_Static_assert(sizeof(latency) / sizeof(latency[0]) == HR_LA_NCOLS, "latency.csv: a column per id");

static const struct hr_col latstats[] = {
	EPOCH_COLS(HR_LS),
	[HR_LS_N] = { "n", INT, "count", NO, "latencies recorded" },
	[HR_LS_MEAN_NS] = { "mean_ns", FLT(1), "ns", LO, "their mean (Welford)" },
	[HR_LS_STDDEV_NS] = { "stddev_ns", FLT(1), "ns", LO, "their standard deviation (Welford)" },
	[HR_LS_MIN_NS] = { "min_ns", INT, "ns", LO, "the smallest" },
	[HR_LS_MAX_NS] = { "max_ns", INT, "ns", LO, "the largest" },
	[HR_LS_P50_NS] = { "p50_ns", FLT(0), "ns", LO, "the median, from the histogram" },
	[HR_LS_P99_NS] = { "p99_ns", FLT(0), "ns", LO, "p99, from the histogram" },
	[HR_LS_P999_NS] = { "p999_ns", FLT(0), "ns", LO, "p99.9, from the histogram" },
};
_Static_assert(sizeof(latstats) / sizeof(latstats[0]) == HR_LS_NCOLS, "latency_stats.csv: a column per id");

static const struct hr_col nodes[] = {
	[HR_NO_T_S] = { "t_s", FLT(6), "s", NO, "the sample's time, in the run's time base" },
	[HR_NO_VM] = { "vm", STR, "", NO, "the guest" },
	[HR_NO_NODE] = { "node", INT, "", NO, "the guest's NUMA node" },
	[HR_NO_MEM_TOTAL_KIB] = { "mem_total_kib", INT, "KiB", NO, "the node's MemTotal" },
	[HR_NO_MEM_FREE_KIB] = { "mem_free_kib", INT, "KiB", NO, "the node's MemFree" },
};
_Static_assert(sizeof(nodes) / sizeof(nodes[0]) == HR_NO_NCOLS, "nodes.csv: a column per id");

static const struct hr_col slowest[] = {
	[HR_SL_T_S] = { "t_s", FLT(6), "s", NO, "the access's time, in the run's time base" },
	[HR_SL_VM] = { "vm", STR, "", NO, "the guest" },
	[HR_SL_WORKLOAD] = { "workload", STR, "", NO, "the workload" },
	[HR_SL_LATENCY_NS] = { "latency_ns", INT, "ns", LO, "how long it took" },
};
_Static_assert(sizeof(slowest) / sizeof(slowest[0]) == HR_SL_NCOLS, "slowest.csv: a column per id");

static const struct hr_col decisions[] = {
	[HR_DE_T_S] = { "t_s", FLT(6), "s", NO, "when the policy decided, in the run's time base" },
	[HR_DE_VM] = { "vm", STR, "", NO, "the guest" },
	[HR_DE_JOB] = { "job", STR, "", NO, "the scenario's job" },
	[HR_DE_REP] = { "rep", INT, "", NO, "the job's repetition, from 0" },
	[HR_DE_POLICY] = { "policy", STR, "", NO, "the policy (none, fpr, mom, psi, external)" },
	[HR_DE_PERIOD] = { "period", INT, "", NO, "which decision of the job's wave, from 1" },
	[HR_DE_SET] = { "set", BOOL, "", NO, "1: a new target was proposed to the guest's controller; 0: no change" },
	[HR_DE_TARGET_MIB] = { "target_mib", FLT(3), "MiB", NO, "the target proposed (set = 1), else the target kept" },
	[HR_DE_PREV_TARGET_MIB] = { "prev_target_mib", FLT(3), "MiB", NO, "the guest's target when the policy decided" },
	[HR_DE_ACTUAL_MIB] = { "actual_mib", FLT(3), "MiB", NO, "input: the balloon's actual (virDomainMemoryStats ACTUAL_BALLOON; empty: unknown)" },
	[HR_DE_UNUSED_MIB] = { "unused_mib", FLT(3), "MiB", NO, "input: the guest's free memory (virDomainMemoryStats UNUSED; empty: unknown)" },
	[HR_DE_FLOOR_MIB] = { "floor_mib", FLT(3), "MiB", NO, "the least a target may be (low=)" },
	[HR_DE_NOMINAL_MIB] = { "nominal_mib", FLT(3), "MiB", NO, "the most a target may be (memory=)" },
	[HR_DE_BUDGET_USAGE_MIB] = { "budget_usage_mib", FLT(3), "MiB", NO, "input: what the host budget's cgroup holds (empty: no budget)" },
	[HR_DE_BUDGET_LIMIT_MIB] = { "budget_limit_mib", FLT(3), "MiB", NO, "input: the host budget's limit (empty: no budget)" },
	[HR_DE_REASON] = { "reason", STR, "", NO, "why, one line (the policy's own words)", .quote = 1 },
	[HR_DE_PHASE] = { "phase", STR, "", NO, "bring-up: the guest was up and in the loop while others of its wave still came up (their workloads and prefills, one at a time); run: past the job's start line, the policy's window the scores count" },
	[HR_DE_PSI_SOME_AVG10] = { "psi_some_avg10", FLT(2), "%", NO, "input: the guest's /proc/pressure/memory some avg10, its agent's latest report (empty: none)" },
	[HR_DE_PSI_SOME_TOTAL_US] = { "psi_some_total_us", INT, "us", NO, "input: its some total, cumulative (empty: none)" },
	[HR_DE_PSI_FULL_AVG10] = { "psi_full_avg10", FLT(2), "%", NO, "input: its full avg10 (empty: none)" },
};
_Static_assert(sizeof(decisions) / sizeof(decisions[0]) == HR_DE_NCOLS, "decisions.csv: a column per id");

static const struct hr_col budget[] = {
	[HR_BU_T_S] = { "t_s", FLT(6), "s", NO, "when it was read, in the run's time base" },
	[HR_BU_JOB] = { "job", STR, "", NO, "the scenario's job" },
	[HR_BU_REP] = { "rep", INT, "", NO, "the job's repetition, from 0" },
	[HR_BU_KIND] = { "kind", STR, "", NO, "budget (the job's memory cgroup, every QEMU of its guests) or qemu (one guest's QEMU)" },
	[HR_BU_VM] = { "vm", STR, "", NO, "qemu: the guest; budget: empty" },
	[HR_BU_LIMIT_MIB] = { "limit_mib", FLT(3), "MiB", NO, "budget: the cgroup's memory limit (v1 memory.limit_in_bytes)" },
	[HR_BU_USAGE_MIB] = { "usage_mib", FLT(3), "MiB", NO, "budget: what the cgroup holds now (v1 memory.usage_in_bytes)" },
	[HR_BU_MAX_USAGE_MIB] = { "max_usage_mib", FLT(3), "MiB", NO, "budget: the most it held so far (v1 memory.max_usage_in_bytes)" },
	[HR_BU_FAILCNT] = { "failcnt", INT, "count", NO, "budget: times the limit was hit (v1 memory.failcnt), cumulative (memsw's limit is 1 MiB above memory's so that memory's is the one hit and counted: this kernel keeps no memsw failcnt; once the group holds more than 1 MiB of swap, memsw is hit first and this stops counting; with host-swap memsw's limit is the budget and the swap file's size: memory's limit is hit, and counted, until the group's swap fills the file)" },
	[HR_BU_MEMSW_USAGE_MIB] = { "memsw_usage_mib", FLT(3), "MiB", NO, "budget: memory plus swap (v1 memory.memsw.usage_in_bytes; empty where swap is not accounted)" },
	[HR_BU_MEMSW_FAILCNT] = { "memsw_failcnt", INT, "count", NO, "budget: times memory plus swap hit the limit (v1 memory.memsw.failcnt; this host's kernel, 6.18, keeps it 0)" },
	[HR_BU_SWAP_MIB] = { "swap_mib", FLT(3), "MiB", NO, "budget: swap its processes hold (v1 memory.stat total_swap; empty: not accounted)" },
	[HR_BU_OOM_KILL] = { "oom_kill", INT, "count", NO, "budget: processes the cgroup's OOM killer killed (v1 memory.oom_control oom_kill), cumulative" },
	[HR_BU_UNDER_OOM] = { "under_oom", BOOL, "", NO, "budget: 1 while the cgroup is out of memory (v1 memory.oom_control under_oom)" },
	[HR_BU_RSS_MIB] = { "rss_mib", FLT(3), "MiB", NO, "qemu: the process's VmRSS (/proc/PID/status)" },
	[HR_BU_VMSWAP_MIB] = { "vmswap_mib", FLT(3), "MiB", NO, "qemu: the process's VmSwap (/proc/PID/status)" },
	[HR_BU_KMSG_OOM_KILLS] = { "kmsg_oom_kills", INT, "count", NO, "budget: processes the cgroup's OOM killer killed, as the kernel log says (/dev/kmsg from the budget's creation: oom-kill lines whose oom_memcg is the budget's partition, or, the summary split, Killed process lines of its QEMUs; one a pid), cumulative; empty: the log cannot be read, or records were lost (a kmsg event says which). cgroup v1's oom_kill counts a kill in the victim's own cgroup only (a domain's), this one in the budget's" },
	[HR_BU_SWAP_IN_MIB] = { "swap_in_mib", FLT(3), "MiB", LO, "budget: the host's swap-ins since the budget's creation (/proc/vmstat pswpin, pages x the page size), cumulative: the whole host's, not only the budget's (cgroup v1 counts no swap-in per group)" },
	[HR_BU_SWAP_OUT_MIB] = { "swap_out_mib", FLT(3), "MiB", LO, "budget: the host's swap-outs since the budget's creation (/proc/vmstat pswpout), cumulative, the whole host's" },
	[HR_BU_SWAPFILE_USED_MIB] = { "swapfile_used_mib", FLT(3), "MiB", NO, "budget: what host-swap's file holds now (/proc/swaps Used; empty: no host-swap)" },
};
_Static_assert(sizeof(budget) / sizeof(budget[0]) == HR_BU_NCOLS, "budget.csv: a column per id");

static const struct hr_col summary[] = {
	[HR_SU_SCHEMA] = { "schema", INT, "", NO, "1: the file's schema" },
	[HR_SU_SCENARIO] = { "scenario", STR, "", NO, "the scenario file" },
	[HR_SU_JOB] = { "job", STR, "", NO, "the job" },
	[HR_SU_LABEL] = { "label", STR, "", NO, "its matrix values (empty if none)", .quote = 1 },
	[HR_SU_VM] = { "vm", STR, "", NO, "v0, v1...: guest k of the job across repetitions; all: every guest (a failed one left out)" },
	[HR_SU_DIRECTION] = { "direction", STR, "", NO, "inflate or deflate; job: a score of scores.csv (a value per job repetition)" },
	[HR_SU_METRIC] = { "metric", STR, "", NO, "a transitions.csv or scores.csv column (the metrics: balloonbench list metrics)" },
	[HR_SU_UNIT] = { "unit", STR, "", NO, "the metric's unit" },
	[HR_SU_BETTER] = { "better", STR, "", NO, "lower or higher: what an improvement is" },
	[HR_SU_N] = { "n", INT, "count", NO, "transitions (job: repetitions) with a value (warm-up runs left out)" },
	[HR_SU_MEDIAN] = { "median", GFL(6), "", NO, "the median, in the metric's unit" },
	[HR_SU_MEAN] = { "mean", GFL(6), "", NO, "the mean" },
	[HR_SU_STDDEV] = { "stddev", GFL(6), "", NO, "the standard deviation (n - 1)" },
	[HR_SU_MIN] = { "min", GFL(6), "", NO, "the smallest" },
	[HR_SU_MAX] = { "max", GFL(6), "", NO, "the largest" },
	[HR_SU_CI_LO] = { "ci_lo", GFL(6), "", NO, "the distribution-free 95 % confidence interval of the median: its low end ([min, max] if n < 6)" },
	[HR_SU_CI_HI] = { "ci_hi", GFL(6), "", NO, "its high end" },
	[HR_SU_CI_COVERAGE] = { "ci_coverage", FLT(4), "", NO, "the interval's exact coverage (0.95 or more when n >= 6)" },
};
_Static_assert(sizeof(summary) / sizeof(summary[0]) == HR_SU_NCOLS, "summary.csv: a column per id");

static const struct hr_col lifecycle[] = {
	[HR_LC_VM] = { "vm", STR, "", NO, "the guest" },
	[HR_LC_JOB] = { "job", STR, "", NO, "the scenario's job" },
	[HR_LC_REP] = { "rep", INT, "", NO, "the repetition, from 0 (warm-up runs first)" },
	[HR_LC_EVENT] = { "event", STR, "", NO, "its kind: pause, storm, floor, save, reset, reboot, shutdown (balloonbench-scenario(5))" },
	[HR_LC_SPEC] = { "spec", STR, "", NO, "the event as events= has it, e.g. pause:3s@after:1" },
	[HR_LC_WHEN] = { "when", STR, "", NO, "after (transition N settled) or during (transition N moving)" },
	[HR_LC_TRANSITION] = { "transition", INT, "", NO, "N: the transition it follows or interrupts, from 1 (transitions.csv's index + 1); 0: before the first" },
	[HR_LC_T_START_S] = { "t_start_s", FLT(6), "s", NO, "when it was injected, in the run's time base" },
	[HR_LC_DURATION_MS] = { "duration_ms", FLT(3), "ms", LO, "inject to its end (a pause: suspended to resumed; a storm: to its final target; a save: save and restore)" },
	[HR_LC_RESULT] = { "result", STR, "", NO, "ok, or failed (reason says why)" },
	[HR_LC_REASON] = { "reason", STR, "", NO, "what failed, or what the event did (free text)", .quote = 1 },
	[HR_LC_TARGET_MIB] = { "target_mib", FLT(3), "MiB", NO, "the target the balloon must be at after it" },
	[HR_LC_ACTUAL_BEFORE_MIB] = { "actual_before_mib", FLT(3), "MiB", NO, "the guest's size before (its counters)" },
	[HR_LC_ACTUAL_AFTER_MIB] = { "actual_after_mib", FLT(3), "MiB", NO, "the guest's size after the checks (its counters)" },
	[HR_LC_HOST_ACTUAL_AFTER_MIB] = { "host_actual_after_mib", FLT(3), "MiB", NO, "QEMU's actual then" },
	[HR_LC_TARGET_RESET] = { "target_reset", BOOL, "", LO, "1 if the runner had to set the target again after it" },
	[HR_LC_RECOVER_MS] = { "recover_ms", FLT(3), "ms", LO, "the event's end -> a fresh guest sample at its target (the checks' first wait)" },
	[HR_LC_AGENT_MS] = { "agent_ms", FLT(3), "ms", LO, "the event's end -> the agent's answer to a ping (empty: none within 5 s)" },
	[HR_LC_ACCOUNTING_OK] = { "accounting_ok", BOOL, "", HI, "1 if MemTotal plus the balloon is what it was at boot (within 1 MiB)" },
	[HR_LC_ACCOUNTING_DELTA_MIB] = { "accounting_delta_mib", FLT(3), "MiB", NO, "MemTotal plus the balloon, after minus at boot" },
	[HR_LC_WL_VERIFIED_MIB] = { "wl_verified_mib", FLT(3), "MiB", HI, "integrity: memory the workload verified from the event's start to the checks' end" },
	[HR_LC_WL_MISMATCHES] = { "wl_mismatches", INT, "count", LO, "integrity: mismatches found in that time (any mismatch since the start fails the row)" },
	[HR_LC_SAVE_IMAGE_BYTES] = { "save_image_bytes", INT, "bytes", LO, "save: the image's size" },
	[HR_LC_SAVE_MS] = { "save_ms", FLT(3), "ms", LO, "save: virDomainSave's time" },
	[HR_LC_RESTORE_MS] = { "restore_ms", FLT(3), "ms", LO, "save: virDomainRestore's time" },
	[HR_LC_SHORTFALL_MIB] = { "shortfall_mib", FLT(3), "MiB", NO, "floor: the guest's size when the balloon stopped, minus the target asked" },
	[HR_LC_OOM_KILLS] = { "oom_kills", INT, "count", LO, "OOM kills in the guest from the event's start to the checks' end" },
	[HR_LC_PAUSED_MOVED_MIB] = { "paused_moved_mib", FLT(3), "MiB", NO, "pause: how far QEMU's actual moved while the guest was paused" },
	[HR_LC_TRANSITION_T100_MS] = { "transition_t100_ms", FLT(3), "ms", NO, "during: the interrupted transition's t100, the pause included (empty: not reached)" },
	[HR_LC_CLOCK_STEP_MS] = { "clock_step_ms", FLT(3), "ms", NO, "the guest clock's offset after minus before (a paused guest's clock stands still)" },
	[HR_LC_GAP_SAMPLES] = { "gap_samples", INT, "count", NO, "the agent's samples left out until the clock was synchronised again" },
	[HR_LC_STORM_SEED] = { "storm_seed", INT, "", NO, "storm: the random walk's seed" },
	[HR_LC_STORM_FINAL_MIB] = { "storm_final_mib", FLT(3), "MiB", NO, "storm: its last target" },
	[HR_LC_HOST] = { "host", STR, "", NO, "the host that ran it (a migrate: the source)" },
	[HR_LC_MIGRATE_TO] = { "migrate_to", STR, "", NO, "migrate: the destination host (its URI)" },
	[HR_LC_MIG_TOTAL_MS] = { "mig_total_ms", FLT(3), "ms", LO, "migrate: the migration's time, virDomainGetJobStats' time_elapsed (completed job, on the destination)" },
	[HR_LC_MIG_DOWNTIME_MS] = { "mig_downtime_ms", FLT(3), "ms", LO, "migrate: the guest's downtime, stopped on the source to running on the destination (the job's downtime)" },
	[HR_LC_MIG_BYTES] = { "mig_bytes", INT, "bytes", LO, "migrate: bytes sent (the job's data_processed: memory and device state)" },
	[HR_LC_MIG_MEMORY_BYTES] = { "mig_memory_bytes", INT, "bytes", LO, "migrate: guest memory sent (the job's memory_processed)" },
	[HR_LC_MIG_ZERO_PAGES] = { "mig_zero_pages", INT, "count", NO, "migrate: pages sent as zero pages (the job's memory_constant: an inflated balloon's pages are)" },
	[HR_LC_MIG_ITERATIONS] = { "mig_iterations", INT, "count", NO, "migrate: pre-copy passes over memory (the job's memory_iteration)" },
	[HR_LC_BYE_MS] = { "bye_ms", FLT(3), "ms", LO, "reboot:agent, reboot:acpi, shutdown: from the request to the old agent's last line (BYE: its workload stopped, synced; the kernel's way down follows)" },
	[HR_LC_HELLO_MS] = { "hello_ms", FLT(3), "ms", LO, "reset, reboot: from the request to the new agent's HELLO" },
};
_Static_assert(sizeof(lifecycle) / sizeof(lifecycle[0]) == HR_LC_NCOLS, "lifecycle.csv: a column per id");

static const struct hr_col scores[] = {
	[HR_SC_JOB] = { "job", STR, "", NO, "the scenario's job" },
	[HR_SC_LABEL] = { "label", STR, "", NO, "its matrix values (empty if none)", .quote = 1 },
	[HR_SC_REP] = { "rep", INT, "", NO, "the repetition, from 0 (warm-up runs left out)" },
	[HR_SC_VM] = { "vm", STR, "", NO, "the guest, or all: the job's guests together (sums; the latencies of their merged histograms)" },
	[HR_SC_POLICY] = { "policy", STR, "", NO, "the job's policy (empty: the schedule)" },
	[HR_SC_BASELINE] = { "baseline", STR, "", NO, "the job the ratios are against: the first job without a host budget, of as many guests of the same memory= (empty: none)" },
	[HR_SC_GUESTS] = { "guests", INT, "count", NO, "the guests of the row" },
	[HR_SC_NOMINAL_MIB] = { "nominal_mib", FLT(3), "MiB", NO, "their memory= total (all: every guest of the repetition, a failed one too)" },
	[HR_SC_BUDGET_MIB] = { "budget_mib", FLT(3), "MiB", NO, "the host budget's limit (budget.csv; empty: no budget)" },
	[HR_SC_SPAN_S] = { "span_s", FLT(3), "s", NO, "the time the host samples cover in the window: the policy's (its first decision to its last), else the guest's life (all: the sum)" },
	[HR_SC_OVERCOMMIT_RATIO] = { "overcommit_ratio", FLT(4), "x", HI, "nominal_mib / budget_mib (all rows only; empty: no budget)", .metric = 21 },
	[HR_SC_SAVED_GIB_S] = { "saved_gib_s", FLT(3), "GiB*s", HI, "memory held out of the guests: the integral of nominal minus QEMU's balloon actual over the host samples in the window (span_s)", .metric = 22 },
	[HR_SC_SAVED_MEAN_MIB] = { "saved_mean_mib", FLT(3), "MiB", HI, "the same, time-weighted mean: saved_gib_s * 1024 / span_s (all: the guests' means added)" },
	[HR_SC_RSS_MEAN_MIB] = { "rss_mean_mib", FLT(3), "MiB", LO, "what the host held: QEMU's RSS, time-weighted mean over the host samples (all: the guests' means added)", .metric = 23 },
	[HR_SC_RSS_RATIO] = { "rss_ratio", FLT(4), "x", LO, "rss_mean_mib over the baseline job's (the same guest index; all: all)", .metric = 24 },
	[HR_SC_HOST_OOM_KILLS] = { "host_oom_kills", INT, "count", LO, "processes the budget's cgroup OOM killer killed (budget.csv oom_kill; all rows only; empty: no budget). cgroup v1 counts a kill in the killed process's own cgroup only, a domain's, not the budget's: there it reads 0 (see guests_failed)", .metric = 25 },
	[HR_SC_GUEST_OOM_KILLS] = { "guest_oom_kills", INT, "count", LO, "OOM kills in the guests (their /proc/vmstat oom_kill over the guest samples)", .metric = 26 },
	[HR_SC_JOB_P99_US] = { "job_p99_us", FLT(3), "us", LO, "the workload's p99 over the whole job (latency.csv's histograms merged: every epoch and kind)", .metric = 27 },
	[HR_SC_JOB_P999_US] = { "job_p999_us", FLT(3), "us", LO, "its p99.9 over the whole job", .metric = 28 },
	[HR_SC_P99_RATIO] = { "p99_ratio", FLT(4), "x", LO, "job_p99_us over the baseline job's (the same guest index; all: all)", .metric = 29 },
	[HR_SC_P999_RATIO] = { "p999_ratio", FLT(4), "x", LO, "job_p999_us over the baseline job's", .metric = 30 },
	[HR_SC_CHURN_MIB] = { "churn_mib", FLT(3), "MiB", LO, "balloon churn: the sum of |moved_mib| over the job's transitions", .metric = 31 },
	[HR_SC_CHANGES] = { "changes", INT, "count", NO, "the job's transitions (target changes)" },
	[HR_SC_DECISIONS_SET] = { "decisions_set", INT, "count", NO, "decisions that proposed a target (decisions.csv set = 1)" },
	[HR_SC_DECIDE_TO_TARGET_MS] = { "decide_to_target_ms", FLT(3), "ms", LO, "median over those decisions: decided -> the transition to that target set -> reached (t100)", .metric = 32 },
	[HR_SC_SLO_WINDOWS_S] = { "slo_windows_s", INT, "s", NO, "seconds (1 s windows of faults.csv's bins, in the window of span_s) in which the workload made accesses (an access workload: hold, touch, integrity)" },
	[HR_SC_SLO_VIOLATION_S] = { "slo_violation_s", INT, "s", LO, "of them, seconds whose p99 was at least the workload's slow= (more than 1 % of its accesses slow)", .metric = 33 },
	[HR_SC_GUESTS_FAILED] = { "guests_failed", INT, "count", LO, "the repetition's guests that failed (run.json failed_guests: a QEMU the budget's OOM killer ended is one; all rows only), left out of every other score but nominal_mib and overcommit_ratio", .metric = 34 },
	[HR_SC_HOST_SWAP_IN_MIB] = { "host_swap_in_mib", FLT(3), "MiB", LO, "the host's swap-ins over the budget's life (budget.csv swap_in_mib's last value: /proc/vmstat pswpin's difference; the whole host's; all rows only; empty: no budget)", .metric = 35 },
	[HR_SC_HOST_SWAP_OUT_MIB] = { "host_swap_out_mib", FLT(3), "MiB", LO, "the host's swap-outs over the budget's life (budget.csv swap_out_mib's last value: /proc/vmstat pswpout's difference; all rows only; empty: no budget)", .metric = 36 },
};
_Static_assert(sizeof(scores) / sizeof(scores[0]) == HR_SC_NCOLS, "scores.csv: a column per id");

#define TABLE(id, f, h, c) [id] = { f, h, c, (int)(sizeof(c) / sizeof(c[0])) }

const struct hr_table hr_tables[HR_NTABLES] = {
	TABLE(HR_TB_SAMPLES, "samples.csv", "every guest and host sample, one time base", samples),
	TABLE(HR_TB_EVENTS, "events.csv", "what happened when (boots, targets, errors), in time order", events),
	TABLE(HR_TB_TRANS, "transitions.csv", "one row per target change", trans),
	TABLE(HR_TB_FAULTS, "faults.csv", "the workload's fault time series, per bin", faults),
	TABLE(HR_TB_LATENCY, "latency.csv", "every latency histogram bucket per workload, epoch and kind", latency),
	TABLE(HR_TB_LATSTATS, "latency_stats.csv", "the latency statistics per workload, epoch and kind", latstats),
	TABLE(HR_TB_NODES, "nodes.csv", "per guest NUMA node MemTotal and MemFree over time", nodes),
	TABLE(HR_TB_SLOWEST, "slowest.csv", "the workload's slowest accesses", slowest),
	TABLE(HR_TB_LIFECYCLE, "lifecycle.csv", "one row per lifecycle event (events=) and what was checked after it", lifecycle),
	TABLE(HR_TB_DECISIONS, "decisions.csv", "every decision of a job's balloon policy, per guest", decisions),
	TABLE(HR_TB_BUDGET, "budget.csv", "the host budget's cgroup and each QEMU in it, every collect period", budget),
	TABLE(HR_TB_SUMMARY, "summary.csv", "schema 1: statistics per job, guest, direction and metric", summary),
	TABLE(HR_TB_SCORES, "scores.csv", "a job's scores per repetition and guest: memory saved, overcommit, OOM kills, latency against a baseline, churn", scores),
};
_Static_assert(HR_SA_NCOLS <= HR_MAX_COLS && HR_TR_NCOLS <= HR_MAX_COLS && HR_SU_NCOLS <= HR_MAX_COLS,
	       "HR_MAX_COLS holds every table's row");

const struct hr_table *hr_table_find(const char *name)
{
	for (int i = 0; i < HR_NTABLES; i++)
		if (!strcmp(hr_tables[i].file, name))
			return &hr_tables[i];
	return NULL;
}

const struct hr_col *hr_col_find(const struct hr_table *t, const char *name)
{
	for (int i = 0; t && i < t->ncols; i++)
		if (!strcmp(t->cols[i].name, name))
			return &t->cols[i];
	return NULL;
}

int hr_table_header(FILE *f, const struct hr_table *t)
{
	for (int i = 0; i < t->ncols; i++)
		fprintf(f, "%s%s", i ? "," : "", t->cols[i].name);
	fputc('\n', f);
	return ferror(f) ? -1 : 0;
}

/* how a cell was set */
enum { CELL_EMPTY, CELL_F, CELL_I, CELL_U, CELL_S };

void hr_row_init(struct hr_row *r, enum hr_table_id t)
{
	memset(r, 0, sizeof(*r));
	r->t = &hr_tables[t];
}

static struct hr_cell *cell(struct hr_row *r, int col)
{
	return col >= 0 && col < r->t->ncols ? &r->c[col] : NULL;
}

void hr_row_set_f(struct hr_row *r, int col, double v)
{
	struct hr_cell *c = cell(r, col);

	if (c && !isnan(v)) {
		c->kind = CELL_F;
		c->v.f = v;
	}
}

void hr_row_set_i(struct hr_row *r, int col, int64_t v)
{
	struct hr_cell *c = cell(r, col);

	if (c) {
		c->kind = CELL_I;
		c->v.i = v;
	}
}

void hr_row_set_n(struct hr_row *r, int col, int64_t v)
{
	if (v >= 0)
		hr_row_set_i(r, col, v);
}

void hr_row_set_u(struct hr_row *r, int col, uint64_t v)
{
	struct hr_cell *c = cell(r, col);

	if (c) {
		c->kind = CELL_U;
		c->v.u = v;
	}
}

void hr_row_set_s(struct hr_row *r, int col, const char *s)
{
	struct hr_cell *c = cell(r, col);

	if (c && s) {
		c->kind = CELL_S;
		c->v.s = s;
	}
}

static void write_str(FILE *f, const char *s, int quote)
{
	if (!quote && !s[strcspn(s, ",\"\r\n")]) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* One cell in its column's format; an empty one writes nothing (a quoted column: ""). */
static void write_cell(FILE *f, const struct hr_col *col, const struct hr_cell *c)
{
	double x = c->kind == CELL_F ? c->v.f : c->kind == CELL_I ? (double)c->v.i : (double)c->v.u;

	if (c->kind == CELL_EMPTY) {
		if (col->quote)
			fputs("\"\"", f);
		return;
	}
	if (c->kind == CELL_S) {
		write_str(f, c->v.s, col->quote);
		return;
	}
	switch (col->type) {
	case HR_CT_FLOAT:
		fprintf(f, "%.*f", col->prec, x);
		break;
	case HR_CT_GFLOAT:
		fprintf(f, "%.*g", col->prec, x);
		break;
	case HR_CT_INT:
	case HR_CT_BOOL:
		if (c->kind == CELL_I)
			fprintf(f, "%" PRId64, c->v.i);
		else if (c->kind == CELL_U)
			fprintf(f, "%" PRIu64, c->v.u);
		else
			fprintf(f, "%.0f", x);
		break;
	default:
		fprintf(f, "%g", x);
	}
}

int hr_row_write(FILE *f, const struct hr_row *r, int from)
{
	for (int i = from; i < r->t->ncols; i++) {
		if (i > from)
			fputc(',', f);
		write_cell(f, &r->t->cols[i], &r->c[i]);
	}
	fputc('\n', f);
	return ferror(f) ? -1 : 0;
}

char *hr_row_csv(const struct hr_row *r, int from)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	if (hr_row_write(f, r, from) | fclose(f)) {
		free(text);
		return NULL;
	}
	return text;
}
