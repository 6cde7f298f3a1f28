// SPDX-License-Identifier: MIT
/*
 * guest.c - a guest's controller: its thread alone owns struct hr_guest
 * (guestpriv.h) and walks it through booting -> ready -> (inflating |
 * deflating -> rest)* -> stopping -> done, or failed from anywhere. This
 * file is its main line: the job's start line, the progress board, the
 * workload's start and stop, the schedule, the thread, and set-up. Booting
 * is guestboot.c's, the agent's channel guestlink.c's, QEMU's calls and the
 * host samples guestqemu.c's, the fills guestfill.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "core/log.h"
#include "core/schedule.h"
#include "fleet.h"
#include "guestpriv.h"
#include "layout.h"
#include "mech.h"
#include "policyloop.h"

/* ---- the start line of a job's guests ---- */

struct hr_gate *hr_gate_new(int need)
{
	struct hr_gate *gt = calloc(1, sizeof(*gt));

	if (!gt)
		return NULL;
	pthread_mutex_init(&gt->lock, NULL);
	gt->need = need;
	return gt;
}

void hr_gate_free(struct hr_gate *gt)
{
	if (!gt)
		return;
	pthread_mutex_destroy(&gt->lock);
	free(gt);
}

void hr_gate_leave(struct hr_gate *gt, int64_t now)
{
	pthread_mutex_lock(&gt->lock);
	gt->need--;
	if (gt->arrived >= gt->need && !gt->open) {
		gt->open = 1;
		gt->t0 = now;
	}
	pthread_mutex_unlock(&gt->lock);
}

/*
 * Arrive at the start line and wait for the others (ready or failed),
 * keeping our own agent fed meanwhile (with @wait: @wait(@g, @arg) does,
 * returning within a fraction of a second; its -1 ends the wait, *@err set).
 * Returns the common start time.
 */
int64_t hr_gate_pass_with(struct hr_guest *g, int (*wait)(struct hr_guest *, void *), void *arg, int *err)
{
	struct hr_gate *gt = g->gate;
	int64_t t0 = 0;
	int open = 0;

	if (err)
		*err = 0;
	if (!gt)
		return hr_run_time(g->run);
	pthread_mutex_lock(&gt->lock);
	if (++gt->arrived >= gt->need && !gt->open) {
		gt->open = 1;
		gt->t0 = hr_run_time(g->run);
	}
	pthread_mutex_unlock(&gt->lock);
	for (;;) {
		pthread_mutex_lock(&gt->lock);
		open = gt->open;
		t0 = gt->t0;
		pthread_mutex_unlock(&gt->lock);
		if (open)
			return t0;
		if (hr_stop || g->boot.dead || g->boot.hangup)
			return hr_run_time(g->run);
		if (!wait) {
			hr_guest_pump(g, hr_now_ns() + 20000000ull);
		} else if (wait(g, arg)) {
			if (err)
				*err = -1;
			return hr_run_time(g->run);	/* arrived (counted), gone: the others go on */
		}
	}
}

static int64_t gate_pass(struct hr_guest *g)
{
	return hr_gate_pass_with(g, NULL, NULL, NULL);
}

/* RUN guest= is a guest's index in its job: the agent takes it below BBP_RUN_GUEST_MAX */
_Static_assert(HR_MAX_VMS <= BBP_RUN_GUEST_MAX, "the agent refuses RUN guest= of a run's last guests");

/*
 * GO: the workload's clock runs from the job's start line (demand's trace):
 * since_ns, how long ago that was on the run clock, so that a guest told late
 * (the policy path, a workload started again after a reset) follows the job's
 * clock, not its own. Said in events.csv. 0, or -1.
 */
static int send_go(struct hr_guest *g)
{
	struct bbp_msg m = { .type = BBP_GO };
	int64_t since = hr_run_time(g->run) - g->go_t0;

	m.u.go.w = 1;
	m.u.go.since_ns = since > 0 ? (uint64_t)since : 0;
	if (hr_guest_send(g, &m))
		return -1;
	hr_rec_event(g->run->rec, g->name, "workload-go", "%s since_ms=%.0f", g->job->workload_name,
		     (double)m.u.go.since_ns / 1e6);
	return 0;
}

