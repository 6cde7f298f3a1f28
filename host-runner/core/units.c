// SPDX-License-Identifier: MIT
/* units.c - sizes and durations as written, and back; see units.h. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include "units.h"
#include "workloads/parse.h"

#define PERCENT	(-1.0)		/* the unit "%" in size_units[] */

static const struct wl_unit size_units[] = {
	{ "", 1024 }, { "k", 1 }, { "kib", 1 }, { "m", 1024 }, { "mib", 1024 },
	{ "g", 1024 * 1024 }, { "gib", 1024 * 1024 }, { "t", 1024.0 * 1024 * 1024 },
	{ "tib", 1024.0 * 1024 * 1024 }, { "%", PERCENT },
};

static const struct wl_unit dur_units[] = {
	{ "", 1e6 }, { "us", 1 }, { "ms", 1e3 }, { "s", 1e6 }, { "m", 60e6 }, { "h", 3600e6 },
};

int hr_parse_size(const char *s, struct hr_size *out)
{
	double v, kib;
	int i = wl_parse_scaled(s, size_units, sizeof(size_units) / sizeof(size_units[0]),
				WL_PARSE_BLANKS, &v);

	if (i < 0)
		return -1;
	if (size_units[i].mul == PERCENT) {
		if (v <= 0 || v > 100)
			return -1;
		out->percent = v;
		out->kib = 0;
		return 0;
	}
	kib = v * size_units[i].mul;
	if (kib > 1e15 || kib != floor(kib))
		return -1;
	out->kib = (uint64_t)kib;
	out->percent = 0;
	return 0;
}

int hr_parse_duration(const char *s, uint64_t *us)
{
	double v, x;
	int i = wl_parse_scaled(s, dur_units, sizeof(dur_units) / sizeof(dur_units[0]),
				WL_PARSE_BLANKS, &v);

	if (i < 0)
		return -1;
	x = v * dur_units[i].mul;
	if (x > 1e15)
		return -1;
	*us = (uint64_t)llround(x);
	return 0;
}

int hr_format_size(char *buf, size_t size, uint64_t kib)
{
	int n;

	if (kib % (1024 * 1024) == 0)
		n = snprintf(buf, size, "%" PRIu64 "G", kib / (1024 * 1024));
	else if (kib % 1024 == 0)
		n = snprintf(buf, size, "%" PRIu64 "M", kib / 1024);
	else
		n = snprintf(buf, size, "%" PRIu64 "K", kib);
	return n >= 0 && (size_t)n < size ? 0 : -1;
}

int hr_format_duration(char *buf, size_t size, uint64_t us)
{
	int n;

	if (us % 1000000 == 0)
		n = snprintf(buf, size, "%" PRIu64 "s", us / 1000000);
	else if (us % 1000 == 0)
		n = snprintf(buf, size, "%" PRIu64 "ms", us / 1000);
	else
		n = snprintf(buf, size, "%" PRIu64 "us", us);
	return n >= 0 && (size_t)n < size ? 0 : -1;
}
