/* SPDX-License-Identifier: MIT */
/*
 * policyproto.c - the external policy's lines (policyproto.h): the stats
 * written, the answer read by one strict reader.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "core/log.h"
#include "core/policyproto.h"

static const char *const verdict_names[HR_PP_NVERDICTS] = {
	[HR_PP_OK] = "ok", [HR_PP_MALFORMED] = "malformed", [HR_PP_RANGE] = "range",
	[HR_PP_LATE] = "late", [HR_PP_TOO_LONG] = "too_long", [HR_PP_TIMEOUT] = "timeout",
	[HR_PP_EXITED] = "exited",
};

const char *hr_pp_verdict_name(enum hr_pp_verdict v)
{
	return (unsigned)v < HR_PP_NVERDICTS ? verdict_names[v] : "?";
}

/* A figure: a number, or null where it is unknown (NaN), not finite or beyond
 * any figure (|v| > 1e300: written with 15 digits, DBL_MAX would round past itself). */
static json_t *num(double v)
{
	return isfinite(v) && fabs(v) <= 1e300 ? json_real(v) : json_null();
}

/* Set @key of @o to @v; the first failure sticks in *@bad. */
static void put(json_t *o, const char *key, json_t *v, int *bad)
{
	if (!v || json_object_set_new(o, key, v))
		*bad = 1;
}

static json_t *guest_json(const struct hr_pol_guest *g, int *bad)
{
	json_t *o = json_object(), *bs = json_object(), *psi = json_object(), *vm = json_object();

	if (!o || !bs || !psi || !vm) {
		json_decref(o), json_decref(bs), json_decref(psi), json_decref(vm);
		*bad = 1;
		return NULL;
	}
	put(o, "name", memchr(g->name, '\0', sizeof(g->name)) ? json_string(g->name) : NULL, bad);
	put(o, "nominal_mib", num(g->nominal_mib), bad);
	put(o, "floor_mib", num(g->floor_mib), bad);
	put(o, "target_mib", num(g->target_mib), bad);
	put(o, "actual_mib", num(g->actual_mib), bad);
	put(bs, "available_mib", num(g->bs.available_mib), bad);
	put(bs, "unused_mib", num(g->bs.unused_mib), bad);
	put(bs, "usable_mib", num(g->bs.usable_mib), bad);
	put(bs, "swap_in_mib", num(g->bs.swap_in_mib), bad);
	put(bs, "swap_out_mib", num(g->bs.swap_out_mib), bad);
	put(bs, "major_faults", num(g->bs.major_faults), bad);
	put(o, "balloon", bs, bad);
	put(psi, "some_avg10", num(g->psi.some_avg10), bad);
	put(psi, "full_avg10", num(g->psi.full_avg10), bad);
	put(psi, "some_total_us", num(g->psi.some_total_us), bad);
	put(psi, "full_total_us", num(g->psi.full_total_us), bad);
	put(o, "psi", psi, bad);
	put(vm, "pswpin", num(g->vm.pswpin), bad);
	put(vm, "pswpout", num(g->vm.pswpout), bad);
	put(vm, "pgmajfault", num(g->vm.pgmajfault), bad);
	put(vm, "oom_kill", num(g->vm.oom_kill), bad);
	put(o, "vmstat", vm, bad);
	return o;
}

/* Dump @root compactly into @buf with a newline; its length or -ENOSPC, -ENOMEM. */
static int dump_line(json_t *root, char *buf, size_t size)
{
	char *text = json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(15));
	size_t len;

	if (!text)
		return -ENOMEM;
	len = strlen(text);
	if (len + 2 > size || len + 1 > (size_t)INT32_MAX) {
		free(text);
		return -ENOSPC;
	}
	memcpy(buf, text, len);
	buf[len] = '\n';
	buf[len + 1] = '\0';
	free(text);
	return (int)len + 1;
}

