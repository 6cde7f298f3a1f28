// SPDX-License-Identifier: MIT
/*
 * results.c - the run's files in results/<run-id>/. Samples and events are
 * streamed as they arrive (flushed every second at most), so a run that dies
 * halfway keeps what it recorded; run.json is written at the start with
 * status "running" and rewritten at the end with "complete" or "incomplete".
 *
 *   samples.csv      every guest and host sample, one time base (t_s)
 *   transitions.csv  one row per target change (written by run.c)
 *   events.csv       what happened when: boots, targets, errors
 *   run.json         host, versions, accel, scenario, clock, agent cost
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <hwloc.h>
#include <jansson.h>

#include "log.h"
#include "runner.h"
#include "version.h"

#define PAGE_KIB	4

int hr_mkdir_p(const char *path)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

static FILE *open_csv(const struct hr_run *run, const char *name, const char *header)
{
	char path[PATH_MAX + 64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", run->dir, name);
	f = fopen(path, "we");
	if (!f) {
		hr_err("cannot create %s: %s", path, strerror(errno));
		return NULL;
	}
	fprintf(f, "%s\n", header);
	return f;
}

int hr_results_open(struct hr_run *run, const char *root)
{
	char path[PATH_MAX];

	int r = hr_mkdir_p(root);

	if (r) {
		hr_err("cannot create results dir %s: %s", root, strerror(-r));
		return -1;
	}
	snprintf(run->dir, sizeof(run->dir), "%s/%s", root, run->id);
	if (mkdir(run->dir, 0755)) {
		hr_err("cannot create %s: %s", run->dir, strerror(errno));
		return -1;
	}
	/* results/latest -> this run, for people and scripts. */
	snprintf(path, sizeof(path), "%s/latest", root);
	(void)unlink(path);
	(void)symlink(run->id, path);
	run->samples_csv = open_csv(run, "samples.csv",
		"t_s,vm,source,seq,t_guest_ns,balloon_mib,inflated_pages,deflated_pages,oom_kills,"
		"mem_total_kib,mem_free_kib,actual_mib");
	run->events_csv = open_csv(run, "events.csv", "t_s,vm,event,detail");
	run->trans_csv = open_csv(run, "transitions.csv",
		"vm,job,index,cycle,direction,from_mib,to_mib,requested_mib,moved_mib,t_set_s,"
		"set_call_ms,control_latency_ms,t50_ms,t90_ms,t100_ms,mean_rate_mib_s,peak_rate_mib_s,"
		"stalls,longest_stall_ms,reached,shortfall_mib,guest_samples,guest_sample_hz,"
		"host_moved_mib,host_t100_ms,host_mean_rate_mib_s,agent_cpu_pct,faults,slow_accesses,"
		"fault_p50_us,fault_p99_us,fault_max_us,wl_kind,wl_p50_us,wl_p99_us,wl_p999_us,"
		"steady_p50_us,steady_p99_us,steady_p999_us,oom_kills,end_reason,rep,warmup,label,"
		"planned_s,late_ms,node_total_delta_mib,node_free_delta_mib");
	run->faults_csv = open_csv(run, "faults.csv",
		"t_s,vm,workload,bin_ms,accesses,slow_accesses,slow_mean_ns,slow_max_ns,minflt,majflt");
	run->latency_csv = open_csv(run, "latency.csv",
		"vm,workload,epoch,phase,transition,kind,bucket_lo_ns,bucket_hi_ns,count");
	run->latstats_csv = open_csv(run, "latency_stats.csv",
		"vm,workload,epoch,phase,transition,kind,n,mean_ns,stddev_ns,min_ns,max_ns,p50_ns,p99_ns,p999_ns");
	run->nodes_csv = open_csv(run, "nodes.csv", "t_s,vm,node,mem_total_kib,mem_free_kib");
	run->slowest_csv = open_csv(run, "slowest.csv", "t_s,vm,workload,latency_ns");
	if (!run->samples_csv || !run->events_csv || !run->trans_csv || !run->faults_csv ||
	    !run->latency_csv || !run->latstats_csv || !run->nodes_csv || !run->slowest_csv)
		return -1;
	pthread_mutex_init(&run->out_lock, NULL);
	return 0;
}

