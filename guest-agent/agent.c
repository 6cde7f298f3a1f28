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
 * (oom_score_adj -1000).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
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

#include "../common/proto.h"
#include "wlmgr.h"

#define AGENT_VERSION	"0.1"
#define OUTBUF_SIZE	(256 * 1024)
#define NSEC		((uint64_t)1000000000)
#define FLUSH_NS	(10 * (uint64_t)1000000)
#define FLUSH_BYTES	4096
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
	uint64_t sample_ns;		/* time spent taking samples, for COST */
	uint64_t last_flush;
	int urgent;			/* flush now: an answer is waiting */
	uint64_t prev_inf, prev_def;
	int quit;
	struct wlm wlm;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC + (uint64_t)ts.tv_nsec;
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

static void flush_out(struct agent *a)
{
	while (a->out_len) {
		ssize_t n = write(a->port, a->out, a->out_len);

		if (n <= 0)
			return;	/* EAGAIN or host gone: keep it for later */
		memmove(a->out, a->out + n, a->out_len - (size_t)n);
		a->out_len -= (size_t)n;
	}
}

/* Read a small sysfs/proc file into buf, newline stripped. Returns 0 or -1. */
static int read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
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
	if (read_small("/sys/devices/system/clocksource/clocksource0/current_clocksource",
		       h->clocksource, sizeof(h->clocksource)))
		snprintf(h->clocksource, sizeof(h->clocksource), "unknown");
	h->fast_hz = a->fast_hz;
	h->slow_hz = a->slow_hz;
	h->t_ns = now_ns();
	(void)send_msg(a, &m);
}

/* Scan /proc/vmstat for the three counters we stream. Returns 0 or -1. */
static int read_vmstat(struct agent *a, struct bbp_sample *s)
{
	static char buf[16384];
	ssize_t n = pread(a->vmstat, buf, sizeof(buf) - 1, 0);
	int found = 0;

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	for (char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (!strncmp(p, "oom_kill ", 9)) {
			s->oom_kill = strtoull(p + 9, NULL, 10);
			found |= 1;
		} else if (!strncmp(p, "balloon_inflate ", 16)) {
			s->inflate = strtoull(p + 16, NULL, 10);
			found |= 2;
		} else if (!strncmp(p, "balloon_deflate ", 16)) {
			s->deflate = strtoull(p + 16, NULL, 10);
			found |= 4;
		}
	}
	return (found & 6) == 6 ? 0 : -1;
}

static void take_sample(struct agent *a, uint64_t now)
{
	struct bbp_msg m = { .type = BBP_SAMPLE };
	struct bbp_sample *s = &m.u.sample;
	struct sysinfo si;

	uint64_t t0 = now_ns();

	if (read_vmstat(a, s))
		return;
	if (!sysinfo(&si)) {
		s->total_kib = (uint64_t)si.totalram * si.mem_unit / 1024;
		s->free_kib = (uint64_t)si.freeram * si.mem_unit / 1024;
	}
	s->t_ns = now_ns();
	s->seq = a->seq++;
	if (s->inflate != a->prev_inf || s->deflate != a->prev_def)
		a->last_move = now;
	a->prev_inf = s->inflate;
	a->prev_def = s->deflate;
	if (a->last_sample_t && now - a->last_sample_t > a->max_gap_ns)
		a->max_gap_ns = now - a->last_sample_t;
	a->last_sample_t = now;
	if (send_msg(a, &m))
		a->dropped++;
	a->sample_ns += now_ns() - t0;
}

static uint64_t current_hz(const struct agent *a, uint64_t now)
{
	if (now < a->fast_until || now - a->last_move < a->idle_ns)
		return a->fast_hz;
	return a->slow_hz;
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
		r.u.pong.t_ns = now;
		(void)send_msg(a, &r);
		a->urgent = 1;
		break;
	case BBP_FAST:
		a->fast_until = now + m.u.fast.ms * 1000000ull;
		if (a->next_sample > now)
			a->next_sample = now;
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
		if (!a->configured)
			wlm_calibrate(&a->wlm);
		a->configured = 1;
		a->next_sample = now_ns();
		break;
	case BBP_QUIT:
		a->quit = 1;
		break;
	case BBP_RUN:
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

static void serve(struct agent *a)
{
	char buf[4096];

	a->next_cost = now_ns() + NSEC;
	while (!a->quit) {
		uint64_t now = now_ns(), deadline;
		struct pollfd pfd = { .fd = a->port, .events = POLLIN };
		struct timespec ts;
		int r;

		if (a->configured && now >= a->next_sample) {
			take_sample(a, now);
			a->next_sample += NSEC / current_hz(a, now);
			if (a->next_sample < now)	/* fell behind: do not burst */
				a->next_sample = now + NSEC / current_hz(a, now);
		}
		if (a->configured)
			wlm_poll(&a->wlm, now, current_hz(a, now) == a->fast_hz);
		if (a->configured && now >= a->next_cost) {
			send_cost(a, now);
			a->next_cost = now + NSEC;
		}
		if (a->watchdog_ns && now - a->last_host > a->watchdog_ns) {
			send_log(a, 0, "host silent for %" PRIu64 " s: powering off",
				 a->watchdog_ns / NSEC);
			flush_out(a);
			power_off();
		}
		if (a->out_len && a->out_len >= FLUSH_BYTES)
			pfd.events |= POLLOUT;
		deadline = a->configured ? a->next_sample : now + 50000000ull;
		if (deadline > a->next_cost)
			deadline = a->next_cost;
		if (a->configured && deadline > wlm_next_deadline(&a->wlm))
			deadline = wlm_next_deadline(&a->wlm);
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
		/*
		 * Batch samples: every write is a virtqueue kick (a VM exit), so
		 * flush every FLUSH_NS or when much is queued; answers go at once.
		 */
		now = now_ns();
		if (a->out_len && (a->urgent || a->out_len >= FLUSH_BYTES ||
				   now - a->last_flush >= FLUSH_NS)) {
			flush_out(a);
			a->last_flush = now;
			a->urgent = 0;
		}
	}
	flush_out(a);
}


int main(int argc, char **argv)
{
	struct agent *a = &agent;
	char port[300] = "";
	int stage2 = 0;

	a->fast_hz = 1000;
	a->slow_hz = 10;
	a->idle_ns = 500000000ull;
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
	bbp_reader_init(&a->rd);
	wlm_init(&a->wlm, send_reliable, a);
	send_hello(a);
	serve(a);
	power_off();
	return 0;
}
