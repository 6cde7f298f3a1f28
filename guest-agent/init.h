/* SPDX-License-Identifier: MIT */
/*
 * init.h - the agent as PID 1: its own command line, the mounts and modules
 * a bare initramfs lacks, the virtio-serial port, the kernel command line's
 * bb.* words, and power off.
 */
#ifndef GA_INIT_H
#define GA_INIT_H

#include <stddef.h>

struct agent;

/*
 * argv: --port PATH (copied to @port), --stage2 (PID 1 after its re-exec:
 * sets *@stage2), --version. Returns -1 to go on, else the exit status
 * (0 after --version; 2, usage, for anything else unless this is PID 1).
 */
int ga_parse_args(int argc, char **argv, char *port, size_t size, int *stage2);

/* PID 1's first stage: mount /proc, /sys, /dev and /tmp, load the modules, exec /init --stage2. */
void ga_pid1_start(void);

/*
 * Open the port (@port, or the one named BBP_PORT_NAME, found within 30 s and
 * written to @port) and /proc/vmstat into a->port and a->vmstat; powers off
 * where either cannot be opened.
 */
void ga_open_io(struct agent *a, char *port, size_t size);

/* Lock the agent's memory, keep the OOM killer off it, raise its priority, tighten its timers. */
void ga_settle(void);

/* In kernel command line @cmd, what follows the word that starts with @key; NULL if none. */
const char *ga_cmdline_arg(const char *cmd, const char *key);

/* Whether value @v (ga_cmdline_arg's) is @word, whole: "more" is not "mores". */
int ga_cmdline_is(const char *v, const char *word);

/* bb.watchdog=N: the watchdog armed from boot on, before the host has said anything. */
void ga_arm_watchdog(struct agent *a, const char *cmd);

/* Stop the workloads, sync, power off (as PID 1; else exit). Does not return. */
void ga_power_off(struct agent *a) __attribute__((noreturn));

/* Stop the workloads, sync, restart the machine (RB_AUTOBOOT as PID 1; else exit). */
void ga_reboot(struct agent *a) __attribute__((noreturn));

#endif /* GA_INIT_H */
