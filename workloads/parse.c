// SPDX-License-Identifier: MIT
/* parse.c - option parsing's shared pieces (host and guest); see parse.h. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parse.h"

int wl_parse_scaled(const char *s, const struct wl_unit *units, size_t nunits, unsigned flags,
		    double *num)
{
	int blanks = flags & WL_PARSE_BLANKS;
	const char *end;
	char digits[64];
	size_t n, nd = 0;
	double v;

	while (blanks && isspace((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s) && !(blanks && *s == '.'))
		return -1;
	/* plain decimal only: no sign, exponent, hex, inf or nan */
	for (end = s; isdigit((unsigned char)*end); end++)
		nd++;
	if (*end == '.')
		for (end++; isdigit((unsigned char)*end); end++)
			nd++;
	if (!nd || (size_t)(end - s) >= sizeof(digits))
		return -1;
	memcpy(digits, s, (size_t)(end - s));
	digits[end - s] = '\0';
	errno = 0;
	v = strtod(digits, NULL);
	if (errno || !isfinite(v) || v < 0)
		return -1;
	while (blanks && isspace((unsigned char)*end))
		end++;
	n = strlen(end);
	while (blanks && n && isspace((unsigned char)end[n - 1]))
		n--;
	for (size_t i = 0; i < nunits; i++) {
		if (strlen(units[i].sfx) == n && !strncasecmp(end, units[i].sfx, n)) {
			*num = v;
			return (int)i;
		}
	}
	return -1;
}

int wl_parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long x;

	if (*s != '-' && (*s < '0' || *s > '9'))
		return -1;	/* strtoll would take "+1" and " 1" */
	errno = 0;
	x = strtoll(s, &end, 10);
	if (errno || end == s || *end || x < min || x > max)
		return -1;
	*out = x;
	return 0;
}

int wl_parse_choice(const char *const *choices, const char *s)
{
	for (int i = 0; choices[i]; i++)
		if (!strcasecmp(choices[i], s))
			return i;
	return -1;
}

int wl_join(char *buf, size_t size, const char *const *names, size_t n, const char *sep)
{
	size_t off = 0;

	if (!size)
		return -1;
	buf[0] = '\0';
	for (size_t i = 0; i < n && names[i]; i++) {
		int w = snprintf(buf + off, size - off, "%s%s", i ? sep : "", names[i]);

		if (w < 0 || (size_t)w >= size - off)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

int wl_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n >= errlen && errlen > 4)
		memcpy(err + errlen - 4, "...", 4);	/* cut short, and says so */
	return -1;
}
