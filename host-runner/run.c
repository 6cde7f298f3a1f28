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
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"
#include "run.h"
#include "runner.h"

#define PAGE_KIB	4
#define GRANULE_PAGES	256	/* one guest driver batch (1 MiB): see metrics.h */
#define CLOCK_PINGS	32
#define WATCHDOG_S	30	/* the agent powers off after this much host silence */

volatile sig_atomic_t hr_stop;
static struct hr_run *cur_run;

struct trans_row {
	char vm[64];
	int index, cycle;
	struct hr_trans_out g, h;
	struct hr_wl_tstats wl;
	double from_mib, to_mib, agent_cpu;
	const char *end_reason;
};

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

static int vm_gone(struct hr_vm *vm, char *why, size_t len)
{
	int r;

	pthread_mutex_lock(&vm->lock);
	r = vm->dead || vm->hangup;
	if (r)
		snprintf(why, len, "%s: the guest %s", vm->name,
			 vm->dead ? vm->dead_reason : "closed the agent channel");
	pthread_mutex_unlock(&vm->lock);
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
		    double bt, struct trans_row *row, size_t *nsamples)
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

static void write_row(struct hr_run *run, const struct hr_vm *vm, const struct trans_row *r,
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
	fprintf(f, ",%.3f,%.3f,%u", pages_mib(r->g.mean_rate), pages_mib(r->g.peak_rate),
		r->g.stalls);
	fmt_ms(f, r->g.longest_stall);
	fprintf(f, ",%d,%.3f,%zu,%.1f,%.3f", r->g.reached, pages_mib(r->g.shortfall), nsamples, hz,
		pages_mib(r->h.moved));
	fmt_ms(f, r->h.t100);
	fprintf(f, ",%.3f,%.1f,%" PRIu64 ",%" PRIu64, pages_mib(r->h.mean_rate), r->agent_cpu,
		r->wl.faults, r->wl.slow);
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
	fprintf(f, ",%d,%s\n", r->wl.ooms, r->end_reason);
	fflush(f);
	run->ntransitions++;
	pthread_mutex_unlock(&run->out_lock);
}

/*
 * One target change: set it, record until reached, given up or timed out,
 * then record @settle at rest. Returns 0 (also when the target was not
 * reached: that is a result), or -1 when the run cannot go on.
 */
