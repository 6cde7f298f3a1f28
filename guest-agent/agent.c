// SPDX-License-Identifier: MIT
/*
 * balloonbench guest agent: /init of the guest image (or a program started by
 * another init, with --port).
 *
 * As PID 1 it mounts /proc, /sys and /dev, loads the kernel modules listed in
 * /etc/bb-modules (in that order; the image builder computed it from the
 * modules' own dependencies), finds the virtio-serial port named
 * BBP_PORT_NAME, says HELLO and then samples the balloon counters, fast while
 * the balloon moves and slowly while it rests, answering the host's commands
 * (protocol: common/proto.h).
 *
 * It must not disturb what it measures: its memory is locked (mlockall), it
 * never blocks on the port (samples are dropped and counted when the port is
 * full), and it is the one process the OOM killer must not pick
 * (oom_score_adj -1000). A fast sample costs one sysinfo() and one clock
 * read: the balloon's size is taken from totalram, which the driver moves
 * page by page (without deflate-on-oom), and /proc/vmstat (about 100 us
 * under TCG, it sums every CPU's counters) is read every 1/slow_hz while
 * sampling fast and once a second at rest, to keep the counters exact (see S
 * in proto.h). Samples leave in SB batches, one
 * write (one VM exit) every BBP_FLUSH_MS.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "../common/balloons.h"
#include "../common/proto.h"
#include "../common/smallfile.h"
#include "kprobe.h"
#include "wlmgr.h"

#define AGENT_VERSION	"0.1"
#define OUTBUF_SIZE	(256 * 1024)
#define NSEC		((uint64_t)1000000000)
#define FLUSH_NS	(BBP_FLUSH_MS * (uint64_t)1000000)
#define FLUSH_BYTES	4096
#define KP_BUSY_READ	500		/* batches in one read that make the next one come at FLUSH_NS */
/* totalram and vmstat may differ by the batch in flight (256 4 KiB pages); more is a fault */
#define BAL_SLACK_KIB	(2 * 1024)
#define AGENT_NICE	(-10)		/* above workloads (nice 0), below nothing else */

struct agent {
	int port;
	int vmstat;
	int host_connected;
	int configured;		/* CONF received: sampling may start */
	struct bbp_reader rd;

	char out[OUTBUF_SIZE];
	size_t out_len;

	uint64_t fast_hz, slow_hz, idle_ns, watchdog_ns;
	uint64_t fast_until, last_move, last_host;
	uint64_t next_sample, last_sample_t, max_gap_ns;
	uint64_t next_cost;
	uint64_t seq, dropped;
	uint64_t sample_ns;		/* time spent taking and encoding samples, for COST */
	uint64_t vmstat_reads, vmstat_ns, writes;
	uint64_t last_flush;
	int urgent;			/* flush now: an answer is waiting */
	uint64_t prev_inf, prev_def, prev_total;
	int was_fast;

	/* samples not yet encoded: one SB line holds up to BBP_BATCH_MAX */
	struct bbp_sample pend[BBP_BATCH_MAX];
	size_t npend;

	/*
	 * The balloon from totalram (S src=1). bal_mode: 0 /proc/vmstat at every
	 * sample (deflate-on-oom, or totalram stopped following it), 1 looking
	 * for K (two equal vmstat reads in a row), 2 totalram, 3 no balloon
	 * device (virtio-mem: totalram is the memory itself, vmstat as in 2). K = totalram +
	 * inflate - deflate in pages, constant while nothing else changes
	 * totalram. inf_r/def_r/oom_r: the counters as reported last.
	 */
	int bal_mode;
	int64_t K;
	uint64_t page_size;
	uint64_t inf_r, def_r, oom_r;
	uint64_t last_vmstat;		/* when /proc/vmstat was read last */
	int vmstat_now;			/* read it at the next sample (FAST arrived) */
	unsigned blocks_on, blocks_all;	/* virtio-mem: memory blocks online, of all (said last) */
	struct { uint64_t inf, def, tot; int valid; } prev_v;	/* the last vmstat read */
	int still_n;			/* vmstat reads in a row that saw nothing move */
	int quit;
	int mute;			/* bb.mute=1 (tests): after CONF nothing goes to the host; 2: until CONF again */
	struct wlm wlm;

	/*
	 * The event-driven source (kprobe.c): kp_on while a change is followed
	 * by batch events; kp_method the latest change's method (COST probe);
	 * kp_failed once a batch count disagreed with totalram (polling then).
	 */
	struct kp kp;
	uint64_t probe;			/* CONF probe=, BBP_PROBE_* */
	int kp_on, kp_method, kp_failed, kp_said;
	uint64_t kp_events, kp_mismatch;
	uint64_t next_drain;
	uint64_t kp_last_tot;		/* totalram at the previous check */
	int kp_still;			/* checks in a row with no event and totalram unchanged */
	uint64_t kp_free_kib;		/* freeram at the latest check */
	uint64_t kp_prev_t;		/* the kernel's time of the latest batch */
	uint64_t last_t_out;		/* t_ns of the latest sample queued */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC + (uint64_t)ts.tv_nsec;
}

/*
 * The stall watch: a thread that wakes once a second and says on the console
 * (the domain's serial log, which the runner keeps) when for 3 s the agent's
 * loop has not turned, it turned but took no sample, or what it queued for
 * the host did not move. The host sees only silence in each case; the
 * console tells which, with the kernel's view of the loop (its wait channel
 * and stack). Counters, not clocks: the loop pays a few relaxed stores a
 * turn, no clock read. Once per stall; the end of a stall is said too.
 */
static struct {
	_Atomic uint64_t turns;		/* turns of the loop */
	_Atomic uint64_t written;	/* bytes the port took */
	_Atomic uint64_t queued;	/* bytes waiting for the port */
	_Atomic uint64_t samples;	/* samples taken (seq) */
	_Atomic uint64_t now, next;	/* the loop's clock and its next sample's time */
	_Atomic int connected;		/* the port's host side, as the loop saw it */
	_Atomic int configured;
} watch;

#if defined(__x86_64__) || defined(__i386__)
static uint64_t ticks(void)
{
	return __builtin_ia32_rdtsc();
}
#define HAVE_TICKS 1
#else
static uint64_t ticks(void)
{
	return 0;
}
#define HAVE_TICKS 0
#endif

/*
 * The agent's clock: CLOCK_MONOTONIC, read through rdtsc. Under TCG the guest
 * clocksource is hpet: clock_gettime is a syscall and an emulated device read
 * (about 860 ns) under QEMU's big lock, which the balloon's work in QEMU
 * needs too; rdtsc costs about 16 ns and reads the host's TSC. The rate is
 * fitted against CLOCK_MONOTONIC over the agent's life, the model re-anchored
 * once a second (clock_sync: steps of about 1 us); times never go back.
 * Until the second sync (or without rdtsc, or after the model was 1 ms off at
 * a sync: the fit starts again) it is clock_gettime itself.
 */
