// SPDX-License-Identifier: MIT
/*
 * transition.c - one target change of a guest, from the target set to its
 * end and the rest after it: the loop that watches it move, the metrics of
 * both views (core/metrics.c), the transitions.csv row and the table line.
 * Runs in the guest's controller thread.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/vmem.h"
#include "fleet.h"
#include "guestpriv.h"
#include "mech.h"

const char *const hr_end_names[HR_END_N] = {
	[HR_END_REACHED] = "reached", [HR_END_GAVE_UP] = "gave-up", [HR_END_TIMEOUT] = "timeout",
	[HR_END_SUPERSEDED] = "superseded", [HR_END_INTERRUPTED] = "interrupted",
	[HR_END_GUEST_GONE] = "guest-gone", [HR_END_FAILED] = "failed",
};

static const char *const dir_names[] = { "deflate", "none", "inflate" };

static double pages_mib(double pages)
{
	return pages * HR_PAGE_KIB / 1024.0;
}

/* Agent CPU between two COST messages, % of one vCPU. */
static double cost_cpu(const struct bbp_cost *a, const struct bbp_cost *b)
{
	double dt = ((double)b->t_ns - (double)a->t_ns) / 1e9;

	if (dt <= 0)
		return NAN;
	return 100.0 * ((double)(b->utime_us + b->stime_us) - (double)(a->utime_us + a->stime_us)) /
	       1e6 / dt;
}

/*
 * Guest view over [t_set, t_stop] (the transition); the host view over
 * [t_set, t_end], the rest included: QEMU's actual lags the guest's counters
 * by up to a poll period, and its own t100 may come after the guest's.
 */
static int compute(const struct hr_guest *g, double t_set, double t_stop, double t_end, double b0,
		   double bt, struct hr_trow *row)
{
	const struct hr_job *j = g->job;
	struct hr_trans_in in = {
		.t_set = t_set, .t_end = t_stop, .b0 = b0, .bt = bt, .granule = HR_GRANULE,
		.stall = j->stall_us / 1e6, .window = j->peak_window_us / 1e6,
	};
	struct hr_point *pts = calloc(g->boot.ngs + g->boot.nhs + 1, sizeof(*pts));
	size_t n = 0;

	if (!pts)
		return hr_error("%s: out of memory", g->name);
	for (size_t i = 0; i < g->boot.ngs; i++) {
		double t = g->boot.gs[i].t_ns / 1e9;

		if (t >= t_set && t <= t_stop)
			pts[n++] = (struct hr_point){ t, g->mech->removed(g, &g->boot.gs[i]) };
	}
	in.pts = pts;
	in.n = n;
	row->nsamples = n;
	(void)hr_transition_metrics(&in, &row->g);
	n = 0;
	for (size_t i = 0; i < g->boot.nhs; i++) {
		double t = g->boot.hs[i].t_ns / 1e9;

		if (t >= t_set && t <= t_end)
			pts[n++] = (struct hr_point){ t, ((double)j->memory_kib -
							  (double)g->boot.hs[i].actual_kib) / HR_PAGE_KIB };
	}
	in.n = n;
	in.t_end = t_end;
	(void)hr_transition_metrics(&in, &row->h);
	free(pts);
	return 0;
}

static int64_t cpu_of(const struct hr_hsample *h)
{
	return h->fig.vcpu_ms < 0 || h->fig.other_ms < 0 ? -1 : h->fig.vcpu_ms;
}

/*
 * The host's side of a transition: what QEMU holds (RSS + huge pages) from
 * the target set (@t_set) to the end of the rest (@t_end): its change, what
 * the host got back, when it settled and the lag of that after the guest's
 * t100 (core/metrics.c defines them); and QEMU's CPU time over the change
 * proper (to @t_stop) per GiB moved.
 */
