// SPDX-License-Identifier: MIT
/*
 * wlhost.c - the host's side of guest workloads: add up their latency
 * statistics by epoch, write faults.csv, latency.csv, latency_stats.csv,
 * nodes.csv and slowest.csv as the data arrives, record OOM kills, and
 * compute what transitions.csv reports about the workload.
 *
 * Epochs are labelled by the host: 0 is the warm-up, transition i is epoch
 * 2i+1 (inflating or deflating) and the rest after it is epoch 2i+2 (steady);
 * the short epoch between the last rest and the workload's stop is "final".
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "runner.h"

#define PAGE_KIB	4

int64_t hr_guest_to_run(const struct hr_vm *vm, uint64_t guest_ns)
{
	return (int64_t)guest_ns - vm->best.offset_ns - (int64_t)vm->run->t0_mono_ns;
}

static const char *epoch_phase(const struct hr_vm *vm, uint64_t e)
{
	size_t i;

	i = (size_t)(e - 1) / 2;
	if (e > 0 && i >= vm->ntrans_dir)
		return "final";		/* after the last transition's rest, until the stop */
	if (e == 0 || e % 2 == 0)
		return "steady";
	return vm->trans_dir[i] > 0 ? "inflating" : "deflating";
}

/* Transition index of epoch @e, or -1 for the warm-up. */
static long epoch_transition(uint64_t e)
{
	if (e == 0)
		return -1;
	return (long)((e - 1) / 2);
}

static struct hr_lat *lat_get(struct hr_vm *vm, uint64_t e, int k)
{
	for (size_t i = 0; i < vm->nlat; i++)
		if (vm->lat[i].e == e && vm->lat[i].k == k)
			return &vm->lat[i];
	if (vm->nlat == vm->latcap) {
		size_t cap = vm->latcap ? vm->latcap * 2 : 16;
		struct hr_lat *n = realloc(vm->lat, cap * sizeof(*n));

		if (!n)
			return NULL;
		vm->lat = n;
		vm->latcap = cap;
	}
	memset(&vm->lat[vm->nlat], 0, sizeof(vm->lat[0]));
	vm->lat[vm->nlat].e = e;
	vm->lat[vm->nlat].k = k;
	return &vm->lat[vm->nlat++];
}

static void write_epoch(struct hr_vm *vm, uint64_t e)
{
	struct hr_run *run = vm->run;
	const char *wl = vm->job->workload_name;

	pthread_mutex_lock(&run->out_lock);
	for (size_t i = 0; i < vm->nlat; i++) {
		struct hr_lat *l = &vm->lat[i];

		if (l->e != e || l->written)
			continue;
		l->written = 1;
		for (unsigned b = 0; b < ST_NBUCKETS; b++)
			if (l->h.count[b])
				fprintf(run->latency_csv, "%s,%s,%" PRIu64 ",%s,%ld,%s,%" PRIu64 ",%" PRIu64
					",%" PRIu64 "\n", vm->name, wl, e, epoch_phase(vm, e),
					epoch_transition(e), wl_kind_names[l->k], st_bucket_lo(b),
					st_bucket_hi(b), l->h.count[b]);
		fprintf(run->latstats_csv, "%s,%s,%" PRIu64 ",%s,%ld,%s,%" PRIu64 ",%.1f,%.1f,%" PRIu64
			",%" PRIu64 ",%.0f,%.0f,%.0f\n", vm->name, wl, e, epoch_phase(vm, e),
			epoch_transition(e), wl_kind_names[l->k], l->w.n, l->w.mean,
			st_welford_stddev(&l->w), l->w.min, l->w.max, st_hist_percentile(&l->h, 50),
			st_hist_percentile(&l->h, 99), st_hist_percentile(&l->h, 99.9));
	}
	fflush(run->latency_csv);
	fflush(run->latstats_csv);
	pthread_mutex_unlock(&run->out_lock);
}

void hr_wl_write_rest(struct hr_vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	for (size_t i = 0; i < vm->nlat; i++)
		if (!vm->lat[i].written)
			write_epoch(vm, vm->lat[i].e);
	pthread_mutex_unlock(&vm->lock);
}

/* "index:count,index:count" into the histogram. Returns 0 or -1. */
static int add_buckets(struct st_hist *h, const char *s)
{
	while (*s) {
		char *end;
		unsigned long b = strtoul(s, &end, 10);
		unsigned long long c;

		if (end == s || *end != ':' || b >= ST_NBUCKETS)
			return -1;
		s = end + 1;
		c = strtoull(s, &end, 10);
		if (end == s || (*end && *end != ','))
			return -1;
		h->count[b] += c;
		s = *end ? end + 1 : end;
	}
	return 0;
}

static double latest_balloon_mib(const struct hr_vm *vm)
{
	if (!vm->ngs)
		return NAN;
	return (double)(vm->gs[vm->ngs - 1].inflate - vm->gs[vm->ngs - 1].deflate) * PAGE_KIB / 1024;
}

