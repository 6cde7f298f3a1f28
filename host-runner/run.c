// SPDX-License-Identifier: MIT
/*
 * run.c - `balloonbench run`: boot each job's guest, walk its target
 * schedule, record every transition, and make sure no VM outlives the run.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"
#include "run.h"
#include "layout.h"
#include "report.h"
#include "runner.h"
#include "schedule.h"

#define PAGE_KIB	4
#define GRANULE_PAGES	256	/* one guest driver batch (1 MiB): see metrics.h */
#define CLOCK_PINGS	32

volatile sig_atomic_t hr_stop;
static struct hr_run *cur_run;


static void set_reason(struct hr_run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * The first failure of a run is its reason; VM threads may race for it. After
 * a signal, whatever fails next (a wait cut short, say) failed because of it.
 */
static void set_reason(struct hr_run *run, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&run->reason_lock);
	if (!run->reason[0] && hr_stop) {
		snprintf(run->reason, sizeof(run->reason), "interrupted by a signal");
	} else if (!run->reason[0]) {
		va_start(ap, fmt);
		vsnprintf(run->reason, sizeof(run->reason), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&run->reason_lock);
}

/* Every transition of the run, for the final table and statistics. */
static struct {
	pthread_mutex_t lock;
	struct hr_trow *v;
	size_t n, cap;
} rows = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void keep_row(const struct hr_trow *r)
{
	pthread_mutex_lock(&rows.lock);
	if (rows.n == rows.cap) {
		size_t cap = rows.cap ? rows.cap * 2 : 64;
		struct hr_trow *n = realloc(rows.v, cap * sizeof(*n));

		if (n) {
			rows.v = n;
			rows.cap = cap;
		}
	}
	if (rows.n < rows.cap)
		rows.v[rows.n++] = *r;
	pthread_mutex_unlock(&rows.lock);
}

static void on_signal(int sig)
{
	(void)sig;
	hr_stop = 1;
}

/* Every exit path, exit() included, destroys the domains this run started. */
static void destroy_all(void)
{
	struct hr_run *run = cur_run;

	if (!run)
		return;
	for (int i = 0; i < run->nvms; i++)
		hr_vm_destroy(run->vms[i]);
}

static double kib_to_mib(uint64_t kib)
{
	return (double)kib / 1024.0;
}

static double pages_mib(double pages)
{
	return pages * PAGE_KIB / 1024.0;
}

/* Latest guest balloon size in pages, or -1 if there is no sample yet. */
static double latest_pages(struct hr_vm *vm, size_t *n)
{
	double p = -1;

	pthread_mutex_lock(&vm->lock);
	if (vm->ngs)
		p = (double)(vm->gs[vm->ngs - 1].inflate - vm->gs[vm->ngs - 1].deflate);
	*n = vm->ngs;
	pthread_mutex_unlock(&vm->lock);
	return p;
}

/* The guest kernel's panic line from the console log, if it panicked. */
static void console_panic(const char *path, char *buf, size_t size)
{
	char line[512];
	FILE *f = fopen(path, "re");

	buf[0] = '\0';
	while (f && fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "Kernel panic");

		if (p) {
			p[strcspn(p, "\r\n")] = '\0';
			snprintf(buf, size, " (guest console: '%s')", p);
			break;
		}
	}
	if (f)
		fclose(f);
}

static int vm_gone(struct hr_vm *vm, char *why, size_t len)
{
	char panic[300];
	int r;

	pthread_mutex_lock(&vm->lock);
	r = vm->dead || vm->hangup;
	pthread_mutex_unlock(&vm->lock);
	if (r) {
		usleep(200000);	/* let the console log catch up */
		console_panic(vm->console_path, panic, sizeof(panic));
		snprintf(why, len, "%s: the guest %s%s", vm->name,
			 vm->dead ? vm->dead_reason : "closed the agent channel", panic);
	}
	return r;
}

static int send_fast(struct hr_vm *vm, uint64_t ms)
{
	struct bbp_msg m = { .type = BBP_FAST };

	m.u.fast.ms = ms;
	return hr_vm_send(vm, &m);
}

/* Keep sampling the host view at host_hz until @until (run time, ns). */
static void record_until(struct hr_vm *vm, int64_t until)
{
	int period_ms = 1000 / vm->job->host_hz;
	char why[160];

	while (!hr_stop && hr_run_time(vm->run) < until && !vm_gone(vm, why, sizeof(why))) {
		(void)hr_vm_poll_host(vm);
		usleep((useconds_t)period_ms * 1000);
	}
}

/* Agent CPU between two run times, from the COST messages around them. */
static double cost_cpu(const struct bbp_cost *a, const struct bbp_cost *b)
{
	double dt = (double)(b->t_ns - a->t_ns) / 1e9;

	if (dt <= 0)
		return NAN;
	return 100.0 * (double)(b->utime_us + b->stime_us - a->utime_us - a->stime_us) / 1e6 / dt;
}

/*
 * Guest view over [t_set, t_stop] (the transition); the host view over
 * [t_set, t_end], the rest included: QEMU's actual lags the guest's counters
 * by up to a poll period, and its own t100 may come after the guest's.
 */
