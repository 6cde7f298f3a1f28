// SPDX-License-Identifier: MIT
/* units.c - sizes and durations as written; see units.h. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "units.h"

struct unit {
	const char *sfx;
	double scale;
};

/*
 * A plain decimal number ("512", "1.5", ".5"; no sign, exponent or hex)
 * with blanks around it, then one of @units (case-insensitive; "" for a bare
 * number) or, with @percent, a '%'. The value times the unit's scale in *v,
 * or the percentage in *pct (and *v = -1). Returns 0 or -1.
 */
static int parse_unit(const char *s, const struct unit *units, size_t nunits, int percent,
		      double *v, double *pct)
{
	const char *p, *end;
	size_t n, digits = 0;
	char num[64];
	double x;

	while (isspace((unsigned char)*s))
		s++;
	for (p = s; isdigit((unsigned char)*p); p++)
		digits++;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			digits++;
	if (!digits || (size_t)(p - s) >= sizeof(num))
		return -1;
	memcpy(num, s, (size_t)(p - s));
	num[p - s] = '\0';
	errno = 0;
	x = strtod(num, NULL);
	if (errno || !isfinite(x))
		return -1;
	while (isspace((unsigned char)*p))
		p++;
	n = strlen(p);
	while (n && isspace((unsigned char)p[n - 1]))
		n--;
	end = p + n;
	if (percent && n == 1 && *p == '%') {
		if (x <= 0 || x > 100)
			return -1;
		*pct = x;
		*v = -1;
		return 0;
	}
	for (size_t i = 0; i < nunits; i++) {
		if (strlen(units[i].sfx) == (size_t)(end - p) && !strncasecmp(p, units[i].sfx, n)) {
			*v = x * units[i].scale;
			return *v > 1e15 ? -1 : 0;
		}
	}
	return -1;
}

int hr_parse_size(const char *s, struct hr_size *out)
{
	static const struct unit units[] = {
		{ "", 1024 }, { "k", 1 }, { "kib", 1 }, { "m", 1024 }, { "mib", 1024 },
		{ "g", 1024 * 1024 }, { "gib", 1024 * 1024 }, { "t", 1024.0 * 1024 * 1024 },
		{ "tib", 1024.0 * 1024 * 1024 },
	};
	double kib, pct = 0;

	if (parse_unit(s, units, sizeof(units) / sizeof(units[0]), 1, &kib, &pct))
		return -1;
	if (kib < 0) {
		out->percent = pct;
		out->kib = 0;
		return 0;
	}
	if (kib != floor(kib))
		return -1;
	out->kib = (uint64_t)kib;
	out->percent = 0;
	return 0;
}

int hr_parse_duration(const char *s, uint64_t *us)
{
	static const struct unit units[] = {
		{ "", 1e6 }, { "us", 1 }, { "ms", 1e3 }, { "s", 1e6 }, { "m", 60e6 }, { "h", 3600e6 },
	};
	double x, pct;

	if (parse_unit(s, units, sizeof(units) / sizeof(units[0]), 0, &x, &pct))
		return -1;
	*us = (uint64_t)llround(x);
	return 0;
}
