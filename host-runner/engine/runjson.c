// SPDX-License-Identifier: MIT
/*
 * runjson.c - run.json: the host, versions, the scenario as written and as
 * parsed, every guest (accel, clock offset with its bound, the agent's cost
 * per transition, the workload, its failure if any). Built by the main
 * thread from guests whose threads have ended; written by the recorder.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <hwloc.h>
#include <jansson.h>

#include "core/log.h"
#include "core/version.h"
#include "fleet.h"
#include "guestpriv.h"
#include "mech.h"

/* The host's facts, gathered once (hwloc's topology load is not cheap). */
static json_t *host_json(void)
{
	static json_t *cached;
	json_t *h;
	struct utsname u;
	char name[256] = "", line[512];
	FILE *f;
	hwloc_topology_t topo;

	if (cached)
		return json_incref(cached);
	h = json_object();
	if (!uname(&u)) {
		json_object_set_new(h, "kernel", json_string(u.release));
		json_object_set_new(h, "arch", json_string(u.machine));
	}
	(void)gethostname(name, sizeof(name));
	json_object_set_new(h, "hostname", json_string(name));
	json_object_set_new(h, "cpus", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
	json_object_set_new(h, "mem_mib", json_integer((json_int_t)sysconf(_SC_PHYS_PAGES) *
						       sysconf(_SC_PAGESIZE) / (1 << 20)));
	f = fopen("/proc/cpuinfo", "re");
	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
			char *v = strchr(line, ':') + 2;

			v[strcspn(v, "\n")] = '\0';
			json_object_set_new(h, "cpu_model", json_string(v));
			break;
		}
	}
	if (f)
		fclose(f);
	if (!hwloc_topology_init(&topo)) {
		if (!hwloc_topology_load(topo))
			json_object_set_new(h, "numa_nodes",
				json_integer(hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE)));
		hwloc_topology_destroy(topo);
	}
	cached = h;
	return json_incref(h);
}

static json_t *job_json(const struct hr_job *j)
{
	json_t *o = json_object();

	json_object_set_new(o, "name", json_string(j->name));
	for (size_t i = 0; i < hr_noptions; i++) {
		char buf[1024];

		hr_option_format(&hr_options[i], j, buf, sizeof(buf));
		json_object_set_new(o, hr_options[i].name, json_string(buf));
	}
	{
		json_t *t = json_array();

		for (int i = 0; i < j->ntargets; i++)
			json_array_append_new(t, json_integer((json_int_t)(j->targets[i].kib / 1024)));
		json_object_set_new(o, "targets_mib", t);
	}
	return o;
}

/*
 * The probe's own cost per transition: the agent's CPU, the samples it took
 * and dropped, the achieved rate while the balloon moved, the largest gap;
 * how it followed the change (method kprobe or poll) and, for kprobe, the
 * batch events (virtio-mem: the requests the device acknowledged), records
 * lost, counts totalram disagreed with, the MiB the events moved and the
 * coverage (those MiB over the MiB QEMU's actual moved; 1 is complete).
 */
static json_t *probe_json(const struct hr_guest *g)
{
	json_t *a = json_array();

	for (size_t i = 0; i < g->nrows; i++) {
		const struct hr_trow *r = &g->rows[i];
		json_t *x = json_object();

		json_object_set_new(x, "transition", json_integer(r->index));
		json_object_set_new(x, "agent_cpu_pct", isnan(r->agent_cpu) ? json_null() :
				    json_real(r->agent_cpu));
		json_object_set_new(x, "samples", json_integer((json_int_t)r->samples));
		json_object_set_new(x, "dropped", json_integer((json_int_t)r->dropped));
		json_object_set_new(x, "achieved_hz", json_real(r->hz));
		json_object_set_new(x, "largest_gap_us", json_integer((json_int_t)r->max_gap_us));
		json_object_set_new(x, "method", json_string(r->probe ? "kprobe" : "poll"));
		json_object_set_new(x, "events", json_integer((json_int_t)r->events));
		json_object_set_new(x, "lost", json_integer((json_int_t)r->lost));
		json_object_set_new(x, "mismatch", json_integer((json_int_t)r->mismatch));
		json_object_set_new(x, "coverage", isnan(r->coverage) ? json_null() :
				    json_real(r->coverage));
		json_object_set_new(x, "event_mib", json_real(r->event_mib));
		json_object_set_new(x, "hits_entry", json_integer((json_int_t)r->hits_entry));
		json_object_set_new(x, "hits_return", json_integer((json_int_t)r->hits_return));
		json_object_set_new(x, "perturbation_pct", isnan(r->perturb_pct) ? json_null() :
				    json_real(r->perturb_pct));
		json_array_append_new(a, x);
	}
	return a;
}