int hr_wl_msg(struct hr_vm *vm, const struct bbp_msg *m)
{
	struct hr_run *run = vm->run;

	switch (m->type) {
	case BBP_CAL:
		vm->cal = m->u.cal;
		vm->have_cal = 1;
		return 0;
	case BBP_NODE:
		if (vm->nns == vm->nscap) {
			size_t cap = vm->nscap ? vm->nscap * 2 : 256;
			struct hr_node_sample *n = realloc(vm->ns, cap * sizeof(*n));

			if (n) {
				vm->ns = n;
				vm->nscap = cap;
			}
		}
		if (vm->nns < vm->nscap)
			vm->ns[vm->nns++] = (struct hr_node_sample){
				hr_guest_to_run(vm, m->u.node.t_ns), (int)m->u.node.node,
				m->u.node.total_kib, m->u.node.free_kib };
		pthread_mutex_lock(&run->out_lock);
		fprintf(run->nodes_csv, "%.6f,%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n",
			hr_guest_to_run(vm, m->u.node.t_ns) / 1e9, vm->name, m->u.node.node,
			m->u.node.total_kib, m->u.node.free_kib);
		pthread_mutex_unlock(&run->out_lock);
		return 0;
	case BBP_WSTART:
		vm->wl_started = 1;
		hr_event(run, vm, "workload-start", "%s pid=%" PRIu64, m->u.wstart.name,
			 m->u.wstart.pid);
		return 0;
	case BBP_WEXIT:
		vm->wl_exited = 1;
		vm->wexit = m->u.wexit;
		hr_event(run, vm, m->u.wexit.oom ? "workload-oom-killed" : "workload-exit",
			 "%s code=%" PRIu64 " signal=%" PRIu64 " oom=%" PRIu64 " ops=%" PRIu64
			 " bytes=%" PRIu64 " balloon_mib=%.1f", vm->job->workload_name,
			 m->u.wexit.code, m->u.wexit.sig, m->u.wexit.oom, m->u.wexit.ops,
			 m->u.wexit.bytes, latest_balloon_mib(vm));
		return 0;
	case BBP_HS: {
		struct hr_lat *l = lat_get(vm, m->u.hs.e, (int)m->u.hs.k);
		struct st_welford w = { m->u.hs.n, m->u.hs.mean, m->u.hs.m2, m->u.hs.min,
					m->u.hs.max };

		if (!l || m->u.hs.k >= WL_NKINDS)
			return -1;
		st_welford_merge(&l->w, &w);
		return 0;
	}
	case BBP_HB: {
		struct hr_lat *l = lat_get(vm, m->u.hb.e, (int)m->u.hb.k);

		if (!l || m->u.hb.k >= WL_NKINDS || add_buckets(&l->h, m->u.hb.b))
			return -1;
		return 0;
	}
	case BBP_EEND:
		write_epoch(vm, m->u.eend.e);
		if (m->u.eend.e + 1 > vm->eend)
			vm->eend = m->u.eend.e + 1;
		return 0;
	case BBP_F: {
		struct hr_fault_bin b = {
			hr_guest_to_run(vm, m->u.f.t_ns), m->u.f.n, m->u.f.slow, m->u.f.sum_ns,
			m->u.f.max_ns, m->u.f.minflt, m->u.f.majflt,
		};

		if (vm->nfb == vm->fbcap) {
			size_t cap = vm->fbcap ? vm->fbcap * 2 : 1024;
			struct hr_fault_bin *n = realloc(vm->fb, cap * sizeof(*n));

			if (!n)
				return -1;
			vm->fb = n;
			vm->fbcap = cap;
		}
		vm->fb[vm->nfb++] = b;
		pthread_mutex_lock(&run->out_lock);
		fprintf(run->faults_csv, "%.6f,%s,%s,%.3f,%" PRIu64 ",%" PRIu64 ",%.0f,%" PRIu64
			",%" PRIu64 ",%" PRIu64 "\n", b.t_ns / 1e9, vm->name, vm->job->workload_name,
			WL_BIN_NS / 1e6, b.n, b.slow, b.slow ? (double)b.sum_ns / (double)b.slow : 0.0,
			b.max_ns, b.minflt, b.majflt);
		pthread_mutex_unlock(&run->out_lock);
		return 0;
	}
	case BBP_SLOW:
		pthread_mutex_lock(&run->out_lock);
		fprintf(run->slowest_csv, "%.6f,%s,%s,%" PRIu64 "\n",
			hr_guest_to_run(vm, m->u.slow.t_ns) / 1e9, vm->name, vm->job->workload_name,
			m->u.slow.lat_ns);
		fflush(run->slowest_csv);
		pthread_mutex_unlock(&run->out_lock);
		return 0;
	case BBP_OOM: {
		struct hr_oom *o = &vm->ooms[vm->nooms % 64];

		o->t_ns = hr_guest_to_run(vm, m->u.oom.t_ns);
		o->pid = m->u.oom.pid;
		snprintf(o->comm, sizeof(o->comm), "%s", m->u.oom.comm);
		o->balloon_mib = latest_balloon_mib(vm);
		vm->nooms++;
		hr_event(run, vm, "oom-kill", "victim=%s pid=%" PRIu64 " anon_kib=%" PRIu64
			 " balloon_mib=%.1f guest_t_s=%.6f", o->comm, o->pid, m->u.oom.anon_kib,
			 o->balloon_mib, o->t_ns / 1e9);
		return 0;
	}
	default:
		return -1;
	}
}

