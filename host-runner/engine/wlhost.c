// SPDX-License-Identifier: MIT
/*
 * wlhost.c - the host's side of guest workloads: add up their latency
 * statistics by epoch, write faults.csv, latency.csv, latency_stats.csv,
 * nodes.csv and slowest.csv as the data arrives, record OOM kills, and
 * compute what transitions.csv reports about the workload; integrity's
 * verified pages and mismatches (IV, BAD: events, and the guest failed).
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

#include "core/integcheck.h"
#include "core/log.h"
#include "guestpriv.h"


static const char *epoch_phase(const struct hr_guest *g, uint64_t e)
{
	size_t i;

	i = (size_t)(e - 1) / 2;
	if (e > 0 && i >= g->ntrans_dir)
		return "final";		/* after the last transition's rest, until the stop */
	if (e == 0 || e % 2 == 0)
		return "steady";
	return g->trans_dir[i] > 0 ? "inflating" : "deflating";
}

/* Transition index of epoch @e, or -1 for the warm-up. */
static long epoch_transition(uint64_t e)
{
	if (e == 0)
		return -1;
	return (long)((e - 1) / 2);
}

/* The epoch's statistics; NULL if @e cannot be an epoch of this guest (yet). */
static struct hr_lat *lat_get(struct hr_guest *g, uint64_t e, int k)
{
	if (e > 2 * (uint64_t)g->ntrans_dir + 2)
		return NULL;
	for (size_t i = 0; i < g->boot.nlat; i++)
		if (g->boot.lat[i].e == e && g->boot.lat[i].k == k)
			return &g->boot.lat[i];
	if (g->boot.nlat == g->boot.latcap) {
		size_t cap = g->boot.latcap ? g->boot.latcap * 2 : 16;
		struct hr_lat *n = realloc(g->boot.lat, cap * sizeof(*n));

		if (!n)
			return NULL;
		g->boot.lat = n;
		g->boot.latcap = cap;
	}
	memset(&g->boot.lat[g->boot.nlat], 0, sizeof(g->boot.lat[0]));
	g->boot.lat[g->boot.nlat].e = e;
	g->boot.lat[g->boot.nlat].k = k;
	return &g->boot.lat[g->boot.nlat++];
}

/* latency.csv's and latency_stats.csv's first columns (the same ids in both: EPOCH_COLS in core/schema.c) */
static void epoch_cols(struct hr_guest *g, struct hr_row *row, enum hr_table_id t, uint64_t e,
		       int kind)
{
	_Static_assert((int)HR_LA_KIND == (int)HR_LS_KIND, "the same first columns");
	hr_row_init(row, t);
	hr_row_set_s(row, HR_LA_VM, g->name);
	hr_row_set_s(row, HR_LA_WORKLOAD, g->job->workload_name);
	hr_row_set_u(row, HR_LA_EPOCH, e);
	hr_row_set_s(row, HR_LA_PHASE, epoch_phase(g, e));
	hr_row_set_i(row, HR_LA_TRANSITION, epoch_transition(e));
	hr_row_set_s(row, HR_LA_KIND, wl_kind_names[kind]);
}

static void write_epoch(struct hr_guest *g, uint64_t e)
{
	struct hr_rec *rec = g->run->rec;
	struct hr_row row;

	for (size_t i = 0; i < g->boot.nlat; i++) {
		struct hr_lat *l = &g->boot.lat[i];

		if (l->e != e || l->written)
			continue;
		l->written = 1;
		for (unsigned b = 0; b < ST_NBUCKETS; b++) {
			if (!l->h.count[b])
				continue;
			epoch_cols(g, &row, HR_TB_LATENCY, e, l->k);
			hr_row_set_u(&row, HR_LA_BUCKET_LO_NS, st_bucket_lo(b));
			hr_row_set_u(&row, HR_LA_BUCKET_HI_NS, st_bucket_hi(b));
			hr_row_set_u(&row, HR_LA_COUNT, l->h.count[b]);
			hr_rec_put(rec, HR_F_LATENCY, &row);
		}
		epoch_cols(g, &row, HR_TB_LATSTATS, e, l->k);
		hr_row_set_u(&row, HR_LS_N, l->w.n);
		hr_row_set_f(&row, HR_LS_MEAN_NS, l->w.mean);
		hr_row_set_f(&row, HR_LS_STDDEV_NS, st_welford_stddev(&l->w));
		hr_row_set_u(&row, HR_LS_MIN_NS, l->w.min);
		hr_row_set_u(&row, HR_LS_MAX_NS, l->w.max);
		hr_row_set_f(&row, HR_LS_P50_NS, st_hist_percentile(&l->h, 50));
		hr_row_set_f(&row, HR_LS_P99_NS, st_hist_percentile(&l->h, 99));
		hr_row_set_f(&row, HR_LS_P999_NS, st_hist_percentile(&l->h, 99.9));
		hr_rec_put(rec, HR_F_LATSTATS, &row);
	}
}