static void compute(struct hr_vm *vm, double t_set, double t_stop, double t_end, double b0,
		    double bt, struct hr_trow *row, size_t *nsamples)
{
	const struct hr_job *j = vm->job;
	struct hr_trans_in in = {
		.t_set = t_set, .t_end = t_stop, .b0 = b0, .bt = bt, .granule = GRANULE_PAGES,
		.stall = j->stall_us / 1e6, .window = j->peak_window_us / 1e6,
	};
	struct hr_point *pts;
	size_t n = 0;

	pthread_mutex_lock(&vm->lock);
	pts = calloc(vm->ngs + vm->nhs + 1, sizeof(*pts));
	if (pts) {
		for (size_t i = 0; i < vm->ngs; i++) {
			double t = vm->gs[i].t_ns / 1e9;

			if (t >= t_set && t <= t_stop)
				pts[n++] = (struct hr_point){ t, (double)(vm->gs[i].inflate -
									  vm->gs[i].deflate) };
		}
		in.pts = pts;
		in.n = n;
		*nsamples = n;
		(void)hr_transition_metrics(&in, &row->g);
		n = 0;
		for (size_t i = 0; i < vm->nhs; i++) {
			double t = vm->hs[i].t_ns / 1e9;

			if (t >= t_set && t <= t_end)
				pts[n++] = (struct hr_point){ t, (double)(j->memory_kib -
						vm->hs[i].actual_kib) / PAGE_KIB };
		}
		in.n = n;
		in.t_end = t_end;
		(void)hr_transition_metrics(&in, &row->h);
	}
	pthread_mutex_unlock(&vm->lock);
	free(pts);
}

static void fmt_ms(FILE *f, double s)
{
	if (isnan(s))
		fputc(',', f);
	else
		fprintf(f, ",%.3f", s * 1e3);
}

/* ns -> us, empty when it did not happen */
static void fmt_us(FILE *f, double ns)
{
	if (isnan(ns))
		fputc(',', f);
	else
		fprintf(f, ",%.3f", ns / 1e3);
}

static int send_phase(struct hr_vm *vm, uint64_t e, int phase)
{
	struct bbp_msg m = { .type = BBP_PHASE };

	m.u.phase.e = e;
	m.u.phase.p = (uint64_t)phase;
	return hr_vm_send(vm, &m);
}

static void write_row(struct hr_run *run, const struct hr_vm *vm, const struct hr_trow *r,
		      double t_set, double set_call_s, size_t nsamples, double hz)
{
	FILE *f = run->trans_csv;
	static const char *const dir[] = { "deflate", "none", "inflate" };

	pthread_mutex_lock(&run->out_lock);
	fprintf(f, "%s,%s,%d,%d,%s,%.3f,%.3f,%.3f,%.3f,%.6f,%.3f", vm->name, vm->job->name,
		r->index, r->cycle, dir[r->g.direction + 1], r->from_mib, r->to_mib,
		pages_mib(r->g.requested), pages_mib(r->g.moved), t_set, set_call_s * 1e3);
	fmt_ms(f, r->g.control);
	fmt_ms(f, r->g.t50);
	fmt_ms(f, r->g.t90);
	fmt_ms(f, r->g.t100);
	/* a value that does not exist is an empty field, never 0 (summary.csv skips it) */
	if (r->g.npoints)
		fprintf(f, ",%.3f,%.3f,%u", pages_mib(r->g.mean_rate), pages_mib(r->g.peak_rate),
			r->g.stalls);
	else
		fprintf(f, ",,,%u", r->g.stalls);
	fmt_ms(f, r->g.longest_stall);
	fprintf(f, ",%d,%.3f,%zu,%.1f,%.3f", r->g.reached, pages_mib(r->g.shortfall), nsamples, hz,
		pages_mib(r->h.moved));
	fmt_ms(f, r->h.t100);
	if (r->h.npoints)
		fprintf(f, ",%.3f", pages_mib(r->h.mean_rate));
	else
		fputc(',', f);
	fprintf(f, ",%.1f", r->agent_cpu);
	if (r->wl.kind[0])
		fprintf(f, ",%" PRIu64 ",%" PRIu64, r->wl.faults, r->wl.slow);
	else
		fputs(",,", f);
	fmt_us(f, r->wl.fault_p50);
	fmt_us(f, r->wl.fault_p99);
	fmt_us(f, r->wl.fault_max);
	fprintf(f, ",%s", r->wl.kind);
	fmt_us(f, r->wl.p50);
	fmt_us(f, r->wl.p99);
	fmt_us(f, r->wl.p999);
	fmt_us(f, r->wl.s50);
	fmt_us(f, r->wl.s99);
	fmt_us(f, r->wl.s999);
	if (r->wl.kind[0])
		fprintf(f, ",%d", r->wl.ooms);
	else
		fputc(',', f);
	fprintf(f, ",%s,%d,%d,\"%s\",%.6f,%.3f,%s,%s\n", r->end_reason, r->rep,
		r->warmup, r->job->label, r->planned_s, r->late_ms, r->node_total, r->node_free);
	fflush(f);
	run->ntransitions++;
	pthread_mutex_unlock(&run->out_lock);
}