/* The start line on the run clock: the gate's t0 where it opened, else now. */
static int64_t start_line_t0(struct hr_guest *g)
{
	struct hr_gate *gt = g->gate;
	int64_t t0 = 0;
	int open = 0;

	if (gt) {
		pthread_mutex_lock(&gt->lock);
		open = gt->open;
		t0 = gt->t0;
		pthread_mutex_unlock(&gt->lock);
	}
	return open ? t0 : hr_run_time(g->run);
}

/*
 * GO to a running workload past the start line; a failed send is said in
 * events.csv (workload-go-failed: its trace stays held at its start until a
 * GO arrives: the next reopen of the channel sends it again), the run goes on
 * (the next wait says why the channel failed).
 */
void hr_guest_go_again(struct hr_guest *g)
{
	char why[256] = "the channel failed";
	int had = hr_error_pending();

	if (!g->went || !g->job->workload_name[0] || !g->boot.wl_started || g->boot.wl_exited)
		return;
	if (send_go(g)) {
		if (!had)	/* (an earlier error stays for its own caller) */
			hr_error_take(why, sizeof(why));
		hr_warn("%s: GO to workload %s not sent: %s", g->name, g->job->workload_name, why);
		hr_rec_event(g->run->rec, g->name, "workload-go-failed", "%s: %s", g->job->workload_name, why);
	}
}

void hr_guest_went(struct hr_guest *g)
{
	if (!g->went)
		g->go_t0 = start_line_t0(g);
	g->went = 1;
	hr_guest_go_again(g);
}

/* The start line passed (gate_pass), and the workload told so. Returns the common start time. */
static int64_t start_line(struct hr_guest *g)
{
	int64_t t0 = gate_pass(g);

	hr_guest_went(g);
	return t0;
}

void hr_guest_set_gate(struct hr_guest *g, struct hr_gate *gate)
{
	g->gate = gate;
}

/* ---- progress ---- */

void hr_guest_publish(struct hr_guest *g)
{
	g->snap.actual_mib = NAN;
	g->snap.rate_mib_s = 0;
	if (g->boot.ngs) {
		const struct hr_gsample *a = &g->boot.gs[g->boot.ngs - 1], *b = a;

		for (size_t i = g->boot.ngs; i-- > 0 && a->t_ns - g->boot.gs[i].t_ns < 250000000;)
			b = &g->boot.gs[i];
		g->snap.actual_mib = kib_to_mib(g->job->memory_kib) -
				     g->mech->removed(g, a) * HR_PAGE_KIB / 1024;
		if (a->t_ns > b->t_ns)
			g->snap.rate_mib_s = fabs(g->mech->removed(g, a) - g->mech->removed(g, b)) *
					     HR_PAGE_KIB / 1024 / ((double)(a->t_ns - b->t_ns) / 1e9);
	}
	g->snap.state = g->state;
	hr_board_publish(g->run->board, g->slot, &g->snap);
	g->last_publish = hr_now_ns();
}

void hr_guest_set_state(struct hr_guest *g, enum hr_gstate s, double target_mib)
{
	g->state = s;
	g->snap.t_state = hr_run_time(g->run);
	g->snap.target_mib = target_mib;
	hr_guest_publish(g);
}

/* ---- the workload ---- */

/*
 * The workload did not start within @waited ns: say what the agent did
 * meanwhile (since @ngs0 samples, @nmsgs0 messages) and whether it answers
 * a ping now: a live agent, one that went silent (when), or a channel that
 * carries nothing. Its console has the stall watch's view. Returns -1.
 */