static int host_side(const struct hr_guest *g, struct hr_trow *row, int64_t t_set, int64_t t_stop,
		     int64_t t_end)
{
	const struct hr_hsample *a, *b;
	double gib = fabs(pages_mib(row->g.moved)) / 1024;
	struct hr_rss_point *pts = calloc(g->boot.nhs + 1, sizeof(*pts));
	struct hr_rss_in in = { .t_set = t_set / 1e9, .t_end = t_end / 1e9, .t100 = row->g.t100,
				.pts = pts, .n = g->boot.nhs };
	struct hr_rss_out o;

	if (!pts)
		return hr_error("%s: out of memory", g->name);
	for (size_t i = 0; i < g->boot.nhs; i++)
		pts[i] = (struct hr_rss_point){ g->boot.hs[i].t_ns / 1e9, (double)hr_hsample_held(&g->boot.hs[i]) };
	(void)hr_rss_metrics(&in, &o);
	free(pts);
	row->rss_delta_mib = o.delta_kib / 1024;
	row->returned_mib = -row->rss_delta_mib;
	row->rss_settle_ms = o.settle * 1e3;
	row->host_lag_ms = o.lag * 1e3;
	row->rss_noise_mib = o.noise_kib / 1024;
	/* an empty cell says why in run.json (vms[].host_sampler.empty) */
	if (isnan(o.delta_kib))
		snprintf(row->host_empty, sizeof(row->host_empty), "%s",
			 "host_rss_delta_mib,host_returned_mib,host_rss_settle_ms,host_lag_ms: not two "
			 "samples of QEMU's RSS over it");
	else if (!o.moved)
		snprintf(row->host_empty, sizeof(row->host_empty),
			 "host_rss_settle_ms,host_lag_ms: QEMU's RSS moved %.2f MiB, not more than its "
			 "noise (%.2f MiB)", row->rss_delta_mib, row->rss_noise_mib);
	else if (isnan(o.lag))
		snprintf(row->host_empty, sizeof(row->host_empty), "%s",
			 "host_lag_ms: the guest did not reach its target (no t100)");
	row->vcpu_ms_per_gib = row->other_ms_per_gib = NAN;
	a = hr_guest_host_at(g, t_set, cpu_of);
	b = hr_guest_host_at(g, t_stop, cpu_of);
	if (a && b && b->t_ns > a->t_ns && gib > 0) {
		row->vcpu_ms_per_gib = (double)(b->fig.vcpu_ms - a->fig.vcpu_ms) / gib;
		row->other_ms_per_gib = (double)(b->fig.other_ms - a->fig.other_ms) / gib;
	}
	return 0;
}

/*
 * The mechanism's own figures from the host's view (virtio-mem): blocks
 * plugged and unplugged between the target set and the end of the rest,
 * blocks that could not be unplugged, and when libvirt's size event came.
 */
static void mech_side(const struct hr_guest *g, struct hr_trow *row, int64_t t_set,
		      int64_t t_end, uint64_t target_kib)
{
	const struct hr_job *j = g->job;
	const struct hr_hsample *a = NULL, *b = NULL;
	double d;

	row->block_kib = row->blocks_plugged = row->blocks_unplugged = NAN;
	row->blocks_failed = row->event_ms = NAN;
	if (j->mechanism != HR_MECH_VMEM)
		return;
	for (size_t i = 0; i < g->boot.nhs; i++) {
		if (g->boot.hs[i].t_ns <= t_set || !a)
			a = &g->boot.hs[i];
		if (g->boot.hs[i].t_ns <= t_end)
			b = &g->boot.hs[i];
	}
	row->block_kib = (double)j->vmem_block_kib;
	row->event_ms = hr_mech_event_ms(g, t_set, (double)(target_kib - j->vmem_base_kib));
	if (!a || !b)
		return;
	d = ((double)b->actual_kib - (double)a->actual_kib) / row->block_kib;
	row->blocks_plugged = d > 0 ? d : 0;
	row->blocks_unplugged = d < 0 ? -d : 0;
	row->blocks_failed = target_kib < a->actual_kib && b->actual_kib > target_kib ?
			     ((double)b->actual_kib - (double)target_kib) / row->block_kib : 0;
}

/* Achieved guest sampling rate while the balloon was being moved. */
static double achieved_hz(const struct hr_guest *g, const struct hr_trow *row, int64_t t_set,
			  int64_t t_stop)
{
	double t_move = !isnan(row->g.t100) ? row->g.t100 : (t_stop - t_set) / 1e9;
	size_t cnt = 0;

	if (row->g.npoints <= 1 || t_move <= 0)
		return 0;
	for (size_t i = 0; i < g->boot.ngs; i++) {
		double t = (g->boot.gs[i].t_ns - t_set) / 1e9;

		if (t >= 0 && t <= t_move)
			cnt++;
	}
	return (double)cnt / t_move;
}

