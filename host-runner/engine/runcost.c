// SPDX-License-Identifier: MIT
/*
 * runcost.c - what the runner itself costs, for run.json's "runner" block:
 * its CPU over the run (getrusage RUSAGE_SELF: this process, not its QEMUs),
 * split by what its guests were doing (booting, moving, at rest), its peak
 * RSS, the most threads and descriptors it held, the libvirt event thread's
 * busiest second, and the longest an item waited in a guest's queue.
 *
 * The event thread calls hr_cost_tick() from its one-second timer (conn.c):
 * a second's CPU is the process's and the event thread's own (its thread CPU
 * clock) over the wall time since the last tick; the phase of that second is
 * read from the progress board's snapshots. Guests' controllers record queue
 * waits in their own struct (hr_qwait_add), read after they are joined.
 * One run per process: the state is this file's.
 */
#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <jansson.h>

#include "engine.h"
#include "guestpriv.h"

enum { PH_BOOTING, PH_MOVING, PH_REST, PH_STOPPING, PH_N };
static const char *const phase_names[PH_N] = { "booting", "moving", "rest", "stopping" };

static struct {
	pthread_mutex_t lock;
	struct hr_board *board;
	int on;
	uint64_t t0, last_wall;		/* hr_now_ns() */
	uint64_t cpu0_us, last_cpu_us;	/* process user + system */
	struct rusage ru0;
	uint64_t last_thread_ns;	/* the event thread's CPU clock at the last tick */
	long rss0_kib;
	double phase_wall[PH_N], phase_cpu[PH_N], phase_guest_s[PH_N];	/* seconds */
	double busiest, busiest_at;	/* the event thread: CPU s per wall s, run s it ended */
	int threads_max, fds_max, guests_max;
	uint64_t ticks;
} cost = { .lock = PTHREAD_MUTEX_INITIALIZER };