/* What a hit of the agent's hooks costs (HOOK): per call of its syscall, and a hit in us. */
static json_t *hook_json(const struct hr_guest *g)
{
	const struct bbp_hook *h = &g->boot.hook;
	static const char *const placed[] = { "unknown", "int3", "ftrace" };
	json_t *o = json_object();

	json_object_set_new(o, "function", json_string(h->func));
	json_object_set_new(o, "calls", json_integer((json_int_t)h->calls));
	json_object_set_new(o, "plain_ns", json_integer((json_int_t)h->plain_ns));
	json_object_set_new(o, "entry_ns", json_integer((json_int_t)h->entry_ns));
	json_object_set_new(o, "return_ns", json_integer((json_int_t)h->return_ns));
	json_object_set_new(o, "entry_us", json_real(g->boot.hook_entry_us));
	json_object_set_new(o, "return_us", isnan(g->boot.hook_return_us) ? json_null() :
			    json_real(g->boot.hook_return_us));
	json_object_set_new(o, "placed", json_string(placed[h->ftrace <= 2 ? h->ftrace : 0]));
	return o;
}

static json_t *hello_json(const struct hr_guest *g)
{
	const struct bbp_hello *h = &g->boot.hello;
	json_t *o = json_object();

	if (!g->boot.have_hello)
		return o;
	json_object_set_new(o, "kernel", json_string(h->kernel));
	json_object_set_new(o, "agent", json_string(h->agent));
	json_object_set_new(o, "protocol", json_integer((json_int_t)h->proto));
	json_object_set_new(o, "mem_kib", json_integer((json_int_t)h->mem_kib));
	json_object_set_new(o, "page_size", json_integer((json_int_t)h->page_size));
	json_object_set_new(o, "cpus", json_integer((json_int_t)h->cpus));
	json_object_set_new(o, "numa_nodes", json_string(h->nodes));
	json_object_set_new(o, "balloon_features", json_string(h->features));
	json_object_set_new(o, "clocksource", json_string(h->clocksource));
	json_object_set_new(o, "kprobe_events", json_string(h->kprobe == 2 ? "tell_host return" :
			    h->kprobe == 1 ? "tell_host entry" : "none"));
	if (g->job->mechanism == HR_MECH_VMEM)
		json_object_set_new(o, "vmem_kprobe_events", json_string(h->vmem_kprobe ?
				    "virtio_mem_send_(un)plug_request entry and return" : "none"));
	return o;
}

static json_t *clock_json(const struct hr_guest *g)
{
	json_t *c = json_object(), *e;

	if (!g->boot.have_offset)
		return c;
	json_object_set_new(c, "offset_ns", json_integer(g->boot.best.offset_ns));
	json_object_set_new(c, "error_bound_ns", json_integer((json_int_t)g->boot.best.rtt_ns / 2));
	json_object_set_new(c, "method", json_string(
		"PING/PONG pairs; offset = guest_t - (sent + rtt/2) of the pair with the smallest round trip; bound = rtt/2"));
	e = json_array();
	for (int i = 0; i < g->boot.nest && i < 64; i++) {
		json_t *x = json_object();

		json_object_set_new(x, "t_s", json_real(g->boot.est[i].t_ns / 1e9));
		json_object_set_new(x, "offset_ns", json_integer(g->boot.est[i].offset_ns));
		json_object_set_new(x, "rtt_ns", json_integer((json_int_t)g->boot.est[i].rtt_ns));
		json_array_append_new(e, x);
	}
	json_object_set_new(c, "estimates", e);
	return c;
}