/*
 * A COST that counts every batch event of the change: FAST 0 once more at
 * the end of the rest, which the agent answers, after reading its events,
 * with a COST. Waits for it a second at most (the figures then say less).
 */
static void cost_sync(struct hr_guest *g)
{
	uint64_t until = hr_now_ns() + 1000000000ull;
	int n = g->boot.ncost, had = hr_error_pending();

	if (hr_guest_send_fast(g, 0)) {
		char junk[16];

		if (!had)	/* best effort: the checks that follow say why */
			hr_error_take(junk, sizeof(junk));
		return;
	}
	while (g->boot.ncost == n && !g->boot.dead && !g->boot.hangup && !hr_stop && hr_now_ns() < until)
		hr_guest_pump(g, until);
}

static int64_t actual_of(const struct hr_hsample *h)
{
	return (int64_t)h->actual_kib;
}

/*
 * How the guest followed the change, from the COSTs around it: the method,
 * the batch events, records lost, count mismatches, and the coverage: one
 * event per 1 MiB batch over the MiB QEMU's actual moved from the last host
 * sample at rest before the target was set (the guest's polled size then, if
 * none came yet) to the last one by @t_end: the host's own view, independent
 * of the events. Said in events.csv too.
 */
static void probe_figures(const struct hr_guest *g, const struct bbp_cost *c0, struct hr_trow *row,
			  int64_t t_set, int64_t t_end)
{
	const struct bbp_cost *c = &g->boot.cost_last;
	const struct hr_hsample *a = hr_guest_host_at(g, t_set, actual_of);
	const struct hr_hsample *b = hr_guest_host_at(g, t_end, actual_of);
	/* before the first host sample: the guest's size at rest, as the change began */
	double from = a && a->t_ns <= t_set ? (double)a->actual_kib / 1024.0 : row->from_mib;
	double mib = b && b->t_ns > t_set ? fabs((double)b->actual_kib / 1024.0 - from) : NAN;

	row->probe = (int)c->probe;
	row->events = c->events - c0->events;
	row->lost = c->lost - c0->lost;
	row->mismatch = c->mismatch - c0->mismatch;
	row->coverage = row->probe && mib >= 1 ? (double)row->events / mib : NAN;
	if (row->probe)
		hr_rec_event(g->run->rec, g->name, "probe",
			     "transition %d: kprobe, %" PRIu64 " batch events for %.1f MiB (coverage %.3f), %"
			     PRIu64 " lost, %" PRIu64 " mismatched", row->index, row->events, mib,
			     row->coverage, row->lost, row->mismatch);
	else
		hr_rec_event(g->run->rec, g->name, "probe",
			     "transition %d: poll, %" PRIu64 " samples, %.0f Hz while moving (%d asked)",
			     row->index, row->samples, row->hz, g->job->sample_hz);
}

static void fmt_opt(char *buf, size_t size, double v, double scale)
{
	if (isnan(v))
		snprintf(buf, size, ",");
	else
		snprintf(buf, size, ",%.3f", v * scale);
}

