/* SPDX-License-Identifier: MIT */
/*
 * matrix.h - a scenario job's matrix (matrix.c), part of the scenario
 * parser: `key = a, b, c` on a single-valued option runs the job once per
 * combination. Reentrant: no static state.
 */
#ifndef HR_MATRIX_H
#define HR_MATRIX_H

#include <stddef.h>

#include "scenario.h"

#define HR_MATRIX_LIST	1024	/* the longest list a key may have, in characters, and 1 */

/*
 * The list @value of option @o in job @j: every value checked (so that
 * errors name the line it is on), the first one set in @j, a copy of the
 * list in j->matrix (the caller frees it after hr_matrix_expand). Returns 0,
 * or -1 with the reason in @err.
 */
int hr_matrix_option(struct hr_job *j, const struct hr_option *o, const char *value, char *err,
		     size_t errlen);

/*
 * Replace every job of @sc that has matrix lists by one job per
 * combination of their values, named NAME-1, NAME-2, ... (NAME's first 24
 * characters) and labelled "key=value ...". 0, or -1 (said, naming @path).
 */
int hr_matrix_expand(const char *path, struct hr_scenario *sc);

#endif /* HR_MATRIX_H */
