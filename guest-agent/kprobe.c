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
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../common/smallfile.h"
#include "kprobe.h"

#define RING_PAGES	64	/* 256 KiB: about 10,000 records a CPU between two reads */
#define MAX_RECS	KP_MAX_RECS	/* records sorted in one drain */
/*
 * A virtio-mem request's size above this is no request's (a register read
 * wrong): its return counts as late, and dir * size cannot overflow.
 */
#define VM_MAX_REQ_BYTES	(1ull << 50)	/* 1 PiB */

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

/* 0 only while kp_hook_cost times the perf clock's default (local_clock) instead of CLOCK_MONOTONIC */
static int use_mono = 1;

/* x86-64's perf register numbers (asm/perf_regs.h) */
#define PREG_AX		0
#define PREG_DX		3

/*
 * Open one event on @cpu and map its ring; with @regs (a mask of perf
 * register numbers) each record carries those registers at the hit
 * (PERF_SAMPLE_REGS_INTR). Returns the fd or -1 (errno).
 */
static int open_one(int type, const char *func, uint64_t config, int cpu, void **ring,
		    size_t bytes, uint64_t regs)
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
	if (regs) {
		at.sample_type |= PERF_SAMPLE_REGS_INTR;
		at.sample_regs_intr = regs;
	}
	at.use_clockid = (uint32_t)use_mono;
	at.clockid = use_mono ? CLOCK_MONOTONIC : 0;
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

int kp_open(struct kp *kp, int entry, int idle)
{
	/* @idle: both probes on getppid, which nothing calls while the balloon moves */
	const char *tell = idle ? "__x64_sys_getppid" : "tell_host";
	const char *leak = idle ? "__x64_sys_getppid" : "leak_balloon";
	long type, ncpu = sysconf(_SC_NPROCESSORS_CONF);
	int rb = retprobe_bit();

	memset(kp, 0, sizeof(*kp));
	for (int c = 0; c < KP_MAX_CPUS; c++) {
		kp->fd_tell[c] = kp->fd_leak[c] = -1;
		for (int p = 0; p < KP_VM_PROBES; p++)
			kp->fd_vm[p][c] = -1;
	}
	kp->ring_bytes = RING_PAGES * (size_t)sysconf(_SC_PAGESIZE);
	snprintf(kp->vm_why, sizeof(kp->vm_why), "not opened");
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
		kp->fd_tell[c] = open_one((int)type, tell, kp->retprobe ? 1ull << rb : 0, c,
					  &kp->ring_tell[c], kp->ring_bytes, 0);
		if (kp->fd_tell[c] < 0 && kp->retprobe && c == 0) {	/* no return probes: entry */
			kp->retprobe = 0;
			kp->fd_tell[c] = open_one((int)type, tell, 0, c, &kp->ring_tell[c],
						  kp->ring_bytes, 0);
		}
		if (kp->fd_tell[c] >= 0)
			kp->fd_leak[c] = open_one((int)type, leak, 0, c, &kp->ring_leak[c],
						  kp->ring_bytes, 0);
		if (kp->fd_tell[c] < 0 || kp->fd_leak[c] < 0) {
			snprintf(kp->why, sizeof(kp->why), "kprobe on %s, CPU %d: %s",
				 kp->fd_tell[c] < 0 ? tell : leak, c, strerror(errno));
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
		for (int p = 0; p < KP_VM_PROBES; p++) {
			if (kp->ring_vm[p][c])
				munmap(kp->ring_vm[p][c], bytes);
			if (kp->fd_vm[p][c] >= 0)
				close(kp->fd_vm[p][c]);
			kp->ring_vm[p][c] = NULL;
			kp->fd_vm[p][c] = -1;
		}
	}
	kp->ok = 0;
	kp->vm_ok = 0;
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
		for (int p = 0; p < KP_VM_PROBES; p++) {
			kp->ring_vm[p][c] = NULL;
			kp->fd_vm[p][c] = -1;
		}
	}
	kp->ok = 0;
	kp->vm_ok = 0;
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

/*
 * Take the records with t <= @until out of one ring into @r, up to @cap in
 * @r in all (the rest stays in the ring). Returns the new count.
 */