/* The transitions.csv row; a value that does not exist is an empty field, never 0. */
static void write_row(const struct hr_guest *g, const struct hr_trow *r)
{
	const struct hr_job *j = g->job;
	const double ms[] = { r->g.control, r->g.t50, r->g.t90, r->g.t100 };
	const double us[] = { r->wl.fault_p50, r->wl.fault_p99, r->wl.fault_max, r->wl.p50,
			      r->wl.p99, r->wl.p999, r->wl.s50, r->wl.s99, r->wl.s999 };
	const double hv[6] = { r->rss_delta_mib, r->returned_mib, r->rss_settle_ms, r->host_lag_ms,
			       r->vcpu_ms_per_gib, r->other_ms_per_gib };
	char t[4][24], w[9][24], stall[24], h100[24], rates[64], hrate[32], wlc[48], ooms[16];
	char hs[6][24], mx[5][24], hest[24];

	for (int i = 0; i < 4; i++)
		fmt_opt(t[i], sizeof(t[i]), ms[i], 1e3);
	for (int i = 0; i < 9; i++)
		fmt_opt(w[i], sizeof(w[i]), us[i], 1e-3);
	for (int i = 0; i < 6; i++)
		fmt_opt(hs[i], sizeof(hs[i]), hv[i], 1);
	fmt_opt(mx[0], sizeof(mx[0]), r->block_kib, 1);
	fmt_opt(mx[1], sizeof(mx[1]), r->blocks_plugged, 1);
	fmt_opt(mx[2], sizeof(mx[2]), r->blocks_unplugged, 1);
	fmt_opt(mx[3], sizeof(mx[3]), r->blocks_failed, 1);
	fmt_opt(mx[4], sizeof(mx[4]), r->event_ms, 1);
	fmt_opt(stall, sizeof(stall), r->g.longest_stall, 1e3);
	fmt_opt(h100, sizeof(h100), r->h.t100, 1e3);
	fmt_opt(hest, sizeof(hest), r->h.t100_est, 1e3);
	if (r->g.npoints)
		snprintf(rates, sizeof(rates), ",%.3f,%.3f", pages_mib(r->g.mean_rate),
			 pages_mib(r->g.peak_rate));
	else
		snprintf(rates, sizeof(rates), ",,");
	fmt_opt(hrate, sizeof(hrate), r->h.npoints ? pages_mib(r->h.mean_rate) : NAN, 1);
	if (r->wl.kind[0]) {
		snprintf(wlc, sizeof(wlc), ",%" PRIu64 ",%" PRIu64, r->wl.faults, r->wl.slow);
		snprintf(ooms, sizeof(ooms), ",%d", r->wl.ooms);
	} else {
		snprintf(wlc, sizeof(wlc), ",,");
		snprintf(ooms, sizeof(ooms), ",");
	}
	hr_rec_row(g->run->rec, HR_F_TRANS,
		   "%s,%s,%d,%d,%s,%.3f,%.3f,%.3f,%.3f,%.6f,%.3f%s%s%s%s%s,%u%s,%d,%.3f,%zu,%.1f,%.3f"
		   "%s%s,%.1f%s%s%s%s,%s%s%s%s%s%s%s%s,%s,%d,%d,\"%s\",%.6f,%.3f,%s,%s%s%s%s%s%s%s"
		   ",%s%s%s%s%s%s%s,%s\n",
		   g->name, j->name, r->index, r->cycle, dir_names[r->g.direction + 1], r->from_mib,
		   r->to_mib, pages_mib(r->g.requested), pages_mib(r->g.moved), r->t_set_s,
		   r->set_call_ms, t[0], t[1], t[2], t[3], rates, r->g.stalls, stall, r->g.reached,
		   pages_mib(r->g.shortfall), r->nsamples, r->hz, pages_mib(r->h.moved), h100, hrate,
		   r->agent_cpu, wlc, w[0], w[1], w[2], r->wl.kind, w[3], w[4], w[5], w[6], w[7],
		   w[8], ooms, hr_end_names[r->end], g->rep, g->warmup, j->label, r->planned_s,
		   r->late_ms, r->node_total, r->node_free, hs[0], hs[1], hs[2], hs[3], hs[4], hs[5],
		   g->mech->name, mx[0], mx[1], mx[2], mx[3], mx[4], hest, g->host->name);
}

/* The table line on stdout (the progress block moves aside). */
static void print_row(const struct hr_guest *g, const struct hr_trow *r)
{
	const double v[4] = { r->g.control, r->g.t50, r->g.t90, r->g.t100 };
	char line[256], ft[32];
	size_t o;

	if (hr_verbosity < HR_INFO)
		return;
	snprintf(ft, sizeof(ft), "%.0f->%.0f", r->from_mib, r->to_mib);
	o = (size_t)snprintf(line, sizeof(line), "%-16s %3d %-8s %13s %9.1f", g->name, r->index,
			     dir_names[r->g.direction + 1], ft, pages_mib(r->g.moved));
	for (int i = 0; i < 4 && o < sizeof(line); i++)
		o += (size_t)(isnan(v[i]) ? snprintf(line + o, sizeof(line) - o, " %8s", "-") :
			      snprintf(line + o, sizeof(line) - o, " %8.1f", v[i] * 1e3));
	if (o < sizeof(line))
		snprintf(line + o, sizeof(line) - o, " %10.1f %10.1f %s\n", pages_mib(r->g.mean_rate),
			 pages_mib(r->g.peak_rate), hr_end_names[r->end]);
	hr_board_print(g->run->board, line);
}