static int transition(struct hr_vm *vm, int index, int cycle, uint64_t target_kib,
		      struct trans_row *row)
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
	row->index = index;
	row->cycle = cycle;
	row->to_mib = kib_to_mib(target_kib);
	(void)hr_vm_wait_sample(vm, SIZE_MAX, 0);
	b0 = latest_pages(vm, &n);
	if (b0 < 0 || !hr_vm_wait_sample(vm, n, 2000)) {
		snprintf(run->reason, sizeof(run->reason), "%s: the agent stopped sending samples",
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
	if (hr_vm_set_target(vm, target_kib)) {
		snprintf(run->reason, sizeof(run->reason), "%s: setting the balloon target failed",
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
	}
	t_stop = hr_run_time(run);	/* the transition ends here; what follows is rest */
	(void)send_fast(vm, 0);
	(void)send_phase(vm, 2 * (uint64_t)index + 2, WL_STEADY);
	hr_event(run, vm, "transition-end", "%s", row->end_reason);
	if (!strcmp(row->end_reason, "reached") || !strcmp(row->end_reason, "gave-up") ||
	    !strcmp(row->end_reason, "timeout"))
		record_until(vm, hr_run_time(run) + (int64_t)j->settle_us * 1000);
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
	write_row(run, vm, row, t_set / 1e9, (t_ret - t_set) / 1e9, nsamples, hz);
	if (!strcmp(row->end_reason, "interrupted")) {
		snprintf(run->reason, sizeof(run->reason), "interrupted by a signal");
		return -1;
	}
	if (!strcmp(row->end_reason, "guest-gone")) {
		snprintf(run->reason, sizeof(run->reason), "%s", why);
		return -1;
	}
	return 0;
}

static void print_header(void)
{
	printf("%-16s %3s %-8s %13s %9s %8s %8s %8s %8s %10s %10s %s\n", "vm", "#", "dir",
	       "MiB from->to", "moved", "ctl ms", "t50 ms", "t90 ms", "t100 ms", "mean MiB/s",
	       "peak MiB/s", "result");
}

static void print_row(const struct trans_row *r)
{
	static const char *const dir[] = { "deflate", "none", "inflate" };
	char ft[32];
	double v[4] = { r->g.control, r->g.t50, r->g.t90, r->g.t100 };

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

static struct hr_vm *vm_new(struct hr_run *run, const struct hr_job *j, int index)
{
	struct hr_vm *vm = calloc(1, sizeof(*vm));

	if (!vm)
		return NULL;
	vm->run = run;
	vm->job = j;
	vm->index = index;
	snprintf(vm->name, sizeof(vm->name), "bb-%s-%.16s", run->id + strlen(run->id) - 4, j->name);
	snprintf(vm->console_path, sizeof(vm->console_path), "%s/console-%s.log", run->dir, j->name);
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
			pthread_cond_destroy(&vm->cond);
			free(vm);
			return NULL;
		}
		close(fd);
	}
	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->cond, NULL);
	bbp_reader_init(&vm->rd);
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
		snprintf(vm->run->reason, sizeof(vm->run->reason),
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

static int run_job(struct hr_run *run, struct hr_vm *vm, struct trans_row **rows, size_t *nrows,
		   size_t *caprows)
{
	const struct hr_job *j = vm->job;
	struct bbp_msg conf = { .type = BBP_CONF };
	int idx = 0;

	hr_info("%s: booting (%d vCPUs, %.0f MiB, accel=%s)", vm->name, j->vcpus,
		kib_to_mib(j->memory_kib), hr_accel_names[j->accel]);
	hr_event(run, vm, "boot", "accel=%s", hr_accel_names[j->accel]);
	if (hr_vm_boot(run, vm, run->reason, sizeof(run->reason)))
		return -1;
	hr_info("%s: up in %.1f s under %s, guest kernel %s, balloon features %s", vm->name,
		vm->boot_ns / 1e9, vm->accel == HR_ACCEL_KVM ? "KVM" : "TCG", vm->hello.kernel,
		vm->hello.features);
	hr_event(run, vm, "hello", "accel=%s kernel=%s boot_s=%.3f",
		 vm->accel == HR_ACCEL_KVM ? "kvm" : "tcg", vm->hello.kernel, vm->boot_ns / 1e9);
	if (vm->hello.proto != BBP_VERSION) {
		snprintf(run->reason, sizeof(run->reason),
			 "%s: agent speaks protocol %" PRIu64 ", this runner %d: rebuild the image",
			 vm->name, vm->hello.proto, BBP_VERSION);
		hr_err("%s", run->reason);
		return -1;
	}
	if (hr_vm_clock_sync(vm, CLOCK_PINGS)) {
		snprintf(run->reason, sizeof(run->reason), "%s: clock sync failed", vm->name);
		return -1;
	}
	conf.u.conf.fast_hz = (uint64_t)j->sample_hz;
	conf.u.conf.slow_hz = (uint64_t)j->idle_hz;
	conf.u.conf.idle_ms = 500;
	conf.u.conf.watchdog_s = WATCHDOG_S;
	if (hr_vm_send(vm, &conf))
		return -1;
	if (j->workload_name[0] && start_workload(vm))
		return -1;
	(void)hr_write_run_json(run, "running");
	for (int c = 0; c < j->cycles && !hr_stop; c++) {
		for (int t = 0; t < j->ntargets && !hr_stop; t++) {
			struct trans_row row;
			int r;

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
			r = transition(vm, idx++, c, j->targets[t].kib, &row);
			if (row.end_reason) {
				if (*nrows == *caprows) {
					size_t cap = *caprows ? *caprows * 2 : 16;
					struct trans_row *n = realloc(*rows, cap * sizeof(*n));

					if (n) {
						*rows = n;
						*caprows = cap;
					}
				}
				if (*nrows < *caprows)
					(*rows)[(*nrows)++] = row;
				if (hr_verbosity >= HR_INFO)
					print_row(&row), fflush(stdout);
			}
			if (r)
				return -1;
		}
	}
	if (hr_stop) {
		snprintf(run->reason, sizeof(run->reason), "interrupted by a signal");
		return -1;
	}
	if (j->workload_name[0])
		stop_workload(vm, 2 * (uint64_t)idx + 1);	/* "final" epoch */
	return 0;
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
	struct trans_row *rows = NULL;
	size_t nrows = 0, caprows = 0;
	struct sigaction sa = { .sa_handler = on_signal };
	int ret = HR_EXIT_FAIL, failed = 0;

	if (!run)
		return HR_EXIT_FAIL;
	run->sc = sc;
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
	for (int i = 0; i < sc->njobs && !failed; i++) {
		struct hr_vm *vm = vm_new(run, &sc->jobs[i], i);

		if (!vm) {
			snprintf(run->reason, sizeof(run->reason), "out of memory");
			failed = 1;
			break;
		}
		run->vms[run->nvms++] = vm;
		if (i == 0 && hr_verbosity >= HR_INFO)
			print_header();
		if (run_job(run, vm, &rows, &nrows, &caprows))
			failed = 1;
		hr_vm_destroy(vm);
		hr_event(run, vm, "destroyed", "%s", failed ? "after an error" : "done");
	}
	if (failed) {
		run->incomplete = 1;
		if (!run->reason[0])
			snprintf(run->reason, sizeof(run->reason), "a job failed");
		hr_err("run %s INCOMPLETE: %s (%" PRIu64 " transition(s) and every sample so far kept in %s)",
		       run->id, run->reason, run->ntransitions, run->dir);
		hr_event(run, NULL, "incomplete", "%s", run->reason);
		ret = hr_stop ? HR_EXIT_INTR : HR_EXIT_FAIL;
	} else {
		ret = HR_EXIT_OK;
	}
	(void)hr_write_run_json(run, failed ? "incomplete" : "complete");
	if (hr_verbosity >= HR_INFO) {
		summary(run);
		printf("results: %s/ (run.json samples.csv transitions.csv events.csv)\n", run->dir);
	}
out:
	destroy_all();
	hr_results_close(run);
	hr_conn_close(run);
	cur_run = NULL;
	for (int i = 0; i < run->nvms; i++)
		hr_vm_free(run->vms[i]);
	free(rows);
	free(run);
	return ret;
}
