// SPDX-License-Identifier: MIT
/*
 * schedule.c - target schedules: a kind and a few numbers turned into timed
 * balloon targets (see schedule.h for what each kind does).
 *
 * One table, kinds[], says per kind which fields of the spec it reads, how many
 * events it makes and which function makes them. Validation walks that table,
 * so a field is checked exactly when its kind uses it, and adding a kind is one
 * row and one function.
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
#include <sys/types.h>

#include "readfile.h"
#include "units.h"
#include "schedule.h"

#define PAGE_KIB	4u

const char *const hr_sched_names[] = {
	[HR_SCHED_LIST] = "list",
	[HR_SCHED_STEP] = "step",
	[HR_SCHED_SQUARE] = "square",
	[HR_SCHED_SAWTOOTH] = "sawtooth",
	[HR_SCHED_STAIRCASE] = "staircase",
	[HR_SCHED_RANDOM] = "random",
	[HR_SCHED_TRACE] = "trace",
	[HR_SCHED_N] = NULL,
};
_Static_assert(sizeof(hr_sched_names) / sizeof(hr_sched_names[0]) == HR_SCHED_N + 1,
	       "hr_sched_names must cover enum hr_sched_kind");

/* Which fields of struct hr_sched_spec a kind reads. */
enum {
	USE_LOW = 1 << 0,
	USE_HIGH = 1 << 1,
	USE_PERIOD = 1 << 2,
	USE_CYCLES = 1 << 3,
	USE_STEPS = 1 << 4,
	USE_MIN_STEP = 1 << 5,	/* and seed */
	USE_LIST = 1 << 6,
	USE_TRACE = 1 << 7,
	LEVELS = 1 << 8,	/* equal steps from high to low: needs steps pages between them */
};

/* One build in progress. */
struct build {
	const struct hr_sched_spec *s;
	uint64_t memory_kib;
	uint64_t low, high;		/* high with 0 replaced by memory_kib */
	struct hr_sched_event *ev;
	size_t n, cap;
	char *err;
	size_t errlen;
};

struct kind {
	unsigned uses;
	/* Number of events (the spec is valid), or 0 when only building tells (trace). */
	uint64_t (*count)(const struct build *b);
	/* Append the events with emit()/push(); 0, or -1 with b->err set. */
	int (*make)(struct build *b);
};