static int keep_row(struct hr_guest *g, const struct hr_trow *r)
{
	if (g->nrows == g->rowcap) {
		size_t cap = g->rowcap ? g->rowcap * 2 : 16;
		struct hr_trow *n = realloc(g->rows, cap * sizeof(*n));

		if (!n)
			return hr_error("%s: out of memory", g->name);
		g->rows = n;
		g->rowcap = cap;
	}
	g->rows[g->nrows++] = *r;
	return 0;
}

/* Wait (at most @ms) for a guest sample after the @seen-th. 1 if one came. */
static int wait_sample(struct hr_guest *g, size_t seen, int ms)
{
	uint64_t deadline = hr_now_ns() + (uint64_t)ms * 1000000ull;

	while (g->boot.ngs <= seen && !g->boot.dead && !g->boot.hangup && !hr_stop && hr_now_ns() < deadline)
		hr_guest_pump(g, deadline);
	return g->boot.ngs > seen;
}

/* Watch the balloon move until it is there or the transition ends otherwise. */
static enum hr_end watch(struct hr_guest *g, int64_t t_set, int64_t deadline, double b0,
			 double bt)
{
	const struct hr_job *j = g->job;
	uint64_t period = 1000000000ull / (uint64_t)j->host_hz;
	double last = b0;
	int64_t last_prog = t_set;

	for (;;) {
		uint64_t next = hr_now_ns() + period;
		int64_t now;
		double p;

		hr_guest_poll_host(g);
		hr_guest_pump(g, next);
		now = hr_run_time(g->run);
		p = hr_guest_balloon_pages(g);
		if ((p - last) * (bt - b0) > 0) {
			last_prog = now;
			last = p;
		}
		if (fabs(bt - p) <= HR_GRANULE)
			return HR_END_REACHED;
		if (hr_stop)
			return HR_END_INTERRUPTED;
		if (g->boot.dead || g->boot.hangup)
			return HR_END_GUEST_GONE;
		if (hr_rec_failed(g->run->rec, NULL, 0))
			return HR_END_FAILED;
		if (now - last_prog > (int64_t)j->give_up_us * 1000)
			return HR_END_GAVE_UP;
		if (now - t_set > (int64_t)j->timeout_us * 1000)
			return HR_END_TIMEOUT;
		if (deadline && now >= deadline)
			return HR_END_SUPERSEDED;	/* the next change is due */
	}
}

/* After the change: the rest (settle, or until the next change), and a node sample after it. */
static int rest(struct hr_guest *g, struct hr_trow *row, int64_t t_stop, int64_t deadline)
{
	const struct hr_job *j = g->job;
	int r = 0;

	if (!deadline && row->end <= HR_END_TIMEOUT)
		r = hr_guest_record_until(g, hr_run_time(g->run) + (int64_t)j->settle_us * 1000);
	else if (deadline && row->end <= HR_END_SUPERSEDED)	/* pace=period: until the next change */
		r = hr_guest_record_until(g, deadline);
	/*
	 * The per-node change needs a node sample after the end; the agent sends
	 * one as soon as fast sampling stops. Wait for it a little (a short
	 * settle), never past the next change.
	 */
	for (int i = 0; i < 20 && !r && !hr_node_after(g, t_stop); i++) {
		int64_t until = hr_run_time(g->run) + 50000000;

		if (deadline && until > deadline)
			break;
		r = hr_guest_record_until(g, until);
	}
	return r;
}

