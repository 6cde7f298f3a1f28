/* SPDX-License-Identifier: MIT */
/*
 * units.h - sizes and durations as people write them in scenario files and
 * on the command line: "512M", "2G", "1048576K", "50%" (of the guest's
 * memory); "500ms", "10s", "2m". A bare number is MiB for a size and
 * seconds for a duration. Pure: no I/O, no state. The number-and-unit
 * reading itself is workloads/parse.c's, shared with the workloads' options.
 */
#ifndef HR_UNITS_H
#define HR_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* A size as written: KiB, or a percentage of the guest's memory. */
struct hr_size {
	uint64_t kib;
	double percent;		/* > 0: kib is derived from it and memory= */
};

/*
 * Parse a size (units k/K/KiB, M/MiB, G/GiB, T/TiB, or %, case-insensitive,
 * blanks around the number allowed). Returns 0, or -1 if @s is not a whole
 * number of KiB, negative, above 10^15 KiB or a percentage outside (0, 100].
 */
int hr_parse_size(const char *s, struct hr_size *out);

/* Parse a duration (us, ms, s, m, h) into microseconds. Returns 0 or -1. */
int hr_parse_duration(const char *s, uint64_t *us);

/*
 * Write @kib (@us) as it would be written: in the largest unit it is a whole
 * number of (G, M, K; s, ms, us). Returns 0, or -1 if @size was too small
 * (HR_UNIT_TEXT always fits).
 */
#define HR_UNIT_TEXT	24	/* 20 digits, a unit, a NUL */
int hr_format_size(char *buf, size_t size, uint64_t kib);
int hr_format_duration(char *buf, size_t size, uint64_t us);

#endif /* HR_UNITS_H */