/*
 * One target change, planned for run time @planned: set it, record until
 * reached, given up, timed out or (with @deadline, pace=period) superseded by
 * the next planned change, then record @settle at rest (pace=wait). Returns 0
 * (also when the target was not reached: that is a result), or -1 when the
 * run cannot go on.
 */
static int transition(struct hr_vm *vm, int index, int cycle, uint64_t target_kib,
		      int64_t planned, int64_t deadline, struct hr_trow *row)
{
	const struct hr_job *j = vm->job;
	struct hr_run *run = vm->run;
	double b0, bt = (double)(j->memory_kib - target_kib) / PAGE_KIB, last, hz = 0;
	int64_t t_set, t_ret, t_stop, last_prog, period_ns = 1000000000LL / j->host_hz;
	struct bbp_cost c0, c1;
	size_t n, nsamples = 0;
	char why[256];

	memset(row, 0, sizeof(*row));
	snprintf(row->vm, sizeof(row->vm), "%s", vm->name);
	row->job = j;
	row->vm_index = vm->index;
	row->rep = vm->rep;
	row->warmup = vm->warmup;
	row->index = index;
	row->cycle = cycle;
	row->to_mib = kib_to_mib(target_kib);
	row->planned_s = planned / 1e9;
	(void)hr_vm_wait_sample(vm, SIZE_MAX, 0);
	b0 = latest_pages(vm, &n);
	if (b0 < 0 || !hr_vm_wait_sample(vm, n, 2000)) {
		set_reason(run, "%s: the agent stopped sending samples",
			 vm->name);
		return -1;
	}
	b0 = latest_pages(vm, &n);
	row->from_mib = kib_to_mib(j->memory_kib) - pages_mib(b0);
	pthread_mutex_lock(&vm->lock);
	c0 = vm->cost_last;
	pthread_mutex_unlock(&vm->lock);

	{
		/* remember the direction, for the phase names of this epoch */
		int *dirs = realloc(vm->trans_dir, (size_t)(index + 1) * sizeof(int));

		if (dirs) {
			vm->trans_dir = dirs;
			dirs[index] = bt > b0 ? 1 : -1;
			vm->ntrans_dir = (size_t)index + 1;
		}
	}
	if (send_phase(vm, 2 * (uint64_t)index + 1, bt > b0 ? WL_INFLATING : WL_DEFLATING) ||
	    send_fast(vm, j->timeout_us / 1000))
		return -1;
	t_set = hr_run_time(run);
	row->late_ms = (t_set - planned) / 1e6;
	vm->state = bt > b0 ? "inflating" : "deflating";
	vm->target_mib = row->to_mib;
	vm->t_state = t_set;
	if (hr_vm_set_target(vm, target_kib)) {
		set_reason(run, "%s: setting the balloon target failed",
			 vm->name);
		return -1;
	}
	t_ret = hr_run_time(run);
	hr_event(run, vm, "target", "%.0f MiB -> %.0f MiB", row->from_mib, row->to_mib);
	last = b0;
	last_prog = t_set;
	row->end_reason = "reached";
	for (;;) {
		int64_t now;
		double p;

		(void)hr_vm_poll_host(vm);
		(void)hr_vm_wait_sample(vm, SIZE_MAX, (int)(period_ns / 1000000));
		now = hr_run_time(run);
		p = latest_pages(vm, &n);
		if ((p - last) * (bt - b0) > 0) {
			last_prog = now;
			last = p;
		}
		if (fabs(bt - p) <= GRANULE_PAGES)
			break;
		if (hr_stop) {
			row->end_reason = "interrupted";
			break;
		}
		if (vm_gone(vm, why, sizeof(why))) {
			row->end_reason = "guest-gone";
			break;
		}
		if (now - last_prog > (int64_t)j->give_up_us * 1000) {
			row->end_reason = "gave-up";
			break;
		}
		if (now - t_set > (int64_t)j->timeout_us * 1000) {
			row->end_reason = "timeout";
			break;
		}
		if (deadline && now >= deadline) {
			row->end_reason = "superseded";	/* the next change is due */
			break;
		}
	}
	t_stop = hr_run_time(run);	/* the transition ends here; what follows is rest */
	(void)send_fast(vm, 0);
	(void)send_phase(vm, 2 * (uint64_t)index + 2, WL_STEADY);
	hr_event(run, vm, "transition-end", "%s", row->end_reason);
	vm->state = "rest";
	vm->t_state = t_stop;
	if (!deadline && (!strcmp(row->end_reason, "reached") || !strcmp(row->end_reason, "gave-up") ||
			  !strcmp(row->end_reason, "timeout")))
		record_until(vm, hr_run_time(run) + (int64_t)j->settle_us * 1000);
	else if (deadline)	/* pace=period: the rest lasts until the next change */
		record_until(vm, deadline);
	/*
	 * The per-node change needs a node sample after the end; the agent sends
	 * one as soon as fast sampling stops. Wait for it a little (a short
	 * settle), never past the next change.
	 */
	for (int i = 0; i < 20 && !hr_node_after(vm, t_stop); i++) {
		int64_t until = hr_run_time(run) + 50000000;

		if (deadline && until > deadline)
			break;
		record_until(vm, until);
	}
	compute(vm, t_set / 1e9, t_stop / 1e9, hr_run_time(run) / 1e9, b0, bt, row, &nsamples);
	if (j->workload_name[0]) {
		if (!hr_wl_wait_epoch(vm, 2 * (uint64_t)index + 1, 3000))
			hr_warn("%s: workload statistics of transition %d did not arrive", vm->name,
				index);
		/* faults and latency while the balloon moved: t_set to the end of movement */
		hr_wl_transition(vm, index, t_set, t_stop, &row->wl);
	} else {
		row->wl.fault_p50 = row->wl.fault_p99 = row->wl.fault_max = NAN;
		row->wl.p50 = row->wl.p99 = row->wl.p999 = NAN;
		row->wl.s50 = row->wl.s99 = row->wl.s999 = NAN;
		row->wl.kind = "";
	}
	if (row->g.npoints > 1) {
		/* achieved guest sampling rate while the balloon was being moved */
		double t_move = !isnan(row->g.t100) ? row->g.t100 : (t_stop - t_set) / 1e9;

		pthread_mutex_lock(&vm->lock);
		{
			size_t cnt = 0;

			for (size_t i = 0; i < vm->ngs; i++) {
				double t = vm->gs[i].t_ns / 1e9 - t_set / 1e9;

				if (t >= 0 && t <= t_move)
					cnt++;
			}
			if (t_move > 0)
				hz = cnt / t_move;
		}
		pthread_mutex_unlock(&vm->lock);
	}
	pthread_mutex_lock(&vm->lock);
	c1 = vm->cost_last;
	pthread_mutex_unlock(&vm->lock);
	row->agent_cpu = cost_cpu(&c0, &c1);
	hr_node_deltas(vm, t_set, t_stop, row->node_total, row->node_free, sizeof(row->node_total));
	write_row(run, vm, row, t_set / 1e9, (t_ret - t_set) / 1e9, nsamples, hz);
	if (!strcmp(row->end_reason, "interrupted")) {
		set_reason(run, "interrupted by a signal");
		return -1;
	}
	if (!strcmp(row->end_reason, "guest-gone")) {
		set_reason(run, "%s", why);
		return -1;
	}
	return 0;
}