static int fail(struct build *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct build *b, const char *fmt, ...)
{
	va_list ap;

	if (b->err && b->errlen) {
		va_start(ap, fmt);
		vsnprintf(b->err, b->errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* As a size would be written: 1G, 512M, 1001K. */
static const char *fmt_size(char *buf, size_t size, uint64_t kib)
{
	if (kib && kib % (1024 * 1024) == 0)
		snprintf(buf, size, "%" PRIu64 "G", kib / (1024 * 1024));
	else if (kib && kib % 1024 == 0)
		snprintf(buf, size, "%" PRIu64 "M", kib / 1024);
	else
		snprintf(buf, size, "%" PRIu64 "K", kib);
	return buf;
}

/* Seconds with at least one decimal and no trailing zeros: "2.0", "0.25", "0.000001". */
static const char *fmt_secs(char *buf, size_t size, uint64_t us)
{
	size_t len;

	snprintf(buf, size, "%" PRIu64 ".%06" PRIu64, us / 1000000, us % 1000000);
	len = strlen(buf);
	while (len >= 2 && buf[len - 1] == '0' && buf[len - 2] != '.')
		buf[--len] = '\0';
	return buf;
}

/* Append one event; -1 past HR_SCHED_MAX_EVENTS or without memory. */
static int push(struct build *b, uint64_t at_us, uint64_t kib)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 64;
		struct hr_sched_event *ev;

		if (cap > HR_SCHED_MAX_EVENTS)
			cap = HR_SCHED_MAX_EVENTS;
		if (b->n == cap)
			return fail(b, "more than %u events", HR_SCHED_MAX_EVENTS);
		ev = realloc(b->ev, cap * sizeof(*ev));
		if (!ev)
			return fail(b, "out of memory for %zu events", cap);
		b->ev = ev;
		b->cap = cap;
	}
	b->ev[b->n].at_us = at_us;
	b->ev[b->n].kib = kib;
	b->n++;
	return 0;
}

/* Append the next event of a periodic schedule: event i at i * period. */
static int emit(struct build *b, uint64_t kib)
{
	return push(b, b->n * b->s->period_us, kib);
}

/*
 * Level @k of @steps between high (k = 0) and low (k = steps): high minus
 * (high - low) * k / steps rounded to the nearest whole page, halves up. Exact
 * in 64 bits: with diff = q * 4n + r, diff * k / 4n = q * k + r * k / 4n, and
 * r * k < 4n^2 <= 4 * HR_SCHED_MAX_EVENTS^2.
 */
static uint64_t level(const struct build *b, int k)
{
	uint64_t diff = b->high - b->low, den = (uint64_t)PAGE_KIB * b->s->steps;
	uint64_t q = diff / den, r = diff % den;
	uint64_t pages = q * k + (2 * r * k + den) / (2 * den);

	return k == b->s->steps ? b->low : b->high - PAGE_KIB * pages;
}

static uint64_t count_list(const struct build *b)
{
	return (uint64_t)b->s->nlist * b->s->cycles;
}

static int make_list(struct build *b)
{
	for (int c = 0; c < b->s->cycles; c++)
		for (int i = 0; i < b->s->nlist; i++)
			if (emit(b, b->s->list_kib[i]))
				return -1;
	return 0;
}

static uint64_t count_one(const struct build *b)
{
	(void)b;
	return 1;
}

static int make_step(struct build *b)
{
	return emit(b, b->low);
}

static uint64_t count_square(const struct build *b)
{
	return 2 * (uint64_t)b->s->cycles;
}

static int make_square(struct build *b)
{
	for (int c = 0; c < b->s->cycles; c++)
		if (emit(b, b->low) || emit(b, b->high))
			return -1;
	return 0;
}

static uint64_t count_sawtooth(const struct build *b)
{
	return ((uint64_t)b->s->steps + 1) * b->s->cycles;
}

static int make_sawtooth(struct build *b)
{
	for (int c = 0; c < b->s->cycles; c++) {
		for (int k = 1; k <= b->s->steps; k++)
			if (emit(b, level(b, k)))
				return -1;
		if (emit(b, b->high))
			return -1;
	}
	return 0;
}

static uint64_t count_staircase(const struct build *b)
{
	return 2 * (uint64_t)b->s->steps * b->s->cycles;
}

static int make_staircase(struct build *b)
{
	for (int c = 0; c < b->s->cycles; c++) {
		for (int k = 1; k <= b->s->steps; k++)
			if (emit(b, level(b, k)))
				return -1;
		for (int k = b->s->steps - 1; k >= 0; k--)
			if (emit(b, level(b, k)))
				return -1;
	}
	return 0;
}

/* splitmix64 (Steele, Lea, Flood 2014): one 64-bit draw from state *@x. */
static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, @m), @m >= 1: draws below 2^64 mod m are redrawn, so no modulo bias. */
static uint64_t uniform(uint64_t *x, uint64_t m)
{
	uint64_t reject = -m % m, v;

	do
		v = splitmix64(x);
	while (v < reject);
	return v % m;
}

/* The walk's bounds in pages; see schedule.h. */
static void walk_bounds(const struct build *b, uint64_t *lo, uint64_t *hi, uint64_t *d)
{
	*lo = (b->low + PAGE_KIB - 1) / PAGE_KIB;
	*hi = b->high / PAGE_KIB;
	*d = (b->s->min_step_kib + PAGE_KIB - 1) / PAGE_KIB;
	if (*d == 0)
		*d = 1;
}

static uint64_t count_random(const struct build *b)
{
	return (uint64_t)b->s->steps;
}

static int make_random(struct build *b)
{
	uint64_t lo, hi, d, prev, state = b->s->seed;

	walk_bounds(b, &lo, &hi, &d);
	prev = hi;
	for (int i = 0; i < b->s->steps; i++) {
		uint64_t below = prev >= lo + d ? prev - d - lo + 1 : 0;
		uint64_t above = prev + d <= hi ? hi - (prev + d) + 1 : 0;
		uint64_t r = uniform(&state, below + above);

		prev = r < below ? lo + r : prev + d + (r - below);
		if (emit(b, prev * PAGE_KIB))
			return -1;
	}
	return 0;
}

