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

#include "core/agentcheck.h"
#include "core/log.h"
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
		pts[i] = (struct hr_rss_point){ hr_hsample_fig_t(&g->boot.hs[i]) / 1e9, (double)hr_hsample_held(&g->boot.hs[i]) };
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

/* The mechanism's own figures (its row's figures hook; NAN where it has none). */
static void mech_side(const struct hr_guest *g, struct hr_trow *row, int64_t t_set,
		      int64_t t_end, uint64_t target_kib)
{
	row->block_kib = row->blocks_plugged = row->blocks_unplugged = NAN;
	row->blocks_failed = row->event_ms = NAN;
	if (g->mech->figures)
		g->mech->figures(g, row, t_set, t_end, target_kib);
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

/*
 * What the hooks cost the change, estimated: their hits over it (COST
 * hits_entry and hits_return, counted by the agent) times the cost of a hit
 * of each kind the agent measured at start-up (HOOK), in per cent of the
 * change's t100 (the guest's, else the host's, else set to end of watch). NAN
 * where the change was polled or no cost came. Above 2 %: a warning, once a
 * guest, naming the cheaper way.
 */
static void perturbation(struct hr_guest *g, const struct bbp_cost *c0, struct hr_trow *row,
			 int64_t t_set, int64_t t_end)
{
	const struct bbp_cost *c = &g->boot.cost_last;
	double dur = !isnan(row->g.t100) ? row->g.t100 : !isnan(row->h.t100) ? row->h.t100 :
		     (double)(t_end - t_set) / 1e9;
	char advice[160];

	row->hits_entry = c->hits_entry - c0->hits_entry;
	row->hits_return = c->hits_return - c0->hits_return;
	row->perturb_pct = NAN;
	if (!c->probe || !g->boot.have_hook)
		return;
	row->perturb_pct = hr_probe_perturbation_pct(row->hits_entry, g->boot.hook_entry_us,
						     row->hits_return, g->boot.hook_return_us, dur);
	if (hr_probe_advice(row->perturb_pct, advice, sizeof(advice)) && !g->boot.perturb_warned) {
		g->boot.perturb_warned = 1;
		hr_warn("%s: transition %d: the kprobe hooks cost an estimated %.1f %% of it (%" PRIu64
			" hits at %.2f/%.2f us, over %.0f %%); %s", g->name, row->index, row->perturb_pct,
			row->hits_entry + row->hits_return, g->boot.hook_entry_us,
			g->boot.hook_return_us, HR_PROBE_PERTURB_MAX, advice);
	}
}

static int64_t actual_of(const struct hr_hsample *h)
{
	return (int64_t)h->actual_kib;
}

/*
 * How the guest followed the change, from the COSTs around it: the method,
 * the batch events (virtio-mem: requests), records lost, count mismatches,
 * and the coverage: the MiB the events moved (COST event_kib; a batch is
 * 1 MiB) over the MiB QEMU's actual moved from the last host
 * sample at rest before the target was set (the guest's polled size then, if
 * none came yet) to the last one by @t_end: the host's own view, independent
 * of the events. Said in events.csv too.
 */
static void probe_figures(struct hr_guest *g, const struct bbp_cost *c0, struct hr_trow *row,
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
	/* an agent without COST event_kib (older): a batch event is 1 MiB */
	row->event_mib = c->event_kib || c0->event_kib ? (double)(c->event_kib - c0->event_kib) / 1024.0 :
			 (double)row->events;
	row->coverage = row->probe && mib >= 1 ? row->event_mib / mib : NAN;
	perturbation(g, c0, row, t_set, t_end);
	if (row->probe && g->job->mechanism == HR_MECH_VMEM)
		hr_rec_event(g->run->rec, g->name, "probe",
			     "transition %d: kprobe, %" PRIu64 " virtio-mem requests moved %.1f MiB for %.1f MiB "
			     "(coverage %.3f), %" PRIu64 " lost, %" PRIu64 " mismatched", row->index,
			     row->events, row->event_mib, mib, row->coverage, row->lost, row->mismatch);
	else if (row->probe)
		hr_rec_event(g->run->rec, g->name, "probe",
			     "transition %d: kprobe, %" PRIu64 " batch events for %.1f MiB (coverage %.3f), %"
			     PRIu64 " lost, %" PRIu64 " mismatched", row->index, row->events, mib,
			     row->coverage, row->lost, row->mismatch);
	else
		hr_rec_event(g->run->rec, g->name, "probe",
			     "transition %d: poll, %" PRIu64 " samples, %.0f Hz while moving (%d asked)",
			     row->index, row->samples, row->hz, g->job->sample_hz);
}

/* The transitions.csv row (core/schema.h); a value that does not exist (NaN) is an empty field, never 0. */
static void write_row(const struct hr_guest *g, const struct hr_trow *r)
{
	/* the columns of a value in seconds, written in ms, and of one in ns, written in us */
	static const int ms_col[] = { HR_TR_CONTROL_LATENCY_MS, HR_TR_T50_MS, HR_TR_T90_MS,
				      HR_TR_T100_MS, HR_TR_LONGEST_STALL_MS, HR_TR_HOST_T100_MS,
				      HR_TR_HOST_T100_EST_MS };
	static const int us_col[] = { HR_TR_FAULT_P50_US, HR_TR_FAULT_P99_US, HR_TR_FAULT_MAX_US,
				      HR_TR_WL_P50_US, HR_TR_WL_P99_US, HR_TR_WL_P999_US,
				      HR_TR_STEADY_P50_US, HR_TR_STEADY_P99_US, HR_TR_STEADY_P999_US };
	const double s[] = { r->g.control, r->g.t50, r->g.t90, r->g.t100, r->g.longest_stall,
			     r->h.t100, r->h.t100_est };
	const double ns[] = { r->wl.fault_p50, r->wl.fault_p99, r->wl.fault_max, r->wl.p50,
			      r->wl.p99, r->wl.p999, r->wl.s50, r->wl.s99, r->wl.s999 };
	const struct hr_job *j = g->job;
	struct hr_row row;

	hr_row_init(&row, HR_TB_TRANS);
	hr_row_set_s(&row, HR_TR_VM, g->name);
	hr_row_set_s(&row, HR_TR_JOB, j->name);
	hr_row_set_i(&row, HR_TR_INDEX, r->index);
	hr_row_set_i(&row, HR_TR_CYCLE, r->cycle);
	hr_row_set_s(&row, HR_TR_DIRECTION, dir_names[r->g.direction + 1]);
	hr_row_set_f(&row, HR_TR_FROM_MIB, r->from_mib);
	hr_row_set_f(&row, HR_TR_TO_MIB, r->to_mib);
	hr_row_set_f(&row, HR_TR_REQUESTED_MIB, pages_mib(r->g.requested));
	hr_row_set_f(&row, HR_TR_MOVED_MIB, pages_mib(r->g.moved));
	hr_row_set_f(&row, HR_TR_T_SET_S, r->t_set_s);
	hr_row_set_f(&row, HR_TR_SET_CALL_MS, r->set_call_ms);
	for (size_t i = 0; i < sizeof(ms_col) / sizeof(ms_col[0]); i++)
		hr_row_set_f(&row, ms_col[i], s[i] * 1e3);
	if (r->g.npoints) {
		hr_row_set_f(&row, HR_TR_MEAN_RATE_MIB_S, pages_mib(r->g.mean_rate));
		hr_row_set_f(&row, HR_TR_PEAK_RATE_MIB_S, pages_mib(r->g.peak_rate));
	}
	hr_row_set_u(&row, HR_TR_STALLS, r->g.stalls);
	hr_row_set_i(&row, HR_TR_REACHED, r->g.reached);
	hr_row_set_f(&row, HR_TR_SHORTFALL_MIB, pages_mib(r->g.shortfall));
	hr_row_set_u(&row, HR_TR_GUEST_SAMPLES, r->nsamples);
	hr_row_set_f(&row, HR_TR_GUEST_SAMPLE_HZ, r->hz);
	hr_row_set_f(&row, HR_TR_HOST_MOVED_MIB, pages_mib(r->h.moved));
	if (r->h.npoints)
		hr_row_set_f(&row, HR_TR_HOST_MEAN_RATE_MIB_S, pages_mib(r->h.mean_rate));
	hr_row_set_f(&row, HR_TR_AGENT_CPU_PCT, r->agent_cpu);
	/* the workload's (none: empty) */
	if (r->wl.kind[0]) {
		hr_row_set_u(&row, HR_TR_FAULTS, r->wl.faults);
		hr_row_set_u(&row, HR_TR_SLOW_ACCESSES, r->wl.slow);
		hr_row_set_i(&row, HR_TR_OOM_KILLS, r->wl.ooms);
	}
	for (size_t i = 0; i < sizeof(us_col) / sizeof(us_col[0]); i++)
		hr_row_set_f(&row, us_col[i], ns[i] * 1e-3);
	hr_row_set_s(&row, HR_TR_WL_KIND, r->wl.kind);
	hr_row_set_s(&row, HR_TR_END_REASON, hr_end_names[r->end]);
	hr_row_set_i(&row, HR_TR_REP, g->rep);
	hr_row_set_i(&row, HR_TR_WARMUP, g->warmup);
	hr_row_set_s(&row, HR_TR_LABEL, j->label);
	hr_row_set_f(&row, HR_TR_PLANNED_S, r->planned_s);
	hr_row_set_f(&row, HR_TR_LATE_MS, r->late_ms);
	hr_row_set_s(&row, HR_TR_NODE_TOTAL_DELTA_MIB, r->node_total);
	hr_row_set_s(&row, HR_TR_NODE_FREE_DELTA_MIB, r->node_free);
	/* the host's side */
	hr_row_set_f(&row, HR_TR_HOST_RSS_DELTA_MIB, r->rss_delta_mib);
	hr_row_set_f(&row, HR_TR_HOST_RETURNED_MIB, r->returned_mib);
	hr_row_set_f(&row, HR_TR_HOST_RSS_SETTLE_MS, r->rss_settle_ms);
	hr_row_set_f(&row, HR_TR_HOST_LAG_MS, r->host_lag_ms);
	hr_row_set_f(&row, HR_TR_QEMU_VCPU_MS_PER_GIB, r->vcpu_ms_per_gib);
	hr_row_set_f(&row, HR_TR_QEMU_OTHER_MS_PER_GIB, r->other_ms_per_gib);
	/* the mechanism's own */
	hr_row_set_s(&row, HR_TR_MECHANISM, hr_mech_name(g->job->mechanism));
	hr_row_set_f(&row, HR_TR_BLOCK_KIB, r->block_kib);
	hr_row_set_f(&row, HR_TR_BLOCKS_PLUGGED, r->blocks_plugged);
	hr_row_set_f(&row, HR_TR_BLOCKS_UNPLUGGED, r->blocks_unplugged);
	if (r->probe)
		hr_row_set_u(&row, HR_TR_PROBE_HITS, r->hits_entry + r->hits_return);
	hr_row_set_f(&row, HR_TR_PROBE_PERTURBATION_PCT, r->perturb_pct);
	hr_row_set_f(&row, HR_TR_UNPLUG_FAILED_BLOCKS, r->blocks_failed);
	hr_row_set_f(&row, HR_TR_HOST_EVENT_MS, r->event_ms);
	hr_row_set_s(&row, HR_TR_HOST, g->host->name);
	if (r->wl.verified_bytes >= 0) {
		hr_row_set_f(&row, HR_TR_WL_VERIFIED_MIB, (double)r->wl.verified_bytes / (1024.0 * 1024));
		hr_row_set_i(&row, HR_TR_WL_MISMATCHES, r->wl.mismatches);
	}
	hr_rec_put(g->run->rec, HR_F_TRANS, &row);
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

	target_kib = g->mech->def->round(j, target_kib);
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
				hr_mech_name(g->job->mechanism), target_kib, lv);
	}
	t_ret = hr_run_time(run);
	hr_rec_event(run->rec, g->name, "target", "%.0f MiB -> %.0f MiB", row.from_mib, row.to_mib);
	if (hr_lc_during(g, index, b0, bt))	/* a lifecycle event during it (a pause) */
		return -1;
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
