/* SPDX-License-Identifier: MIT */
/*
 * pwrbtn.h - the ACPI power button (pwrbtn.c): virDomainReboot and
 * virDomainShutdown press it; the agent powers off cleanly on a press.
 */
#ifndef GA_PWRBTN_H
#define GA_PWRBTN_H

/* Open every input device named "Power Button" (at most @max) into @fds: how many. */
int ga_pwrbtn_open(int *fds, int max);

/* Drain @fd's events: 1 if one was a press of KEY_POWER. */
int ga_pwrbtn_pressed(int fd);

#endif /* GA_PWRBTN_H */