/* @s with its blanks trimmed, in place. */
static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* One "time,target" line of a trace (trimmed, not blank, not a comment). */
static int trace_line(struct build *b, int lineno, char *line, int *header_ok)
{
	const char *path = b->s->trace_path;
	char *comma = strchr(line, ','), *ts, *ks, v[32], m[32], t0[32], t1[32];
	struct hr_size sz;
	uint64_t us, kib;

	if (!comma || strchr(comma + 1, ','))
		return fail(b, "%s:%d: expected 'time,target' (e.g. 1.5s,512M), got '%.40s'",
			    path, lineno, line);
	*comma = '\0';
	ts = trim(line);
	ks = trim(comma + 1);
	if (*header_ok) {
		*header_ok = 0;
		if (!strcasecmp(ts, "time") && !strcasecmp(ks, "target"))
			return 0;
	}
	if (hr_parse_duration(ts, &us))
		return fail(b, "%s:%d: '%.40s' is not a time (e.g. 1.5, 500ms, 2s, 1m)", path,
			    lineno, ts);
	if (b->n && us < b->ev[b->n - 1].at_us)
		return fail(b, "%s:%d: time %s s is before the previous %s s", path, lineno,
			    fmt_secs(t0, sizeof(t0), us),
			    fmt_secs(t1, sizeof(t1), b->ev[b->n - 1].at_us));
	if (hr_parse_size(ks, &sz))
		return fail(b, "%s:%d: '%.40s' is not a size (e.g. 512M, 1G, 50%%)", path, lineno,
			    ks);
	if (sz.percent > 0)	/* to whole pages, as scenario targets are */
		kib = (uint64_t)llround(b->memory_kib * sz.percent / 100.0 / PAGE_KIB) * PAGE_KIB;
	else
		kib = sz.kib;
	if (kib < HR_SCHED_MIN_KIB)
		return fail(b, "%s:%d: target %s is below 4M", path, lineno,
			    fmt_size(v, sizeof(v), kib));
	if (kib > b->memory_kib)
		return fail(b, "%s:%d: target %s is above memory (%s)", path, lineno,
			    fmt_size(v, sizeof(v), kib), fmt_size(m, sizeof(m), b->memory_kib));
	if (push(b, us, kib))
		return fail(b, "%s:%d: more than %u events", path, lineno, HR_SCHED_MAX_EVENTS);
	return 0;
}

/* A trace: a regular file of at most HR_MAX_TRACE bytes (readfile.h), read whole, line by line. */
static int make_trace(struct build *b)
{
	const char *path = b->s->trace_path;
	char *text = NULL, *line, *next;
	size_t len;
	int lineno = 0, header_ok = 1, ret = -1;

	if (hr_read_file(path, "trace", HR_MAX_TRACE, 0, &text, &len, b->err, b->errlen))
		return -1;
	if (memchr(text, '\0', len)) {
		fail(b, "%s: binary data (a NUL byte): expected a CSV text file", path);
		goto out;
	}
	for (line = text; *line; line = next) {
		char *p;

		next = line + strcspn(line, "\n");
		if (*next)
			*next++ = '\0';
		p = trim(line);
		lineno++;
		if (!*p || *p == '#')
			continue;
		if (trace_line(b, lineno, p, &header_ok))
			goto out;
	}
	if (!b->n) {
		fail(b, "%s: no events (expected lines of 'time,target', e.g. 0,512M)", path);
		goto out;
	}
	ret = 0;
out:
	free(text);
	return ret;
}

static const struct kind kinds[] = {
	[HR_SCHED_LIST] = { USE_LIST | USE_PERIOD | USE_CYCLES, count_list, make_list },
	[HR_SCHED_STEP] = { USE_LOW | USE_HIGH, count_one, make_step },
	[HR_SCHED_SQUARE] = { USE_LOW | USE_HIGH | USE_PERIOD | USE_CYCLES, count_square,
			      make_square },
	[HR_SCHED_SAWTOOTH] = { USE_LOW | USE_HIGH | USE_PERIOD | USE_CYCLES | USE_STEPS | LEVELS,
				count_sawtooth, make_sawtooth },
	[HR_SCHED_STAIRCASE] = { USE_LOW | USE_HIGH | USE_PERIOD | USE_CYCLES | USE_STEPS | LEVELS,
				 count_staircase, make_staircase },
	[HR_SCHED_RANDOM] = { USE_LOW | USE_HIGH | USE_PERIOD | USE_STEPS | USE_MIN_STEP,
			      count_random, make_random },
	[HR_SCHED_TRACE] = { USE_TRACE, NULL, make_trace },
};
_Static_assert(sizeof(kinds) / sizeof(kinds[0]) == HR_SCHED_N,
	       "kinds[] must cover enum hr_sched_kind");

/* @what (@kib) must be a possible target: in [4M, memory]. */
static int check_target(struct build *b, const char *what, uint64_t kib)
{
	char v[32], m[32];

	if (kib < HR_SCHED_MIN_KIB)
		return fail(b, "%s (%s) is below 4M", what, fmt_size(v, sizeof(v), kib));
	if (kib > b->memory_kib)
		return fail(b, "%s (%s) is above memory (%s)", what, fmt_size(v, sizeof(v), kib),
			    fmt_size(m, sizeof(m), b->memory_kib));
	return 0;
}