/* The agent's own cost over the run, from its first and last COST messages. */
static json_t *cost_json(const struct hr_guest *g)
{
	const struct bbp_cost *a = &g->boot.cost_first, *b = &g->boot.cost_last;
	double dt = ((double)b->t_ns - (double)a->t_ns) / 1e9;
	double cpu = ((double)(b->utime_us + b->stime_us) - (double)(a->utime_us + a->stime_us)) / 1e6;
	json_t *k = json_object();

	json_object_set_new(k, "cpu_percent_of_one_vcpu", json_real(dt > 0 ? 100 * cpu / dt : 0));
	json_object_set_new(k, "window_s", json_real(dt));
	json_object_set_new(k, "rss_kib", json_integer((json_int_t)b->rss_kib));
	if (b->samples > a->samples)
		json_object_set_new(k, "us_per_sample", json_real(
			((double)b->sample_us - (double)a->sample_us) / (double)(b->samples - a->samples)));
	json_object_set_new(k, "samples", json_integer((json_int_t)b->samples));
	json_object_set_new(k, "dropped", json_integer((json_int_t)b->dropped));
	return k;
}

static json_t *cal_json(const struct hr_guest *g)
{
	json_t *k = json_object();

	json_object_set_new(k, "rdtsc_ns", json_integer((json_int_t)g->boot.cal.rdtsc_ns));
	json_object_set_new(k, "clock_gettime_ns", json_integer((json_int_t)g->boot.cal.clock_ns));
	json_object_set_new(k, "ns_per_tick", json_real(g->boot.cal.ns_per_tick));
	json_object_set_new(k, "first_touch_plain_ns", json_integer((json_int_t)g->boot.cal.plain_ns));
	json_object_set_new(k, "first_touch_timed_ns", json_integer((json_int_t)g->boot.cal.instr_ns));
	if (g->boot.cal.plain_ns)
		json_object_set_new(k, "timing_overhead_ratio",
			json_real((double)g->boot.cal.instr_ns / (double)g->boot.cal.plain_ns));
	json_object_set_new(k, "method", json_string(
		"4 MiB first-touched 7 times plain and 7 times with rdtsc + recorder per page, alternating; "
		"the fastest round of each side"));
	return k;
}

static json_t *workload_json(const struct hr_guest *g)
{
	json_t *w = json_object();

	json_object_set_new(w, "name", json_string(g->job->workload_name));
	json_object_set_new(w, "spec", json_string(g->job->workload_spec));
	json_object_set_new(w, "started", json_boolean(g->boot.wl_started));
	if (g->boot.wl_exited) {
		json_object_set_new(w, "exit_code", json_integer((json_int_t)g->boot.wexit.code));
		json_object_set_new(w, "signal", json_integer((json_int_t)g->boot.wexit.sig));
		json_object_set_new(w, "oom_killed", json_boolean(g->boot.wexit.oom));
		json_object_set_new(w, "ops", json_integer((json_int_t)g->boot.wexit.ops));
		json_object_set_new(w, "bytes", json_integer((json_int_t)g->boot.wexit.bytes));
	}
	json_object_set_new(w, "oom_kills", json_integer(g->boot.nooms));
	return w;
}