static int not_started(struct hr_guest *g, uint64_t waited, size_t ngs0, uint64_t nmsgs0)
{
	struct hr_boot *b = &g->boot;
	char latest[64] = "";
	int pong;

	if (b->last_msg_ns)
		snprintf(latest, sizeof(latest), ", the latest %.1f s ago",
			 (double)(hr_now_ns() - b->last_msg_ns) / 1e9);
	pong = hr_guest_ping(g, 3000000000ull);
	if (pong < 0)
		return -1;
	if (!pong)
		hr_guest_ask_kernel(g, "lt", "the workload did not start", 1);
	if (!pong && b->nmsgs == nmsgs0)
		b->silent = 1;	/* not a word since RUN: hr_guest_bring_up may boot once more */
	return hr_error("%s: workload '%s' did not start within %.1f s; meanwhile the agent sent %zu samples"
			" and %" PRIu64 " messages in all%s, and a ping then %s; %s (see events.csv and "
			"console-%s.log)", g->name, g->job->workload_spec, (double)waited / 1e9,
			b->ngs - ngs0, b->nmsgs - nmsgs0, latest,
			pong ? "was answered" : "was not answered within 3 s", hr_conn_event_thread_note(),
			g->name);
}

/* Start the job's workload (host id 1) and let it run `warmup` at rest. */
int hr_guest_start_workload(struct hr_guest *g)
{
	struct hr_boot *b = &g->boot;
	const struct hr_job *j = g->job;
	struct bbp_msg m = { .type = BBP_RUN };
	uint64_t t0, deadline, nmsgs0 = b->nmsgs;
	size_t ngs0 = b->ngs;

	m.u.run.w = 1;
	m.u.run.guest = (uint64_t)g->index;	/* demand's stagger= */
	if ((size_t)snprintf(m.u.run.spec, sizeof(m.u.run.spec), "%s", j->workload_spec) >=
	    sizeof(m.u.run.spec))
		return hr_error("%s: workload '%s' is too long to send to the agent (at most %zu characters)",
				g->name, j->workload_spec, sizeof(m.u.run.spec) - 1);
	if (hr_guest_send(g, &m))
		return -1;
	/* 10 s, and twice what this guest took to boot: a loaded host is slow at both */
	t0 = hr_now_ns();
	deadline = t0 + 10000000000ull + 2 * (uint64_t)b->boot_ns;
	while (!b->wl_started && !b->wl_exited && hr_now_ns() < deadline) {
		if (hr_guest_check(g))
			return -1;
		hr_guest_pump(g, hr_now_ns() + 50000000ull);
	}
	if (!b->wl_started && b->wl_exited)
		return hr_error("%s: workload '%s' could not start: the agent says %s (code %" PRIu64
				"; its message is in events.csv)", g->name, j->workload_spec,
				b->wexit.code < 200 ? strerror((int)b->wexit.code) : "an unknown error",
				b->wexit.code);
	if (!b->wl_started)
		return not_started(g, hr_now_ns() - t0, ngs0, nmsgs0);
	if (g->went && send_go(g))	/* started again after the start line (a reset) */
		return -1;
	hr_info("%s: workload %s running; warm-up %.1f s", g->name, j->workload_name,
		j->warmup_us / 1e6);
	return hr_guest_record_until(g, hr_run_time(g->run) + (int64_t)j->warmup_us * 1000);
}

/* End the last epoch, stop the workload, wait (5 s at most) for its last statistics. */
static void stop_workload(struct hr_guest *g, uint64_t last_epoch)
{
	struct bbp_msg m = { .type = BBP_STOPW };
	uint64_t deadline = hr_now_ns() + 5000000000ull;

	m.u.stopw.w = 1;
	if (hr_guest_send_phase(g, last_epoch, WL_STEADY) || hr_guest_send(g, &m))
		return;
	while (!g->boot.wl_exited && hr_now_ns() < deadline && !hr_guest_check(g))
		hr_guest_pump(g, hr_now_ns() + 50000000ull);
	hr_wl_write_rest(g);
}

/* ---- a guest's life ---- */