/* Check the fields kind @k reads, in the order they are declared. */
static int validate(struct build *b, const struct kind *k)
{
	const struct hr_sched_spec *s = b->s;
	char v[32], w[32], x[32];

	if (k->uses & USE_LIST) {
		if (s->nlist <= 0 || !s->list_kib)
			return fail(b, "list is empty");
		for (int i = 0; i < s->nlist; i++) {
			snprintf(x, sizeof(x), "list entry %d", i + 1);
			if (check_target(b, x, s->list_kib[i]))
				return -1;
		}
	}
	if ((k->uses & USE_TRACE) && (!s->trace_path || !*s->trace_path))
		return fail(b, "trace: no file given");
	if ((k->uses & USE_LOW) && check_target(b, "low", b->low))
		return -1;
	if ((k->uses & USE_HIGH) && check_target(b, "high", b->high))
		return -1;
	if ((k->uses & USE_LOW) && (k->uses & USE_HIGH) && b->low >= b->high)
		return fail(b, "low (%s) must be below high (%s)", fmt_size(v, sizeof(v), b->low),
			    fmt_size(w, sizeof(w), b->high));
	if ((k->uses & USE_CYCLES) && s->cycles < 1)
		return fail(b, "cycles (%d) must be at least 1", s->cycles);
	if ((k->uses & USE_STEPS) && s->steps < 1)
		return fail(b, "steps (%d) must be at least 1", s->steps);
	if ((k->uses & USE_STEPS) && (uint64_t)s->steps > HR_SCHED_MAX_EVENTS)
		return fail(b, "steps (%d) is more than %u", s->steps, HR_SCHED_MAX_EVENTS);
	if ((k->uses & LEVELS) && b->high - b->low < (uint64_t)PAGE_KIB * s->steps)
		return fail(b, "steps (%d) leave less than a 4K page per step between low (%s) "
			    "and high (%s)", s->steps, fmt_size(v, sizeof(v), b->low),
			    fmt_size(w, sizeof(w), b->high));
	if (k->uses & USE_MIN_STEP) {
		uint64_t lo, hi, d;

		walk_bounds(b, &lo, &hi, &d);
		if (hi < lo || hi - lo < d)
			return fail(b, "min-step (%s) leaves no room between low (%s) and "
				    "high (%s)", fmt_size(x, sizeof(x), s->min_step_kib),
				    fmt_size(v, sizeof(v), b->low),
				    fmt_size(w, sizeof(w), b->high));
	}
	return 0;
}

int hr_sched_build(const struct hr_sched_spec *s, uint64_t memory_kib,
		   struct hr_sched_event **out, size_t *n, char *err, size_t errlen)
{
	struct build b = {
		.s = s, .memory_kib = memory_kib, .err = err, .errlen = errlen,
	};
	const struct kind *k;
	char m[32];

	*out = NULL;
	*n = 0;
	if (err && errlen)
		err[0] = '\0';
	if (s->kind < 0 || s->kind >= HR_SCHED_N)
		return fail(&b, "kind %d is not a schedule kind", s->kind);
	k = &kinds[s->kind];
	if (memory_kib < HR_SCHED_MIN_KIB)
		return fail(&b, "memory (%s) is below 4M", fmt_size(m, sizeof(m), memory_kib));
	b.low = s->low_kib;
	b.high = s->high_kib ? s->high_kib : memory_kib;
	if (validate(&b, k))
		return -1;
	if (k->count) {
		uint64_t count = k->count(&b);

		if (count > HR_SCHED_MAX_EVENTS)
			return fail(&b, "%s: %" PRIu64 " events, more than %u",
				    hr_sched_names[s->kind], count, HR_SCHED_MAX_EVENTS);
		if ((k->uses & USE_PERIOD) && s->period_us > UINT64_MAX / count)
			return fail(&b, "period (%" PRIu64 " us) is too long for %" PRIu64
				    " events", s->period_us, count);
		b.ev = malloc(count * sizeof(*b.ev));
		if (!b.ev)
			return fail(&b, "out of memory for %" PRIu64 " events", count);
		b.cap = count;
	}
	if (k->make(&b)) {
		free(b.ev);
		return -1;
	}
	*out = b.ev;
	*n = b.n;
	return 0;
}

int hr_sched_find(const char *name)
{
	for (int i = 0; i < HR_SCHED_N; i++)
		if (!strcasecmp(hr_sched_names[i], name))
			return i;
	return -1;
}