static void maybe_flush(FILE *f)
{
	static uint64_t last;
	uint64_t now = hr_now_ns();

	if (now - last > 1000000000ull) {
		fflush(f);
		last = now;
	}
}

void hr_write_gsample(struct hr_run *run, const struct hr_vm *vm, const struct hr_gsample *s)
{
	if (!run->samples_csv)
		return;
	pthread_mutex_lock(&run->out_lock);
	fprintf(run->samples_csv,
		"%.6f,%s,guest,%" PRIu64 ",%" PRIu64 ",%.3f,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
		",%" PRIu64 ",\n",
		s->t_ns / 1e9, vm->name, s->seq, s->guest_ns,
		(double)(s->inflate - s->deflate) * PAGE_KIB / 1024.0, s->inflate, s->deflate,
		s->oom_kill, s->total_kib, s->free_kib);
	maybe_flush(run->samples_csv);
	pthread_mutex_unlock(&run->out_lock);
}

void hr_write_hsample(struct hr_run *run, const struct hr_vm *vm, const struct hr_hsample *s)
{
	if (!run->samples_csv)
		return;
	pthread_mutex_lock(&run->out_lock);
	fprintf(run->samples_csv, "%.6f,%s,host,,,%.3f,,,,,,%.3f\n", s->t_ns / 1e9, vm->name,
		(double)(vm->job->memory_kib - s->actual_kib) / 1024.0, s->actual_kib / 1024.0);
	maybe_flush(run->samples_csv);
	pthread_mutex_unlock(&run->out_lock);
}

void hr_event(struct hr_run *run, const struct hr_vm *vm, const char *kind, const char *fmt, ...)
{
	char detail[1024];
	va_list ap;

	if (!run->events_csv)
		return;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	/* CSV-quote the detail: it is free text. */
	pthread_mutex_lock(&run->out_lock);
	fprintf(run->events_csv, "%.6f,%s,%s,\"", hr_run_time(run) / 1e9, vm ? vm->name : "", kind);
	for (const char *p = detail; *p; p++) {
		if (*p == '"')
			fputc('"', run->events_csv);
		fputc(*p == '\n' ? ' ' : *p, run->events_csv);
	}
	fputs("\"\n", run->events_csv);
	fflush(run->events_csv);
	pthread_mutex_unlock(&run->out_lock);
}

void hr_results_flush(struct hr_run *run)
{
	FILE *fs[] = { run->samples_csv, run->events_csv, run->trans_csv, run->faults_csv,
		       run->latency_csv, run->latstats_csv, run->nodes_csv, run->slowest_csv };

	pthread_mutex_lock(&run->out_lock);
	for (size_t i = 0; i < sizeof(fs) / sizeof(fs[0]); i++)
		if (fs[i] && fflush(fs[i]))
			hr_err("writing results in %s: %s", run->dir, strerror(errno));
	pthread_mutex_unlock(&run->out_lock);
}

void hr_results_close(struct hr_run *run)
{
	FILE **fs[] = { &run->samples_csv, &run->events_csv, &run->trans_csv, &run->faults_csv,
			&run->latency_csv, &run->latstats_csv, &run->nodes_csv, &run->slowest_csv };

	for (size_t i = 0; i < sizeof(fs) / sizeof(fs[0]); i++) {
		if (*fs[i] && fclose(*fs[i]))
			hr_err("writing results in %s: %s", run->dir, strerror(errno));
		*fs[i] = NULL;
	}
}

