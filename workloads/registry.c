// SPDX-License-Identifier: MIT
/*
 * registry.c - the workloads and their options: the registry, the option
 * table and the spec parser (host and guest). What the workloads share at
 * run time is in core.c.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parse.h"
#include "workload.h"

extern const struct wl_desc wl_demand, wl_grow, wl_hold, wl_integrity, wl_kv, wl_pagecache, wl_spin,
	wl_touch;

/* Sorted by name: the whole set in one place. */
const struct wl_desc *const wl_registry[] = {
	&wl_demand, &wl_grow, &wl_hold, &wl_integrity, &wl_kv, &wl_pagecache, &wl_spin, &wl_touch,
};
const size_t wl_nregistry = sizeof(wl_registry) / sizeof(wl_registry[0]);

const char *const wl_kind_names[WL_NKINDS] = { "access", "request" };
const char *const wl_phase_names[WL_NPHASES] = { "steady", "inflating", "deflating" };
const char *const wl_bad_kind_names[WL_NBAD_KINDS] = { "", "zero", "stale", "corrupt" };

static const char *const pattern_names[] = { "seq", "random", NULL };
_Static_assert(sizeof(pattern_names) / sizeof(pattern_names[0]) == WL_NPATTERNS + 1,
	       "pattern_names must cover enum wl_pattern");
static const char *const shape_names[] = { "steady", "diurnal", "bursty", "hog", "points", NULL };
_Static_assert(sizeof(shape_names) / sizeof(shape_names[0]) == WL_NSHAPES + 1,
	       "shape_names must cover enum wl_shape");

#define O(id, n, t, f, ...) [id] = { .name = n, .type = t, .off = offsetof(struct wl_opts, f), __VA_ARGS__ }
#define MIB		(1024LL * 1024)
#define SEC		1000000000LL

const struct wl_option wl_options[WL_NOPTS] = {
	O(WL_O_SIZE, "size", WL_T_SIZE, size, .min = 4096, .max = 1024 * 1024 * MIB, .def = "128M",
	  .unit = 1, .help = "memory the workload uses (touch/hold/kv/integrity: working set; grow: at most; pagecache: file set; demand: its peak)"),
	O(WL_O_RATE, "rate", WL_T_UINT, rate, .min = 0, .max = 100000000, .def = "0",
	  .help = "per second: pages (touch/hold/integrity/demand), requests (kv), MiB (grow), reads (pagecache); 0 = flat out"),
	O(WL_O_DURATION, "duration", WL_T_DUR, duration_ns, .min = 0, .max = 86400 * SEC, .def = "0",
	  .help = "stop after this long (0: until the job ends)"),
	O(WL_O_SLOW, "slow", WL_T_DUR, slow_ns, .min = 100, .max = SEC, .def = "2us",
	  .help = "an access at least this slow counts as a fault in the time series"),
	O(WL_O_PASSES, "passes", WL_T_UINT, passes, .min = 0, .max = 1000000, .def = "0",
	  .help = "touch: map, touch and unmap this many times; integrity: verification passes (0: until stopped)"),
	O(WL_O_VALUE_SIZE, "value-size", WL_T_SIZE, value_size, .min = 8, .max = MIB, .def = "1K",
	  .help = "kv: bytes per value"),
	O(WL_O_BLOCK, "block", WL_T_SIZE, block, .min = 512, .max = 16 * MIB, .def = "64K",
	  .help = "pagecache: bytes per read"),
	O(WL_O_THREADS, "threads", WL_T_INT, threads, .min = 1, .max = WL_MAX_THREADS, .def = "1",
	  .help = "threads, each on its share of the memory"),
	O(WL_O_NODE, "node", WL_T_INT, node, .min = -1, .max = 63, .def = "-1",
	  .help = "guest NUMA node to bind CPU and memory to (-1: none)"),
	O(WL_O_PATTERN, "pattern", WL_T_ENUM, pattern, .def = "seq", .choices = pattern_names,
	  .help = "access order: seq or random"),
	O(WL_O_THP, "thp", WL_T_BOOL, thp, .min = 0, .max = 1, .def = "0",
	  .help = "ask for transparent huge pages (madvise MADV_HUGEPAGE)"),
	O(WL_O_READ_PCT, "read-pct", WL_T_INT, read_pct, .min = 0, .max = 100, .def = "90",
	  .help = "kv: percentage of requests that are gets"),
	O(WL_O_QD, "qd", WL_T_INT, qd, .min = 1, .max = 256, .def = "4",
	  .help = "pagecache: io_uring queue depth"),
	O(WL_O_SHAPE, "shape", WL_T_ENUM, shape, .def = "steady", .choices = shape_names,
	  .help = "demand: the working set over time: steady, diurnal, bursty, hog or points"),
	O(WL_O_LOW, "low", WL_T_SIZE, low, .min = 0, .max = 1024 * 1024 * MIB, .def = "32M", .unit = 1,
	  .help = "demand: the small working set (diurnal, bursty, hog), at most size"),
	O(WL_O_PERIOD, "period", WL_T_DUR, period_ns, .min = SEC / 10, .max = 86400 * SEC, .def = "60s",
	  .help = "demand: one cycle of diurnal, bursty or hog"),
	O(WL_O_DUTY, "duty", WL_T_INT, duty, .min = 1, .max = 100, .def = "25",
	  .help = "demand: percent of each period at size (bursty, hog)"),
	O(WL_O_PHASE, "phase", WL_T_DUR, phase_ns, .min = 0, .max = 86400 * SEC, .def = "0",
	  .help = "demand: where in the trace it starts"),
	O(WL_O_STAGGER, "stagger", WL_T_DUR, stagger_ns, .min = 0, .max = 86400 * SEC, .def = "0",
	  .help = "demand: guest k of the job runs k * stagger behind guest 0"),
	O(WL_O_POINTS, "points", WL_T_POINTS, npoints, .def = "",
	  .help = "demand, shape=points: TIME:SIZE/TIME:SIZE/..., linear between points"),
};

