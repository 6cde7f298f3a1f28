/* policyproto.c - the external policy's lines (core/policyproto.c): stats encoded, answers decoded, every refusal. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/policyproto.h"
#include "tap.h"

#define CASES "tests/data/policyproto-answers.txt"

static struct hr_pol_in in;
static struct hr_pp_answer a;
static char why[200];

/* Three guests g0..g2, nominal 1024, floor 128 (g2's unknown), period 5. */
static void stats(void)
{
	hr_pol_in_clear(&in);
	in.n = 3;
	in.period = 5;
	in.t_s = 12.5;
	in.host.limit_mib = 2048, in.host.usage_mib = 1900;
	for (int i = 0; i < 3; i++) {
		snprintf(in.g[i].name, sizeof(in.g[i].name), "g%d", i);
		in.g[i].nominal_mib = 1024;
		in.g[i].floor_mib = i == 2 ? NAN : 128;
		in.g[i].target_mib = in.g[i].actual_mib = 1000;
		in.g[i].bs.unused_mib = 300;
		in.g[i].psi.some_avg10 = 0.5;
	}
}

static enum hr_pp_verdict dec(const char *s)
{
	return hr_pp_decode_answer(s, strlen(s), &in, &a, why, sizeof(why));
}

static void test_encode(void)
{
	static char buf[HR_PP_STATS_MAX];
	json_t *j, *g;
	json_error_t jerr;
	int n;

	stats();
	n = hr_pp_encode_stats(&in, buf, sizeof(buf));
	ok(n > 0 && buf[n - 1] == '\n' && strchr(buf, '\n') == buf + n - 1 && (size_t)n == strlen(buf),
	   "stats: one line, newline-ended (%d bytes)", n);
	j = json_loads(buf, 0, &jerr);
	g = j ? json_array_get(json_object_get(j, "guests"), 1) : NULL;
	ok(j && json_integer_value(json_object_get(j, "v")) == 1 &&
	   json_integer_value(json_object_get(j, "period")) == 5 &&
	   json_real_value(json_object_get(j, "t")) == 12.5 &&
	   json_array_size(json_object_get(j, "guests")) == 3, "stats: v 1, t, period 5, three guests");
	ok(g && !strcmp(json_string_value(json_object_get(g, "name")), "g1") &&
	   json_number_value(json_object_get(g, "nominal_mib")) == 1024 &&
	   json_number_value(json_object_get(json_object_get(g, "balloon"), "unused_mib")) == 300 &&
	   json_number_value(json_object_get(json_object_get(g, "psi"), "some_avg10")) == 0.5 &&
	   json_is_null(json_object_get(json_object_get(g, "psi"), "some_total_us")),
	   "stats: a guest's figures, an unknown one null");
	ok(j && json_number_value(json_object_get(json_object_get(j, "host"), "limit_mib")) == 2048 &&
	   json_is_null(json_object_get(json_object_get(json_object_get(j, "host"), "events"), "oom_kill")),
	   "stats: the host budget's state");
	{
		static const char *const keys[] = { "swap_in_mib", "swap_out_mib", "swapfile_mib",
						    "swapfile_used_mib" };
		json_t *h = json_object_get(j, "host");
		int null = 1;

		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			null &= json_is_null(json_object_get(h, keys[k]));
		ok(null, "stats: the host's swap-in/out and host-swap file, unknown: null (present)");
		json_decref(j);
		in.host.swap_in_mib = 12.5, in.host.swap_out_mib = 40.25;
		in.host.swapfile_mib = 256, in.host.swapfile_used_mib = 0;
		n = hr_pp_encode_stats(&in, buf, sizeof(buf));
		j = n > 0 ? json_loads(buf, 0, &jerr) : NULL;
		h = json_object_get(j, "host");
		ok(json_number_value(json_object_get(h, "swap_in_mib")) == 12.5 &&
		   json_number_value(json_object_get(h, "swap_out_mib")) == 40.25 &&
		   json_number_value(json_object_get(h, "swapfile_mib")) == 256 &&
		   json_is_number(json_object_get(h, "swapfile_used_mib")) &&
		   json_number_value(json_object_get(h, "swapfile_used_mib")) == 0 &&
		   json_object_size(h) == 8, "stats: host.swap_in_mib, swap_out_mib, swapfile_mib, swapfile_used_mib "
		   "(0 a number, not null), 8 host fields");
	}
	json_decref(j);
	/* the fuzzer's first find: -DBL_MAX written with 10 digits rounded past it and read back as an overflow */
	in.host.swap_mib = -DBL_MAX, in.g[0].bs.major_faults = DBL_MAX, in.g[1].bs.usable_mib = 4.9e-324;
	in.g[2].bs.available_mib = -1e300;
	n = hr_pp_encode_stats(&in, buf, sizeof(buf));
	j = n > 0 ? json_loads(buf, 0, &jerr) : NULL;
	g = j ? json_array_get(json_object_get(j, "guests"), 2) : NULL;
	ok(j && json_is_null(json_object_get(json_object_get(j, "host"), "swap_mib")) &&
	   json_real_value(json_object_get(json_object_get(g, "balloon"), "available_mib")) == -1e300,
	   "stats: beyond 1e300 is null, 1e300 itself reads back (%s)", j ? "read" : jerr.text);
	json_decref(j);
	ok(hr_pp_encode_stats(&in, buf, 20) == -ENOSPC, "stats: a buffer too small is -ENOSPC");
	in.g[0].name[0] = (char)0xff;
	ok(hr_pp_encode_stats(&in, buf, sizeof(buf)) == -EINVAL, "stats: a name that is not UTF-8 is -EINVAL");
	in.n = HR_POL_MAX_GUESTS + 1;
	ok(hr_pp_encode_stats(&in, buf, sizeof(buf)) == -EINVAL, "stats: too many guests is -EINVAL");
	/* the largest: every guest, 63-byte names, every figure 17 digits */
	hr_pol_in_clear(&in);
	in.n = HR_POL_MAX_GUESTS;
	in.period = UINT64_MAX >> 1;
	for (int i = 0; i < in.n; i++) {
		double *f = &in.g[i].nominal_mib;

		memset(in.g[i].name, 'x', HR_POL_NAME - 1);
		in.g[i].name[HR_POL_NAME - 1] = '\0';
		for (size_t k = 0; k < 4; k++)
			f[k] = -1.2345678901234567e-300;
		in.g[i].bs.unused_mib = in.g[i].psi.full_total_us = in.g[i].vm.oom_kill = -1.2345678901234567e300;
	}
	in.host.limit_mib = in.host.usage_mib = in.host.swap_mib = -1.2345678901234567e300;
	in.host.ev_high = in.host.ev_max = in.host.ev_oom = in.host.ev_oom_kill = -1.2345678901234567e300;
	in.host.swap_in_mib = in.host.swap_out_mib = -1.2345678901234567e300;
	in.host.swapfile_mib = in.host.swapfile_used_mib = -1.2345678901234567e300;
	n = hr_pp_encode_stats(&in, buf, sizeof(buf));
	ok(n > 0, "stats: 64 guests with long names and figures fit HR_PP_STATS_MAX (%d of %d bytes)", n,
	   HR_PP_STATS_MAX);
}