static size_t take_ring(struct kp *kp, void *ring, int leak, uint64_t until, struct rec *r,
			size_t n, size_t cap)
{
	struct perf_event_mmap_page *mp = ring;
	const char *data = (const char *)ring + sysconf(_SC_PAGESIZE);
	uint64_t head = __atomic_load_n(&mp->data_head, __ATOMIC_ACQUIRE), tail = mp->data_tail;

	while (tail < head && n < cap) {
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
			if (leak || !kp->retprobe)	/* one hook hit, of its kind */
				kp->hits_entry++;
			else
				kp->hits_return++;
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
	size_t n = 0, out = 0, cap = max < MAX_RECS ? max : MAX_RECS;

	if (!kp->ok)
		return 0;
	/* at most @max records taken, each at most one event: none is taken that @ev has no room for */
	for (int c = 0; c < kp->ncpu; c++) {
		n = take_ring(kp, kp->ring_leak[c], 1, until, r, n, cap);
		n = take_ring(kp, kp->ring_tell[c], 0, until, r, n, cap);
	}
	qsort(r, n, sizeof(r[0]), cmp_rec);
	for (size_t i = 0; i < n; i++) {
		if (r[i].leak) {
			kp->leak_pending = 1;
			continue;
		}
		if (r[i].t < kp->last_t) {
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

/* ---- virtio-mem: its plug and unplug requests ---- */

/* The probes of kp_vm_open, in fd_vm's order: function, return probe, the register it samples */
static const struct { const char *func; int ret; uint64_t regs; } vm_probes[KP_VM_PROBES] = {
	{ "virtio_mem_send_plug_request", 0, 1ull << PREG_DX },	/* (vm, addr, size) */
	{ "virtio_mem_send_plug_request", 1, 1ull << PREG_AX },	/* 0: acknowledged */
	{ "virtio_mem_send_unplug_request", 0, 1ull << PREG_DX },
	{ "virtio_mem_send_unplug_request", 1, 1ull << PREG_AX },
};

/* A virtio-mem device bound to its driver (/sys/bus/virtio/drivers/virtio_mem/virtioN). */
static int vm_device(void)
{
	DIR *d = opendir("/sys/bus/virtio/drivers/virtio_mem");
	struct dirent *e;
	int found = 0;

	while (d && !found && (e = readdir(d)))
		found = !strncmp(e->d_name, "virtio", 6);
	if (d)
		closedir(d);
	return found;
}

int kp_vm_open(struct kp *kp)
{
	long type;
	int rb = retprobe_bit();

	kp->vm_ok = 0;
	if (!vm_device()) {
		snprintf(kp->vm_why, sizeof(kp->vm_why), "no virtio-mem device bound to virtio_mem");
		return -1;
	}
	if (read_num("/sys/bus/event_source/devices/kprobe/type", &type)) {
		snprintf(kp->vm_why, sizeof(kp->vm_why), "no kprobe PMU");
		return -1;
	}
	if (rb < 0 || rb >= 64) {
		snprintf(kp->vm_why, sizeof(kp->vm_why), "no return probes (kprobe/format/retprobe)");
		return -1;
	}
	if (!kp->ring_bytes)
		kp->ring_bytes = RING_PAGES * (size_t)sysconf(_SC_PAGESIZE);
	if (!kp->ncpu) {
		long n = sysconf(_SC_NPROCESSORS_CONF);

		kp->ncpu = n < 1 ? 1 : n > KP_MAX_CPUS ? KP_MAX_CPUS : (int)n;
	}
	for (int c = 0; c < kp->ncpu; c++) {
		for (int p = 0; p < KP_VM_PROBES; p++) {
			kp->fd_vm[p][c] = open_one((int)type, vm_probes[p].func,
						   vm_probes[p].ret ? 1ull << rb : 0, c,
						   &kp->ring_vm[p][c], kp->ring_bytes, vm_probes[p].regs);
			if (kp->fd_vm[p][c] >= 0)
				continue;
			snprintf(kp->vm_why, sizeof(kp->vm_why), "kprobe on %s%s, CPU %d: %s",
				 vm_probes[p].func, vm_probes[p].ret ? " (return)" : "", c, strerror(errno));
			for (int q = 0; q < KP_VM_PROBES; q++)
				for (int x = 0; x < KP_MAX_CPUS; x++) {
					if (kp->ring_vm[q][x])
						munmap(kp->ring_vm[q][x],
						       kp->ring_bytes + (size_t)sysconf(_SC_PAGESIZE));
					if (kp->fd_vm[q][x] >= 0)
						close(kp->fd_vm[q][x]);
					kp->ring_vm[q][x] = NULL;
					kp->fd_vm[q][x] = -1;
				}
			return -1;
		}
	}
	kp->vm_ok = 1;
	kp->vm_why[0] = '\0';
	return 0;
}

struct vrec {
	uint64_t t;
	int probe;	/* index into vm_probes */
	int have;	/* the register came */
	uint64_t reg;
};

/* Take the records with t <= @until out of one virtio-mem ring, as take_ring. Returns the new count. */
static size_t take_vm_ring(struct kp *kp, int probe, void *ring, uint64_t until, struct vrec *r,
			   size_t n, size_t cap)
{
	struct perf_event_mmap_page *mp = ring;
	const char *data = (const char *)ring + sysconf(_SC_PAGESIZE);
	uint64_t head = __atomic_load_n(&mp->data_head, __ATOMIC_ACQUIRE), tail = mp->data_tail;

	while (tail < head && n < cap) {
		struct perf_event_header h;
		uint64_t body[4];	/* id, time, abi, the one register (abi 0: none) */

		ring_copy(data, kp->ring_bytes, tail, &h, sizeof(h));
		if (h.size < sizeof(h) || h.size > kp->ring_bytes)
			break;
		memset(body, 0, sizeof(body));
		ring_copy(data, kp->ring_bytes, tail + sizeof(h), body,
			  h.size - sizeof(h) < sizeof(body) ? h.size - sizeof(h) : sizeof(body));
		if (h.type == PERF_RECORD_SAMPLE) {
			if (body[1] > until)
				break;
			if (vm_probes[probe].ret)
				kp->hits_return++;
			else
				kp->hits_entry++;
			r[n].t = body[1];
			r[n].probe = probe;
			r[n].have = body[2] != 0 && h.size - sizeof(h) >= sizeof(body);
			r[n].reg = body[3];
			n++;
		} else if (h.type == PERF_RECORD_LOST) {
			kp->lost += body[1];
		}
		tail += h.size;
	}
	__atomic_store_n(&mp->data_tail, tail, __ATOMIC_RELEASE);
	return n;
}

static int cmp_vrec(const void *a, const void *b)
{
	const struct vrec *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return vm_probes[x->probe].ret - vm_probes[y->probe].ret;	/* an entry before its return */
}

size_t kp_vm_drain(struct kp *kp, uint64_t until, struct kp_vm_ev *ev, size_t max)
{
	static struct vrec r[MAX_RECS];
	size_t n = 0, out = 0, cap = max < MAX_RECS ? max : MAX_RECS;

	if (!kp->vm_ok)
		return 0;
	/* at most @max records taken, only a return is an event: none is taken that @ev has no room for */
	for (int c = 0; c < kp->ncpu; c++)
		for (int p = 0; p < KP_VM_PROBES; p++)
			n = take_vm_ring(kp, p, kp->ring_vm[p][c], until, r, n, cap);
	qsort(r, n, sizeof(r[0]), cmp_vrec);
	for (size_t i = 0; i < n; i++) {
		int dir = r[i].probe < 2 ? 1 : -1;

		if (!vm_probes[r[i].probe].ret) {	/* an entry: the request's size */
			if (kp->vm_pend || !r[i].have)
				kp->late++;	/* the previous entry's return never came */
			kp->vm_pend = r[i].have ? dir : 0;
			kp->vm_pend_bytes = r[i].reg;
			continue;
		}
		if (kp->vm_pend != dir || !r[i].have || r[i].t < kp->last_t ||
		    kp->vm_pend_bytes > VM_MAX_REQ_BYTES) {
			kp->late++;	/* a return without its entry (or with a size no request has) */
			kp->vm_pend = 0;
			continue;
		}
		ev[out].t_ns = r[i].t;
		ev[out].bytes = (int32_t)r[i].reg ? 0 : dir * (int64_t)kp->vm_pend_bytes;
		kp->vm_refused += (int32_t)r[i].reg != 0;
		kp->vm_pend = 0;
		kp->last_t = r[i].t;
		out++;
	}
	return out;
}

/* ---- what one hit of a hook costs: measured on a syscall's kernel function ---- */

#define HC_CALLS	250	/* calls a round */
#define HC_ROUNDS	40	/* rounds an arm: the fastest is kept (short rounds: a host's hiccup spoils few) */

/* The kernel functions of cheap syscalls the agent can call, by name on x86-64 6.x, 5.x. */
static const struct { const char *func; long nr; } hc_funcs[] = {
	{ "__x64_sys_getppid", SYS_getppid },
	{ "__x64_sys_getpid", SYS_getpid },
	{ "__x64_sys_getuid", SYS_getuid },
};

static uint64_t hc_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Every ring's records are dropped (the hits were counted by the loop itself). */
static void hc_empty(struct kp *k)
{
	for (int c = 0; c < k->ncpu; c++) {
		struct perf_event_mmap_page *mp = k->ring_tell[c];

		if (mp)
			__atomic_store_n(&mp->data_tail,
					 __atomic_load_n(&mp->data_head, __ATOMIC_ACQUIRE), __ATOMIC_RELEASE);
	}
}

/* One call of @nr, per call in ns: the fastest of HC_ROUNDS rounds of HC_CALLS. */
static uint64_t hc_time(long nr, struct kp *k)
{
	uint64_t best = UINT64_MAX;

	for (int r = 0; r < HC_ROUNDS; r++) {
		uint64_t t0 = hc_now(), d;

		for (int i = 0; i < HC_CALLS; i++)
			(void)syscall(nr);
		d = (hc_now() - t0) / HC_CALLS;
		if (d < best)
			best = d;
		if (k)
			hc_empty(k);
	}
	return best ? best : 1;
}

/*
 * How the kernel placed the probes on @func (and the balloon's, while open):
 * debugfs kprobes/list marks those it put on the ftrace call site [FTRACE].
 */
static int hc_placement(const char *func, char *say, size_t size)
{
	static char list[8192];
	int any = 0, int3 = 0;
	size_t o = 0;
	char *line, *save;
	const char *key;

	say[0] = '\0';
	if (bb_read_small("/sys/kernel/debug/kprobes/list", list, sizeof(list)) <= 0) {
		(void)mkdir("/sys/kernel/debug", 0700);
		(void)mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
		if (bb_read_small("/sys/kernel/debug/kprobes/list", list, sizeof(list)) <= 0)
			return BBP_HOOK_UNKNOWN;
	}
	/* a syscall's stubs are aliases (__x64_sys_X, __ia32_sys_X, __do_sys_X): the list names one */
	key = strstr(func, "sys_") ? strstr(func, "sys_") : func;
	for (line = strtok_r(list, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int ft = strstr(line, "[FTRACE]") != NULL;
		const char *name = strstr(line, key) ? func : strstr(line, "tell_host") ? "tell_host" :
				   strstr(line, "leak_balloon") ? "leak_balloon" :
				   strstr(line, "virtio_mem_send_plug_request") ? "virtio_mem_send_plug_request" :
				   strstr(line, "virtio_mem_send_unplug_request") ?
				   "virtio_mem_send_unplug_request" : NULL;
		char kind = ' ';

		if (!name)
			continue;
		for (char *p = line; *p; p++)	/* "ADDR  k|r  SYMBOL+OFF ..." */
			if ((*p == 'k' || *p == 'r') && p > line && p[-1] == ' ' && p[1] == ' ') {
				kind = *p;
				break;
			}
		any = 1;
		int3 |= !ft;
		if (o < size && !strstr(say, name)) {
			int n = snprintf(say + o, size - o, "%s%s %s %s", o ? ", " : "", name,
					 kind == 'r' ? "return" : "entry", ft ? "ftrace" : "int3");

			o += n > 0 ? (size_t)n : 0;
		}
	}
	return !any ? BBP_HOOK_UNKNOWN : int3 ? BBP_HOOK_INT3 : BBP_HOOK_FTRACE;
}

/* Open @k's events on @func the way kp_open opens the balloon's (one a CPU; @regs: kp_vm_open's). */
static int hc_open(struct kp *k, int type, const char *func, uint64_t config, int ncpu,
		   uint64_t regs)
{
	memset(k, 0, sizeof(*k));
	for (int c = 0; c < KP_MAX_CPUS; c++) {
		k->fd_tell[c] = k->fd_leak[c] = -1;
		for (int p = 0; p < KP_VM_PROBES; p++)
			k->fd_vm[p][c] = -1;
	}
	k->ring_bytes = RING_PAGES * (size_t)sysconf(_SC_PAGESIZE);
	k->ncpu = ncpu;
	for (int c = 0; c < ncpu; c++) {
		k->fd_tell[c] = open_one(type, func, config, c, &k->ring_tell[c], k->ring_bytes, regs);
		if (k->fd_tell[c] < 0) {
			kp_close(k);
			return -1;
		}
	}
	k->ok = 1;
	return 0;
}

/*
 * bb.hookcost=more: what the entry hit's parts cost, for the choice of
 * hooks (appended to @say): one event (CPU 0's) instead of one a vCPU, and
 * the perf clock's default (local_clock) instead of CLOCK_MONOTONIC (the
 * HPET under TCG). Each costs a close's RCU wait: not done by default.
 */
static void hc_more(long nr, int type, const struct bbp_hook *h, int ncpu, char *say, size_t size)
{
	static const char *const what[] = { "one event", "local_clock" };
	struct kp k;

	for (int i = 0; i < 2; i++) {
		size_t o = strlen(say);
		uint64_t t;

		use_mono = i != 1;
		if (hc_open(&k, type, h->func, 0, i == 0 ? 1 : ncpu, 0)) {
			use_mono = 1;
			continue;
		}
		t = hc_time(nr, &k);
		kp_close(&k);
		use_mono = 1;
		if (o < size)
			snprintf(say + o, size - o, "; %s: entry +%.2f us", what[i],
				 ((double)t - (double)h->plain_ns) / 1e3);
	}
}

/* kp_hook_cost, kp_vm_hook_cost: with @vm the probes carry kp_vm_open's registers */
static int hook_cost(const struct kp *kp, int vm, struct bbp_hook *h, char *say, size_t size)
{
	uint64_t reg_entry = vm ? 1ull << PREG_DX : 0, reg_ret = vm ? 1ull << PREG_AX : 0;
	long type;
	int rb = retprobe_bit(), f;
	cpu_set_t was, one;
	struct kp k;
	long nr = -1;

	memset(h, 0, sizeof(*h));
	say[0] = '\0';
	if (!(vm ? kp->vm_ok : kp->ok) || read_num("/sys/bus/event_source/devices/kprobe/type", &type))
		return -1;
	if (sched_getaffinity(0, sizeof(was), &was))
		return -1;
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	(void)sched_setaffinity(0, sizeof(one), &one);	/* every call and hit on one CPU */
	for (f = 0; f < (int)(sizeof(hc_funcs) / sizeof(hc_funcs[0])); f++) {
		if (!hc_open(&k, (int)type, hc_funcs[f].func, 0, kp->ncpu, reg_entry)) {
			nr = hc_funcs[f].nr;
			break;
		}
	}
	if (nr < 0) {
		(void)sched_setaffinity(0, sizeof(was), &was);
		snprintf(say, size, "no syscall function could be probed (%s)", strerror(errno));
		return -1;
	}
	snprintf(h->func, sizeof(h->func), "%s", hc_funcs[f].func);
	h->calls = HC_CALLS;
	/*
	 * Closed here, not by a thread: a probe still armed would be timed with
	 * the next arm. Unregistering waits for RCU (150 ms and more under TCG),
	 * once, before the first change.
	 */
	h->entry_ns = hc_time(nr, &k);
	h->ftrace = (uint64_t)hc_placement(h->func, say, size);
	kp_close(&k);
	h->plain_ns = hc_time(nr, NULL);
	if (kp->hc_more && !vm)
		hc_more(nr, (int)type, h, kp->ncpu, say, size);
	if ((kp->retprobe || vm) && rb >= 0 && rb < 64 &&
	    !hc_open(&k, (int)type, h->func, 1ull << rb, kp->ncpu, reg_ret)) {
		uint64_t again;

		h->return_ns = hc_time(nr, &k);
		kp_close(&k);
		again = hc_time(nr, NULL);	/* unprobed again: the fastest of both */
		if (again < h->plain_ns)
			h->plain_ns = again;
	}
	(void)sched_setaffinity(0, sizeof(was), &was);
	return 0;
}

int kp_hook_cost(const struct kp *kp, struct bbp_hook *h, char *say, size_t size)
{
	return hook_cost(kp, 0, h, say, size);
}

int kp_vm_hook_cost(const struct kp *kp, struct bbp_hook *h, char *say, size_t size)
{
	return hook_cost(kp, 1, h, say, size);
}