void hr_wl_write_rest(struct hr_guest *g)
{
	for (size_t i = 0; i < g->boot.nlat; i++)
		if (!g->boot.lat[i].written)
			write_epoch(g, g->boot.lat[i].e);
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

static double latest_balloon_mib(const struct hr_guest *g)
{
	if (!g->boot.ngs)
		return NAN;
	return (double)(g->boot.gs[g->boot.ngs - 1].inflate - g->boot.gs[g->boot.ngs - 1].deflate) * HR_PAGE_KIB / 1024;
}

static int wl_node(struct hr_guest *g, const struct bbp_node *m)
{
	struct hr_row row;
	int64_t t;

	if (m->node >= 64 || hr_guest_time(g, m->t_ns, &t))
		return -1;
	if (g->boot.nns == g->boot.nscap) {
		size_t cap = g->boot.nscap ? g->boot.nscap * 2 : 256;
		struct hr_node_sample *n = realloc(g->boot.ns, cap * sizeof(*n));

		if (!n)
			return -1;
		g->boot.ns = n;
		g->boot.nscap = cap;
	}
	g->boot.ns[g->boot.nns++] = (struct hr_node_sample){ t, (int)m->node, m->total_kib, m->free_kib };
	hr_row_init(&row, HR_TB_NODES);
	hr_row_set_f(&row, HR_NO_T_S, t / 1e9);
	hr_row_set_s(&row, HR_NO_VM, g->name);
	hr_row_set_u(&row, HR_NO_NODE, m->node);
	hr_row_set_u(&row, HR_NO_MEM_TOTAL_KIB, m->total_kib);
	hr_row_set_u(&row, HR_NO_MEM_FREE_KIB, m->free_kib);
	hr_rec_put(g->run->rec, HR_F_NODES, &row);
	return 0;
}

static int wl_fault_bin(struct hr_guest *g, const struct bbp_f *m)
{
	struct hr_fault_bin b = { 0, m->n, m->slow, m->sum_ns, m->max_ns, m->minflt, m->majflt };
	struct hr_row row;

	if (hr_guest_time(g, m->t_ns, &b.t_ns))
		return -1;
	if (g->boot.nfb == g->boot.fbcap) {
		size_t cap = g->boot.fbcap ? g->boot.fbcap * 2 : 1024;
		struct hr_fault_bin *n = realloc(g->boot.fb, cap * sizeof(*n));

		if (!n)
			return -1;
		g->boot.fb = n;
		g->boot.fbcap = cap;
	}
	g->boot.fb[g->boot.nfb++] = b;
	hr_row_init(&row, HR_TB_FAULTS);
	hr_row_set_f(&row, HR_FA_T_S, b.t_ns / 1e9);
	hr_row_set_s(&row, HR_FA_VM, g->name);
	hr_row_set_s(&row, HR_FA_WORKLOAD, g->job->workload_name);
	hr_row_set_f(&row, HR_FA_BIN_MS, WL_BIN_NS / 1e6);
	hr_row_set_u(&row, HR_FA_ACCESSES, b.n);
	hr_row_set_u(&row, HR_FA_SLOW_ACCESSES, b.slow);
	hr_row_set_f(&row, HR_FA_SLOW_MEAN_NS, b.slow ? (double)b.sum_ns / (double)b.slow : 0.0);
	hr_row_set_u(&row, HR_FA_SLOW_MAX_NS, b.max_ns);
	hr_row_set_u(&row, HR_FA_MINFLT, b.minflt);
	hr_row_set_u(&row, HR_FA_MAJFLT, b.majflt);
	hr_rec_put(g->run->rec, HR_F_FAULTS, &row);
	return 0;
}

static int wl_oom(struct hr_guest *g, const struct bbp_oom *m)
{
	struct hr_oom *o = &g->boot.ooms[g->boot.nooms % 64];
	int64_t t;

	if (hr_guest_time(g, m->t_ns, &t))
		return -1;
	o->t_ns = t;
	o->pid = m->pid;
	snprintf(o->comm, sizeof(o->comm), "%s", m->comm);
	o->balloon_mib = latest_balloon_mib(g);
	g->boot.nooms++;
	hr_rec_event(g->run->rec, g->name, "oom-kill", "victim=%s pid=%" PRIu64 " anon_kib=%" PRIu64
		     " balloon_mib=%.1f guest_t_s=%.6f", o->comm, o->pid, m->anon_kib,
		     o->balloon_mib, o->t_ns / 1e9);
	return 0;
}

/*
 * A workload message from the agent (untrusted: every index and time is
 * checked before use). Returns 0, or -1 if it is not one or is out of range.
 */
/* A fill's start or end (workloads 2 and 3). Returns 0, or -1 if @w is no fill's. */
static int wl_fill(struct hr_guest *g, const struct bbp_msg *m, uint64_t w)
{
	struct hr_fill *f;

	if (w < 2 || w >= 2 + HR_NFILLS)
		return -1;
	f = &g->boot.fills[w - 2];
	if (m->type == BBP_WSTART ? f->started : f->exited)
		return 0;	/* said again after a reopened channel */
	if (m->type == BBP_WSTART) {
		f->started = 1;
		f->t_start_guest = m->u.wstart.t_ns;
	} else {
		f->exited = 1;
		f->wexit = m->u.wexit;
		f->t_end_guest = m->u.wexit.t_ns;
		f->t_free = hr_run_time(g->run);
	}
	return 0;
}

/* The workload a message is about (1: the job's; others are fills); 1 for the rest. */
static uint64_t msg_workload(const struct bbp_msg *m)
{
	switch (m->type) {
	case BBP_WSTART: return m->u.wstart.w;
	case BBP_WEXIT: return m->u.wexit.w;
	case BBP_HS: return m->u.hs.w;
	case BBP_HB: return m->u.hb.w;
	case BBP_F: return m->u.f.w;
	case BBP_SLOW: return m->u.slow.w;
	case BBP_IV: return m->u.iv.w;
	case BBP_BAD: return m->u.bad.w;
	default: return 1;
	}
}

static int wl_exit(struct hr_guest *g, const struct bbp_wexit *x)
{
	if (g->boot.wl_exited)
		return 0;	/* said again after a reopened channel */
	g->boot.wl_exited = 1;
	g->boot.wexit = *x;
	hr_rec_event(g->run->rec, g->name, x->oom ? "workload-oom-killed" : "workload-exit",
		     "%s code=%" PRIu64 " signal=%" PRIu64 " oom=%" PRIu64 " ops=%" PRIu64
		     " bytes=%" PRIu64 " balloon_mib=%.1f", g->job->workload_name, x->code, x->sig,
		     x->oom, x->ops, x->bytes, latest_balloon_mib(g));
	return 0;
}

static int wl_slow(struct hr_guest *g, const struct bbp_slow *s)
{
	struct hr_row row;
	int64_t t;

	if (hr_guest_time(g, s->t_ns, &t))
		return -1;
	hr_row_init(&row, HR_TB_SLOWEST);
	hr_row_set_f(&row, HR_SL_T_S, t / 1e9);
	hr_row_set_s(&row, HR_SL_VM, g->name);
	hr_row_set_s(&row, HR_SL_WORKLOAD, g->job->workload_name);
	hr_row_set_u(&row, HR_SL_LATENCY_NS, s->lat_ns);
	hr_rec_put(g->run->rec, HR_F_SLOWEST, &row);
	return 0;
}

/*
 * Integrity: the pages verified and mismatches of one epoch (added up: a
 * flush sends what came since the last). Refused by hr_iv_check's rules.
 */
static int wl_iv(struct hr_guest *g, const struct bbp_iv *m)
{
	struct hr_boot *b = &g->boot;
	struct hr_integ_ep *ep;
	char why[160];

	if (hr_iv_check(m, 2 * (uint64_t)g->ntrans_dir + 2, b->integ_pages, why, sizeof(why))) {
		hr_debug("%s: %s", g->name, why);
		return -1;
	}
	if (m->e >= b->ninteg) {
		size_t n = (size_t)m->e + 1;
		struct hr_integ_ep *x = realloc(b->integ, n * sizeof(*x));

		if (!x)
			return -1;
		memset(x + b->ninteg, 0, (n - b->ninteg) * sizeof(*x));
		b->integ = x;
		b->ninteg = n;
	}
	ep = &b->integ[m->e];
	ep->seen = 1;
	ep->pages += m->pages;
	ep->bad += m->bad;
	b->integ_pages += m->pages;
	b->integ_bad += m->bad;
	return 0;
}

/* Integrity: one mismatch, as an event. Refused by hr_bad_check's rules, or a time off the guest's clock. */
static int wl_bad(struct hr_guest *g, const struct bbp_bad *m)
{
	struct hr_boot *b = &g->boot;
	char why[160];
	int64_t t;

	if (hr_bad_check(m, g->job->workload.size, b->nbad, why, sizeof(why))) {
		hr_debug("%s: %s", g->name, why);
		return -1;
	}
	if (hr_guest_time(g, m->t_ns, &t))
		return -1;
	if (!b->nbad++) {
		b->bad_first = *m;
		b->bad_first_t = t;
	}
	hr_rec_event(g->run->rec, g->name, "integrity-mismatch", "%s page=%" PRIu64 " offset=%"
		     PRIu64 " addr=0x%" PRIx64 " kind=%s guest_t_s=%.6f balloon_mib=%.1f",
		     g->job->workload_name, m->page, m->off, m->addr, wl_bad_kind_names[m->kind],
		     t / 1e9, latest_balloon_mib(g));
	return 0;
}

int hr_wl_integrity(struct hr_guest *g)
{
	const struct hr_boot *b = &g->boot;
	uint64_t bad = b->integ_bad > b->nbad ? b->integ_bad : b->nbad;
	double gib = (double)b->integ_pages * WL_PAGE / (1024.0 * 1024 * 1024);

	if (!b->ninteg && !b->nbad)
		return 0;
	hr_rec_event(g->run->rec, g->name, "integrity", "%s verified_gib=%.3f pages=%" PRIu64
		     " mismatches=%" PRIu64, g->job->workload_name, gib, b->integ_pages, bad);
	if (!bad)
		return 0;
	if (!b->nbad)
		return hr_error("%s: memory integrity: %" PRIu64 " mismatches in %.3f GiB verified "
				"(where: not received)", g->name, bad, gib);
	return hr_error("%s: memory integrity: %" PRIu64 " mismatches in %.3f GiB verified, first at "
			"page %" PRIu64 " (byte %" PRIu64 ", %s) at t=%.3f s (events.csv: "
			"integrity-mismatch)", g->name, bad, gib, b->bad_first.page, b->bad_first.off,
			wl_bad_kind_names[b->bad_first.kind], b->bad_first_t / 1e9);
}

int hr_wl_msg(struct hr_guest *g, const struct bbp_msg *m)
{
	struct hr_lat *l;
	uint64_t wl = msg_workload(m);

	/* only workload 1's data is the job's; fills say when they start and end */
	if (wl != 1)
		return m->type == BBP_WSTART || m->type == BBP_WEXIT ? wl_fill(g, m, wl) : 0;
	switch (m->type) {
	case BBP_CAL:
		g->boot.cal = m->u.cal;
		g->boot.have_cal = 1;
		return 0;
	case BBP_NODE:
		return wl_node(g, &m->u.node);
	case BBP_WSTART:
		if (g->boot.wl_started)
			return 0;	/* said again after a reopened channel */
		g->boot.wl_started = 1;
		hr_rec_event(g->run->rec, g->name, "workload-start", "%s pid=%" PRIu64,
			     m->u.wstart.name, m->u.wstart.pid);
		return 0;
	case BBP_WEXIT:
		return wl_exit(g, &m->u.wexit);
	case BBP_HS: {
		struct st_welford w = { m->u.hs.n, m->u.hs.mean, m->u.hs.m2, m->u.hs.min,
					m->u.hs.max };

		if (m->u.hs.k >= WL_NKINDS || !(l = lat_get(g, m->u.hs.e, (int)m->u.hs.k)))
			return -1;
		st_welford_merge(&l->w, &w);
		return 0;
	}
	case BBP_HB:
		if (m->u.hb.k >= WL_NKINDS || !(l = lat_get(g, m->u.hb.e, (int)m->u.hb.k)) ||
		    add_buckets(&l->h, m->u.hb.b))
			return -1;
		return 0;
	case BBP_EEND:
		if (m->u.eend.e == UINT64_MAX)
			return -1;
		if (g->boot.lc_flushes > 0)	/* a lifecycle event's flush: the epoch goes on */
			g->boot.lc_flushes--;
		else
			write_epoch(g, m->u.eend.e);
		if (m->u.eend.e + 1 > g->boot.eend)
			g->boot.eend = m->u.eend.e + 1;
		return 0;
	case BBP_F:
		return wl_fault_bin(g, &m->u.f);
	case BBP_SLOW:
		return wl_slow(g, &m->u.slow);
	case BBP_OOM:
		return wl_oom(g, &m->u.oom);
	case BBP_IV:
		return wl_iv(g, &m->u.iv);
	case BBP_BAD:
		return wl_bad(g, &m->u.bad);
	default:
		return -1;
	}
}

static const struct hr_lat *lat_find(const struct hr_guest *g, uint64_t e, int k)
{
	for (size_t i = 0; i < g->boot.nlat; i++)
		if (g->boot.lat[i].e == e && g->boot.lat[i].k == k)
			return &g->boot.lat[i];
	return NULL;
}

void hr_wl_transition(struct hr_guest *g, int index, int64_t t_set, int64_t t_end,
		      struct hr_wl_tstats *o)
{
	uint64_t e = 2 * (uint64_t)index + 1, min0 = 0, min1 = 0;
	const struct hr_lat *acc, *req, *main_l, *steady;
	int k;

	memset(o, 0, sizeof(*o));
	o->verified_bytes = o->mismatches = -1;
	if (e < g->boot.ninteg && g->boot.integ[e].seen) {
		o->verified_bytes = (int64_t)(g->boot.integ[e].pages * WL_PAGE);
		o->mismatches = (int64_t)g->boot.integ[e].bad;
	}
	o->fault_p50 = o->fault_p99 = o->fault_max = NAN;
	o->p50 = o->p99 = o->p999 = o->s50 = o->s99 = o->s999 = NAN;
	o->kind = "";
	for (size_t i = 0; i < g->boot.nfb; i++) {
		const struct hr_fault_bin *b = &g->boot.fb[i];

		if (b->t_ns <= t_set)
			min0 = b->minflt;
		if (b->t_ns <= t_end)
			min1 = b->minflt;
		if (b->t_ns >= t_set && b->t_ns < t_end)
			o->slow += b->slow;
	}
	o->faults = min1 > min0 ? min1 - min0 : 0;
	acc = lat_find(g, e, WL_K_ACCESS);
	if (acc && acc->w.n) {
		uint64_t floor = g->job->workload.slow_ns;

		o->fault_p50 = st_hist_percentile_above(&acc->h, 50, floor);
		o->fault_p99 = st_hist_percentile_above(&acc->h, 99, floor);
		if (st_hist_count_above(&acc->h, floor))
			o->fault_max = (double)acc->w.max;
	}
	req = lat_find(g, e, WL_K_REQUEST);
	k = req && req->w.n ? WL_K_REQUEST : WL_K_ACCESS;
	main_l = k == WL_K_REQUEST ? req : acc;
	o->kind = main_l ? wl_kind_names[k] : "";
	if (main_l && main_l->w.n) {
		o->p50 = st_hist_percentile(&main_l->h, 50);
		o->p99 = st_hist_percentile(&main_l->h, 99);
		o->p999 = st_hist_percentile(&main_l->h, 99.9);
	}
	steady = lat_find(g, e - 1, k);
	if (steady && steady->w.n) {
		o->s50 = st_hist_percentile(&steady->h, 50);
		o->s99 = st_hist_percentile(&steady->h, 99);
		o->s999 = st_hist_percentile(&steady->h, 99.9);
	}
	for (int i = 0; i < g->boot.nooms && i < 64; i++)
		if (g->boot.ooms[i].t_ns >= t_set && g->boot.ooms[i].t_ns <= t_end)
			o->ooms++;
}

void hr_node_deltas(const struct hr_guest *g, int64_t t0, int64_t t1, char *total, char *freed, size_t len)
{
	size_t ot = 0, of = 0;

	total[0] = freed[0] = '\0';
	for (int node = 0; node < 64; node++) {
		const struct hr_node_sample *a = NULL, *b = NULL;

		for (size_t i = 0; i < g->boot.nns; i++) {
			const struct hr_node_sample *x = &g->boot.ns[i];

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
}

int hr_node_after(const struct hr_guest *g, int64_t t)
{
	int ret;

	ret = !g->boot.nns || g->boot.ns[g->boot.nns - 1].t_ns >= t;
	return ret;
}