/* ---- the live progress line: only on a terminal ---- */

static int progress_on;
static pthread_mutex_t progress_lock = PTHREAD_MUTEX_INITIALIZER;
static int progress_drawn;	/* lines the progress block takes now, 0 = none */
static volatile int progress_stop;

/* One guest's part of the line: state, target, actual, rate, elapsed/estimated. */
static size_t progress_vm(struct hr_vm *vm, char *buf, size_t size)
{
	const struct hr_job *j = vm->job;
	int64_t now = hr_run_time(vm->run);
	double actual = NAN, rate = 0, eta = NAN;
	char total[32];

	pthread_mutex_lock(&vm->lock);
	if (vm->ngs) {
		const struct hr_gsample *a = &vm->gs[vm->ngs - 1], *b = a;

		for (size_t i = vm->ngs; i-- > 0 && a->t_ns - vm->gs[i].t_ns < 250000000;)
			b = &vm->gs[i];
		actual = (double)j->memory_kib / 1024 - (double)(a->inflate - a->deflate) * 4 / 1024;
		if (a->t_ns > b->t_ns)
			rate = fabs((double)((int64_t)(a->inflate - a->deflate) -
					     (int64_t)(b->inflate - b->deflate))) * 4 / 1024 /
			       ((double)(a->t_ns - b->t_ns) / 1e9);
	}
	pthread_mutex_unlock(&vm->lock);
	if (rate > 1 && !isnan(actual))
		eta = fabs(actual - vm->target_mib) / rate;
	if (strcmp(vm->state, "inflating") && strcmp(vm->state, "deflating"))
		return (size_t)snprintf(buf, size, "%s %s %.1fs", vm->name + 8, vm->state,
					(now - vm->t_state) / 1e9);
	if (isnan(eta))
		snprintf(total, sizeof(total), "?");
	else
		snprintf(total, sizeof(total), "%.1fs", (now - vm->t_state) / 1e9 + eta);
	return (size_t)snprintf(buf, size, "%s %s ->%.0f at %.0f MiB %.0f MiB/s %.1fs/%s", vm->name + 8,
				vm->state, vm->target_mib, actual, rate, (now - vm->t_state) / 1e9, total);
}

/* Erase the progress block (progress_lock held); the cursor ends its last line. */
static void progress_erase(void)
{
	if (progress_drawn > 1)
		fprintf(stderr, "\033[%dA", progress_drawn - 1);
	if (progress_drawn)
		fputs("\r\033[J", stderr);
	progress_drawn = 0;
}

/* hr_log_around while the block is live: a message goes where the block was. */
static void progress_around_log(int before)
{
	if (before) {
		pthread_mutex_lock(&progress_lock);
		progress_erase();
	} else {
		fflush(stderr);
		pthread_mutex_unlock(&progress_lock);
	}
}