/* How the host's side was sampled, and what could not be had. */
static json_t *host_sampler_json(const struct hr_guest *g)
{
	json_t *o = json_object();

	json_object_set_new(o, "qemu_pid", json_integer(g->boot.hp.pid));
	json_object_set_new(o, "samples", json_integer((json_int_t)g->boot.nhs));
	json_object_set_new(o, "rate_hz", json_integer(g->job->host_hz));
	json_object_set_new(o, "idle_rate_hz", json_integer(g->job->host_idle_hz < g->job->host_hz ?
							   g->job->host_idle_hz : g->job->host_hz));
	json_object_set_new(o, "vcpu_threads", json_integer(g->boot.hp.ntids));
	json_object_set_new(o, "host_numa_nodes", json_integer(g->boot.hp.nnodes));
	json_object_set_new(o, "method", json_string(g->boot.hp.local ?
		"/proc/QEMU/status (VmRSS, RssAnon, RssFile, RssShmem, HugetlbPages), /proc/QEMU/stat and its vCPU threads' (query-cpus-fast thread ids), /proc/meminfo MemAvailable, virNodeGetCellsFreeMemory" :
		"virDomainMemoryStats RSS, virNodeGetMemoryStats free+buffers+cached, virNodeGetCellsFreeMemory"));
	if (g->boot.hp.why[0])
		json_object_set_new(o, "unknown", json_string(g->boot.hp.why));
	/* per transition, QEMU's RSS figures left empty and why (an RSS within its noise, say) */
	for (size_t i = 0; i < g->nrows; i++) {
		const struct hr_trow *r = &g->rows[i];
		json_t *e, *a = json_object_get(o, "empty");

		if (!r->host_empty[0])
			continue;
		if (!a)
			json_object_set_new(o, "empty", a = json_array());
		e = json_pack("{s:i, s:s}", "transition", r->index, "why", r->host_empty);
		json_object_set_new(e, "rss_noise_mib", isnan(r->rss_noise_mib) ? json_null() :
				    json_real(r->rss_noise_mib));
		json_array_append_new(a, e);
	}
	return o;
}

static json_t *num_or_null(double v)
{
	return isnan(v) ? json_null() : json_real(v);
}

/* A fill: what was touched, how fast, and what QEMU's RSS did around it. */
static json_t *fill_json(const struct hr_fill *f)
{
	json_t *o = json_object();

	json_object_set_new(o, "mib", json_real(f->kib / 1024.0));
	json_object_set_new(o, "seconds", json_real(f->seconds));
	json_object_set_new(o, "rate_gib_s", json_real(f->rate_gib_s));
	json_object_set_new(o, "qemu_rss_before_kib", json_integer(f->rss_before));
	json_object_set_new(o, "qemu_rss_at_free_kib", json_integer(f->rss_at_free));
	json_object_set_new(o, "qemu_rss_after_rest_kib", json_integer(f->rss_after));
	json_object_set_new(o, "rss_drop_after_free_mib", num_or_null(f->drop_mib));
	json_object_set_new(o, "rss_drop_delay_ms", num_or_null(f->drop_delay_ms));
	json_object_set_new(o, "method", json_string(
		"touch workload, one pass over the size, timed by the guest (WSTART to WEXIT); "
		"RSS from the host sampler: before, at the host's news of the end, lowest after it "
		"(drop) and when it came within 1 MiB or 2 % of that (delay)"));
	return o;
}