static struct {
	uint64_t tsc0, ns0;	/* the first pair */
	uint64_t tsc1, ns1;	/* the latest pair: the model goes through it */
	double k;		/* ns per tick, 0 while unknown */
	uint64_t last;
} clk;

static void clock_sync(void)
{
	uint64_t tsc = 0, ns = 0, best = UINT64_MAX;

	if (!HAVE_TICKS)
		return;
	for (int i = 0; i < 3; i++) {	/* the tightest of three pairs */
		uint64_t a = ticks(), t = mono_ns(), b = ticks();

		if (b >= a && b - a < best) {
			best = b - a;
			tsc = a + (b - a) / 2;
			ns = t;
		}
	}
	if (best == UINT64_MAX)
		return;
	if (clk.k > 0) {
		int64_t pred = (int64_t)clk.ns1 + (int64_t)((double)(int64_t)(tsc - clk.tsc1) * clk.k);
		int64_t err = pred - (int64_t)ns;

		if (err > 1000000 || err < -1000000)	/* 1 ms off: no steady TSC here */
			clk.tsc0 = clk.ns0 = 0, clk.k = 0;
	}
	if (!clk.tsc0) {
		clk.tsc0 = tsc;
		clk.ns0 = ns;
	} else if (tsc > clk.tsc0 && ns > clk.ns0) {
		clk.k = (double)(ns - clk.ns0) / (double)(tsc - clk.tsc0);
	}
	clk.tsc1 = tsc;
	clk.ns1 = ns;
}

