// SPDX-License-Identifier: MIT
/*
 * init.c - the agent as PID 1 (init.h), and the console.
 *
 * As PID 1 it mounts /proc, /sys and /dev, loads the kernel modules listed in
 * /etc/bb-modules (in that order; the image builder computed it from the
 * modules' own dependencies), execs itself again (libnuma reads /sys before
 * main), finds the virtio-serial port named BBP_PORT_NAME, locks its memory
 * and keeps the OOM killer off itself (oom_score_adj -1000).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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
#include <unistd.h>

#include "../common/smallfile.h"
#include "agent.h"
#include "init.h"

void ga_say(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bb-agent: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int ga_read_small(const char *path, char *buf, size_t size)
{
	if (bb_read_small(path, buf, size) < 0)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int ga_parse_args(int argc, char **argv, char *port, size_t size, int *stage2)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--port") && i + 1 < argc) {
			snprintf(port, size, "%s", argv[++i]);
		} else if (!strcmp(argv[i], "--stage2")) {
			*stage2 = 1;
		} else if (!strcmp(argv[i], "--version")) {
			printf("bb-agent %s protocol %d\n", AGENT_VERSION, BBP_VERSION);
			return 0;
		} else if (getpid() != 1) {
			fprintf(stderr, "usage: %s [--port /dev/vportNpM] [--version]\n", argv[0]);
			return 2;
		}
	}
	return -1;
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
			ga_say("mount %s: %s", mnts[i].dst, strerror(errno));
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
			ga_say("module %s: %s", path, strerror(errno));
			continue;
		}
		if (syscall(SYS_finit_module, fd, "", 0) && errno != EEXIST)
			ga_say("module %s: %s", name, strerror(errno));
		close(fd);
	}
	fclose(f);
}

void ga_pid1_start(void)
{
	mount_basics();
	load_modules("/etc/bb-modules");
	/*
	 * libnuma reads /sys in a constructor, before main(): start again
	 * now that /sys is mounted, so workloads can bind to guest nodes.
	 */
	execl("/init", "/init", "--stage2", (char *)NULL);
	ga_say("re-exec /init: %s: NUMA binding will not work", strerror(errno));
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
			if (ga_read_small(p, name, sizeof(name)) || strcmp(name, BBP_PORT_NAME))
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

void ga_open_io(struct agent *a, char *port, size_t size)
{
	if (!port[0] && find_port(port, size, 30)) {
		ga_say("no virtio-serial port named %s", BBP_PORT_NAME);
		ga_power_off(a);
	}
	a->fix.port = open(port, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	a->fix.vmstat = open("/proc/vmstat", O_RDONLY | O_CLOEXEC);
	if (a->fix.port < 0 || a->fix.vmstat < 0) {
		ga_say("open %s or /proc/vmstat: %s", port, strerror(errno));
		ga_power_off(a);
	}
}

void ga_settle(void)
{
	int fd;

	if (mlockall(MCL_CURRENT | MCL_FUTURE))
		ga_say("mlockall: %s", strerror(errno));
	fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "-1000", 5) != 5)
		ga_say("oom_score_adj: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
	/*
	 * Above the workloads (nice 0; a CPU hog such as spin takes every vCPU):
	 * the sampler must keep its rate. The workload child goes back to 0.
	 */
	if (setpriority(PRIO_PROCESS, 0, AGENT_NICE))
		ga_say("setpriority: %s", strerror(errno));
	(void)prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
}

const char *ga_cmdline_arg(const char *cmd, const char *key)
{
	for (const char *p = strstr(cmd, key); p; p = strstr(p + 1, key))
		if (p == cmd || p[-1] == ' ')
			return p + strlen(key);
	return NULL;
}

int ga_cmdline_is(const char *v, const char *word)
{
	size_t n = strlen(word);

	return v && !strncmp(v, word, n) && (v[n] == ' ' || v[n] == '\n' || !v[n]);
}

/*
 * bb.watchdog=N on the kernel command line arms the watchdog from boot on,
 * before the host has said anything: a runner killed while its guest boots
 * leaves no guest running. CONF sets it again.
 */
void ga_arm_watchdog(struct agent *a, const char *cmd)
{
	const char *v = ga_cmdline_arg(cmd, "bb.watchdog=");
	unsigned long s = v ? strtoul(v, NULL, 10) : 0;

	if (s > 0 && s <= 86400) {
		a->conf.watchdog_ns = (uint64_t)s * NSEC;
		a->link.last_host = now_ns();
	}
}

void ga_reboot(struct agent *a)
{
	wlm_shutdown(&a->wlm);
	sync();
	if (getpid() == 1) {
		(void)reboot(RB_AUTOBOOT);
		for (;;)
			pause();
	}
	exit(0);
}

void ga_power_off(struct agent *a)
{
	wlm_shutdown(&a->wlm);
	sync();
	if (getpid() == 1) {
		(void)reboot(RB_POWER_OFF);
		for (;;)
			pause();
	}
	exit(0);
}