/* A line per guest that is booting, moving or resting (at most 16, then a count). */
static void *progress_thread(void *arg)
{
	struct hr_run *run = arg;

	while (!progress_stop) {
		char block[16 * 164 + 64];
		size_t o = 0;
		int lines = 0, more = 0;

		for (int i = 0; i < run->nvms; i++) {
			struct hr_vm *vm = run->vms[i];
			char line[256];

			if (!vm || !strcmp(vm->state, "new") || !strcmp(vm->state, "done") ||
			    !strcmp(vm->state, "failed"))
				continue;
			if (lines == 16) {
				more++;
				continue;
			}
			progress_vm(vm, line, sizeof(line));
			o += (size_t)snprintf(block + o, sizeof(block) - o, "%s%.160s", lines ? "\n" : "",
					      line);
			lines++;
		}
		if (more)
			o += (size_t)snprintf(block + o, sizeof(block) - o, "\n... and %d more guest(s)",
					      more), lines++;
		pthread_mutex_lock(&progress_lock);
		progress_erase();
		if (lines) {
			fputs(block, stderr);
			progress_drawn = lines;
		}
		fflush(stderr);
		pthread_mutex_unlock(&progress_lock);
		usleep(250000);
	}
	pthread_mutex_lock(&progress_lock);
	progress_erase();
	pthread_mutex_unlock(&progress_lock);
	return NULL;
}

static void print_header(void)
{
	printf("%-16s %3s %-8s %13s %9s %8s %8s %8s %8s %10s %10s %s\n", "vm", "#", "dir",
	       "MiB from->to", "moved", "ctl ms", "t50 ms", "t90 ms", "t100 ms", "mean MiB/s",
	       "peak MiB/s", "result");
}

static void print_row(const struct hr_trow *r)
{
	static const char *const dir[] = { "deflate", "none", "inflate" };
	char ft[32];
	double v[4] = { r->g.control, r->g.t50, r->g.t90, r->g.t100 };

	pthread_mutex_lock(&progress_lock);
	if (progress_on) {	/* the row goes where the progress block was; it is drawn again */
		progress_erase();
		fflush(stderr);
	}
	snprintf(ft, sizeof(ft), "%.0f->%.0f", r->from_mib, r->to_mib);
	printf("%-16s %3d %-8s %13s %9.1f", r->vm, r->index, dir[r->g.direction + 1], ft,
	       pages_mib(r->g.moved));
	for (int i = 0; i < 4; i++) {
		if (isnan(v[i]))
			printf(" %8s", "-");
		else
			printf(" %8.1f", v[i] * 1e3);
	}
	printf(" %10.1f %10.1f %s\n", pages_mib(r->g.mean_rate), pages_mib(r->g.peak_rate),
	       r->end_reason);
	fflush(stdout);
	pthread_mutex_unlock(&progress_lock);
}

static int check_image(const struct hr_run *run, const struct hr_job *j)
{
	const char *which[2] = { j->kernel, j->initrd };
	const char *key[2] = { "kernel", "initrd" };
	const char *deflt[2] = { "vmlinuz", "initrd.img" };

	for (int i = 0; i < 2; i++) {
		char path[PATH_MAX];
		struct stat st;

		if (*which[i])
			snprintf(path, sizeof(path), "%s", which[i]);
		else
			snprintf(path, sizeof(path), "%s/%s", run->image_dir, deflt[i]);
		if (!stat(path, &st) && S_ISREG(st.st_mode))
			continue;
		if (*which[i]) {
			int line = 0;

			for (size_t k = 0; k < hr_noptions; k++)
				if (!strcmp(hr_options[k].name, key[i]))
					line = j->line[k];
			hr_err("%s:%d: [%s] %s: %s: %s", run->sc->path, line, j->name, key[i], path,
			       strerror(errno ? errno : ENOENT));
		} else {
			hr_err("guest %s %s not found: run 'make image' first, or set %s= in the scenario",
			       key[i], path, key[i]);
		}
		return -1;
	}
	return 0;
}

static struct hr_vm *vm_new(struct hr_run *run, const struct hr_job *j, int index, int rep,
			    int warmup)
{
	struct hr_vm *vm = calloc(1, sizeof(*vm));
	size_t o;

	if (!vm)
		return NULL;
	vm->run = run;
	vm->job = j;
	vm->index = index;
	vm->rep = rep;
	vm->warmup = warmup;
	vm->state = "new";
	pthread_mutex_init(&vm->lock, NULL);
	pthread_mutex_init(&vm->send_lock, NULL);
	pthread_cond_init(&vm->cond, NULL);
	bbp_reader_init(&vm->rd);
	o = (size_t)snprintf(vm->name, sizeof(vm->name), "bb-%s-%.16s", run->id + strlen(run->id) - 4,
			     j->name);
	if (j->repeat > 1)
		o += (size_t)snprintf(vm->name + o, sizeof(vm->name) - o, "-r%d", rep);
	if (j->vms > 1)
		snprintf(vm->name + o, sizeof(vm->name) - o, "-v%d", index);
	snprintf(vm->console_path, sizeof(vm->console_path), "%s/console-%s.log", run->dir, vm->name);
	if (!strcmp(j->workload_name, "pagecache")) {
		int fd;

		snprintf(vm->disk_path, sizeof(vm->disk_path), "%s/disk-%s.img", run->state_dir,
			 vm->name);
		fd = open(vm->disk_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || ftruncate(fd, (off_t)((j->workload.size + (1 << 20) - 1) & ~((1ull << 20) - 1)))) {
			hr_err("cannot create the pagecache disk %s: %s", vm->disk_path, strerror(errno));
			if (fd >= 0)
				close(fd);
			pthread_mutex_destroy(&vm->lock);
			pthread_mutex_destroy(&vm->send_lock);
			pthread_cond_destroy(&vm->cond);
			free(vm);
			return NULL;
		}
		close(fd);
	}
	return vm;
}

