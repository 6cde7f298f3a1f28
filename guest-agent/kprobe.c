// SPDX-License-Identifier: MIT
/*
 * kprobe.c - perf kprobe events on the balloon driver (see kprobe.h).
 *
 * perf_event_open() with the `kprobe` PMU (its type in
 * /sys/bus/event_source/devices/kprobe/type, the return-probe bit in its
 * format/retprobe), config1 = the function's name, sample_period 1,
 * PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_TIME on CLOCK_MONOTONIC, one event per
 * CPU with its own mmap ring. Needs CONFIG_KPROBE_EVENTS and root; neither
 * debugfs nor tracefs.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../common/smallfile.h"
#include "kprobe.h"

#define RING_PAGES	64	/* 256 KiB: about 10,000 records a CPU between two reads */
#define MAX_RECS	8192	/* records sorted in one drain */

static int read_num(const char *path, long *v)
{
	char buf[64];

	if (bb_read_small(path, buf, sizeof(buf)) <= 0)
		return -1;
	*v = strtol(buf, NULL, 10);
	return 0;
}

/* The bit of config that asks for a return probe ("config:N"), or -1. */
static int retprobe_bit(void)
{
	char buf[64];

	if (bb_read_small("/sys/bus/event_source/devices/kprobe/format/retprobe", buf,
			  sizeof(buf)) <= 0)
		return -1;
	if (strncmp(buf, "config:", 7))
		return -1;
	return atoi(buf + 7);
}