json_t *hr_guest_json(const struct hr_guest *g)
{
	json_t *o = json_object();

	json_object_set_new(o, "name", json_string(g->name));
	json_object_set_new(o, "job", json_string(g->job->name));
	json_object_set_new(o, "accel", json_string(g->boot.accel == HR_ACCEL_KVM ? "kvm" :
						    g->boot.accel == HR_ACCEL_TCG ? "tcg" : "none"));
	json_object_set_new(o, "accel_note", json_string(g->boot.accel_note));
	json_object_set_new(o, "boot_s", json_real(g->boot.boot_ns / 1e9));
	json_object_set_new(o, "boot_wait_s", json_real(g->boot.slot_wait_ns / 1e9));
	if (g->retry_reason[0])	/* a first boot whose agent went silent, given up */
		json_object_set_new(o, "boot_retry", json_string(g->retry_reason));
	json_object_set_new(o, "guest", hello_json(g));
	json_object_set_new(o, "clock", clock_json(g));
	if (g->boot.ncost >= 2)
		json_object_set_new(o, "agent_cost", cost_json(g));
	if (g->boot.have_cal)
		json_object_set_new(o, "timestamp_cost", cal_json(g));
	if (g->boot.have_hook)
		json_object_set_new(o, "hook_cost", hook_json(g));
	if (g->job->workload_name[0])
		json_object_set_new(o, "workload", workload_json(g));
	json_object_set_new(o, "rep", json_integer(g->rep));
	json_object_set_new(o, "warmup", json_boolean(g->warmup));
	json_object_set_new(o, "vm_index", json_integer(g->index));
	json_object_set_new(o, "memory_mib", json_integer((json_int_t)(g->job->memory_kib / 1024)));
	json_object_set_new(o, "label", json_string(g->job->label));
	if (g->placement)
		json_object_set_new(o, "host_numa_placement_mib", json_loads(g->placement, 0, NULL));
	json_object_set_new(o, "samples_guest", json_integer((json_int_t)g->boot.ngs));
	json_object_set_new(o, "samples_host", json_integer((json_int_t)g->boot.nhs));
	json_object_set_new(o, "sample_gaps", json_integer((json_int_t)g->boot.seq_gaps));
	json_object_set_new(o, "malformed_messages", json_integer((json_int_t)g->boot.bad_msgs));
	json_object_set_new(o, "host_view", json_string(g->boot.host_via_stats ?
		"virDomainMemoryStats actual" : "QMP query-balloon actual"));
	json_object_set_new(o, "host_sampler", host_sampler_json(g));
	if (g->boot.fills[HR_FILL_PRE].exited)
		json_object_set_new(o, "prefill", fill_json(&g->boot.fills[HR_FILL_PRE]));
	if (g->boot.fills[HR_FILL_RE].exited)
		json_object_set_new(o, "refill", fill_json(&g->boot.fills[HR_FILL_RE]));
	json_object_set_new(o, "host", json_string(g->host->name));
	json_object_set_new(o, "state", json_string(hr_gstate_names[g->state]));
	json_object_set_new(o, "completed", json_boolean(g->state == HR_GS_DONE && !g->failed));
	if (g->failed)
		json_object_set_new(o, "failure", json_string(g->fail_reason));
	json_object_set_new(o, "probe", probe_json(g));
	return o;
}

/*
 * Who writes this run: a later `report` tells a killed run by it (report/killed.c);
 * and what it cost so far (runcost.c).
 */
static json_t *runner_json(const struct hr_run *run)
{
	char host[256] = "", bid[64];
	json_t *o;

	(void)gethostname(host, sizeof(host));
	hr_boot_id(bid, sizeof(bid));
	o = json_pack("{s:i, s:s, s:s}", "pid", (int)getpid(), "host", host, "boot_id", bid);
	(void)json_object_update_new(o, hr_cost_json(run));
	return o;
}

/* The hosts of the run, each with its facts from libvirt (fleet.c). */
static json_t *hosts_json(const struct hr_run *run)
{
	json_t *a = json_array();

	for (int i = 0; i < run->fleet->n; i++)
		json_array_append_new(a, hr_host_json(&run->fleet->h[i]));
	return json_pack("{s:s, s:o}", "mode", run->fleet->mode == HR_FLEET_SPREAD ? "spread" : "each",
			 "list", a);
}