int hr_pp_encode_stats(const struct hr_pol_in *in, char *buf, size_t size)
{
	json_t *root, *host, *ev, *guests;
	int bad = 0, rc;

	if (in->n < 0 || in->n > HR_POL_MAX_GUESTS)
		return -EINVAL;
	root = json_object(), host = json_object(), ev = json_object(), guests = json_array();
	if (!root || !host || !ev || !guests) {
		json_decref(root), json_decref(host), json_decref(ev), json_decref(guests);
		return -ENOMEM;
	}
	put(root, "v", json_integer(HR_PP_VERSION), &bad);
	put(root, "t", num(in->t_s), &bad);
	put(root, "period", in->period <= INT64_MAX ? json_integer((json_int_t)in->period) : NULL, &bad);
	put(host, "limit_mib", num(in->host.limit_mib), &bad);
	put(host, "usage_mib", num(in->host.usage_mib), &bad);
	put(host, "swap_mib", num(in->host.swap_mib), &bad);
	put(host, "swap_in_mib", num(in->host.swap_in_mib), &bad);
	put(host, "swap_out_mib", num(in->host.swap_out_mib), &bad);
	put(host, "swapfile_mib", num(in->host.swapfile_mib), &bad);
	put(host, "swapfile_used_mib", num(in->host.swapfile_used_mib), &bad);
	put(ev, "high", num(in->host.ev_high), &bad);
	put(ev, "max", num(in->host.ev_max), &bad);
	put(ev, "oom", num(in->host.ev_oom), &bad);
	put(ev, "oom_kill", num(in->host.ev_oom_kill), &bad);
	put(host, "events", ev, &bad);
	put(root, "host", host, &bad);
	for (int i = 0; i < in->n && !bad; i++) {
		json_t *g = guest_json(&in->g[i], &bad);

		if (!g || json_array_append_new(guests, g))
			bad = 1;
	}
	put(root, "guests", guests, &bad);
	rc = bad ? -EINVAL : dump_line(root, buf, size);
	json_decref(root);
	return rc;
}

int hr_pp_encode_answer(const struct hr_pp_answer *a, const struct hr_pol_in *in, char *buf, size_t size)
{
	json_t *root = json_object(), *ts = json_array();
	int bad = 0, rc;

	if (!root || !ts) {
		json_decref(root), json_decref(ts);
		return -ENOMEM;
	}
	put(root, "v", json_integer(HR_PP_VERSION), &bad);
	put(root, "period", a->period <= INT64_MAX ? json_integer((json_int_t)a->period) : NULL, &bad);
	for (int i = 0; i < a->n && i < in->n && !bad; i++) {
		json_t *t;

		if (!a->given[i])
			continue;
		t = json_object();
		if (!t) {
			bad = 1;
			break;
		}
		put(t, "name", json_string(in->g[i].name), &bad);
		put(t, "target_mib", num(a->target_mib[i]), &bad);
		if (json_array_append_new(ts, t))
			bad = 1;
	}
	put(root, "targets", ts, &bad);
	rc = bad ? -EINVAL : dump_line(root, buf, size);
	json_decref(root);
	return rc;
}

/* The program's text @s, at most 40 bytes, printable ASCII only, for a reason. */
static const char *quote(char *dst, size_t size, const char *s, size_t len)
{
	size_t k = 0, max = size < 48 ? size - 4 : 40;

	for (size_t i = 0; i < len && k < max; i++)
		dst[k++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	if (len > max)
		dst[k++] = '.', dst[k++] = '.', dst[k++] = '.';
	dst[k] = '\0';
	return dst;
}

/* Exactly the keys @keys (NULL-ended) in @o; else the first other one in @extra. */
static int only_keys(json_t *o, const char *const *keys, const char **extra)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v) {
		int known = 0;

		for (int i = 0; keys[i]; i++)
			known |= !strcmp(k, keys[i]);
		if (!known) {
			*extra = k;
			return -1;
		}
	}
	return 0;
}

#define REFUSE(kind, ...) do { hr_fmt(why, whysize, __VA_ARGS__); rc = (kind); goto out; } while (0)

enum hr_pp_verdict hr_pp_decode_answer(const char *line, size_t len, const struct hr_pol_in *in,
				       struct hr_pp_answer *a, char *why, size_t whysize)
{
	static const char *const top_keys[] = { "v", "period", "targets", NULL };
	static const char *const t_keys[] = { "name", "target_mib", NULL };
	enum hr_pp_verdict rc = HR_PP_OK;
	json_error_t jerr;
	json_t *root = NULL, *v, *period, *targets, *t;
	const char *extra;
	char q[48];
	size_t i;