/* Open one event on @cpu and map its ring. Returns the fd or -1 (errno). */
static int open_one(int type, const char *func, uint64_t config, int cpu, void **ring,
		    size_t bytes)
{
	struct perf_event_attr at;
	int fd;

	memset(&at, 0, sizeof(at));
	at.size = sizeof(at);
	at.type = (uint32_t)type;
	at.config = config;
	at.config1 = (uint64_t)(uintptr_t)func;
	at.config2 = 0;
	at.sample_period = 1;
	at.sample_type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_TIME;
	at.use_clockid = 1;
	at.clockid = CLOCK_MONOTONIC;
	fd = (int)syscall(SYS_perf_event_open, &at, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return -1;
	*ring = mmap(NULL, bytes + (size_t)sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE,
		     MAP_SHARED, fd, 0);
	if (*ring == MAP_FAILED) {
		int e = errno;

		*ring = NULL;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int kp_open(struct kp *kp, int entry)
{
	long type, ncpu = sysconf(_SC_NPROCESSORS_CONF);
	int rb = retprobe_bit();

	memset(kp, 0, sizeof(*kp));
	for (int c = 0; c < KP_MAX_CPUS; c++)
		kp->fd_tell[c] = kp->fd_leak[c] = -1;
	kp->ring_bytes = RING_PAGES * (size_t)sysconf(_SC_PAGESIZE);
	if (read_num("/sys/bus/event_source/devices/kprobe/type", &type)) {
		snprintf(kp->why, sizeof(kp->why),
			 "no kprobe PMU (/sys/bus/event_source/devices/kprobe/type: %s)", strerror(errno));
		return -1;
	}
	if (ncpu < 1 || ncpu > KP_MAX_CPUS) {
		snprintf(kp->why, sizeof(kp->why), "%ld CPUs: 1..%d supported", ncpu, KP_MAX_CPUS);
		return -1;
	}
	kp->ncpu = (int)ncpu;
	kp->retprobe = !entry && rb >= 0 && rb < 64;
	for (int c = 0; c < kp->ncpu; c++) {
		kp->fd_tell[c] = open_one((int)type, "tell_host", kp->retprobe ? 1ull << rb : 0, c,
					  &kp->ring_tell[c], kp->ring_bytes);
		if (kp->fd_tell[c] < 0 && kp->retprobe && c == 0) {	/* no return probes: entry */
			kp->retprobe = 0;
			kp->fd_tell[c] = open_one((int)type, "tell_host", 0, c, &kp->ring_tell[c],
						  kp->ring_bytes);
		}
		if (kp->fd_tell[c] >= 0)
			kp->fd_leak[c] = open_one((int)type, "leak_balloon", 0, c, &kp->ring_leak[c],
						  kp->ring_bytes);
		if (kp->fd_tell[c] < 0 || kp->fd_leak[c] < 0) {
			snprintf(kp->why, sizeof(kp->why), "kprobe on %s, CPU %d: %s",
				 kp->fd_tell[c] < 0 ? "tell_host" : "leak_balloon", c, strerror(errno));
			kp_close(kp);
			return -1;
		}
	}
	kp->ok = 1;
	return 0;
}

void kp_close(struct kp *kp)
{
	size_t bytes = kp->ring_bytes + (size_t)sysconf(_SC_PAGESIZE);

	for (int c = 0; c < KP_MAX_CPUS; c++) {
		if (kp->ring_tell[c])
			munmap(kp->ring_tell[c], bytes);
		if (kp->ring_leak[c])
			munmap(kp->ring_leak[c], bytes);
		if (kp->fd_tell[c] >= 0)
			close(kp->fd_tell[c]);
		if (kp->fd_leak[c] >= 0)
			close(kp->fd_leak[c]);
		kp->ring_tell[c] = kp->ring_leak[c] = NULL;
		kp->fd_tell[c] = kp->fd_leak[c] = -1;
	}
	kp->ok = 0;
}

static void *closer(void *arg)
{
	kp_close(arg);
	free(arg);
	return NULL;
}

/*
 * Closing unregisters the kprobes, which waits for RCU grace periods: 150 ms
 * and more under TCG on a busy host, too long for the agent's loop (the
 * host's pings wait). A detached thread with a small stack does it.
 */
void kp_close_async(struct kp *kp)
{
	struct kp *copy = malloc(sizeof(*copy));
	pthread_attr_t at;
	pthread_t t;
	int r = -1;

	if (copy && !pthread_attr_init(&at)) {
		*copy = *kp;
		(void)pthread_attr_setstacksize(&at, 64 * 1024);
		(void)pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		r = pthread_create(&t, &at, closer, copy);
		pthread_attr_destroy(&at);
	}
	if (r) {
		free(copy);
		kp_close(kp);
		return;
	}
	for (int c = 0; c < KP_MAX_CPUS; c++) {	/* the thread owns them now */
		kp->ring_tell[c] = kp->ring_leak[c] = NULL;
		kp->fd_tell[c] = kp->fd_leak[c] = -1;
	}
	kp->ok = 0;
}

struct rec {
	uint64_t t;
	int leak;
};

/* Copy @n bytes at ring offset @off (mod size) out of the data area. */
static void ring_copy(const char *data, size_t size, uint64_t off, void *dst, size_t n)
{
	size_t o = (size_t)(off % size), first = n < size - o ? n : size - o;

	memcpy(dst, data + o, first);
	memcpy((char *)dst + first, data, n - first);
}

/* Take the records with t <= @until out of one ring into @r. Returns the new count. */
static size_t take_ring(struct kp *kp, void *ring, int leak, uint64_t until, struct rec *r,
			size_t n)
{
	struct perf_event_mmap_page *mp = ring;
	const char *data = (const char *)ring + sysconf(_SC_PAGESIZE);
	uint64_t head = __atomic_load_n(&mp->data_head, __ATOMIC_ACQUIRE), tail = mp->data_tail;

	while (tail < head && n < MAX_RECS) {
		struct perf_event_header h;
		uint64_t body[3];

		ring_copy(data, kp->ring_bytes, tail, &h, sizeof(h));
		if (h.size < sizeof(h) || h.size > kp->ring_bytes)
			break;	/* cannot happen: the kernel writes whole records */
		memset(body, 0, sizeof(body));
		ring_copy(data, kp->ring_bytes, tail + sizeof(h), body,
			  h.size - sizeof(h) < sizeof(body) ? h.size - sizeof(h) : sizeof(body));
		if (h.type == PERF_RECORD_SAMPLE) {
			if (body[1] > until)	/* the first too new: it and the rest wait */
				break;
			r[n].t = body[1];
			r[n].leak = leak;
			n++;
		} else if (h.type == PERF_RECORD_LOST) {
			kp->lost += body[1];	/* id, lost */
		}
		tail += h.size;
	}
	__atomic_store_n(&mp->data_tail, tail, __ATOMIC_RELEASE);
	return n;
}

static int cmp_rec(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return y->leak - x->leak;	/* a leak_balloon() before its tell_host */
}

size_t kp_drain(struct kp *kp, uint64_t until, struct kp_ev *ev, size_t max)
{
	static struct rec r[MAX_RECS];
	size_t n = 0, out = 0;

	if (!kp->ok)
		return 0;
	for (int c = 0; c < kp->ncpu; c++) {
		n = take_ring(kp, kp->ring_leak[c], 1, until, r, n);
		n = take_ring(kp, kp->ring_tell[c], 0, until, r, n);
	}
	qsort(r, n, sizeof(r[0]), cmp_rec);
	for (size_t i = 0; i < n; i++) {
		if (r[i].leak) {
			kp->leak_pending = 1;
			continue;
		}
		if (r[i].t < kp->last_t || out == max) {
			kp->late++;
			continue;
		}
		ev[out].t_ns = r[i].t;
		ev[out].deflate = kp->leak_pending;
		kp->leak_pending = 0;
		kp->last_t = r[i].t;
		out++;
	}
	return out;
}