static uint64_t tv_us(const struct timeval *tv)
{
	return (uint64_t)tv->tv_sec * 1000000u + (uint64_t)tv->tv_usec;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* /proc/self/status's field @key (Threads, VmRSS): its number, or -1. */
static long status_field(const char *key)
{
	char line[256];
	size_t n = strlen(key);
	long v = -1;
	FILE *f = fopen("/proc/self/status", "re");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':' && sscanf(line + n + 1, "%ld", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

/* Descriptors open now (/proc/self/fd, less the directory's own); -1 if unknown. */
static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;
}

void hr_cost_start(struct hr_board *board)
{
	struct rusage ru;

	(void)getrusage(RUSAGE_SELF, &ru);
	pthread_mutex_lock(&cost.lock);
	cost.board = board;
	cost.t0 = cost.last_wall = hr_now_ns();
	cost.ru0 = ru;
	cost.cpu0_us = cost.last_cpu_us = tv_us(&ru.ru_utime) + tv_us(&ru.ru_stime);
	cost.rss0_kib = status_field("VmRSS");
	cost.last_thread_ns = 0;	/* the event thread's first tick starts its clock */
	cost.on = 1;
	pthread_mutex_unlock(&cost.lock);
}

void hr_cost_stop(void)
{
	pthread_mutex_lock(&cost.lock);
	cost.on = 0;
	cost.board = NULL;
	pthread_mutex_unlock(&cost.lock);
}

/* The phase of the run now from the board's states; -1: none of them (no live guest). */
static int phase_now(struct hr_board *b, int *live)
{
	int n[HR_GS_N] = { 0 };

	hr_board_counts(b, n);
	*live = n[HR_GS_BOOTING] + n[HR_GS_READY] + n[HR_GS_INFLATING] + n[HR_GS_DEFLATING] +
		n[HR_GS_REST] + n[HR_GS_STOPPING];
	if (n[HR_GS_BOOTING])
		return PH_BOOTING;
	if (n[HR_GS_INFLATING] + n[HR_GS_DEFLATING])
		return PH_MOVING;
	/* a guest's end (its workload's last figures, where QEMU's memory sat, its domain destroyed) is not rest */
	if (n[HR_GS_STOPPING])
		return PH_STOPPING;
	if (n[HR_GS_READY] + n[HR_GS_REST])
		return PH_REST;
	return -1;
}

void hr_cost_tick(void)
{
	uint64_t now = hr_now_ns(), tcpu = thread_cpu_ns(), cpu;
	struct rusage ru;
	int live = 0, ph, threads, fds;
	double dt;

	(void)getrusage(RUSAGE_SELF, &ru);
	cpu = tv_us(&ru.ru_utime) + tv_us(&ru.ru_stime);
	threads = (int)status_field("Threads");
	fds = open_fds();
	pthread_mutex_lock(&cost.lock);
	if (!cost.on) {
		pthread_mutex_unlock(&cost.lock);
		return;
	}
	dt = (double)(now - cost.last_wall) / 1e9;
	ph = phase_now(cost.board, &live);
	if (dt > 0 && ph >= 0) {
		cost.phase_wall[ph] += dt;
		cost.phase_cpu[ph] += (double)(cpu - cost.last_cpu_us) / 1e6;
		cost.phase_guest_s[ph] += dt * live;
	}
	/* a second's share: a tick late by a busy loop still divides by its own wall time */
	if (cost.last_thread_ns && dt > 0.5 && tcpu >= cost.last_thread_ns) {
		double busy = (double)(tcpu - cost.last_thread_ns) / 1e9 / dt;

		if (busy > cost.busiest) {
			cost.busiest = busy;
			cost.busiest_at = (double)(now - cost.t0) / 1e9;
		}
	}
	cost.last_thread_ns = tcpu;
	cost.last_wall = now;
	cost.last_cpu_us = cpu;
	if (threads > cost.threads_max)
		cost.threads_max = threads;
	if (fds > cost.fds_max)
		cost.fds_max = fds;
	if (live > cost.guests_max)
		cost.guests_max = live;
	cost.ticks++;
	pthread_mutex_unlock(&cost.lock);
}

/* ---- queue waits: a power-of-two histogram of microseconds, per guest ---- */

void hr_qwait_add(struct hr_qwait *q, uint64_t ns)
{
	uint64_t us = ns / 1000;
	int b = 0;

	while (us && b < HR_QWAIT_BUCKETS - 1) {
		us >>= 1;
		b++;
	}
	q->hist[b]++;
	q->n++;
	if (ns > q->max_ns)
		q->max_ns = ns;
}

/* Bucket b holds waits in [2^(b-1), 2^b) us (bucket 0: under 1 us): its upper bound, in ms. */
static double bucket_top_ms(int b)
{
	return ldexp(1.0, b) / 1000.0;
}

static double r3(double x)
{
	return round(x * 1000.0) / 1000.0;
}

static json_t *phases_json(void)
{
	json_t *o = json_object();

	for (int p = 0; p < PH_N; p++) {
		double pct = cost.phase_guest_s[p] > 0 ?
			     100.0 * cost.phase_cpu[p] / cost.phase_guest_s[p] : NAN;

		json_object_set_new(o, phase_names[p], json_pack("{s:f, s:f, s:f, s:o}",
			"wall_s", r3(cost.phase_wall[p]), "cpu_s", r3(cost.phase_cpu[p]),
			"guest_s", r3(cost.phase_guest_s[p]),
			"cpu_pct_per_guest", isnan(pct) ? json_null() : json_real(r3(pct))));
	}
	return o;
}

json_t *hr_cost_json(const struct hr_run *run)
{
	struct hr_qwait q = { 0 };
	struct rusage ru;
	json_t *o = json_object();
	double user, sys, p99 = NAN;
	int guests = run->nguests, threads = (int)status_field("Threads"), fds = open_fds();

	for (int i = 0; i < run->nguests; i++) {
		const struct hr_qwait *g = &run->guests[i]->qwait;

		q.n += g->n;
		if (g->max_ns > q.max_ns)
			q.max_ns = g->max_ns;
		for (int b = 0; b < HR_QWAIT_BUCKETS; b++)
			q.hist[b] += g->hist[b];
	}
	if (q.n) {
		uint64_t seen = 0, want = q.n - q.n / 100;	/* the 99th percentile's rank, at least */

		for (int b = 0; b < HR_QWAIT_BUCKETS && isnan(p99); b++)
			if ((seen += q.hist[b]) >= want)
				p99 = fmin(bucket_top_ms(b), q.max_ns / 1e6);
	}
	(void)getrusage(RUSAGE_SELF, &ru);
	pthread_mutex_lock(&cost.lock);
	user = (double)(tv_us(&ru.ru_utime) - tv_us(&cost.ru0.ru_utime)) / 1e6;
	sys = (double)(tv_us(&ru.ru_stime) - tv_us(&cost.ru0.ru_stime)) / 1e6;
	json_object_set_new(o, "guests", json_integer(guests));
	json_object_set_new(o, "guests_at_once_max", json_integer(cost.guests_max));
	json_object_set_new(o, "cpu_user_s", json_real(r3(user)));
	json_object_set_new(o, "cpu_system_s", json_real(r3(sys)));
	json_object_set_new(o, "cpu_s_per_guest", guests ? json_real(r3((user + sys) / guests)) :
			    json_null());
	json_object_set_new(o, "wall_s", json_real(r3((double)(hr_now_ns() - cost.t0) / 1e9)));
	json_object_set_new(o, "phases", phases_json());
	json_object_set_new(o, "max_rss_mib", json_real(r3(ru.ru_maxrss / 1024.0)));
	json_object_set_new(o, "start_rss_mib", json_real(r3(cost.rss0_kib / 1024.0)));
	json_object_set_new(o, "rss_mib_per_guest", cost.guests_max ?
			    json_real(r3((ru.ru_maxrss - cost.rss0_kib) / 1024.0 / cost.guests_max)) :
			    json_null());
	json_object_set_new(o, "threads_max", json_integer(threads > cost.threads_max ? threads :
							   cost.threads_max));
	json_object_set_new(o, "fds_max", json_integer(fds > cost.fds_max ? fds : cost.fds_max));
	json_object_set_new(o, "event_thread_busiest_pct", cost.ticks > 1 ?
			    json_real(r3(100.0 * cost.busiest)) : json_null());
	json_object_set_new(o, "event_thread_busiest_at_s", cost.ticks > 1 ?
			    json_real(r3(cost.busiest_at)) : json_null());
	json_object_set_new(o, "cost_ticks", json_integer((json_int_t)cost.ticks));
	pthread_mutex_unlock(&cost.lock);
	json_object_set_new(o, "queue_items", json_integer((json_int_t)q.n));
	json_object_set_new(o, "queue_wait_max_ms", json_real(r3(q.max_ns / 1e6)));
	json_object_set_new(o, "queue_wait_p99_ms", isnan(p99) ? json_null() : json_real(r3(p99)));
	return o;
}