const struct wl_desc *wl_find(const char *name)
{
	for (size_t i = 0; i < wl_nregistry; i++)
		if (!strcmp(wl_registry[i]->name, name))
			return wl_registry[i];
	return NULL;
}

uint32_t wl_flags(const char *name)
{
	const struct wl_desc *d = name && *name ? wl_find(name) : NULL;

	return d ? d->flags : 0;
}

/* A workload's size (bytes; a bare number is bytes) or duration (ns; a bare number is seconds). */
static int parse_scaled(const char *v, int dur, int64_t *out)
{
	static const struct wl_unit sizes[] = {
		{ "", 1 }, { "k", 1024 }, { "m", 1024.0 * 1024 }, { "g", 1024.0 * 1024 * 1024 },
		{ "kib", 1024 }, { "mib", 1024.0 * 1024 }, { "gib", 1024.0 * 1024 * 1024 },
	}, durs[] = {
		{ "", 1e9 }, { "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 }, { "m", 60e9 },
	};
	const struct wl_unit *u = dur ? durs : sizes;
	size_t n = dur ? sizeof(durs) / sizeof(durs[0]) : sizeof(sizes) / sizeof(sizes[0]);
	double x;
	int i = wl_parse_scaled(v, u, n, 0, &x);

	if (i < 0)
		return -1;
	x *= u[i].mul;
	if (x > 9e18 || x != floor(x))
		return -1;
	*out = (int64_t)x;
	return 0;
}

/* The message for a value of @o outside its type or range. */
static int out_of_range(const struct wl_option *o, const char *v, char *err, size_t errlen)
{
	char choices[128];

	switch (o->type) {
	case WL_T_SIZE:
		return wl_err(err, errlen, "%s: '%s' is not a size from %" PRId64 " bytes to %" PRId64
			      " bytes", o->name, v, o->min, o->max);
	case WL_T_DUR:
		return wl_err(err, errlen, "%s: '%s' is not a duration from %" PRId64 "ns to %" PRId64
			      "ns", o->name, v, o->min, o->max);
	case WL_T_ENUM:
		(void)wl_join(choices, sizeof(choices), o->choices, SIZE_MAX, ", ");
		return wl_err(err, errlen, "%s: '%s' is not one of %s", o->name, v, choices);
	default:
		return wl_err(err, errlen, "%s: '%s' is not an integer from %" PRId64 " to %" PRId64,
			      o->name, v, o->min, o->max);
	}
}

/*
 * demand's points= into @w->points: TIME:SIZE joined by '/', at most
 * WL_MAX_POINTS, times (a bare number: seconds) not going back, each SIZE
 * with a unit and within size='s range. "" is no points.
 */
static int set_points(const struct wl_option *o, struct wl_opts *w, const char *v, char *err,
		      size_t errlen)
{
	const struct wl_option *so = &wl_options[WL_O_SIZE], *to = &wl_options[WL_O_PHASE];
	char buf[512];
	int n = 0;

	w->npoints = 0;
	if (!*v)
		return 0;
	if (strlen(v) >= sizeof(buf))
		return wl_err(err, errlen, "%s: longer than %zu characters", o->name, sizeof(buf) - 1);
	strcpy(buf, v);
	for (char *pt = buf, *next; pt; pt = next, n++) {
		char *colon, *sz;
		int64_t t, b;

		next = strchr(pt, '/');
		if (next)
			*next++ = '\0';
		if (n == WL_MAX_POINTS)
			return wl_err(err, errlen, "%s: more than %d points", o->name, WL_MAX_POINTS);
		colon = strchr(pt, ':');
		if (!colon)
			return wl_err(err, errlen, "%s: point %d '%s' is not TIME:SIZE "
				      "(e.g. points=0s:32M/10s:200M/20s:32M)", o->name, n + 1, pt);
		*colon = '\0';
		sz = colon + 1;
		if (parse_scaled(pt, 1, &t) || t < to->min || t > to->max)
			return wl_err(err, errlen, "%s: point %d: '%s' is not a time from 0s to %" PRId64
				      "s", o->name, n + 1, pt, (int64_t)(to->max / SEC));
		if (*sz && sz[strspn(sz, "0123456789.")] == '\0')
			return wl_err(err, errlen, "%s: point %d: '%s' needs a unit: %sK, %sM or %sG",
				      o->name, n + 1, sz, sz, sz, sz);
		if (parse_scaled(sz, 0, &b) || b < 0 || b > so->max)
			return wl_err(err, errlen, "%s: point %d: '%s' is not a size from 0 bytes to %"
				      PRId64 " bytes", o->name, n + 1, sz, so->max);
		if (n && (uint64_t)t < w->points[n - 1].t_ns)
			return wl_err(err, errlen, "%s: point %d at %s is before point %d's time: times "
				      "must not go back", o->name, n + 1, pt, n);
		w->points[n].t_ns = (uint64_t)t;
		w->points[n].bytes = (uint64_t)b;
	}
	w->npoints = n;
	return 0;
}

static int set_opt(const struct wl_option *o, struct wl_opts *w, const char *v, char *err, size_t errlen)
{
	void *p = (char *)w + o->off;
	int64_t x;

	switch (o->type) {
	case WL_T_SIZE:
	case WL_T_DUR:
		/*
		 * A bare number is bytes here and MiB in the scenario's own sizes
		 * (memory, targets): a working set given without a unit is far
		 * more likely a slip than 8192 bytes, so it needs one.
		 */
		if (o->unit && *v && v[strspn(v, "0123456789.")] == '\0')
			return wl_err(err, errlen, "%s: '%s' needs a unit: %sK, %sM or %sG", o->name,
				      v, v, v, v);
		if (parse_scaled(v, o->type == WL_T_DUR, &x) || x < o->min || x > o->max)
			return out_of_range(o, v, err, errlen);
		*(uint64_t *)p = (uint64_t)x;
		return 0;
	case WL_T_UINT:
	case WL_T_INT:
	case WL_T_BOOL:
		if (wl_parse_int(v, o->min, o->max, &x))
			return out_of_range(o, v, err, errlen);
		if (o->type == WL_T_UINT)
			*(uint64_t *)p = (uint64_t)x;
		else
			*(int *)p = (int)x;
		return 0;
	case WL_T_ENUM:
		x = wl_parse_choice(o->choices, v);
		if (x < 0)
			return out_of_range(o, v, err, errlen);
		*(int *)p = (int)x;
		return 0;
	case WL_T_POINTS:
		return set_points(o, w, v, err, errlen);
	}
	return wl_err(err, errlen, "%s: bad option type", o->name);
}

static int unknown_workload(const char *name, char *err, size_t errlen)
{
	const char *names[sizeof(wl_registry) / sizeof(wl_registry[0])];
	char list[256];

	for (size_t i = 0; i < wl_nregistry; i++)
		names[i] = wl_registry[i]->name;
	(void)wl_join(list, sizeof(list), names, wl_nregistry, ", ");	/* 8 short names fit */
	return wl_err(err, errlen, "unknown workload '%s' (one of %s)", name, list);
}

int wl_parse_spec(const char *spec, const struct wl_desc **desc, struct wl_opts *o, char *err,
		  size_t errlen)
{
	char buf[1024], *name, *rest;
	const struct wl_desc *d;

	if (strlen(spec) >= sizeof(buf))
		return wl_err(err, errlen, "workload spec longer than %zu characters", sizeof(buf) - 1);
	strcpy(buf, spec);
	name = buf;
	while (isspace((unsigned char)*name))
		name++;
	rest = strchr(name, ':');
	if (rest)
		*rest++ = '\0';
	for (char *e = name + strlen(name); e > name && isspace((unsigned char)e[-1]);)
		*--e = '\0';
	d = wl_find(name);
	if (!d)
		return unknown_workload(name, err, errlen);
	if (wl_parse_opts(d, rest ? rest : name + strlen(name), o, err, errlen))
		return -1;
	*desc = d;
	return 0;
}

int wl_parse_opts(const struct wl_desc *d, char *text, struct wl_opts *o, char *err,
		  size_t errlen)
{
	char *save = NULL, *kv;

	memset(o, 0, sizeof(*o));
	for (int i = 0; i < WL_NOPTS; i++)
		if (set_opt(&wl_options[i], o, wl_options[i].def, err, errlen))
			return -1;
	for (kv = strtok_r(text, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');
		int id = -1;

		while (isspace((unsigned char)*kv))
			kv++;
		if (!eq)
			return wl_err(err, errlen, "%s: expected key=value, got '%s'", d->name, kv);
		*eq = '\0';
		for (char *e = eq; e > kv && isspace((unsigned char)e[-1]);)
			*--e = '\0';
		for (int i = 0; i < WL_NOPTS; i++)
			if (!strcmp(wl_options[i].name, kv))
				id = i;
		if (id < 0 || !(d->opts & WL_OPT(id)))
			return wl_err(err, errlen, "%s: unknown option '%s' (see 'balloonbench list workloads')",
				   d->name, kv);
		eq++;
		while (isspace((unsigned char)*eq))
			eq++;
		if (set_opt(&wl_options[id], o, eq, err, errlen))
			return -1;
	}
	return d->check ? d->check(o, err, errlen) : 0;
}

void wl_print(void *file)
{
	FILE *f = file;

	for (size_t i = 0; i < wl_nregistry; i++) {
		const struct wl_desc *d = wl_registry[i];

		fprintf(f, "%s: %s\n", d->name, d->help);
		for (int k = 0; k < WL_NOPTS; k++)
			if (d->opts & WL_OPT(k))
				fprintf(f, "    %-11s %-8s %s\n", wl_options[k].name, wl_options[k].def,
					wl_options[k].help);
	}
}