char *hr_run_json(const struct hr_run *run, const char *status)
{
	json_t *r = json_object(), *v = json_object(), *s = json_object(), *jobs = json_array();
	json_t *vms = json_array();
	unsigned long lv = 0, hv = 0;
	time_t t = time(NULL);
	struct tm tm;
	char now[40], *text;

	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_set_new(r, "schema_version", json_integer(1));
	json_object_set_new(r, "run_id", json_string(run->id));
	json_object_set_new(r, "status", json_string(status));
	if (run->failed)
		json_object_set_new(r, "incomplete_reason", json_string(run->reason));
	json_object_set_new(r, "started_at", json_string(run->started_at));
	json_object_set_new(r, "written_at", json_string(now));
	json_object_set_new(r, "connect", json_string(run->uri));
	json_object_set_new(r, "time_base",
		json_string("t_s: seconds since the run started, host CLOCK_MONOTONIC; guest samples mapped with the clock offset"));
	json_object_set_new(r, "host", host_json());
	json_object_set_new(r, "runner", runner_json(run));
	json_object_set_new(v, "balloonbench", json_string(BB_VERSION));
	if (run->conn && !virConnectGetLibVersion(run->conn, &lv))
		json_object_set_new(v, "libvirt", json_sprintf("%lu.%lu.%lu", lv / 1000000,
							       lv / 1000 % 1000, lv % 1000));
	if (run->conn && !virConnectGetVersion(run->conn, &hv))
		json_object_set_new(v, "qemu", json_sprintf("%lu.%lu.%lu", hv / 1000000,
							    hv / 1000 % 1000, hv % 1000));
	json_object_set_new(r, "versions", v);
	json_object_set_new(s, "file", json_string(run->sc->path));
	json_object_set_new(s, "text", json_string(run->sc->text ? run->sc->text : ""));
	json_object_set_new(s, "overrides", json_string(run->sc->overrides));
	for (int i = 0; i < run->sc->njobs; i++) {
		json_t *jj = job_json(&run->sc->jobs[i]);

		json_object_set_new(jj, "label", json_string(run->sc->jobs[i].label));
		if (run->skipped[i][0])
			json_object_set_new(jj, "skipped", json_string(run->skipped[i]));
		json_array_append_new(jobs, jj);
	}
	json_object_set_new(s, "jobs", jobs);
	json_object_set_new(r, "scenario", s);
	for (int i = 0; i < run->nguests; i++)
		json_array_append_new(vms, hr_guest_json(run->guests[i]));
	json_object_set_new(r, "vms", vms);
	/*
	 * Which guests ran their whole schedule, and which failed on their own
	 * (a signal's stop is neither): the statistics leave the latter's
	 * transitions out (report/summary.c rp_guest_counts).
	 */
	{
		json_t *done = json_array(), *failed = json_array();

		for (int i = 0; i < run->nguests; i++) {
			const struct hr_guest *g = run->guests[i];

			if (run->guest_failed[i])
				json_array_append_new(failed, json_string(g->name));
			else if (g->state == HR_GS_DONE && !g->failed)
				json_array_append_new(done, json_string(g->name));
		}
		json_object_set_new(r, "completed_guests", done);
		json_object_set_new(r, "failed_guests", failed);
	}
	json_object_set_new(r, "hosts", hosts_json(run));
	json_object_set_new(r, "transitions", json_integer((json_int_t)run->ntransitions));
	text = json_dumps(r, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(r);
	return text;
}

void hr_guest_summary(const struct hr_guest *g, char *buf, size_t len)
{
	const struct bbp_cost *a = &g->boot.cost_first, *b = &g->boot.cost_last;
	double dt = ((double)b->t_ns - (double)a->t_ns) / 1e9;

	buf[0] = '\0';
	if (g->boot.ncost < 2 || dt <= 0)
		return;
	snprintf(buf, len, "%s: agent %.1f%% of one vCPU over the run, RSS %.1f MiB, %" PRIu64
		 " samples (%" PRIu64 " dropped), clock offset error bound +-%.0f us", g->name,
		 100.0 * ((double)(b->utime_us + b->stime_us) - (double)(a->utime_us + a->stime_us)) /
		 1e6 / dt, b->rss_kib / 1024.0, b->samples, b->dropped, g->boot.best.rtt_ns / 2e3);
}