static uint64_t now_ns(void)
{
	uint64_t t;

	if (clk.k > 0) {
		int64_t d = (int64_t)(ticks() - clk.tsc1);

		t = (uint64_t)((int64_t)clk.ns1 + (int64_t)((double)d * clk.k));
	} else {
		t = mono_ns();
	}
	if (t < clk.last)
		t = clk.last;
	clk.last = t;
	return t;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Diagnostics go to the console (the domain's serial log). */
static void say(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bb-agent: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Queue one message; drops it (returns -1) when the buffer is full. */
static int send_msg(struct agent *a, const struct bbp_msg *m)
{
	char line[BBP_MAX_LINE + 1];
	int n = bbp_encode(line, sizeof(line), m);

	if (n < 0)
		return -1;
	if (a->out_len + (size_t)n > sizeof(a->out))
		return -1;
	memcpy(a->out + a->out_len, line, (size_t)n);
	a->out_len += (size_t)n;
	return 0;
}

static void flush_out(struct agent *a);

/* Workload statistics must not be dropped: wait (briefly) for room. */
static int send_reliable(void *opaque, const struct bbp_msg *m)
{
	struct agent *a = opaque;

	for (int tries = 0; tries < 200; tries++) {
		if (!send_msg(a, m))
			return 0;
		flush_out(a);
		if (!send_msg(a, m))
			return 0;
		usleep(1000);
	}
	a->dropped++;
	return -1;
}

static void send_log(struct agent *a, unsigned level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void send_log(struct agent *a, unsigned level, const char *fmt, ...)
{
	struct bbp_msg m = { .type = BBP_LOG };
	va_list ap;

	m.u.log.level = level;
	va_start(ap, fmt);
	vsnprintf(m.u.log.msg, sizeof(m.u.log.msg), fmt, ap);
	va_end(ap);
	say("%s", m.u.log.msg);
	(void)send_msg(a, &m);
}

/* Samples not yet encoded go out as SB lines; dropped (and counted) when out is full. */
static void encode_pending(struct agent *a)
{
	uint64_t t0;
	size_t done = 0;

	if (!a->npend)
		return;
	t0 = now_ns();
	while (done < a->npend) {
		char line[BBP_MAX_LINE + 1];
		size_t used = 0;
		int n = bbp_encode_batch(line, sizeof(line), a->pend + done, a->npend - done, &used);

		if (n <= 0 || !used) {	/* cannot happen: one sample always fits */
			a->dropped += a->npend - done;
			break;
		}
		if (a->out_len + (size_t)n > sizeof(a->out)) {
			a->dropped += used;
		} else {
			memcpy(a->out + a->out_len, line, (size_t)n);
			a->out_len += (size_t)n;
		}
		done += used;
	}
	a->npend = 0;
	a->sample_ns += now_ns() - t0;
}

static void flush_out(struct agent *a)
{
	encode_pending(a);
	if (a->mute && a->configured)
		return;		/* a stalled channel, for the runner's tests: all stays queued */
	while (a->out_len) {
		ssize_t n = write(a->port, a->out, a->out_len);

		if (n <= 0)
			return;	/* EAGAIN or host gone: keep it for later */
		a->writes++;
		memmove(a->out, a->out + n, a->out_len - (size_t)n);
		a->out_len -= (size_t)n;
		atomic_fetch_add_explicit(&watch.written, (uint64_t)n, memory_order_relaxed);
	}
}

/* Read a small sysfs/proc file into buf, newline stripped. Returns 0 or -1. */
static int read_small(const char *path, char *buf, size_t size)
{
	if (bb_read_small(path, buf, size) < 0)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static void mount_basics(void)
{
	static const struct { const char *src, *dst, *type; } mnts[] = {
		{ "proc", "/proc", "proc" },
		{ "sysfs", "/sys", "sysfs" },
		{ "devtmpfs", "/dev", "devtmpfs" },
		{ "tmpfs", "/tmp", "tmpfs" },
	};

	for (size_t i = 0; i < sizeof(mnts) / sizeof(mnts[0]); i++) {
		(void)mkdir(mnts[i].dst, 0755);
		if (mount(mnts[i].src, mnts[i].dst, mnts[i].type, 0, NULL) && errno != EBUSY)
			say("mount %s: %s", mnts[i].dst, strerror(errno));
	}
}

/* Load the modules named in @list, one file name per line, in order. */
static void load_modules(const char *list)
{
	char name[256], path[512];
	FILE *f = fopen(list, "re");

	if (!f)
		return;
	while (fgets(name, sizeof(name), f)) {
		int fd;

		name[strcspn(name, "\r\n")] = '\0';
		if (!name[0])
			continue;
		snprintf(path, sizeof(path), "/lib/modules/%s", name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			say("module %s: %s", path, strerror(errno));
			continue;
		}
		if (syscall(SYS_finit_module, fd, "", 0) && errno != EEXIST)
			say("module %s: %s", name, strerror(errno));
		close(fd);
	}
	fclose(f);
}

/* Find /dev/vportNpM whose name is BBP_PORT_NAME; waits up to @wait_s. */
static int find_port(char *path, size_t size, int wait_s)
{
	for (int tries = 0; tries <= wait_s * 20; tries++) {
		DIR *d = opendir("/sys/class/virtio-ports");
		struct dirent *e;

		while (d && (e = readdir(d))) {
			char p[300], name[128];

			if (e->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "/sys/class/virtio-ports/%s/name", e->d_name);
			if (read_small(p, name, sizeof(name)) || strcmp(name, BBP_PORT_NAME))
				continue;
			snprintf(path, size, "/dev/%s", e->d_name);
			closedir(d);
			return 0;
		}
		if (d)
			closedir(d);
		usleep(50000);
	}
	return -1;
}

/* The balloon device's negotiated feature bits (virtio device id 5). */
static void balloon_features(char *buf, size_t size)
{
	DIR *d = opendir("/sys/bus/virtio/devices");
	struct dirent *e;

	snprintf(buf, size, "none");
	while (d && (e = readdir(d))) {
		char p[300], id[32];

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/sys/bus/virtio/devices/%s/device", e->d_name);
		if (read_small(p, id, sizeof(id)) || strtoul(id, NULL, 0) != 5)
			continue;
		snprintf(p, sizeof(p), "/sys/bus/virtio/devices/%s/features", e->d_name);
		if (read_small(p, buf, size))
			snprintf(buf, size, "unknown");
		break;
	}
	if (d)
		closedir(d);
}

static void send_hello(struct agent *a)
{
	struct bbp_msg m = { .type = BBP_HELLO };
	struct bbp_hello *h = &m.u.hello;
	struct utsname u;
	struct sysinfo si;

	h->proto = BBP_VERSION;
	snprintf(h->agent, sizeof(h->agent), "%s", AGENT_VERSION);
	if (!uname(&u))
		snprintf(h->kernel, sizeof(h->kernel), "%s", u.release);
	if (!sysinfo(&si))
		h->mem_kib = (uint64_t)si.totalram * si.mem_unit / 1024;
	h->page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	h->cpus = (uint64_t)sysconf(_SC_NPROCESSORS_ONLN);
	if (read_small("/sys/devices/system/node/online", h->nodes, sizeof(h->nodes)))
		snprintf(h->nodes, sizeof(h->nodes), "0");
	balloon_features(h->features, sizeof(h->features));
	/* bit 2, deflate-on-oom: the driver leaves totalram alone, only vmstat counts */
	a->bal_mode = strlen(h->features) > 2 && strspn(h->features, "01") == strlen(h->features) &&
		      h->features[2] == '0' ? 1 : 0;
	if (!strcmp(h->features, "none"))
		a->bal_mode = 3;
	if (read_small("/sys/devices/system/clocksource/clocksource0/current_clocksource",
		       h->clocksource, sizeof(h->clocksource)))
		snprintf(h->clocksource, sizeof(h->clocksource), "unknown");
	h->fast_hz = a->fast_hz;
	h->slow_hz = a->slow_hz;
	h->t_ns = mono_ns();
	h->kprobe = a->kp.ok ? a->kp.retprobe ? 2 : 1 : 0;
	(void)send_msg(a, &m);
	if (!a->kp.ok)
		send_log(a, 2, "kprobe events: %s: the probe polls", a->kp.why);
}

/* A change is on: the host said so (FAST), or the balloon moved within idle_ns. */
static int moving(const struct agent *a, uint64_t now)
{
	return now < a->fast_until || now - a->last_move < a->idle_ns;
}

static uint64_t current_hz(const struct agent *a, uint64_t now)
{
	return moving(a, now) ? a->fast_hz : a->slow_hz;
}

/* Scan /proc/vmstat for the three counters we stream. Returns 0 or -1. */
static int read_vmstat(struct agent *a, uint64_t *inf, uint64_t *def, uint64_t *oom)
{
	static char buf[16384];
	ssize_t n = pread(a->vmstat, buf, sizeof(buf) - 1, 0);
	int found = 0;

	a->vmstat_reads++;
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	*oom = 0;
	for (char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (!strncmp(p, "oom_kill ", 9)) {
			*oom = strtoull(p + 9, NULL, 10);
			found |= 1;
		} else if (!strncmp(p, "balloon_inflate ", 16)) {
			*inf = strtoull(p + 16, NULL, 10);
			found |= 2;
		} else if (!strncmp(p, "balloon_deflate ", 16)) {
			*def = strtoull(p + 16, NULL, 10);
			found |= 4;
		}
	}
	return (found & 6) == 6 ? 0 : -1;
}

/* Pages of totalram (sysinfo), and free KiB. */
static int read_sysinfo(const struct agent *a, uint64_t *tot_pages, uint64_t *total_kib,
			uint64_t *free_kib)
{
	struct sysinfo si;

	if (sysinfo(&si))
		return -1;
	*total_kib = (uint64_t)si.totalram * si.mem_unit / 1024;
	*free_kib = (uint64_t)si.freeram * si.mem_unit / 1024;
	*tot_pages = (uint64_t)si.totalram * si.mem_unit / a->page_size;
	return 0;
}

/* Report the balloon as totalram has it now: inf_r/def_r move by the net change. */
static void from_totalram(struct agent *a, uint64_t tot, struct bbp_sample *s)
{
	int64_t bal = a->K - (int64_t)tot, cur = (int64_t)a->inf_r - (int64_t)a->def_r;

	if (a->bal_mode == 3)	/* no balloon: totalram moves by itself (virtio-mem) */
		bal = cur;
	if (bal > cur)
		a->inf_r += (uint64_t)(bal - cur);
	else
		a->def_r += (uint64_t)(cur - bal);
	s->inflate = a->inf_r;
	s->deflate = a->def_r;
	s->oom_kill = a->oom_r;
	s->src = BBP_SRC_TOTALRAM;
}

/*
 * A /proc/vmstat read, between two totalram reads @tot1 and @tot2: the exact
 * counters (src=0) when both views agree, which also re-anchors inf_r/def_r;
 * otherwise (a deflate batch in flight) the totalram view, so the stream
 * stays on one basis. Finds K and checks it.
 */
static void with_vmstat(struct agent *a, uint64_t tot1, uint64_t tot2, uint64_t inf, uint64_t def,
			uint64_t oom, struct bbp_sample *s)
{
	int64_t bal_v = (int64_t)inf - (int64_t)def;
	int still = a->prev_v.valid && tot1 == tot2 && tot2 == a->prev_v.tot &&
		    inf == a->prev_v.inf && def == a->prev_v.def;
	int64_t slack = BAL_SLACK_KIB * 1024 / (int64_t)a->page_size;

	a->prev_v.inf = inf;
	a->prev_v.def = def;
	a->prev_v.tot = tot2;
	a->prev_v.valid = tot1 == tot2;
	a->still_n = still ? a->still_n + 1 : 0;
	if (a->oom_r < oom)
		a->oom_r = oom;
	if (a->bal_mode == 2) {
		/* vmstat was read between tot1 and tot2: its balloon lies between theirs */
		int64_t b1 = a->K - (int64_t)tot1, b2 = a->K - (int64_t)tot2;
		int64_t lo = b1 < b2 ? b1 : b2, hi = b1 < b2 ? b2 : b1;
		int64_t d = bal_v < lo ? lo - bal_v : bal_v > hi ? hi - bal_v : b2 - bal_v;

		if (bal_v < lo - slack || bal_v > hi + slack) {
			send_log(a, 1, "totalram does not follow the balloon (%lld pages apart): "
				 "reading /proc/vmstat at every sample from now on", (long long)d);
			a->bal_mode = 0;
		} else if (d && a->still_n >= 5) {
			/*
			 * Nothing moved for half a second or more (a deflate batch in
			 * flight takes about 1 ms), yet they differ: totalram changed
			 * otherwise (memory hotplug). Measure K again.
			 */
			send_log(a, 2, "totalram moved by %lld pages without the balloon: "
				 "recalibrated", (long long)-d);
			a->K -= d;
			d = 0;
		}
		if (a->bal_mode == 2 && (d || tot1 != tot2)) {
			from_totalram(a, tot2, s);
			return;
		}
	} else if (a->bal_mode == 1 && still) {
		a->K = (int64_t)tot2 + bal_v;
		a->bal_mode = 2;
	}
	a->inf_r = inf;
	a->def_r = def;
	s->inflate = inf;
	s->deflate = def;
	s->oom_kill = oom;
	s->src = BBP_SRC_VMSTAT;
}

/*
 * What each source of a sample costs in this guest, measured once at CONF
 * (per call, the fastest of 5 rounds of 20) and said in a LOG line, which
 * the runner keeps in events.csv.
 */
static void probe_costs(struct agent *a)
{
	static const char *const what[] = { "sysinfo", "/proc/vmstat", "null syscall",
					     "clock_gettime", "rdtsc", "/proc/PID/stat" };
	double best[6] = { 1e18, 1e18, 1e18, 1e18, 1e18, 1e18 };
	uint64_t reads = a->vmstat_reads;
	volatile uint64_t x = 0;	/* the clock reads must happen */
	int statfd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);	/* a workload's fault counts */
	char line[256], buf[1024];
	size_t o = 0;

	for (int r = 0; r < 5; r++) {
		for (int k = 0; k < 6; k++) {
			uint64_t t0 = mono_ns(), tp, tk, fk, inf, def, oom;

			for (int i = 0; i < 20; i++) {
				switch (k) {
				case 0: (void)read_sysinfo(a, &tp, &tk, &fk); break;
				case 1: (void)read_vmstat(a, &inf, &def, &oom); break;
				case 2: (void)syscall(SYS_getppid); break;
				case 3: x += mono_ns(); break;
				case 4: x += ticks(); break;
				default: x += (uint64_t)pread(statfd, buf, sizeof(buf), 0); break;
				}
			}
			if ((double)(mono_ns() - t0) / 20 < best[k])
				best[k] = (double)(mono_ns() - t0) / 20;
		}
	}
	a->vmstat_reads = reads;
	if (statfd >= 0)
		close(statfd);
	for (int k = 0; k < 6; k++)
		o += (size_t)snprintf(line + o, sizeof(line) - o, "%s%s %.2f us", k ? ", " : "",
				      what[k], best[k] / 1000);
	send_log(a, 2, "probe sources: %s (per call, fastest of 5 rounds of 20)", line);
}

/* Which balloon driver this guest has (common/balloons.c), said once in a LOG line. */
static void say_balloon_driver(struct agent *a)
{
	const struct bb_balloon_driver *d = bb_balloon_detect("");
	struct bb_balloon_state st;

	if (!d)
		send_log(a, 2, "balloon driver: none (no virtio, Xen, VMware or Hyper-V balloon)");
	else if (d->read("", &st))
		send_log(a, 1, "balloon driver: %s, but its counters cannot be read", d->name);
	else
		send_log(a, 2, "balloon driver: %s, holding %llu KiB%s", d->name,
			 (unsigned long long)st.size_kib,
			 d->tested_on_hardware ? "" : " (reader untested on real hardware)");
}

/* Queue sample @s taken at @when: the gap since the last one, the last movement. */
static void push_sample(struct agent *a, const struct bbp_sample *in, uint64_t when)
{
	struct bbp_sample x = *in, *s = &x;

	/*
	 * Times never go back. A batch event is stamped by the kernel before
	 * its record is written; a vCPU the host deschedules in between writes
	 * it after a later sample went out (seen: 265 us). It is then stamped
	 * at that sample's time: the balloon had moved by then.
	 */
	if (s->t_ns < a->last_t_out)
		s->t_ns = a->last_t_out;
	a->last_t_out = s->t_ns;
	if (s->inflate != a->prev_inf || s->deflate != a->prev_def ||
	    (a->prev_total && s->total_kib != a->prev_total))	/* the first sample moves nothing */
		a->last_move = when > a->last_move ? when : a->last_move;
	a->prev_total = s->total_kib;
	a->prev_inf = s->inflate;
	a->prev_def = s->deflate;
	if (a->last_sample_t && when > a->last_sample_t && when - a->last_sample_t > a->max_gap_ns)
		a->max_gap_ns = when - a->last_sample_t;
	if (when > a->last_sample_t)
		a->last_sample_t = when;
	if (a->npend == BBP_BATCH_MAX)
		encode_pending(a);
	a->pend[a->npend++] = *s;
}

/*
 * virtio-mem (no balloon device): the guest's memory blocks online, read at
 * /proc/vmstat's cadence and said in a LOG line (events.csv) whenever the
 * count moves: what the guest onlined or offlined, beside MemTotal.
 */
static void mem_blocks(struct agent *a)
{
	DIR *d = opendir("/sys/devices/system/memory");
	unsigned on = 0, all = 0;
	struct dirent *e;
	char p[320], v[16], bs[32];

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "memory", 6) || e->d_name[6] < '0' || e->d_name[6] > '9')
			continue;
		snprintf(p, sizeof(p), "/sys/devices/system/memory/%.200s/online", e->d_name);
		if (read_small(p, v, sizeof(v)))
			continue;
		all++;
		on += v[0] == '1';
	}
	closedir(d);
	if (on == a->blocks_on && all == a->blocks_all)
		return;
	a->blocks_on = on;
	a->blocks_all = all;
	if (read_small("/sys/devices/system/memory/block_size_bytes", bs, sizeof(bs)))
		bs[0] = '\0';
	send_log(a, 2, "memory blocks online: %u of %u, %llu MiB each", on, all,
		 strtoull(bs, NULL, 16) >> 20);
}

static void take_sample(struct agent *a, uint64_t now)
{
	struct bbp_sample s = { 0 };
	uint64_t tot1, tot2;
	/* /proc/vmstat: every 1/slow_hz while fast, once a second at rest */
	uint64_t every = current_hz(a, now) == a->fast_hz ? NSEC / a->slow_hz : NSEC;
	int vm = (a->bal_mode != 2 && a->bal_mode != 3) || a->vmstat_now ||
		 now - a->last_vmstat >= every;

	if (read_sysinfo(a, &tot1, &s.total_kib, &s.free_kib))
		return;
	if (vm) {
		uint64_t inf = 0, def = 0, oom = 0, v0 = now_ns();
		int r = read_vmstat(a, &inf, &def, &oom);

		a->vmstat_ns += now_ns() - v0;
		if (r)
			return;
		if (read_sysinfo(a, &tot2, &s.total_kib, &s.free_kib))
			return;
		a->last_vmstat = now;
		a->vmstat_now = 0;
		with_vmstat(a, tot1, tot2, inf, def, oom, &s);
		if (a->bal_mode == 3)
			mem_blocks(a);
	} else {
		from_totalram(a, tot1, &s);
	}
	s.t_ns = now_ns();
	s.seq = a->seq++;
	push_sample(a, &s, now);
	a->sample_ns += s.t_ns - now;
}

/* Pages in one batch of the driver: 256 PFNs of 4 KiB, 1 MiB. */
static uint64_t batch_pages(const struct agent *a)
{
	return (1024 * 1024) / a->page_size;
}

static struct kp_ev kp_evbuf[8192];

/* The batch count disagreed with totalram by @d pages: say so, count it, poll from now on. */
static void kp_give_up(struct agent *a, uint64_t now, const char *why, int64_t d)
{
	a->kp_mismatch++;
	a->kp_failed = 1;
	a->kp_on = 0;
	a->next_sample = now;
	send_log(a, 1, "kprobe: the batch count %s totalram by %lld pages (%" PRIu64
		 " events, %" PRIu64 " records lost): polling from now on", why, (long long)d,
		 a->kp_events, a->kp.lost + a->kp.late);
}

/*
 * One batch event: the balloon one batch further, at the kernel's time; with
 * @emit also as a sample (src=2). Every batch moves the count.
 */
static void kp_push(struct agent *a, const struct kp_ev *e, int emit)
{
	struct bbp_sample s = { 0 };

	if (e->deflate)
		a->def_r += batch_pages(a);
	else
		a->inf_r += batch_pages(a);
	a->kp_events++;
	a->kp_prev_t = e->t_ns;
	if (!emit)
		return;
	s.t_ns = e->t_ns;
	s.seq = a->seq++;
	s.inflate = a->inf_r;
	s.deflate = a->def_r;
	s.oom_kill = a->oom_r;
	s.total_kib = (uint64_t)(a->K - ((int64_t)a->inf_r - (int64_t)a->def_r)) * a->page_size / 1024;
	s.free_kib = a->kp_free_kib;
	s.src = BBP_SRC_KPROBE;
	push_sample(a, &s, e->t_ns);
}

/*
 * Which batches become samples: at most one per period of the sample rate
 * (the last batch in it, with the count of every batch before), and also the
 * first batch after a pause, the last one drained and each change of
 * direction, so a change's start and end keep the kernel's exact times. A
 * deflating balloon makes 2,000-3,000 batches a second here; every sample
 * costs the agent and the runner time on the vCPUs and host cores the
 * balloon needs, and those between two samples of the asked rate add no
 * resolution that was asked for.
 */
static int kp_emit(const struct agent *a, const struct kp_ev *e, const struct kp_ev *next)
{
	uint64_t per = NSEC / a->fast_hz;

	return !next || next->deflate != e->deflate || next->t_ns / per != e->t_ns / per ||
	       e->t_ns - a->kp_prev_t >= per;
}

/*
 * One wake-up of the event source: the batches timed up to t turned into
 * samples, their count checked against totalram read just before and just
 * after t (a batch in flight leaves the count 0..1 batch behind; at rest,
 * after the change and two checks without a move, they must be equal); with @poll
 * also a src=2 sample at t with what sysinfo() read. Every sample it makes
 * is on the kernel's clock (CLOCK_MONOTONIC itself, not the rdtsc model).
 * /proc/vmstat (oom_kill) as take_sample reads it. Returns the batches read.
 */
static size_t kp_tick(struct agent *a, uint64_t now, int poll)
{
	struct bbp_sample s = { 0 };
	uint64_t t0 = now_ns(), t, tot1, tot2, every = moving(a, now) ? NSEC / a->slow_hz : NSEC;
	int64_t p, b1, b2, lo, hi;
	size_t n;

	if (read_sysinfo(a, &tot1, &s.total_kib, &s.free_kib))
		return 0;
	t = mono_ns();
	if (t < clk.last)	/* times handed out never go back */
		t = clk.last;
	clk.last = t;
	if (read_sysinfo(a, &tot2, &s.total_kib, &s.free_kib))
		return 0;
	a->kp_free_kib = s.free_kib;
	n = kp_drain(&a->kp, t, kp_evbuf, sizeof(kp_evbuf) / sizeof(kp_evbuf[0]));
	for (size_t i = 0; i < n; i++)
		kp_push(a, &kp_evbuf[i], kp_emit(a, &kp_evbuf[i], i + 1 < n ? &kp_evbuf[i + 1] : NULL));
	p = (int64_t)a->inf_r - (int64_t)a->def_r;
	b1 = a->K - (int64_t)tot1;
	b2 = a->K - (int64_t)tot2;
	lo = b1 < b2 ? b1 : b2;
	hi = b1 < b2 ? b2 : b1;
	a->kp_still = !n && tot1 == tot2 && tot2 == a->kp_last_tot ? a->kp_still + 1 : 0;
	a->kp_last_tot = tot2;
	if (hi < p || lo > p + (int64_t)batch_pages(a)) {
		kp_give_up(a, now, hi < p ? "is ahead of" : "is behind", (hi < p ? hi : lo) - p);
		return n;
	}
	/*
	 * Exact only at rest: the host said the change is over and nothing moved
	 * for idle_ns. Within a change a batch may stall half-released for
	 * 100 ms and more (a vCPU the busy host does not run).
	 */
	if (!moving(a, now) && a->kp_still >= 2 && (lo != p || hi != p)) {
		kp_give_up(a, now, "at rest differs from", lo - p);
		return n;
	}
	if (a->vmstat_now || now - a->last_vmstat >= every) {
		uint64_t inf, def, oom, v0 = now_ns();

		if (!read_vmstat(a, &inf, &def, &oom) && oom > a->oom_r)
			a->oom_r = oom;
		a->vmstat_ns += now_ns() - v0;
		a->last_vmstat = now;
		a->vmstat_now = 0;
	}
	if (poll) {
		s.t_ns = t;
		s.seq = a->seq++;
		s.inflate = a->inf_r;
		s.deflate = a->def_r;
		s.oom_kill = a->oom_r;
		s.src = BBP_SRC_KPROBE;
		push_sample(a, &s, t);
	}
	a->sample_ns += now_ns() - t0;
	return n;
}

/*
 * Follow the balloon by batch events from now on, where the host asked for
 * them, they are open, totalram is the balloon's exact counter (bal_mode 2:
 * the counters were just set from /proc/vmstat and totalram together) and
 * nothing moves: every batch counts from here. Earlier records are dropped.
 */
static void kp_maybe_start(struct agent *a, uint64_t now)
{
	if (a->kp_on || !a->kp.ok || a->kp_failed || a->bal_mode != 2 || moving(a, now) ||
	    (a->probe != BBP_PROBE_KPROBE && a->probe != BBP_PROBE_AUTO))
		return;
	(void)kp_drain(&a->kp, UINT64_MAX, kp_evbuf, sizeof(kp_evbuf) / sizeof(kp_evbuf[0]));
	a->kp.leak_pending = 0;
	a->kp.lost = a->kp.late = 0;
	a->kp.last_t = clk.last;
	a->kp_prev_t = 0;
	a->kp_still = 0;
	a->kp_last_tot = 0;
	a->kp_on = 1;
}

static void send_cost(struct agent *a, uint64_t now)
{
	struct bbp_msg m = { .type = BBP_COST };
	struct rusage ru;
	char statm[128];
	unsigned long size = 0, res = 0;

	getrusage(RUSAGE_SELF, &ru);
	if (!read_small("/proc/self/statm", statm, sizeof(statm)))
		(void)sscanf(statm, "%lu %lu", &size, &res);
	m.u.cost.t_ns = now;
	m.u.cost.utime_us = (uint64_t)ru.ru_utime.tv_sec * 1000000 + (uint64_t)ru.ru_utime.tv_usec;
	m.u.cost.stime_us = (uint64_t)ru.ru_stime.tv_sec * 1000000 + (uint64_t)ru.ru_stime.tv_usec;
	m.u.cost.rss_kib = (uint64_t)res * (uint64_t)sysconf(_SC_PAGESIZE) / 1024;
	m.u.cost.samples = a->seq;
	m.u.cost.dropped = a->dropped;
	m.u.cost.max_gap_us = a->max_gap_ns / 1000;
	m.u.cost.hz = current_hz(a, now);
	m.u.cost.sample_us = a->sample_ns / 1000;
	m.u.cost.vmstat = a->vmstat_reads;
	m.u.cost.vmstat_us = a->vmstat_ns / 1000;
	m.u.cost.writes = a->writes;
	m.u.cost.probe = (uint64_t)a->kp_method;
	m.u.cost.events = a->kp_events;
	m.u.cost.lost = a->kp.lost + a->kp.late;
	m.u.cost.mismatch = a->kp_mismatch;
	a->max_gap_ns = 0;
	(void)send_msg(a, &m);
}

static struct agent agent;

static void power_off(void)
{
	wlm_shutdown(&agent.wlm);
	sync();
	if (getpid() == 1) {
		(void)reboot(RB_POWER_OFF);
		for (;;)
			pause();
	}
	exit(0);
}

/* Where batch events were asked for and are open but do not follow a change: why (once). */
static void kp_say_unused(struct agent *a)
{
	if (a->kp_on || a->kp_said || !a->kp.ok ||
	    (a->probe != BBP_PROBE_KPROBE && a->probe != BBP_PROBE_AUTO))
		return;
	a->kp_said = 1;
	send_log(a, a->probe == BBP_PROBE_KPROBE ? 1 : 2,
		 "kprobe events do not follow this change: %s; polling",
		 a->kp_failed ? "a batch count disagreed with totalram earlier" :
		 a->bal_mode != 2 ?
		 "totalram is not the balloon's counter (deflate-on-oom, or not calibrated yet)" :
		 "the balloon was moving when they could have started");
}

/* CONF probe=: keep the events open only where they may be used. */
static void conf_probe(struct agent *a, uint64_t probe)
{
	if (probe > BBP_PROBE_AUTO) {
		send_log(a, 1, "CONF: probe=%" PRIu64 " unknown: polling", probe);
		probe = BBP_PROBE_POLL;
	}
	a->probe = probe;
	if (probe == BBP_PROBE_KPROBE && !a->kp.ok)
		send_log(a, 0, "probe=kprobe asked, but the events could not be opened (%s): polling",
			 a->kp.why);
	if ((probe == BBP_PROBE_POLL || probe == BBP_PROBE_UNSAID) && a->kp.ok)
		kp_close_async(&a->kp);
}

/*
 * CONF once configured: the host reopened the channel after a silence (a
 * stalled port's queue, which QEMU drops then). What the host must not miss
 * goes again: the latest workload starts and ends.
 */
static void conf_again(struct agent *a)
{
	say("CONF again: the host reopened the channel%s", a->mute == 2 ? "; bb.mute=2 ends" : "");
	if (a->mute == 2) {	/* what a stalled port held is lost */
		say("bb.mute=2: %zu bytes and %zu samples dropped", a->out_len, a->npend);
		a->dropped += a->npend;
		a->npend = 0;
		a->out_len = 0;
		a->mute = 0;
	}
	wlm_say_again(&a->wlm);
	a->urgent = 1;
}

static void on_line(const char *line, size_t len, void *opaque)
{
	struct agent *a = opaque;
	struct bbp_msg m, r;
	char err[128];
	uint64_t now = now_ns();

	a->last_host = now;
	if (bbp_decode(line, len, &m, err, sizeof(err))) {
		send_log(a, 1, "bad message from host: %s", err);
		return;
	}
	switch (m.type) {
	case BBP_PING:
		r.type = BBP_PONG;
		r.u.pong.id = m.u.ping.id;
		r.u.pong.t_ns = mono_ns();	/* for the clock offset: the real clock */
		(void)send_msg(a, &r);
		a->urgent = 1;
		break;
	case BBP_FAST:
		a->fast_until = now + m.u.fast.ms * 1000000ull;
		if (m.u.fast.ms)
			a->vmstat_now = 1;	/* an exact start for the change */
		if (a->next_sample > now)
			a->next_sample = now;
		if (m.u.fast.ms) {
			a->kp_method = a->kp_on;
			a->next_drain = now;
			kp_say_unused(a);
		}
		/* the probe's cost at each end of a change, not only once a second */
		if (a->kp_on)
			(void)kp_tick(a, now, 0);	/* every batch so far in the COST's count */
		if (a->configured) {
			send_cost(a, now_ns());
			a->urgent = 1;
		}
		break;
	case BBP_CONF:
		if (!m.u.conf.fast_hz || !m.u.conf.slow_hz || m.u.conf.fast_hz > 100000) {
			send_log(a, 1, "CONF: rates must be 1..100000 Hz, kept %" PRIu64 "/%" PRIu64,
				 a->fast_hz, a->slow_hz);
			break;
		}
		a->fast_hz = m.u.conf.fast_hz;
		a->slow_hz = m.u.conf.slow_hz;
		a->idle_ns = m.u.conf.idle_ms * 1000000ull;
		a->watchdog_ns = m.u.conf.watchdog_s * NSEC;
		conf_probe(a, m.u.conf.probe);
		if (a->configured)
			conf_again(a);
		if (!a->configured) {
			wlm_calibrate(&a->wlm);
			probe_costs(a);
			say_balloon_driver(a);
		}
		a->configured = 1;
		a->next_sample = now_ns();
		break;
	case BBP_QUIT:
		a->quit = 1;
		break;
	case BBP_RUN:
		say("workload %" PRIu64 ": '%s' asked", m.u.run.w, m.u.run.spec);
		if (!a->wlm.calibrated)
			wlm_calibrate(&a->wlm);
		wlm_run(&a->wlm, &m.u.run);
		a->urgent = 1;
		break;
	case BBP_STOPW:
		wlm_stop(&a->wlm, m.u.stopw.w);
		break;
	case BBP_PHASE:
		wlm_phase(&a->wlm, m.u.phase.e);
		a->urgent = 1;
		break;
	default:
		send_log(a, 1, "unexpected %s from host", bbp_type_name(m.type));
		break;
	}
}

/*
 * Write what is queued: at once for answers, when much is queued, and while
 * sampling slowly; while sampling fast every FLUSH_NS (every write is a
 * virtqueue kick, a VM exit), and at once when fast sampling ends.
 */
static void maybe_flush(struct agent *a, uint64_t now)
{
	int fast = a->configured && current_hz(a, now) == a->fast_hz;
	int ended = a->was_fast && !fast;

	a->was_fast = fast;
	if (!a->out_len && !a->npend)
		return;
	if (a->urgent || a->out_len >= FLUSH_BYTES || !fast || ended ||
	    now - a->last_flush >= FLUSH_NS) {
		flush_out(a);
		a->last_flush = now;
		a->urgent = 0;
	}
}

/*
 * What is due now: with batch events, a drain every 1/slow_hz while the
 * balloon moves (FLUSH_NS after a busy one) and a polled sample every
 * 1/slow_hz; without, a polled sample on the grid of the rate in force.
 */
static void sample_due(struct agent *a, uint64_t now)
{
	if (!a->configured)
		return;
	if (a->kp_on && (now >= a->next_sample || (moving(a, now) && now >= a->next_drain))) {
		int poll = now >= a->next_sample;

		size_t n = kp_tick(a, now, poll);

		/*
		 * Read the rings as seldom as the idle rate (10 Hz) while they
		 * fill slowly: each wake-up and write is work for the vCPUs and
		 * for QEMU's main loop, which the moving balloon needs too. A
		 * busy read (a fast balloon: KVM) brings the next one forward
		 * to FLUSH_NS, long before a CPU's ring (about 10,000 records)
		 * could fill.
		 */
		a->next_drain = now + (n > KP_BUSY_READ ? FLUSH_NS : NSEC / a->slow_hz);
		if (poll && a->kp_on)
			a->next_sample += ((now - a->next_sample) / (NSEC / a->slow_hz) + 1) *
					  (NSEC / a->slow_hz);
		if (a->npend)
			a->urgent = 1;	/* one write per wake-up */
	} else if (now >= a->next_sample) {
		uint64_t p = NSEC / current_hz(a, now);	/* kp_on is 0 here */

		take_sample(a, now);
		kp_maybe_start(a, now);
		/*
		 * Keep the grid: a wake-up late by less than a period costs
		 * nothing (the next sample comes sooner); later than that, the
		 * ticks missed are skipped, never taken in a burst.
		 */
		a->next_sample += p;
		if (a->next_sample <= now)
			a->next_sample += ((now - a->next_sample) / p + 1) * p;
	}
}

static void watch_say_kernel_view(void)
{
	char buf[2048], path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/wchan", (int)getpid());
	if (!read_small(path, buf, sizeof(buf)))
		say("  main thread waits in: %s", buf[0] ? buf : "(running)");
	snprintf(path, sizeof(path), "/proc/self/task/%d/stack", (int)getpid());
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n"))
		say("  %s", l);
}

/* One stall kind: @v unchanged for 3 wake-ups (while @cond) starts it. */
struct stall {
	uint64_t last;
	int same, said;
};

static int stall_step(struct stall *st, uint64_t v, int cond)
{
	int start = 0;

	if (!cond || v != st->last) {
		st->last = v;
		st->same = 0;
		if (st->said) {
			st->said = 0;
			return -1;	/* over */
		}
		return 0;
	}
	if (++st->same >= 3 && !st->said)
		start = st->said = 1;
	return start;
}

static void *watch_thread(void *arg)
{
	struct stall loop = { 0 }, samp = { 0 }, out = { 0 };

	(void)arg;
	for (;;) {
		uint64_t q;
		int r;

		sleep(1);
		q = atomic_load(&watch.queued);
		r = stall_step(&loop, atomic_load(&watch.turns), 1);
		if (r > 0) {
			say("stall watch: the agent's loop has not turned for 3 s");
			watch_say_kernel_view();
		} else if (r < 0) {
			say("stall watch: the loop turns again");
		}
		r = stall_step(&samp, atomic_load(&watch.samples),
			       atomic_load(&watch.configured) && !loop.said);
		if (r > 0)
			say("stall watch: no sample for 3 s; the loop's clock %" PRIu64
			    " ns, next sample at %" PRIu64 ", CLOCK_MONOTONIC %" PRIu64,
			    atomic_load(&watch.now), atomic_load(&watch.next), mono_ns());
		else if (r < 0)
			say("stall watch: samples again");
		r = stall_step(&out, atomic_load(&watch.written), q > 0);
		if (r > 0)
			say("stall watch: %" PRIu64 " bytes for the host have not moved for 3 s"
			    " (the port says the host is %s)", q,
			    atomic_load(&watch.connected) ? "connected" : "not connected");
		else if (r < 0)
			say("stall watch: bytes for the host move again");
	}
	return NULL;
}

static void watch_start(void)
{
	pthread_attr_t at;
	pthread_t t;

	if (pthread_attr_init(&at))
		return;
	(void)pthread_attr_setstacksize(&at, 64 * 1024);
	(void)pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &at, watch_thread, NULL))
		say("stall watch: cannot start its thread");
	pthread_attr_destroy(&at);
}

