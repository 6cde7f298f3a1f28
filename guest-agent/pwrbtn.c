// SPDX-License-Identifier: MIT
/*
 * pwrbtn.c - the ACPI power button, for virDomainReboot and
 * virDomainShutdown (libvirt's QEMU driver presses it: system_powerdown; for
 * a reboot it marks the domain for a fake reboot and resets it once the
 * guest has powered off). The guest kernel's ACPI button driver (button.ko)
 * reports a press as KEY_POWER on an input device named "Power Button";
 * evdev.ko makes it /dev/input/eventN. The agent, PID 1, has no other init
 * to act on it: it watches every such device and powers off cleanly on a
 * press (the workloads stopped, sync, RB_POWER_OFF), as QUIT does.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <linux/input.h>

#include "agent.h"
#include "pwrbtn.h"

int ga_pwrbtn_open(int *fds, int max)
{
	DIR *d = opendir("/sys/class/input");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max) {
		char path[300], name[64], dev[32], node[300];
		unsigned maj, min;
		int fd;

		if (strncmp(e->d_name, "event", 5))
			continue;
		snprintf(path, sizeof(path), "/sys/class/input/%s/device/name", e->d_name);
		if (ga_read_small(path, name, sizeof(name)) || strcmp(name, "Power Button"))
			continue;
		snprintf(node, sizeof(node), "/dev/input/%s", e->d_name);
		snprintf(path, sizeof(path), "/sys/class/input/%s/dev", e->d_name);
		/* devtmpfs makes the node; where it has not (yet), make it */
		if (access(node, F_OK) && !ga_read_small(path, dev, sizeof(dev)) &&
		    sscanf(dev, "%u:%u", &maj, &min) == 2) {
			(void)mkdir("/dev/input", 0755);
			(void)mknod(node, S_IFCHR | 0600, makedev(maj, min));
		}
		fd = open(node, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0)
			fds[n++] = fd;
		else
			ga_say("power button %s: %s", node, strerror(errno));
	}
	closedir(d);
	return n;
}

int ga_pwrbtn_pressed(int fd)
{
	struct input_event ev[16];
	ssize_t r;
	int pressed = 0;

	while ((r = read(fd, ev, sizeof(ev))) > 0)
		for (size_t i = 0; i < (size_t)r / sizeof(ev[0]); i++)
			if (ev[i].type == EV_KEY && ev[i].code == KEY_POWER && ev[i].value == 1)
				pressed = 1;
	return pressed;
}