/* Events per cycle of a schedule, for the cycle column. */
static size_t per_cycle(const struct hr_job *j)
{
	switch (j->schedule) {
	case HR_SCHED_LIST: return (size_t)j->ntargets;
	case HR_SCHED_SQUARE: return 2;
	case HR_SCHED_SAWTOOTH: return (size_t)j->steps + 1;
	case HR_SCHED_STAIRCASE: return 2 * (size_t)j->steps;
	default: return SIZE_MAX;
	}
}

/* Every scheduled change, from the job's common start. */
static int walk_schedule(struct hr_guest *g, const struct hr_sched_event *ev, size_t nev,
			 size_t *done)
{
	const struct hr_job *j = g->job;
	int64_t t0 = start_line(g) + (int64_t)g->index * (int64_t)j->vm_offset_us * 1000;

	for (*done = 0; *done < nev; (*done)++) {
		size_t i = *done;
		int64_t planned = t0 + (int64_t)ev[i].at_us * 1000, deadline = 0;
		struct hr_clock_est keep;

		if (j->pace == HR_PACE_PERIOD && i + 1 < nev)
			deadline = t0 + (int64_t)ev[i + 1].at_us * 1000;
		if (hr_lc_after(g, (int)i))	/* lifecycle events after transition i (from 1) */
			return -1;
		if (hr_guest_record_until(g, planned))	/* pace: not before its planned time */
			return -1;
		/* A few pings per transition show clock drift in run.json; one offset for the run. */
		keep = g->boot.best;
		if (hr_guest_clock_sync(g, 2))
			return -1;
		g->boot.best = keep;
		if (hr_transition(g, (int)i, per_cycle(j) == SIZE_MAX ? 0 : (int)(i / per_cycle(j)),
				  ev[i].kib, planned, deadline))
			return -1;
	}
	if (hr_lc_after(g, (int)nev))
		return -1;
	return hr_guest_check(g);
}

static int guest_run(struct hr_guest *g)
{
	struct hr_sched_event *ev = NULL;
	char err[2048];
	size_t nev = 0, done = 0;
	json_t *pl;
	int r, bad = 0;

	if (hr_job_schedule(g->job, g->index, &ev, &nev, err, sizeof(err))) {
		if (g->gate)
			(void)gate_pass(g);	/* never keep the others waiting */
		return hr_error("%s: schedule: %s", g->name, err);
	}
	r = hr_guest_bring_up(g);
	if (r) {
		hr_policy_turn_give(g);	/* (if it held the bring-up turn) */
		if (g->gate)
			(void)gate_pass(g);
		free(ev);
		return -1;
	}
	if (g->job->policy_kind)	/* the policy sets the targets, not the schedule; in the loop from now on */
		r = hr_policy_walk(g, &done);	/* (it passes the start line: hr_guest_went) */
	else
		r = walk_schedule(g, ev, nev, &done);
	free(ev);
	if (r)
		return -1;
	if (g->job->refill_kib &&
	    hr_guest_run_fill(g, &g->boot.fills[HR_FILL_RE], 3, g->job->refill_kib, g->job->settle_us))
		return -1;
	hr_guest_set_state(g, HR_GS_STOPPING, NAN);
	if (g->job->workload_name[0]) {
		stop_workload(g, 2 * (uint64_t)done + 1);	/* "final" epoch */
		bad = hr_wl_integrity(g);	/* a mismatch fails the guest, its reason pending */
	}
	pl = g->boot.dom ? hr_layout_placement(g->boot.dom) : NULL;
	if (pl) {
		g->placement = json_dumps(pl, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(pl);
	}
	if (!bad && hr_lc_end(g))	/* a shutdown, the last event */
		return -1;
	if (!bad && hr_lc_failed(g, err, sizeof(err)))
		return hr_error("%s: %s", g->name, err);
	return bad ? -1 : g->boot.lc_expect_stop ? 0 : hr_guest_check(g);
}

void *hr_guest_thread(void *arg)
{
	struct hr_guest *g = arg;

	if (guest_run(g)) {
		g->failed = 1;
		hr_error_take(g->fail_reason, sizeof(g->fail_reason));
		hr_rec_event(g->run->rec, g->name, "failed", "%s", g->fail_reason);
		hr_guest_set_state(g, HR_GS_FAILED, NAN);
		hr_guest_destroy_domain(g);
	} else {
		/* stopping until its domain is gone: the runner's cost of it is not the others' rest (runcost.c) */
		hr_guest_destroy_domain(g);
		hr_guest_set_state(g, HR_GS_DONE, NAN);
	}
	return NULL;
}

/* ---- set-up and accessors (main thread) ---- */

static int make_disk(struct hr_guest *g)
{
	uint64_t size = (g->job->workload.size + (1 << 20) - 1) & ~((1ull << 20) - 1);
	int fd, e;

	snprintf(g->disk_path, sizeof(g->disk_path), "%s/disk-%s.img", g->run->state_dir, g->name);
	fd = open(g->disk_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)size)) {
		e = errno;
		if (fd >= 0)
			close(fd);
		return hr_error("cannot create the %s disk %s: %s", g->job->workload_name,
				g->disk_path, strerror(e));
	}
	close(fd);
	return 0;
}