static void serve(struct agent *a)
{
	char buf[4096];

	clock_sync();
	a->next_cost = now_ns() + NSEC;
	while (!a->quit) {
		uint64_t now = now_ns(), deadline;
		struct pollfd pfd = { .fd = a->port, .events = POLLIN };
		struct timespec ts;
		int r;

		atomic_fetch_add_explicit(&watch.turns, 1, memory_order_relaxed);
		atomic_store_explicit(&watch.queued, a->out_len, memory_order_relaxed);
		atomic_store_explicit(&watch.samples, a->seq, memory_order_relaxed);
		atomic_store_explicit(&watch.now, now, memory_order_relaxed);
		atomic_store_explicit(&watch.next, a->next_sample, memory_order_relaxed);
		atomic_store_explicit(&watch.connected, a->host_connected, memory_order_relaxed);
		atomic_store_explicit(&watch.configured, a->configured, memory_order_relaxed);
		sample_due(a, now);
		if (a->configured)
			wlm_poll(&a->wlm, now, current_hz(a, now) == a->fast_hz);
		if (a->configured && now >= a->next_cost) {
			send_cost(a, now);
			clock_sync();
			now = now_ns();
			a->next_cost = now + NSEC;
		}
		if (a->watchdog_ns && now - a->last_host > a->watchdog_ns) {
			send_log(a, 0, "host silent for %" PRIu64 " s: powering off",
				 a->watchdog_ns / NSEC);
			flush_out(a);
			power_off();
		}
		maybe_flush(a, now);
		if (a->out_len && a->out_len >= FLUSH_BYTES)
			pfd.events |= POLLOUT;
		deadline = a->configured ? a->next_sample : now + 50000000ull;
		if (a->kp_on && moving(a, now) && deadline > a->next_drain)
			deadline = a->next_drain;
		if (deadline > a->next_cost)
			deadline = a->next_cost;
		if (a->configured && deadline > wlm_next_deadline(&a->wlm))
			deadline = wlm_next_deadline(&a->wlm);
		if ((a->out_len || a->npend) && deadline > a->last_flush + FLUSH_NS)
			deadline = a->last_flush + FLUSH_NS;
		if (!a->host_connected && deadline > now + 20000000ull)
			deadline = now + 20000000ull;
		ts.tv_sec = deadline > now ? (time_t)((deadline - now) / NSEC) : 0;
		ts.tv_nsec = deadline > now ? (long)((deadline - now) % NSEC) : 0;
		/* With no host on the other end the port polls as HUP: just sleep. */
		r = ppoll(a->host_connected ? &pfd : NULL, a->host_connected ? 1 : 0, &ts, NULL);
		if (r < 0 && errno != EINTR)
			break;
		if (!a->host_connected || (pfd.revents & POLLHUP)) {
			struct pollfd probe = { .fd = a->port, .events = POLLIN };

			(void)poll(&probe, 1, 0);
			a->host_connected = !(probe.revents & POLLHUP);
			if (a->host_connected)
				a->last_host = now_ns();
			continue;
		}
		if (pfd.revents & POLLIN) {
			ssize_t n = read(a->port, buf, sizeof(buf));

			if (n > 0)
				bbp_reader_feed(&a->rd, buf, (size_t)n, on_line, a);
		}
		if (a->urgent || (pfd.revents & POLLOUT))
			maybe_flush(a, now_ns());
	}
	flush_out(a);
}