int hr_wl_wait_epoch(struct hr_vm *vm, uint64_t e, int ms)
{
	uint64_t deadline = hr_now_ns() + (uint64_t)ms * 1000000ull;
	int r;

	pthread_mutex_lock(&vm->lock);
	while (vm->eend <= e && !vm->dead && !vm->hangup && hr_now_ns() < deadline) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 20000000L;
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		(void)pthread_cond_timedwait(&vm->cond, &vm->lock, &ts);
	}
	r = vm->eend > e;
	pthread_mutex_unlock(&vm->lock);
	return r;
}

static const struct hr_lat *lat_find(const struct hr_vm *vm, uint64_t e, int k)
{
	for (size_t i = 0; i < vm->nlat; i++)
		if (vm->lat[i].e == e && vm->lat[i].k == k)
			return &vm->lat[i];
	return NULL;
}

void hr_wl_transition(struct hr_vm *vm, int index, int64_t t_set, int64_t t_end,
		      struct hr_wl_tstats *o)
{
	uint64_t e = 2 * (uint64_t)index + 1, min0 = 0, min1 = 0;
	const struct hr_lat *acc, *req, *main_l, *steady;
	int k;

	memset(o, 0, sizeof(*o));
	o->fault_p50 = o->fault_p99 = o->fault_max = NAN;
	o->p50 = o->p99 = o->p999 = o->s50 = o->s99 = o->s999 = NAN;
	o->kind = "";
	pthread_mutex_lock(&vm->lock);
	for (size_t i = 0; i < vm->nfb; i++) {
		const struct hr_fault_bin *b = &vm->fb[i];

		if (b->t_ns <= t_set)
			min0 = b->minflt;
		if (b->t_ns <= t_end)
			min1 = b->minflt;
		if (b->t_ns >= t_set && b->t_ns < t_end)
			o->slow += b->slow;
	}
	o->faults = min1 > min0 ? min1 - min0 : 0;
	acc = lat_find(vm, e, WL_K_ACCESS);
	if (acc && acc->w.n) {
		uint64_t floor = vm->job->workload.slow_ns;

		o->fault_p50 = st_hist_percentile_above(&acc->h, 50, floor);
		o->fault_p99 = st_hist_percentile_above(&acc->h, 99, floor);
		if (st_hist_count_above(&acc->h, floor))
			o->fault_max = (double)acc->w.max;
	}
	req = lat_find(vm, e, WL_K_REQUEST);
	k = req && req->w.n ? WL_K_REQUEST : WL_K_ACCESS;
	main_l = k == WL_K_REQUEST ? req : acc;
	o->kind = main_l ? wl_kind_names[k] : "";
	if (main_l && main_l->w.n) {
		o->p50 = st_hist_percentile(&main_l->h, 50);
		o->p99 = st_hist_percentile(&main_l->h, 99);
		o->p999 = st_hist_percentile(&main_l->h, 99.9);
	}
	steady = lat_find(vm, e - 1, k);
	if (steady && steady->w.n) {
		o->s50 = st_hist_percentile(&steady->h, 50);
		o->s99 = st_hist_percentile(&steady->h, 99);
		o->s999 = st_hist_percentile(&steady->h, 99.9);
	}
	for (int i = 0; i < vm->nooms && i < 64; i++)
		if (vm->ooms[i].t_ns >= t_set && vm->ooms[i].t_ns <= t_end)
			o->ooms++;
	pthread_mutex_unlock(&vm->lock);
}

void hr_node_deltas(struct hr_vm *vm, int64_t t0, int64_t t1, char *total, char *freed, size_t len)
{
	size_t ot = 0, of = 0;

	total[0] = freed[0] = '\0';
	pthread_mutex_lock(&vm->lock);
	for (int node = 0; node < 64; node++) {
		const struct hr_node_sample *a = NULL, *b = NULL;

		for (size_t i = 0; i < vm->nns; i++) {
			const struct hr_node_sample *x = &vm->ns[i];

			if (x->node != node)
				continue;
			if (x->t_ns <= t0)
				a = x;
			if (x->t_ns >= t1 && !b)
				b = x;
		}
		if (!a || !b)
			continue;
		ot += (size_t)snprintf(total + ot, len - ot, "%s%d:%.1f", ot ? ";" : "", node,
				       ((double)b->total_kib - (double)a->total_kib) / 1024);
		of += (size_t)snprintf(freed + of, len - of, "%s%d:%.1f", of ? ";" : "", node,
				       ((double)b->free_kib - (double)a->free_kib) / 1024);
		if (ot >= len || of >= len)
			break;
	}
	pthread_mutex_unlock(&vm->lock);
}

int hr_node_after(struct hr_vm *vm, int64_t t)
{
	int ret;

	pthread_mutex_lock(&vm->lock);
	ret = !vm->nns || vm->ns[vm->nns - 1].t_ns >= t;
	pthread_mutex_unlock(&vm->lock);
	return ret;
}
