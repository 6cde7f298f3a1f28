// SPDX-License-Identifier: MIT
/* parse: option parsing's shared pieces (workloads/parse.c: units, integers, choices, lists, errors) and units.c's formatting. */
#include <stdint.h>
#include <string.h>

#include "core/units.h"
#include "tap.h"
#include "workloads/parse.h"

static const struct wl_unit units[] = { { "", 1 }, { "k", 1024 }, { "ms", 1e-3 } };
#define NU	(sizeof(units) / sizeof(units[0]))

static void test_scaled(void)
{
	double v = 0;

	is_int(wl_parse_scaled("12", units, NU, 0, &v), 0, "a bare number: the unit \"\"");
	is_double(v, 12, 0, "... its number");
	is_int(wl_parse_scaled("1.5K", units, NU, 0, &v), 1, "a unit, case-insensitive");
	is_double(v, 1.5, 0, "... the number as written, not multiplied");
	is_int(wl_parse_scaled("2ms", units, NU, 0, &v), 2, "a two-letter unit");
	is_int(wl_parse_scaled("2 k", units, NU, 0, &v), -1, "a blank before the unit: refused without BLANKS");
	is_int(wl_parse_scaled(" 2 k ", units, NU, WL_PARSE_BLANKS, &v), 1, "... accepted with it");
	is_int(wl_parse_scaled(".5", units, NU, 0, &v), -1, "a leading '.': refused without BLANKS");
	is_int(wl_parse_scaled(".5", units, NU, WL_PARSE_BLANKS, &v), 0, "... accepted with it");
	is_int(wl_parse_scaled("-1", units, NU, WL_PARSE_BLANKS, &v), -1, "negative: refused");
	is_int(wl_parse_scaled("1x", units, NU, 0, &v), -1, "an unknown unit: refused");
	is_int(wl_parse_scaled("", units, NU, WL_PARSE_BLANKS, &v), -1, "nothing: refused");
	is_int(wl_parse_scaled("1e999", units, NU, 0, &v), -1, "out of double range: refused");
}

static void test_int_choice(void)
{
	static const char *const names[] = { "seq", "random", NULL };
	int64_t x = 0;

	is_int(wl_parse_int("42", 0, 100, &x), 0, "an integer in range");
	is_int(x, 42, "... its value");
	is_int(wl_parse_int("101", 0, 100, &x), -1, "above the range");
	is_int(wl_parse_int("-1", 0, 100, &x), -1, "below the range");
	is_int(wl_parse_int("4 ", 0, 100, &x), -1, "anything after it");
	is_int(wl_parse_int("", 0, 100, &x), -1, "nothing");
	is_int(wl_parse_int("99999999999999999999", INT64_MIN, INT64_MAX, &x), -1, "overflow");
	is_int(wl_parse_choice(names, "RANDOM"), 1, "a choice, case-insensitive");
	is_int(wl_parse_choice(names, "rand"), -1, "not a prefix");
}

static void test_join_err(void)
{
	static const char *const names[] = { "auto", "kvm", "tcg", NULL };
	char buf[32], err[16];

	is_int(wl_join(buf, sizeof(buf), names, SIZE_MAX, ", "), 0, "join: a NULL-terminated list fits");
	is_str(buf, "auto, kvm, tcg", "... joined by the separator");
	is_int(wl_join(buf, sizeof(buf), names, 2, " | "), 0, "join: the first 2");
	is_str(buf, "auto | kvm", "... only those");
	is_int(wl_join(buf, 8, names, SIZE_MAX, ", "), -1, "join: does not fit: -1");
	is_str(buf, "auto, k", "... a prefix, terminated");
	is_int(wl_err(err, sizeof(err), "%s", "short"), -1, "wl_err returns -1");
	is_str(err, "short", "... with the message");
	(void)wl_err(err, sizeof(err), "%s", "a message too long for it");
	is_str(err, "a message to...", "a message cut short ends in ...");
}

static void test_format(void)
{
	char b[HR_UNIT_TEXT];

	ok(!hr_format_size(b, sizeof(b), 2 * 1024 * 1024) && !strcmp(b, "2G"), "2 GiB: 2G");
	ok(!hr_format_size(b, sizeof(b), 1536) && !strcmp(b, "1536K"), "1.5 MiB: 1536K");
	ok(!hr_format_size(b, sizeof(b), UINT64_MAX), "the largest size fits HR_UNIT_TEXT");
	ok(!hr_format_duration(b, sizeof(b), 1500) && !strcmp(b, "1500us"), "1.5 ms: 1500us");
	ok(!hr_format_duration(b, sizeof(b), 2000000) && !strcmp(b, "2s"), "2 s: 2s");
	ok(!hr_format_duration(b, sizeof(b), UINT64_MAX - 1), "the longest duration fits");
	is_int(hr_format_size(b, 3, 1024 * 1024), 0, "\"1G\" in 3 bytes: fits");
	is_int(hr_format_size(b, 3, 10 * 1024 * 1024), -1, "\"10G\" in 3 bytes: -1");
}

int main(void)
{
	test_scaled();
	test_int_choice();
	test_join_err();
	test_format();
	return done_testing();
}