	if (len > HR_PP_LINE_MAX) {
		hr_fmt(why, whysize, "answer of %zu bytes is longer than %d", len, HR_PP_LINE_MAX);
		return HR_PP_TOO_LONG;
	}
	if (in->n < 0 || in->n > HR_POL_MAX_GUESTS) {
		hr_fmt(why, whysize, "no stats asked (%d guests)", in->n);
		return HR_PP_MALFORMED;
	}
	memset(a, 0, sizeof(*a));
	a->n = in->n;
	if (!len)
		REFUSE(HR_PP_MALFORMED, "an empty answer: expected one JSON object");
	root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		REFUSE(HR_PP_MALFORMED, "not JSON at column %d: %s", jerr.column,
		       quote(q, sizeof(q), jerr.text, strlen(jerr.text)));
	if (!json_is_object(root))
		REFUSE(HR_PP_MALFORMED, "expected one JSON object {\"v\":1,\"period\":N,\"targets\":[...]}");
	if (only_keys(root, top_keys, &extra))
		REFUSE(HR_PP_MALFORMED, "unknown field \"%s\": expected v, period and targets",
		       quote(q, sizeof(q), extra, strlen(extra)));
	v = json_object_get(root, "v");
	period = json_object_get(root, "period");
	targets = json_object_get(root, "targets");
	if (!v || !period || !targets)
		REFUSE(HR_PP_MALFORMED, "field \"%s\" missing", !v ? "v" : !period ? "period" : "targets");
	if (!json_is_integer(v) || json_integer_value(v) != HR_PP_VERSION)
		REFUSE(HR_PP_MALFORMED, "\"v\" must be the integer %d", HR_PP_VERSION);
	if (!json_is_integer(period) || json_integer_value(period) < 0)
		REFUSE(HR_PP_MALFORMED, "\"period\" must be a whole number, the period asked (%llu)",
		       (unsigned long long)in->period);
	a->period = (uint64_t)json_integer_value(period);
	if (a->period < in->period)
		REFUSE(HR_PP_LATE, "late: an answer for period %llu, period %llu asked",
		       (unsigned long long)a->period, (unsigned long long)in->period);
	if (a->period > in->period)
		REFUSE(HR_PP_MALFORMED, "an answer for period %llu, not asked yet (period %llu asked)",
		       (unsigned long long)a->period, (unsigned long long)in->period);
	if (!json_is_array(targets))
		REFUSE(HR_PP_MALFORMED, "\"targets\" must be an array");
	if (json_array_size(targets) > (size_t)in->n)
		REFUSE(HR_PP_RANGE, "%zu targets for %d guests", json_array_size(targets), in->n);
	json_array_foreach(targets, i, t) {
		json_t *name = json_object_get(t, "name"), *mib = json_object_get(t, "target_mib");
		const char *s;
		double x;
		int g;

		if (!json_is_object(t))
			REFUSE(HR_PP_MALFORMED, "targets[%zu] is not an object {\"name\":..,\"target_mib\":..}", i);
		if (only_keys(t, t_keys, &extra))
			REFUSE(HR_PP_MALFORMED, "targets[%zu]: unknown field \"%s\": expected name and target_mib",
			       i, quote(q, sizeof(q), extra, strlen(extra)));
		if (!json_is_string(name))
			REFUSE(HR_PP_MALFORMED, "targets[%zu]: \"name\" must be a string", i);
		if (!json_is_number(mib))
			REFUSE(HR_PP_MALFORMED, "targets[%zu]: \"target_mib\" must be a number", i);
		s = json_string_value(name);
		for (g = 0; g < in->n; g++)
			if (strlen(in->g[g].name) == json_string_length(name) && !strcmp(in->g[g].name, s))
				break;
		if (g == in->n)
			REFUSE(HR_PP_RANGE, "targets[%zu]: unknown guest \"%s\"", i,
			       quote(q, sizeof(q), s, json_string_length(name)));
		if (a->given[g])
			REFUSE(HR_PP_RANGE, "targets[%zu]: guest \"%s\" given twice", i, in->g[g].name);
		x = json_number_value(mib);
		if (!isfinite(x))
			REFUSE(HR_PP_RANGE, "targets[%zu]: target_mib of %s is not a finite number", i, in->g[g].name);
		if (!isfinite(in->g[g].floor_mib) || !isfinite(in->g[g].nominal_mib))
			REFUSE(HR_PP_RANGE, "targets[%zu]: guest %s has no known range", i, in->g[g].name);
		if (x < in->g[g].floor_mib)
			REFUSE(HR_PP_RANGE, "targets[%zu]: target_mib %.17g of %s is below its floor %g", i, x,
			       in->g[g].name, in->g[g].floor_mib);
		if (x > in->g[g].nominal_mib)
			REFUSE(HR_PP_RANGE, "targets[%zu]: target_mib %.17g of %s is above its nominal %g", i, x,
			       in->g[g].name, in->g[g].nominal_mib);
		a->given[g] = 1;
		a->target_mib[g] = x;
	}
out:
	json_decref(root);
	return rc;
}
