// SPDX-License-Identifier: MIT
/* units.c - sizes and durations as written; see units.h. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "units.h"

int hr_parse_size(const char *s, struct hr_size *out)
{
	static const struct { const char *sfx; double kib; } units[] = {
		{ "", 1024 }, { "k", 1 }, { "kib", 1 }, { "m", 1024 }, { "mib", 1024 },
		{ "g", 1024 * 1024 }, { "gib", 1024 * 1024 }, { "t", 1024.0 * 1024 * 1024 },
		{ "tib", 1024.0 * 1024 * 1024 },
	};
	char *end;
	double v;

	while (isspace((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s) && *s != '.')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || !isfinite(v) || v < 0)
		return -1;
	while (isspace((unsigned char)*end))
		end++;
	if (*end == '%') {
		end++;
		while (isspace((unsigned char)*end))
			end++;
		if (*end || v <= 0 || v > 100)
			return -1;
		out->percent = v;
		out->kib = 0;
		return 0;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		size_t n = strlen(end);

		while (n && isspace((unsigned char)end[n - 1]))
			n--;
		if (strlen(units[i].sfx) == n && !strncasecmp(end, units[i].sfx, n)) {
			double kib = v * units[i].kib;

			if (kib > 1e15 || kib != floor(kib))
				return -1;
			out->kib = (uint64_t)kib;
			out->percent = 0;
			return 0;
		}
	}
	return -1;
}

int hr_parse_duration(const char *s, uint64_t *us)
{
	static const struct { const char *sfx; double us; } units[] = {
		{ "", 1e6 }, { "us", 1 }, { "ms", 1e3 }, { "s", 1e6 }, { "m", 60e6 }, { "h", 3600e6 },
	};
	char *end;
	double v;

	while (isspace((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s) && *s != '.')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || !isfinite(v) || v < 0)
		return -1;
	while (isspace((unsigned char)*end))
		end++;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		size_t n = strlen(end);

		while (n && isspace((unsigned char)end[n - 1]))
			n--;
		if (strlen(units[i].sfx) == n && !strncasecmp(end, units[i].sfx, n)) {
			double x = v * units[i].us;

			if (x > 1e15)
				return -1;
			*us = (uint64_t)llround(x);
			return 0;
		}
	}
	return -1;
}