/* Start the job's workload (host id 1) and let it run `warmup` at rest. */
static int start_workload(struct hr_vm *vm)
{
	const struct hr_job *j = vm->job;
	struct bbp_msg m = { .type = BBP_RUN };
	uint64_t deadline;
	int started, exited;

	m.u.run.w = 1;
	snprintf(m.u.run.spec, sizeof(m.u.run.spec), "%s", j->workload_spec);
	if (hr_vm_send(vm, &m))
		return -1;
	deadline = hr_now_ns() + 10000000000ull;
	do {
		(void)hr_vm_wait_sample(vm, SIZE_MAX, 50);
		pthread_mutex_lock(&vm->lock);
		started = vm->wl_started;
		exited = vm->wl_exited;
		pthread_mutex_unlock(&vm->lock);
	} while (!started && !exited && !hr_stop && hr_now_ns() < deadline);
	if (!started) {
		set_reason(vm->run,
			 "%s: workload '%s' did not start (see events.csv and the agent's messages)",
			 vm->name, j->workload_spec);
		return -1;
	}
	hr_info("%s: workload %s running; warm-up %.1f s", vm->name, j->workload_name,
		j->warmup_us / 1e6);
	record_until(vm, hr_run_time(vm->run) + (int64_t)j->warmup_us * 1000);
	return 0;
}

/* End the last epoch, stop the workload, wait for its last statistics. */
static void stop_workload(struct hr_vm *vm, uint64_t last_epoch)
{
	struct bbp_msg m = { .type = BBP_STOPW };
	uint64_t deadline = hr_now_ns() + 5000000000ull;
	int exited;

	(void)send_phase(vm, last_epoch, WL_STEADY);
	m.u.stopw.w = 1;
	if (hr_vm_send(vm, &m))
		return;
	do {
		(void)hr_vm_wait_sample(vm, SIZE_MAX, 50);
		pthread_mutex_lock(&vm->lock);
		exited = vm->wl_exited;
		pthread_mutex_unlock(&vm->lock);
	} while (!exited && hr_now_ns() < deadline);
	hr_wl_write_rest(vm);
}

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

/* Arrive at the start line; returns the common start time (run time base). */
static int64_t gate_pass(struct hr_gate *g, struct hr_run *run)
{
	int64_t t0;

	if (!g)
		return hr_run_time(run);
	pthread_mutex_lock(&g->lock);
	if (++g->arrived == g->need) {
		g->t0 = hr_run_time(run);
		pthread_cond_broadcast(&g->cond);
	}
	while (g->arrived < g->need)
		pthread_cond_wait(&g->cond, &g->lock);
	t0 = g->t0;
	pthread_mutex_unlock(&g->lock);
	return t0;
}