static void test_answers(void)
{
	char line[300], buf[512];
	int n;

	stats();
	ok(dec("{\"v\":1,\"period\":5,\"targets\":[{\"name\":\"g1\",\"target_mib\":700.5}]}") == HR_PP_OK &&
	   a.n == 3 && !a.given[0] && a.given[1] && a.target_mib[1] == 700.5 && !a.given[2] && a.period == 5,
	   "a good answer: g1's target, the others untouched");
	ok(dec("{\"v\":1,\"period\":5,\"targets\":[{\"name\":\"g0\",\"target_mib\":128},"
	       "{\"name\":\"g1\",\"target_mib\":1024}]}") == HR_PP_OK && a.target_mib[0] == 128 &&
	   a.target_mib[1] == 1024, "the floor and nominal themselves are in range");
	ok(dec("{\"v\":1,\"period\":4,\"targets\":[]}") == HR_PP_LATE && strstr(why, "late") &&
	   strstr(why, "period 4") && strstr(why, "5 asked"), "a late answer: %s", why);
	ok(dec("{\"v\":1,\"period\":5,\"targets\":[{\"name\":\"g0\",\"target_mib\":127}]}") == HR_PP_RANGE &&
	   strstr(why, "below its floor 128"), "below the floor: %s", why);
	ok(dec("{\"v\":1,\"period\":5,\"targets\":[{\"name\":\"g0\",\"target_mib\":1025}]}") == HR_PP_RANGE &&
	   strstr(why, "above its nominal 1024"), "above nominal: %s", why);
	ok(dec("{\"v\":1,\"period\":5,\"targets\":[{\"name\":\"nope\",\"target_mib\":900}]}") == HR_PP_RANGE &&
	   strstr(why, "unknown guest \"nope\""), "an unknown guest: %s", why);
	ok(dec("{\"v\":1,\"period\":5,\"targets\":[{\"name\":\"g0\",\"target_mib\":900},"
	       "{\"name\":\"g0\",\"target_mib\":900}]}") == HR_PP_RANGE && strstr(why, "twice"), "a guest twice: %s", why);
	ok(dec("{\"v\":1,\"period\":5,\"targets\":[],\"x\":1}") == HR_PP_MALFORMED && strstr(why, "unknown field \"x\""),
	   "an extra field: %s", why);
	ok(dec("{\"v\":1,\"period\":5,\"period\":5,\"targets\":[]}") == HR_PP_MALFORMED && strstr(why, "duplicate"),
	   "a key twice: %s", why);
	ok(dec("{\"v\":1,\"period\":5,\"targets\":[{\"name\":\"g0\",\"target_mib\":NaN}]}") == HR_PP_MALFORMED &&
	   strstr(why, "not JSON"), "NaN is not JSON: %s", why);
	ok(dec("{\"v\":1,\"period\":5,\"targets\":[{\"name\":\"g0\",\"target_mib\":1e999}]}") == HR_PP_MALFORMED,
	   "1e999 overflows: %s", why);
	ok(dec("{\"v\":1,\"period\":5,\"targets\":[{\"name\":\"\\u001b[2J\\nboom\",\"target_mib\":900}]}") ==
	   HR_PP_RANGE && !strchr(why, '\n') && !strchr(why, 0x1b), "the program's text is quoted safe: %s", why);
	/* atomic: one bad target refuses the whole answer */
	ok(dec("{\"v\":1,\"period\":5,\"targets\":[{\"name\":\"g0\",\"target_mib\":900},"
	       "{\"name\":\"g1\",\"target_mib\":5}]}") == HR_PP_RANGE, "one bad target refuses the whole answer");
	ok(hr_pp_decode_answer("{\"v\":1}\0{", 9, &in, &a, why, sizeof(why)) == HR_PP_MALFORMED,
	   "a NUL byte in the line: %s", why);
	ok(dec("") == HR_PP_MALFORMED && strstr(why, "empty"), "an empty line: %s", why);
	/* the length cap: a valid answer padded to the cap is read, one byte more is not */
	{
		static char big[HR_PP_LINE_MAX + 2];
		const char *s = "{\"v\":1,\"period\":5,\"targets\":[]}";

		memset(big, ' ', sizeof(big));
		memcpy(big, s, strlen(s));
		ok(hr_pp_decode_answer(big, HR_PP_LINE_MAX, &in, &a, why, sizeof(why)) == HR_PP_OK,
		   "an answer of exactly %d bytes is read", HR_PP_LINE_MAX);
		ok(hr_pp_decode_answer(big, HR_PP_LINE_MAX + 1, &in, &a, why, sizeof(why)) == HR_PP_TOO_LONG &&
		   strstr(why, "longer than 65536"), "one byte more: %s", why);
	}
	/* encode an answer, decode it: the same targets */
	memset(&a, 0, sizeof(a));
	a.n = 3, a.period = 5, a.given[0] = a.given[1] = 1, a.target_mib[0] = 333.25, a.target_mib[1] = 1024;
	n = hr_pp_encode_answer(&a, &in, buf, sizeof(buf));
	snprintf(line, sizeof(line), "%.*s", n > 0 ? n - 1 : 0, buf);
	memset(&a, 0, sizeof(a));
	ok(n > 0 && dec(line) == HR_PP_OK && a.given[0] && a.given[1] && !a.given[2] &&
	   a.target_mib[0] == 333.25 && a.target_mib[1] == 1024, "an encoded answer decodes to itself: %s", line);
	in.n = -1;
	ok(dec("{}") == HR_PP_MALFORMED, "no stats asked: refused (%s)", why);
	for (int v = 0; v <= HR_PP_NVERDICTS; v++)
		if (!hr_pp_verdict_name(v) || !*hr_pp_verdict_name(v))
			break;
		else if (v == HR_PP_NVERDICTS)
			ok(!strcmp(hr_pp_verdict_name(HR_PP_LATE), "late") && !strcmp(hr_pp_verdict_name(v), "?"),
			   "every verdict has a name");
}