int hr_transition(struct hr_guest *g, int index, int cycle, uint64_t target_kib, int64_t planned,
		  int64_t deadline)
{
	const struct hr_job *j = g->job;
	struct hr_run *run = g->run;
	double b0, bt = ((double)j->memory_kib - (double)target_kib) / HR_PAGE_KIB;
	struct hr_trow row = { .index = index, .cycle = cycle };
	int64_t t_set, t_ret, t_stop, t_end;
	struct bbp_cost c0;
	int *dirs, r;

	target_kib = g->mech->round(j, target_kib);
	bt = ((double)j->memory_kib - (double)target_kib) / HR_PAGE_KIB;
	row.to_mib = target_kib / 1024.0;
	row.planned_s = planned / 1e9;
	if (!wait_sample(g, g->boot.ngs, 2000) || (b0 = hr_guest_balloon_pages(g)) < 0) {
		if (hr_guest_check(g))
			return -1;
		return hr_error("%s: the agent stopped sending samples", g->name);
	}
	row.from_mib = j->memory_kib / 1024.0 - pages_mib(b0);
	c0 = g->boot.cost_last;
	/* remember the direction, for the phase names of this epoch */
	dirs = realloc(g->trans_dir, (size_t)(index + 1) * sizeof(int));
	if (!dirs)
		return hr_error("%s: out of memory", g->name);
	g->trans_dir = dirs;
	dirs[index] = bt > b0 ? 1 : -1;
	g->ntrans_dir = (size_t)index + 1;
	if (hr_guest_send_phase(g, 2 * (uint64_t)index + 1, bt > b0 ? WL_INFLATING : WL_DEFLATING) ||
	    hr_guest_send_fast(g, j->timeout_us / 1000))
		return -1;
	t_set = hr_run_time(run);
	row.late_ms = (t_set - planned) / 1e6;
	hr_guest_set_state(g, bt > b0 ? HR_GS_INFLATING : HR_GS_DEFLATING, row.to_mib);
	if (hr_guest_qemu_call(g, QEMU_SET_TARGET, &target_kib)) {
		char lv[512];

		/* libvirt's reason first: the next libvirt call resets it */
		snprintf(lv, sizeof(lv), "%s", hr_lv_err());
		hr_guest_domain_gone(g);	/* QEMU killed as the target was set: say so */
		if (hr_guest_check(g))
			return -1;
		return hr_error("%s: cannot set the %s target to %" PRIu64 " KiB: %s", g->name,
				g->mech->name, target_kib, lv);
	}
	t_ret = hr_run_time(run);
	hr_rec_event(run->rec, g->name, "target", "%.0f MiB -> %.0f MiB", row.from_mib, row.to_mib);
	row.end = watch(g, t_set, deadline, b0, bt);
	t_stop = hr_run_time(run);	/* the transition ends here; what follows is rest */
	if (row.end <= HR_END_SUPERSEDED) {
		if (hr_guest_send_fast(g, 0) || hr_guest_send_phase(g, 2 * (uint64_t)index + 2, WL_STEADY))
			row.end = HR_END_FAILED;
	}
	hr_rec_event(run->rec, g->name, "transition-end", "%s", hr_end_names[row.end]);
	hr_guest_set_state(g, HR_GS_REST, row.to_mib);
	r = row.end <= HR_END_SUPERSEDED ? rest(g, &row, t_stop, deadline) : 0;
	if (!r && row.end <= HR_END_SUPERSEDED && g->boot.cost_last.probe)
		cost_sync(g);
	t_end = hr_run_time(run);
	if (compute(g, t_set / 1e9, t_stop / 1e9, t_end / 1e9, b0, bt, &row))
		return -1;
	if (host_side(g, &row, t_set, t_stop, t_end))
		return -1;
	mech_side(g, &row, t_set, t_end, target_kib);
	if (j->workload_name[0] && !r) {
		uint64_t e = 2 * (uint64_t)index + 1, until = hr_now_ns() + 3000000000ull;

		while (g->boot.eend <= e && !hr_guest_check(g) && hr_now_ns() < until)
			hr_guest_pump(g, until);
		if (g->boot.eend <= e)
			hr_warn("%s: workload statistics of transition %d did not arrive", g->name,
				index);
	}
	/* faults and latency while the balloon moved: t_set to the end of movement */
	hr_wl_transition(g, index, t_set, t_stop, &row.wl);
	row.hz = achieved_hz(g, &row, t_set, t_stop);
	row.agent_cpu = cost_cpu(&c0, &g->boot.cost_last);
	row.samples = g->boot.cost_last.samples - c0.samples;
	row.dropped = g->boot.cost_last.dropped - c0.dropped;
	row.max_gap_us = g->boot.cost_last.max_gap_us;
	probe_figures(g, &c0, &row, t_set, t_end);
	row.t_set_s = t_set / 1e9;
	row.set_call_ms = (t_ret - t_set) / 1e6;
	hr_node_deltas(g, t_set, t_stop, row.node_total, row.node_free, sizeof(row.node_total));
	write_row(g, &row);
	hr_rec_sync_later(run->rec);
	print_row(g, &row);
	if (keep_row(g, &row) || r)
		return -1;
	return row.end > HR_END_SUPERSEDED ? hr_guest_check(g) ? -1 :
	       hr_error("%s: transition %d %s", g->name, index, hr_end_names[row.end]) : 0;
}