/* One guest through its job: boot, workload, every scheduled change, stop. */
static int run_vm(struct hr_run *run, struct hr_vm *vm)
{
	const struct hr_job *j = vm->job;
	struct bbp_msg conf = { .type = BBP_CONF };
	struct hr_sched_event *ev = NULL;
	char err[2048];
	size_t nev = 0, idx;
	int64_t t0;
	int passed = 0;

	if (hr_job_schedule(j, vm->index, &ev, &nev, err, sizeof(err))) {
		set_reason(run, "%s: schedule: %s", vm->name, err);
		goto fail;
	}
	vm->state = "booting";
	vm->t_state = hr_run_time(run);
	hr_info("%s: booting (%d vCPUs, %.0f MiB, accel=%s)", vm->name, j->vcpus,
		kib_to_mib(j->memory_kib), hr_accel_names[j->accel]);
	hr_event(run, vm, "boot", "accel=%s rep=%d%s", hr_accel_names[j->accel], vm->rep,
		 vm->warmup ? " (warm-up)" : "");
	if (hr_vm_boot(run, vm, err, sizeof(err))) {
		set_reason(run, "%s", err);
		goto fail;
	}
	hr_info("%s: up in %.1f s under %s, guest kernel %s, balloon features %s", vm->name,
		vm->boot_ns / 1e9, vm->accel == HR_ACCEL_KVM ? "KVM" : "TCG", vm->hello.kernel,
		vm->hello.features);
	hr_event(run, vm, "hello", "accel=%s kernel=%s boot_s=%.3f",
		 vm->accel == HR_ACCEL_KVM ? "kvm" : "tcg", vm->hello.kernel, vm->boot_ns / 1e9);
	if (vm->hello.proto != BBP_VERSION) {
		set_reason(run, "%s: agent speaks protocol %" PRIu64 ", this runner %d: rebuild the image",
			   vm->name, vm->hello.proto, BBP_VERSION);
		goto fail;
	}
	if (hr_vm_clock_sync(vm, CLOCK_PINGS)) {
		set_reason(run, "%s: clock sync failed", vm->name);
		goto fail;
	}
	conf.u.conf.fast_hz = (uint64_t)j->sample_hz;
	conf.u.conf.slow_hz = (uint64_t)j->idle_hz;
	conf.u.conf.idle_ms = 500;
	conf.u.conf.watchdog_s = (j->agent_watchdog_us + 999999) / 1000000;	/* vm.c keeps it fed */
	if (hr_vm_send(vm, &conf))
		goto fail;
	if (j->workload_name[0] && start_workload(vm))
		goto fail;
	(void)hr_write_run_json(run, "running");
	/* The job's guests start together; VM k of vms= k * vm-offset later. */
	t0 = gate_pass(vm->gate, run) + (int64_t)vm->index * (int64_t)j->vm_offset_us * 1000;
	passed = 1;
	for (idx = 0; idx < nev && !hr_stop; idx++) {
		int64_t planned = t0 + (int64_t)ev[idx].at_us * 1000, deadline = 0;
		struct hr_trow row;
		int r;

		if (j->pace == HR_PACE_PERIOD && idx + 1 < nev)
			deadline = t0 + (int64_t)ev[idx + 1].at_us * 1000;
		record_until(vm, planned);	/* pace: not before its planned time */
		if (hr_stop)
			break;
		/* A few pings per transition show clock drift in run.json. */
		pthread_mutex_lock(&vm->lock);
		{
			struct hr_clock_est keep = vm->best;

			pthread_mutex_unlock(&vm->lock);
			(void)hr_vm_clock_sync(vm, 2);
			pthread_mutex_lock(&vm->lock);
			vm->best = keep;	/* one offset for the whole run */
		}
		pthread_mutex_unlock(&vm->lock);
		r = transition(vm, (int)idx, per_cycle(j) == SIZE_MAX ? 0 : (int)(idx / per_cycle(j)),
			       ev[idx].kib, planned, deadline, &row);
		if (row.end_reason) {
			keep_row(&row);
			if (hr_verbosity >= HR_INFO)
				print_row(&row), fflush(stdout);
		}
		if (r)
			goto fail;
	}
	if (hr_stop) {
		set_reason(run, "interrupted by a signal");
		goto fail;
	}
	if (j->workload_name[0])
		stop_workload(vm, 2 * (uint64_t)idx + 1);	/* "final" epoch */
	{
		json_t *pl = vm->dom ? hr_layout_placement(vm->dom) : NULL;

		if (pl) {
			vm->placement = json_dumps(pl, JSON_COMPACT | JSON_SORT_KEYS);
			json_decref(pl);
		}
	}
	vm->state = "done";
	free(ev);
	return 0;
fail:
	vm->state = "failed";
	if (!passed)
		(void)gate_pass(vm->gate, run);	/* never keep the others waiting */
	free(ev);
	return -1;
}

/* qemu+ssh://host/system names a host; qemu:///system and qemu:///embed do not. */
int hr_uri_is_remote(const char *uri)
{
	const char *p = strstr(uri, "://");

	return p && p[3] && p[3] != '/';
}

static void *vm_thread(void *arg)
{
	struct hr_vm *vm = arg;

	vm->result = run_vm(vm->run, vm);
	hr_vm_destroy(vm);
	return NULL;
}