/* The corpus: each line's verdict as the file says. */
static void test_corpus(void)
{
	FILE *f = fopen(CASES, "r");
	char line[1024];
	int n = 0, bad = 0, kinds[HR_PP_NVERDICTS] = { 0 };

	if (!f) {
		ok(0, "open %s", CASES);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		char *tab = strchr(line, '\t'), *nl = strchr(line, '\n');
		enum hr_pp_verdict want = HR_PP_NVERDICTS, got;

		if (line[0] == '#' || !tab)
			continue;
		*tab = '\0';
		if (nl)
			*nl = '\0';
		for (int v = 0; v < HR_PP_NVERDICTS; v++)
			if (!strcmp(line, hr_pp_verdict_name(v)))
				want = v;
		stats();
		got = dec(tab + 1);
		n++;
		kinds[want < HR_PP_NVERDICTS ? want : 0]++;
		if (got != want || (got != HR_PP_OK && (!why[0] || strchr(why, '\n')))) {
			bad++;
			diag("%s: got %s (%s)", tab + 1, hr_pp_verdict_name(got), why);
		}
	}
	fclose(f);
	ok(!bad && n > 40 && kinds[HR_PP_OK] && kinds[HR_PP_MALFORMED] && kinds[HR_PP_RANGE] && kinds[HR_PP_LATE],
	   "%s: %d answers (%d ok, %d malformed, %d range, %d late), each as expected with a one-line reason",
	   CASES, n, kinds[HR_PP_OK], kinds[HR_PP_MALFORMED], kinds[HR_PP_RANGE], kinds[HR_PP_LATE]);
}

int main(void)
{
	plan(32);
	test_encode();
	test_answers();
	test_corpus();
	return done_testing();
}