static json_t *host_json(const struct hr_run *run)
{
	json_t *h = json_object();
	struct utsname u;
	char name[256] = "", line[512];
	FILE *f;
	hwloc_topology_t topo;

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
	(void)run;
	return h;
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

static json_t *vm_json(struct hr_vm *vm)
{
	json_t *o = json_object(), *g = json_object(), *c = json_object(), *e = json_array();

	pthread_mutex_lock(&vm->lock);
	json_object_set_new(o, "name", json_string(vm->name));
	json_object_set_new(o, "job", json_string(vm->job->name));
	json_object_set_new(o, "accel", json_string(vm->accel == HR_ACCEL_KVM ? "kvm" :
						    vm->accel == HR_ACCEL_TCG ? "tcg" : "none"));
	json_object_set_new(o, "accel_note", json_string(vm->accel_note));
	json_object_set_new(o, "boot_s", json_real(vm->boot_ns / 1e9));
	if (vm->have_hello) {
		const struct bbp_hello *h = &vm->hello;

		json_object_set_new(g, "kernel", json_string(h->kernel));
		json_object_set_new(g, "agent", json_string(h->agent));
		json_object_set_new(g, "protocol", json_integer((json_int_t)h->proto));
		json_object_set_new(g, "mem_kib", json_integer((json_int_t)h->mem_kib));
		json_object_set_new(g, "page_size", json_integer((json_int_t)h->page_size));
		json_object_set_new(g, "cpus", json_integer((json_int_t)h->cpus));
		json_object_set_new(g, "numa_nodes", json_string(h->nodes));
		json_object_set_new(g, "balloon_features", json_string(h->features));
		json_object_set_new(g, "clocksource", json_string(h->clocksource));
	}
	json_object_set_new(o, "guest", g);
	if (vm->have_offset) {
		json_object_set_new(c, "offset_ns", json_integer(vm->best.offset_ns));
		json_object_set_new(c, "error_bound_ns", json_integer((json_int_t)vm->best.rtt_ns / 2));
		json_object_set_new(c, "method", json_string(
			"PING/PONG pairs; offset = guest_t - (sent + rtt/2) of the pair with the smallest round trip; bound = rtt/2"));
		for (int i = 0; i < vm->nest && i < 64; i++) {
			json_t *x = json_object();

			json_object_set_new(x, "t_s", json_real(vm->est[i].t_ns / 1e9));
			json_object_set_new(x, "offset_ns", json_integer(vm->est[i].offset_ns));
			json_object_set_new(x, "rtt_ns", json_integer((json_int_t)vm->est[i].rtt_ns));
			json_array_append_new(e, x);
		}
		json_object_set_new(c, "estimates", e);
	} else {
		json_decref(e);
	}
	json_object_set_new(o, "clock", c);
	if (vm->ncost >= 2) {
		const struct bbp_cost *a = &vm->cost_first, *b = &vm->cost_last;
		double dt = (double)(b->t_ns - a->t_ns) / 1e9;
		double cpu = (double)(b->utime_us + b->stime_us - a->utime_us - a->stime_us) / 1e6;
		json_t *k = json_object();

		json_object_set_new(k, "cpu_percent_of_one_vcpu", json_real(dt > 0 ? 100 * cpu / dt : 0));
		json_object_set_new(k, "window_s", json_real(dt));
		json_object_set_new(k, "rss_kib", json_integer((json_int_t)b->rss_kib));
		if (b->samples > a->samples)
			json_object_set_new(k, "us_per_sample", json_real(
				(double)(b->sample_us - a->sample_us) / (double)(b->samples - a->samples)));
		json_object_set_new(k, "samples", json_integer((json_int_t)b->samples));
		json_object_set_new(k, "dropped", json_integer((json_int_t)b->dropped));
		json_object_set_new(o, "agent_cost", k);
	}
	if (vm->have_cal) {
		json_t *k = json_object();

		json_object_set_new(k, "rdtsc_ns", json_integer((json_int_t)vm->cal.rdtsc_ns));
		json_object_set_new(k, "clock_gettime_ns", json_integer((json_int_t)vm->cal.clock_ns));
		json_object_set_new(k, "ns_per_tick", json_real(vm->cal.ns_per_tick));
		json_object_set_new(k, "first_touch_plain_ns", json_integer((json_int_t)vm->cal.plain_ns));
		json_object_set_new(k, "first_touch_timed_ns", json_integer((json_int_t)vm->cal.instr_ns));
		if (vm->cal.plain_ns)
			json_object_set_new(k, "timing_overhead_ratio",
				json_real((double)vm->cal.instr_ns / (double)vm->cal.plain_ns));
		json_object_set_new(k, "method", json_string(
			"4 MiB first-touched 7 times plain and 7 times with rdtsc + recorder per page, alternating; "
			"the fastest round of each side"));
		json_object_set_new(o, "timestamp_cost", k);
	}
	if (vm->job->workload_name[0]) {
		json_t *w = json_object();

		json_object_set_new(w, "name", json_string(vm->job->workload_name));
		json_object_set_new(w, "spec", json_string(vm->job->workload_spec));
		json_object_set_new(w, "started", json_boolean(vm->wl_started));
		if (vm->wl_exited) {
			json_object_set_new(w, "exit_code", json_integer((json_int_t)vm->wexit.code));
			json_object_set_new(w, "signal", json_integer((json_int_t)vm->wexit.sig));
			json_object_set_new(w, "oom_killed", json_boolean(vm->wexit.oom));
			json_object_set_new(w, "ops", json_integer((json_int_t)vm->wexit.ops));
			json_object_set_new(w, "bytes", json_integer((json_int_t)vm->wexit.bytes));
		}
		json_object_set_new(w, "oom_kills", json_integer(vm->nooms));
		json_object_set_new(o, "workload", w);
	}
	json_object_set_new(o, "rep", json_integer(vm->rep));
	json_object_set_new(o, "warmup", json_boolean(vm->warmup));
	json_object_set_new(o, "vm_index", json_integer(vm->index));
	json_object_set_new(o, "memory_mib", json_integer((json_int_t)(vm->job->memory_kib / 1024)));
	json_object_set_new(o, "label", json_string(vm->job->label));
	if (vm->placement)
		json_object_set_new(o, "host_numa_placement_mib", json_loads(vm->placement, 0, NULL));
	json_object_set_new(o, "samples_guest", json_integer((json_int_t)vm->ngs));
	json_object_set_new(o, "samples_host", json_integer((json_int_t)vm->nhs));
	json_object_set_new(o, "sample_gaps", json_integer((json_int_t)vm->seq_gaps));
	json_object_set_new(o, "malformed_messages", json_integer((json_int_t)vm->bad_msgs));
	json_object_set_new(o, "host_view", json_string(vm->host_via_stats ?
		"virDomainMemoryStats actual" : "QMP query-balloon actual"));
	pthread_mutex_unlock(&vm->lock);
	return o;
}

int hr_write_run_json(struct hr_run *run, const char *status)
{
	json_t *r = json_object(), *v = json_object(), *s = json_object(), *jobs = json_array();
	json_t *vms = json_array();
	char path[PATH_MAX + 32], tmp[PATH_MAX + 32], now[40];
	unsigned long lv = 0, hv = 0;
	time_t t = time(NULL);
	int ret = 0;

	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	json_object_set_new(r, "schema_version", json_integer(1));
	json_object_set_new(r, "run_id", json_string(run->id));
	json_object_set_new(r, "status", json_string(status));
	if (run->incomplete)
		json_object_set_new(r, "incomplete_reason", json_string(run->reason));
	json_object_set_new(r, "started_at", json_string(run->started_at));
	json_object_set_new(r, "written_at", json_string(now));
	json_object_set_new(r, "connect", json_string(run->uri));
	json_object_set_new(r, "time_base",
		json_string("t_s: seconds since the run started, host CLOCK_MONOTONIC; guest samples mapped with the clock offset"));
	json_object_set_new(r, "host", host_json(run));
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
	for (int i = 0; i < run->nvms; i++)
		if (run->vms[i])
			json_array_append_new(vms, vm_json(run->vms[i]));
	json_object_set_new(r, "vms", vms);
	json_object_set_new(r, "transitions", json_integer((json_int_t)run->ntransitions));

	snprintf(path, sizeof(path), "%s/run.json", run->dir);
	snprintf(tmp, sizeof(tmp), "%s/.run.json.tmp", run->dir);
	if (json_dump_file(r, tmp, JSON_INDENT(2) | JSON_SORT_KEYS) || rename(tmp, path)) {
		hr_err("cannot write %s: %s", path, strerror(errno));
		ret = -1;
	}
	json_decref(r);
	return ret;
}