/* In kernel command line @cmd, what follows the word that starts with @key; NULL if none. */
static const char *cmdline_arg(const char *cmd, const char *key)
{
	for (const char *p = strstr(cmd, key); p; p = strstr(p + 1, key))
		if (p == cmd || p[-1] == ' ')
			return p + strlen(key);
	return NULL;
}

/*
 * bb.watchdog=N on the kernel command line arms the watchdog from boot on,
 * before the host has said anything: a runner killed while its guest boots
 * leaves no guest running. CONF sets it again.
 */
static void arm_watchdog_from_cmdline(struct agent *a, const char *cmd)
{
	const char *v = cmdline_arg(cmd, "bb.watchdog=");
	unsigned long s = v ? strtoul(v, NULL, 10) : 0;

	if (s > 0 && s <= 86400) {
		a->watchdog_ns = (uint64_t)s * NSEC;
		a->last_host = now_ns();
	}
}

int main(int argc, char **argv)
{
	struct agent *a = &agent;
	char port[300] = "", cmd[4096];
	const char *v;
	int stage2 = 0;

	a->fast_hz = 1000;
	a->slow_hz = 10;
	a->idle_ns = 500000000ull;
	a->page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--port") && i + 1 < argc) {
			snprintf(port, sizeof(port), "%s", argv[++i]);
		} else if (!strcmp(argv[i], "--stage2")) {
			stage2 = 1;
		} else if (!strcmp(argv[i], "--version")) {
			printf("bb-agent %s protocol %d\n", AGENT_VERSION, BBP_VERSION);
			return 0;
		} else if (getpid() != 1) {
			fprintf(stderr, "usage: %s [--port /dev/vportNpM] [--version]\n", argv[0]);
			return 2;
		}
	}
	if (getpid() == 1 && !stage2) {
		mount_basics();
		load_modules("/etc/bb-modules");
		/*
		 * libnuma reads /sys in a constructor, before main(): start again
		 * now that /sys is mounted, so workloads can bind to guest nodes.
		 */
		execl("/init", "/init", "--stage2", (char *)NULL);
		say("re-exec /init: %s: NUMA binding will not work", strerror(errno));
	}
	(void)signal(SIGPIPE, SIG_IGN);
	if (!port[0] && find_port(port, sizeof(port), 30)) {
		say("no virtio-serial port named %s", BBP_PORT_NAME);
		power_off();
	}
	a->port = open(port, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	a->vmstat = open("/proc/vmstat", O_RDONLY | O_CLOEXEC);
	if (a->port < 0 || a->vmstat < 0) {
		say("open %s or /proc/vmstat: %s", port, strerror(errno));
		power_off();
	}
	if (mlockall(MCL_CURRENT | MCL_FUTURE))
		say("mlockall: %s", strerror(errno));
	{
		int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);

		if (fd < 0 || write(fd, "-1000", 5) != 5)
			say("oom_score_adj: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	/*
	 * Above the workloads (nice 0; a CPU hog such as spin takes every vCPU):
	 * the sampler must keep its rate. The workload child goes back to 0.
	 */
	if (setpriority(PRIO_PROCESS, 0, AGENT_NICE))
		say("setpriority: %s", strerror(errno));
	(void)prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	if (read_small("/proc/cmdline", cmd, sizeof(cmd)))
		cmd[0] = '\0';
	arm_watchdog_from_cmdline(a, cmd);
	bbp_reader_init(&a->rd);
	wlm_init(&a->wlm, send_reliable, a);
	/* bb.kprobe=entry (job option cmdline): tell_host's entry, to compare the two */
	v = cmdline_arg(cmd, "bb.kprobe=");
	(void)kp_open(&a->kp, v && !strncmp(v, "entry", 5) && (v[5] == ' ' || !v[5]));
	v = cmdline_arg(cmd, "bb.mute=");
	a->mute = v && (v[0] == '1' || v[0] == '2') ? v[0] - '0' : 0;
	if (a->mute)
		say("bb.mute=%d: nothing will reach the host after CONF%s (a test of the runner)", a->mute,
		    a->mute == 2 ? " until it reopens the channel" : "");
	send_hello(a);
	watch_start();
	serve(a);
	power_off();
	return 0;
}
