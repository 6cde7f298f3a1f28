/* SPDX-License-Identifier: MIT */
/*
 * main.h - what the command layer's files share: main.c (the commands as a
 * table, and where the state, the guest image and the scenarios are found)
 * and doctor.c (`balloonbench doctor`).
 */
#ifndef HR_MAIN_H
#define HR_MAIN_H

#include <stddef.h>
#include <stdio.h>

/* Where the state directory and the guest image are, unless told: into @buf. */
void hr_default_state_dir(char *buf, size_t size);
void hr_default_image_dir(char *buf, size_t size);

/* doctor.c: `balloonbench doctor` (an exit status, HR_EXIT_*) and its --help text. */
int hr_cmd_doctor(int argc, char **argv);
void hr_usage_doctor(FILE *f);

#endif /* HR_MAIN_H */