struct hr_guest *hr_guest_new(struct hr_run *run, const struct hr_job *j, int index, int rep,
			      int warmup)
{
	struct hr_guest *g = calloc(1, sizeof(*g));
	size_t o;

	if (!g) {
		hr_error("out of memory");
		return NULL;
	}
	g->run = run;
	g->host = run->cur_host;
	g->job = j;
	g->index = index;
	g->rep = rep;
	g->warmup = warmup;
	g->mech = hr_mech(j);
	hr_boot_reset(&g->boot);
	o = (size_t)snprintf(g->name, sizeof(g->name), "bb-%s-%.16s", run->id + strlen(run->id) - 4,
			     j->name);
	if (hr_job_runs(j) > 1)	/* repeat= or rounds= */
		o += (size_t)snprintf(g->name + o, sizeof(g->name) - o, "-r%d", rep);
	if (j->vms > 1)
		o += (size_t)snprintf(g->name + o, sizeof(g->name) - o, "-v%d", index);
	if (run->fleet->n > 1)	/* the same guest on several hosts: the name says which */
		snprintf(g->name + o, sizeof(g->name) - o, ".%s", g->host->name);
	snprintf(g->console_path, sizeof(g->console_path), "%s/console-%s.log", run->dir, g->name);
	if ((wl_flags(j->workload_name) & WL_F_DISK) && make_disk(g)) {
		free(g);
		return NULL;
	}
	snprintf(g->snap.name, sizeof(g->snap.name), "%s", g->name);
	g->slot = hr_board_add(run->board, g->name);
	return g;
}

int hr_guest_failed(const struct hr_guest *g, const char **why)
{
	if (why)
		*why = g->fail_reason;
	return g->failed;
}

const char *hr_guest_name(const struct hr_guest *g)
{
	return g->name;
}

size_t hr_guest_transitions(const struct hr_guest *g)
{
	return g->nrows;
}

struct hr_host *hr_guest_host(const struct hr_guest *g)
{
	return g->host;
}

const struct hr_job *hr_guest_job(const struct hr_guest *g)
{
	return g->job;
}

int hr_guest_warmup(const struct hr_guest *g)
{
	return g->warmup;
}

const struct hr_trow *hr_guest_rows(const struct hr_guest *g, size_t *n)
{
	*n = g->nrows;
	return g->rows;
}

const struct hr_fill *hr_guest_fill(const struct hr_guest *g, int which)
{
	return &g->boot.fills[which];
}

void hr_guest_free(struct hr_guest *g)
{
	if (!g)
		return;
	hr_guest_drop_domain(g);
	hr_boot_free(&g->boot);
	free(g->trans_dir);
	free(g->placement);
	free(g->rows);
	free(g->lc_rows);
	if (g->disk_path[0])
		(void)unlink(g->disk_path);
	free(g);
}
