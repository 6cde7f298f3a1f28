/* SPDX-License-Identifier: MIT */
/*
 * parse.h - the pieces of option parsing that the scenario's options (host:
 * host-runner/core/options.c, units.c) and the workloads' options
 * (registry.c: host and guest) share: a number with a unit from a table, a
 * decimal integer in a range, a choice from a list, a list joined for a
 * message, and the error-buffer idiom.
 *
 * The two option tables stay two (see registry.c): their values are stored
 * in other units (KiB and us against bytes and ns), read bare numbers
 * differently (MiB and seconds against bytes and seconds) and say their
 * errors in their own words, which scenario files and tests rely on. What
 * they do alike is here, once. It lives in workloads/ because the static
 * guest agent is built from guest-agent/, common/proto.c and workloads/ only.
 * Pure: no I/O, no state.
 */
#ifndef WL_PARSE_H
#define WL_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* A unit: its suffix as written ("" for a bare number) and what it multiplies by. */
struct wl_unit {
	const char *sfx;
	double mul;
};

/* wl_parse_scaled flags */
#define WL_PARSE_BLANKS	1u	/* blanks around the number and the unit; a leading '.' */

/*
 * Parse NUMBER UNIT, NUMBER a plain decimal ("512", "1.5"; no sign, exponent or hex) starting with a
 * digit (with WL_PARSE_BLANKS also a '.'), UNIT one of @units' suffixes,
 * compared case-insensitively. Returns the index of the unit in @units with
 * the number as written (not multiplied) in *@num, or -1.
 */
int wl_parse_scaled(const char *s, const struct wl_unit *units, size_t nunits, unsigned flags,
		    double *num);

/* A whole decimal integer (strtoll, base 10, nothing after it) in [@min, @max]: 0, or -1. */
int wl_parse_int(const char *s, int64_t min, int64_t max, int64_t *out);

/* The index of @s in the NULL-terminated @choices (case-insensitive), or -1. */
int wl_parse_choice(const char *const *choices, const char *s);

/*
 * @n strings (all of a NULL-terminated list if @n is SIZE_MAX) joined by
 * @sep into @buf. Returns 0, or -1 if they did not fit (@buf then holds what
 * did, NUL-terminated).
 */
int wl_join(char *buf, size_t size, const char *const *names, size_t n, const char *sep);

/*
 * Format a one-line reason into @err (as snprintf; one cut short ends in
 * "..."). Returns -1, for `return wl_err(...)`.
 */
int wl_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif /* WL_PARSE_H */