static void make_run_id(struct hr_run *run)
{
	time_t t = time(NULL);
	struct tm tm;
	char ts[32];
	unsigned r;

	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y%m%d-%H%M%S", &tm);
	strftime(run->started_at, sizeof(run->started_at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	r = (unsigned)(hr_now_ns() ^ (uint64_t)getpid() * 2654435761u) & 0xffff;
	snprintf(run->id, sizeof(run->id), "%s-%04x", ts, r);
}

static void summary(const struct hr_run *run)
{
	for (int i = 0; i < run->nvms; i++) {
		struct hr_vm *vm = run->vms[i];

		if (!vm || vm->ncost < 2)
			continue;
		printf("%s: agent %.1f%% of one vCPU over the run, RSS %.1f MiB, %" PRIu64
		       " samples (%" PRIu64 " dropped), clock offset error bound +-%.0f us\n",
		       vm->name, cost_cpu(&vm->cost_first, &vm->cost_last),
		       vm->cost_last.rss_kib / 1024.0, vm->cost_last.samples, vm->cost_last.dropped,
		       vm->best.rtt_ns / 2e3);
	}
}

int hr_run(const struct hr_scenario *sc, const struct hr_run_opts *o)
{
	struct hr_run *run = calloc(1, sizeof(*run));
	pthread_t progress;
	struct sigaction sa = { .sa_handler = on_signal };
	int ret = HR_EXIT_FAIL, failed = 0;

	if (!run)
		return HR_EXIT_FAIL;
	run->sc = sc;
	pthread_mutex_init(&run->reason_lock, NULL);
	run->lock_fd = -1;
	run->lifecycle_cb = -1;
	run->reprobe_kvm = o->reprobe_kvm;
	snprintf(run->uri, sizeof(run->uri), "%s", o->uri ? o->uri : "");
	snprintf(run->state_dir, sizeof(run->state_dir), "%s", o->state_dir);
	snprintf(run->image_dir, sizeof(run->image_dir), "%s", o->image_dir);
	for (int i = 0; i < sc->njobs; i++) {
		if (check_image(run, &sc->jobs[i])) {
			free(run);
			return HR_EXIT_USAGE;
		}
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	cur_run = run;
	atexit(destroy_all);

	make_run_id(run);
	run->t0_mono_ns = hr_now_ns();
	if (hr_conn_open(run))
		goto out;
	(void)hr_reap_leftovers(run);
	if (hr_results_open(run, o->results))
		goto out;
	hr_info("run %s: %d job(s) from %s, results in %s", run->id, sc->njobs, sc->path, run->dir);
	(void)hr_write_run_json(run, "running");
	if (hr_verbosity >= HR_INFO)
		print_header();
	if (hr_verbosity >= HR_INFO && isatty(STDERR_FILENO)) {
		progress_stop = 0;
		progress_on = !pthread_create(&progress, NULL, progress_thread, run);
		if (progress_on)
			hr_log_around = progress_around_log;
	}
	for (int i = 0; i < sc->njobs && !failed && !hr_stop; i++) {
		const struct hr_job *j = &sc->jobs[i];
		int reps = hr_job_runs(j);
		char why[256];

		if (hr_layout_check(j, hr_uri_is_remote(run->uri), why, sizeof(why))) {
			snprintf(run->skipped[i], sizeof(run->skipped[i]), "%s", why);
			hr_warn("job %s skipped: %s", j->name, why);
			hr_event(run, NULL, "skipped", "job=%s: %s", j->name, why);
			continue;
		}
		if (j->label[0])
			hr_info("job %s: %s", j->name, j->label);
		for (int rep = 0; rep < reps && !failed && !hr_stop; rep++) {
			pthread_t th[16];
			int first = run->nvms;
			struct hr_gate gate = { .need = j->vms };

			pthread_mutex_init(&gate.lock, NULL);
			pthread_cond_init(&gate.cond, NULL);

			if (run->nvms + j->vms > HR_MAX_VMS) {
				set_reason(run, "more than %d guests in one run", HR_MAX_VMS);
				failed = 1;
				break;
			}
			for (int k = 0; k < j->vms; k++) {
				struct hr_vm *vm = vm_new(run, j, k, rep, rep < reps - j->repeat);

				if (!vm) {
					set_reason(run, "cannot set up guest %d of job %s", k, j->name);
					failed = 1;
					break;
				}
				vm->gate = &gate;
				run->vms[run->nvms++] = vm;
			}
			if (failed)
				break;
			/* One thread per guest: their balloons move at the same time. */
			for (int k = 0; k < j->vms; k++)
				if (j->vms == 1 || pthread_create(&th[k], NULL, vm_thread, run->vms[first + k]))
					th[k] = 0, vm_thread(run->vms[first + k]);
			for (int k = 0; k < j->vms; k++) {
				struct hr_vm *vm = run->vms[first + k];

				if (th[k])
					pthread_join(th[k], NULL);
				if (vm->result)
					failed = 1;
				vm->gate = NULL;
				hr_event(run, vm, "destroyed", "%s", vm->result ? "after an error" : "done");
			}
			pthread_mutex_destroy(&gate.lock);
			pthread_cond_destroy(&gate.cond);
		}
	}
	if (progress_on) {
		progress_stop = 1;
		pthread_join(progress, NULL);
		hr_log_around = NULL;
		progress_on = 0;
	}
	if (hr_stop && !failed) {	/* stopped between guests: what did not run is missing */
		failed = 1;
		set_reason(run, "interrupted by a signal");
	}
	if (failed) {
		run->incomplete = 1;
		if (!run->reason[0])
			set_reason(run, "a job failed");
		hr_err("run %s INCOMPLETE: %s (%" PRIu64 " transition(s) and every sample so far kept in %s)",
		       run->id, run->reason, run->ntransitions, run->dir);
		hr_event(run, NULL, "incomplete", "%s", run->reason);
		ret = hr_stop ? HR_EXIT_INTR : HR_EXIT_FAIL;
	} else {
		ret = HR_EXIT_OK;
	}
	(void)hr_write_run_json(run, failed ? "incomplete" : "complete");
	hr_results_flush(run);
	if (hr_report(run->dir, hr_verbosity >= HR_INFO) && !failed)
		ret = HR_EXIT_FAIL;
	if (hr_verbosity >= HR_INFO) {
		summary(run);
		printf("results: %s/ (run.json summary.csv transitions.csv samples.csv events.csv ...)\n",
		       run->dir);
		printf("report:  %s/report.html\n", run->dir);
	}
out:
	destroy_all();
	hr_results_close(run);
	hr_conn_close(run);
	cur_run = NULL;
	for (int i = 0; i < run->nvms; i++)
		hr_vm_free(run->vms[i]);
	free(rows.v);
	rows.v = NULL;
	rows.n = rows.cap = 0;
	free(run);
	return ret;
}
