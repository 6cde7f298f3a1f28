// SPDX-License-Identifier: MIT
/*
 * scenario.c - parse scenario files with inih, against one table of options.
 *
 * inih gives no line number to its handler, so we feed it through our own
 * line reader (ini_parse_stream) and count lines there: the handler runs right
 * after the reader returned the line that holds its key.
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

#include <ini.h>

#include "log.h"
#include "scenario.h"
#include "schedule.h"

#define KIB_PER_MIB	1024ull

const char *const hr_accel_names[] = { "auto", "kvm", "tcg", NULL };
const char *const hr_pace_names[] = { "wait", "period", NULL };
const char *const hr_numa_mode_names[] = { "none", "strict", "preferred", "interleave", NULL };
_Static_assert(sizeof(hr_pace_names) / sizeof(hr_pace_names[0]) == HR_PACE_N + 1, "pace names");
_Static_assert(sizeof(hr_numa_mode_names) / sizeof(hr_numa_mode_names[0]) == HR_NUMA_N + 1,
	       "numa mode names");
_Static_assert(sizeof(hr_accel_names) / sizeof(hr_accel_names[0]) == HR_ACCEL_N + 1,
	       "hr_accel_names must cover enum hr_accel");

#define OPT(n, t, f, ...) { .name = n, .type = t, .off = offsetof(struct hr_job, f), __VA_ARGS__ }
#define MIB(x)		((int64_t)(x) * 1024)
#define SEC(x)		((int64_t)(x) * 1000000)

const struct hr_option hr_options[] = {
	OPT("accel", HR_T_ENUM, accel, .def = "auto", .choices = hr_accel_names,
	    .help = "auto: KVM if a guest really boots under it, else TCG (said loudly); kvm; tcg"),
	OPT("agent-watchdog", HR_T_DUR, agent_watchdog_us, .min = SEC(2), .max = SEC(3600), .def = "30s",
	    .help = "the agent powers its guest off after this long without a word from the runner "
		    "(a killed runner leaves no guest behind); the runner speaks at least every sixth of it"),
	OPT("boot-timeout", HR_T_DUR, boot_timeout_us, .min = SEC(1), .max = SEC(3600), .def = "120s",
	    .help = "watchdog: the agent's hello must arrive within this (TCG)"),
	OPT("cmdline", HR_T_STR, cmdline, .size = 256, .def = "",
	    .help = "extra guest kernel command line"),
	OPT("cycles", HR_T_INT, cycles, .min = 1, .max = 100000, .def = "1",
	    .help = "how many times to go through targets"),
	OPT("deflate-on-oom", HR_T_BOOL, deflate_on_oom, .def = "0",
	    .help = "memballoon autodeflate: the guest deflates under OOM pressure"),
	OPT("description", HR_T_STR, description, .size = 256, .def = "",
	    .help = "what question this job answers"),
	OPT("free-page-reporting", HR_T_BOOL, free_page_reporting, .def = "0",
	    .help = "memballoon freePageReporting"),
	OPT("give-up", HR_T_DUR, give_up_us, .min = SEC(0) + 1000, .max = SEC(3600), .def = "10s",
	    .help = "a transition with no progress for this long ends, not reached"),
	OPT("guest-numa", HR_T_INT, guest_numa, .min = 1, .max = 8, .def = "1",
	    .help = "guest NUMA cells; vCPUs and memory are split evenly between them"),
	OPT("high", HR_T_SIZEP, high, .def = "100%",
	    .help = "upper bound of square/sawtooth/staircase/random schedules (size or %)"),
	OPT("host-numa-mode", HR_T_ENUM, host_numa_mode, .def = "none", .choices = hr_numa_mode_names,
	    .help = "numatune memory mode for the guest's memory on the host"),
	OPT("host-numa-nodes", HR_T_STR, host_numa_nodes, .size = 64, .def = "0",
	    .help = "host NUMA nodes for host-numa-mode (e.g. 0 or 0-1); a job the host cannot provide is skipped"),
	OPT("host-sample-rate", HR_T_INT, host_hz, .min = 1, .max = 1000, .def = "50",
	    .unit = "Hz", .help = "how often QEMU's actual is polled while the balloon moves"),
	OPT("hugepages", HR_T_BOOL, hugepages, .def = "0",
	    .help = "back guest memory with host huge pages (skipped where the host has too few free)"),
	OPT("idle-sample-rate", HR_T_INT, idle_hz, .min = 1, .max = 1000, .def = "10",
	    .unit = "Hz", .help = "guest sampling rate while the balloon rests"),
	OPT("initrd", HR_T_STR, initrd, .size = 512, .def = "",
	    .help = "guest initramfs holding the agent (default: the built image)"),
	OPT("kernel", HR_T_STR, kernel, .size = 512, .def = "",
	    .help = "guest kernel (default: the built image's vmlinuz)"),
	OPT("kvm-boot-timeout", HR_T_DUR, kvm_boot_timeout_us, .min = 1000, .max = SEC(3600),
	    .def = "20s", .help = "watchdog for a boot under KVM; accel=auto then retries under TCG (below a boot's time, e.g. 1ms, it forces that fallback)"),
	OPT("low", HR_T_SIZEP, low, .def = "25%",
	    .help = "lower bound or step target of a schedule (size or %)"),
	OPT("memory", HR_T_SIZE, memory_kib, .min = MIB(64), .max = MIB(1024 * 1024), .def = "1G",
	    .help = "guest memory (the balloon's maximum)"),
	OPT("min-step", HR_T_SIZEP, min_step, .def = "64M",
	    .help = "random: smallest change between two targets"),
	OPT("pace", HR_T_ENUM, pace, .def = "wait", .choices = hr_pace_names,
	    .help = "wait: a change waits for the last to finish; period: changes keep the schedule's times"),
	OPT("peak-window", HR_T_DUR, peak_window_us, .min = 1000, .max = SEC(60), .def = "100ms",
	    .help = "window over which the peak rate is measured"),
	OPT("period", HR_T_DUR, period_us, .min = 0, .max = SEC(86400), .def = "0",
	    .help = "time between planned changes (0: back to back)"),
	OPT("repeat", HR_T_INT, repeat, .min = 1, .max = 1000, .def = "1",
	    .help = "measured repetitions of the job, each on fresh guests"),
	OPT("sample-rate", HR_T_INT, sample_hz, .min = 1, .max = 100000, .def = "1000", .unit = "Hz",
	    .help = "guest sampling rate while the balloon moves"),
	OPT("schedule", HR_T_ENUM, schedule, .def = "list", .choices = hr_sched_names,
	    .help = "list (targets=), step, square, sawtooth, staircase, random, trace"),
	OPT("seed", HR_T_INT, seed, .min = 0, .max = 2147483647, .def = "1",
	    .help = "random: the walk's seed (VM k of vms= uses seed + k)"),
	OPT("settle", HR_T_DUR, settle_us, .min = 0, .max = SEC(3600), .def = "500ms",
	    .help = "time recorded at rest after each transition"),
	OPT("stall", HR_T_DUR, stall_us, .min = 1000, .max = SEC(3600), .def = "500ms",
	    .help = "no progress for longer than this counts as a stall"),
	OPT("stats-period", HR_T_INT, stats_period, .min = 0, .max = 3600, .def = "1", .unit = "s",
	    .help = "memballoon stats period (0: off)"),
	OPT("steps", HR_T_INT, steps, .min = 1, .max = 100000, .def = "4",
	    .help = "sawtooth/staircase: steps per cycle; random: number of changes"),
	OPT("targets", HR_T_SIZES, targets, .def = "256M,100%",
	    .help = "balloon targets in order, sizes or % of memory (e.g. 256M,1G or 25%,100%)"),
	OPT("timeout", HR_T_DUR, timeout_us, .min = SEC(1), .max = SEC(86400), .def = "120s",
	    .help = "longest a single transition may take"),
	OPT("trace", HR_T_STR, trace, .size = 512, .def = "",
	    .help = "trace: CSV of time,target (relative to the scenario file's directory if relative)"),
	OPT("vcpu-pin", HR_T_STR, vcpu_pin, .size = 64, .def = "none",
	    .help = "host CPUs the vCPUs are pinned to (e.g. 0-1), or none"),
	OPT("vcpus", HR_T_INT, vcpus, .min = 1, .max = 256, .def = "2", .help = "guest vCPUs"),
	OPT("vm-offset", HR_T_DUR, vm_offset_us, .min = 0, .max = SEC(3600), .def = "0",
	    .help = "vms > 1: VM k starts its schedule k * vm-offset later"),
	OPT("vms", HR_T_INT, vms, .min = 1, .max = 16, .def = "1",
	    .help = "guests run at once, each with the job's schedule"),
	OPT("warmup", HR_T_DUR, warmup_us, .min = 0, .max = SEC(3600), .def = "1s",
	    .help = "workload time at rest before the first target change"),
	OPT("warmup-runs", HR_T_INT, warmup_runs, .min = 0, .max = 10, .def = "1",
	    .help = "repeat > 1: runs first, recorded but left out of the statistics"),
	OPT("workload", HR_T_STR, workload_spec, .size = 400, .def = "",
	    .help = "guest workload, NAME:key=value,... (see 'balloonbench list workloads')"),
};
const size_t hr_noptions = sizeof(hr_options) / sizeof(hr_options[0]);
_Static_assert(sizeof(hr_options) / sizeof(hr_options[0]) <= HR_MAX_OPTIONS,
	       "per-option arrays of struct hr_job hold HR_MAX_OPTIONS");
_Static_assert(sizeof(hr_options) / sizeof(hr_options[0]) <=
	       sizeof(((struct hr_job *)0)->line) / sizeof(int), "hr_job.line too small");

static const char *const type_names[] = {
	[HR_T_STR] = "string", [HR_T_INT] = "integer", [HR_T_BOOL] = "bool (0/1)",
	[HR_T_SIZE] = "size", [HR_T_DUR] = "duration", [HR_T_ENUM] = "choice",
	[HR_T_SIZES] = "size list",
	[HR_T_SIZEP] = "size or %",
};

static int set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static void fmt_size(char *buf, size_t size, uint64_t kib)
{
	if (kib % (1024 * 1024) == 0)
		snprintf(buf, size, "%" PRIu64 "G", kib / (1024 * 1024));
	else if (kib % 1024 == 0)
		snprintf(buf, size, "%" PRIu64 "M", kib / 1024);
	else
		snprintf(buf, size, "%" PRIu64 "K", kib);
}

static void fmt_dur(char *buf, size_t size, uint64_t us)
{
	if (us % 1000000 == 0)
		snprintf(buf, size, "%" PRIu64 "s", us / 1000000);
	else if (us % 1000 == 0)
		snprintf(buf, size, "%" PRIu64 "ms", us / 1000);
	else
		snprintf(buf, size, "%" PRIu64 "us", us);
}

/* The allowed range of @o, as text for an error message. */
static void range_text(const struct hr_option *o, char *buf, size_t size)
{
	char lo[32], hi[32];

	switch (o->type) {
	case HR_T_INT:
		snprintf(buf, size, "an integer from %" PRId64 " to %" PRId64 "%s%s", o->min, o->max,
			 o->unit ? " " : "", o->unit ? o->unit : "");
		break;
	case HR_T_SIZE:
		fmt_size(lo, sizeof(lo), (uint64_t)o->min);
		fmt_size(hi, sizeof(hi), (uint64_t)o->max);
		snprintf(buf, size, "a size from %s to %s (e.g. 512M, 2G)", lo, hi);
		break;
	case HR_T_DUR:
		fmt_dur(lo, sizeof(lo), (uint64_t)o->min);
		fmt_dur(hi, sizeof(hi), (uint64_t)o->max);
		snprintf(buf, size, "a duration from %s to %s (e.g. 500ms, 10s)", lo, hi);
		break;
	case HR_T_BOOL:
		snprintf(buf, size, "0 or 1");
		break;
	case HR_T_ENUM: {
		size_t o2 = 0;

		o2 += (size_t)snprintf(buf, size, "one of");
		for (int i = 0; o->choices[i] && o2 < size; i++)
			o2 += (size_t)snprintf(buf + o2, size - o2, "%s %s", i ? "," : "",
					       o->choices[i]);
		break;
	}
	case HR_T_SIZES:
		snprintf(buf, size, "a comma-separated list of sizes or percentages (e.g. 256M,1G)");
		break;
	case HR_T_SIZEP:
		snprintf(buf, size, "a size of at least 1M or a percentage of memory (e.g. 256M, 25%%)");
		break;
	default:
		snprintf(buf, size, "a string");
	}
}

static const struct hr_option *find_option(const char *name)
{
	for (size_t i = 0; i < hr_noptions; i++)
		if (!strcmp(hr_options[i].name, name))
			return &hr_options[i];
	return NULL;
}

static int set_option(struct hr_job *job, const struct hr_option *o, const char *v, char *err,
		      size_t errlen)
{
	char *p = (char *)job + o->off, range[160], *end;
	struct hr_size sz;
	uint64_t us;
	long long x;

	range_text(o, range, sizeof(range));
	switch (o->type) {
	case HR_T_STR:
		if (strlen(v) >= o->size)
			return set_err(err, errlen, "%s: longer than %zu characters", o->name,
				       o->size - 1);
		memcpy(p, v, strlen(v) + 1);
		return 0;
	case HR_T_INT:
	case HR_T_BOOL:
		errno = 0;
		x = strtoll(v, &end, 10);
		if (o->type == HR_T_BOOL && (!strcasecmp(v, "true") || !strcasecmp(v, "yes") ||
					     !strcasecmp(v, "on")))
			x = 1, end = (char *)v + strlen(v);
		else if (o->type == HR_T_BOOL && (!strcasecmp(v, "false") || !strcasecmp(v, "no") ||
						  !strcasecmp(v, "off")))
			x = 0, end = (char *)v + strlen(v);
		if (errno || end == v || *end || x < (o->type == HR_T_BOOL ? 0 : o->min) ||
		    x > (o->type == HR_T_BOOL ? 1 : o->max))
			return set_err(err, errlen, "%s: '%s' is not %s", o->name, v, range);
		*(int *)p = (int)x;
		return 0;
	case HR_T_SIZE:
		if (hr_parse_size(v, &sz) || sz.percent > 0 || sz.kib < (uint64_t)o->min ||
		    sz.kib > (uint64_t)o->max)
			return set_err(err, errlen, "%s: '%s' is not %s", o->name, v, range);
		*(uint64_t *)p = sz.kib;
		return 0;
	case HR_T_DUR:
		if (hr_parse_duration(v, &us) || us < (uint64_t)o->min || us > (uint64_t)o->max)
			return set_err(err, errlen, "%s: '%s' is not %s", o->name, v, range);
		*(uint64_t *)p = us;
		return 0;
	case HR_T_ENUM:
		for (int i = 0; o->choices[i]; i++) {
			if (!strcasecmp(o->choices[i], v)) {
				*(int *)p = i;
				return 0;
			}
		}
		return set_err(err, errlen, "%s: '%s' is not %s", o->name, v, range);
	case HR_T_SIZEP:
		if (hr_parse_size(v, &sz) || (!sz.percent && sz.kib < 1024))
			return set_err(err, errlen, "%s: '%s' is not %s", o->name, v, range);
		*(struct hr_size *)p = sz;
		return 0;
	case HR_T_SIZES: {
		char buf[1024], *save = NULL, *tok;
		int n = 0;

		if (strlen(v) >= sizeof(buf))
			return set_err(err, errlen, "%s: list too long", o->name);
		strcpy(buf, v);
		for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			if (n == HR_MAX_TARGETS)
				return set_err(err, errlen, "%s: more than %d entries", o->name,
					       HR_MAX_TARGETS);
			if (hr_parse_size(tok, &sz) || (!sz.percent && sz.kib < 1024))
				return set_err(err, errlen,
					       "%s: '%s' is not a size of at least 1M or a percentage (0-100%%]",
					       o->name, tok);
			job->targets[n++] = sz;
		}
		if (!n)
			return set_err(err, errlen, "%s: expected %s", o->name, range);
		job->ntargets = n;
		return 0;
	}
	}
	return set_err(err, errlen, "%s: internal error: bad option type", o->name);
}

int hr_job_set(struct hr_job *job, const char *name, const char *value, char *err, size_t errlen)
{
	const struct hr_option *o = find_option(name);

	if (!o)
		return set_err(err, errlen,
			       "unknown option '%s' (see 'balloonbench list options')", name);
	return set_option(job, o, value, err, errlen);
}

void hr_job_defaults(struct hr_job *job)
{
	char err[256];

	memset(job, 0, sizeof(*job));
	for (size_t i = 0; i < hr_noptions; i++)
		if (set_option(job, &hr_options[i], hr_options[i].def, err, sizeof(err)))
			hr_err("internal error: default of %s: %s", hr_options[i].name, err);
}

struct parse_ctx {
	struct hr_scenario *sc;
	FILE *f;
	int lineno;
	struct hr_job global;
	struct hr_job *cur;	/* job being filled, or &global */
	int cur_section;	/* a [section] was seen */
	int err_line;
	char err[512];
	char *owned[64];	/* matrix value lists, freed after expansion */
	int nowned;
};

static int valid_name(const char *s)
{
	if (!*s || strlen(s) >= HR_NAME_MAX)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
			return 0;
	return 1;
}

static void begin_section(struct parse_ctx *c, const char *name);

/* inih calls the handler only for keys: find "[name]" lines here. */
static void section_line(struct parse_ctx *c, const char *line)
{
	const char *p = line, *e;
	char name[128];

	while (isspace((unsigned char)*p))
		p++;
	if (*p != '[' || c->err_line)
		return;
	e = strchr(p, ']');
	if (!e)
		return;	/* inih reports it */
	p++;
	while (p < e && isspace((unsigned char)*p))
		p++;
	while (e > p && isspace((unsigned char)e[-1]))
		e--;
	snprintf(name, sizeof(name), "%.*s", (int)(e - p), p);
	begin_section(c, name);
}

static char *reader(char *str, int num, void *stream)
{
	struct parse_ctx *c = stream;
	char *r = fgets(str, num, c->f);

	if (r) {
		size_t n = strlen(str);

		c->lineno++;
		/* A line longer than inih's buffer would be split silently: refuse it. */
		if (n == (size_t)num - 1 && str[n - 1] != '\n' && !feof(c->f) && !c->err_line) {
			c->err_line = c->lineno;
			snprintf(c->err, sizeof(c->err), "line longer than %d characters", num - 2);
		}
		section_line(c, str);
	}
	return r;
}

/*
 * key = a, b, c on a single-valued option: a matrix. Every value is checked
 * now (so errors name this line); the job is expanded after parsing.
 */
static int matrix_option(struct parse_ctx *c, const struct hr_option *o, const char *value)
{
	char buf[1024], *save = NULL, *tok;
	struct hr_job scratch = *c->cur;
	int n = 0;

	if (strlen(value) >= sizeof(buf) || c->nowned == (int)(sizeof(c->owned) / sizeof(c->owned[0]))) {
		c->err_line = c->lineno;
		snprintf(c->err, sizeof(c->err), "%s: matrix too large", o->name);
		return 0;
	}
	strcpy(buf, value);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save), n++) {
		while (isspace((unsigned char)*tok))
			tok++;
		for (char *e = tok + strlen(tok); e > tok && isspace((unsigned char)e[-1]);)
			*--e = '\0';
		if (set_option(&scratch, o, tok, c->err, sizeof(c->err))) {
			c->err_line = c->lineno;
			return 0;
		}
		if (!n)
			(void)set_option(c->cur, o, tok, c->err, sizeof(c->err));
	}
	if (n > HR_MATRIX_VALUES) {
		c->err_line = c->lineno;
		snprintf(c->err, sizeof(c->err), "%s: %d values, expected at most %d in a matrix", o->name,
			 n, HR_MATRIX_VALUES);
		return 0;
	}
	c->owned[c->nowned] = strdup(value);
	c->cur->matrix[o - hr_options] = c->owned[c->nowned++];
	c->cur->line[o - hr_options] = c->lineno;
	return 1;
}

/* A "[name]" line starts a job (or [global]), even if no key follows. */
static void begin_section(struct parse_ctx *c, const char *name)
{
	c->cur_section = 1;
	if (!strcmp(name, "global")) {
		c->cur = &c->global;
		return;
	}
	if (!valid_name(name)) {
		c->err_line = c->lineno;
		snprintf(c->err, sizeof(c->err),
			 "job name '[%s]': expected letters, digits, '-', '_', '.' (at most %d)",
			 name, HR_NAME_MAX - 1);
		return;
	}
	for (int i = 0; i < c->sc->njobs; i++) {
		if (!strcmp(c->sc->jobs[i].name, name)) {
			c->err_line = c->lineno;
			snprintf(c->err, sizeof(c->err), "job '[%s]' defined twice (first on line %d)",
				 name, c->sc->jobs[i].section_line);
			return;
		}
	}
	if (c->sc->njobs == HR_MAX_JOBS) {
		c->err_line = c->lineno;
		snprintf(c->err, sizeof(c->err), "more than %d jobs", HR_MAX_JOBS);
		return;
	}
	c->cur = &c->sc->jobs[c->sc->njobs++];
	*c->cur = c->global;
	snprintf(c->cur->name, sizeof(c->cur->name), "%s", name);
	c->cur->section_line = c->lineno;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *c = user;
	const struct hr_option *o;

	(void)section;
	if (c->err_line)
		return 1;	/* report only the first error */
	o = find_option(name);
	if (!o) {
		c->err_line = c->lineno;
		snprintf(c->err, sizeof(c->err),
			 "unknown option '%s' in [%s] (see 'balloonbench list options')", name,
			 c->cur == &c->global ? "global" : c->cur->name);
		return 0;
	}
	c->cur->matrix[o - hr_options] = NULL;
	if (strchr(value, ',') && o->type != HR_T_STR && o->type != HR_T_SIZES)
		return matrix_option(c, o, value);
	if (set_option(c->cur, o, value, c->err, sizeof(c->err))) {
		c->err_line = c->lineno;
		return 0;
	}
	c->cur->line[o - hr_options] = c->lineno;
	return 1;
}

/* Checks that need the whole job: targets against memory, files present. */
int hr_set_max(const char *s)
{
	int max = -1;

	while (*s) {
		char *end;
		long a = strtol(s, &end, 10), b = a;

		if (end == s || a < 0)
			return -1;
		s = end;
		if (*s == '-') {
			b = strtol(s + 1, &end, 10);
			if (end == s + 1 || b < a)
				return -1;
			s = end;
		}
		if (b > max)
			max = (int)b;
		if (*s == ',')
			s++;
		else if (*s)
			return -1;
	}
	return max;
}

/* The line option @name was set on, else the job's section line. */
static int opt_line(const struct hr_job *j, const char *name)
{
	int l = j->line[find_option(name) - hr_options];

	return l ? l : j->section_line;
}

static int validate_job(const char *path, struct hr_job *j)
{
	int tl = j->line[find_option("targets") - hr_options];

	/* the syntax of host lists is checked here; whether this host has them, at run time */
	if (j->host_numa_mode != HR_NUMA_NONE && hr_set_max(j->host_numa_nodes) < 0) {
		hr_err("%s:%d: [%s] host-numa-nodes: '%s' is not a node list like 0, 0-1 or 0,2", path,
		       opt_line(j, "host-numa-nodes"), j->name, j->host_numa_nodes);
		return -1;
	}
	if (strcmp(j->vcpu_pin, "none") && hr_set_max(j->vcpu_pin) < 0) {
		hr_err("%s:%d: [%s] vcpu-pin: '%s' is not none or a CPU list like 0-1 or 0,2", path,
		       opt_line(j, "vcpu-pin"), j->name, j->vcpu_pin);
		return -1;
	}

	/* Targets left at their default: blame memory=, else the job's header. */
	if (!tl)
		tl = j->line[find_option("memory") - hr_options];
	if (!tl)
		tl = j->section_line;
	char m[32];

	fmt_size(m, sizeof(m), j->memory_kib);
	for (int i = 0; i < j->ntargets; i++) {
		struct hr_size *t = &j->targets[i];

		if (t->percent > 0)
			t->kib = (uint64_t)llround(j->memory_kib * t->percent / 100.0 / 4) * 4;
		if (t->kib > j->memory_kib) {
			char v[32];

			fmt_size(v, sizeof(v), t->kib);
			hr_err("%s:%d: [%s] targets: %s is above memory=%s, the guest's maximum", path,
			       tl, j->name, v, m);
			return -1;
		}
		if (t->kib < 4096) {
			hr_err("%s:%d: [%s] targets: entry %d is below 4M", path, tl, j->name,
			       i + 1);
			return -1;
		}
	}
	{
		struct hr_sched_event *ev = NULL;
		char err[512];
		size_t n = 0;
		int l = j->line[find_option("schedule") - hr_options];

		if (j->schedule == HR_SCHED_TRACE && j->trace[0] && j->trace[0] != '/' &&
		    !j->trace_resolved) {
			/* a relative trace is found beside the scenario */
			char full[1024];
			const char *slash = strrchr(path, '/');

			snprintf(full, sizeof(full), "%.*s%s", slash ? (int)(slash - path + 1) : 0, path,
				 j->trace);
			snprintf(j->trace, sizeof(j->trace), "%s", full);
			j->trace_resolved = 1;	/* once: validation runs again after --set */
		}
		if (hr_job_schedule(j, 0, &ev, &n, err, sizeof(err))) {
			/* blame the line of the field the reason names ("low (2G) is ...") */
			char word[32];
			const struct hr_option *o;

			if (sscanf(err, "%31[a-z-]", word) == 1 &&
			    (o = find_option(!strcmp(word, "list") ? "targets" : word)) &&
			    j->line[o - hr_options])
				l = j->line[o - hr_options];
			hr_err("%s:%d: [%s] schedule %s: %s", path, l ? l : j->section_line, j->name,
			       hr_sched_names[j->schedule], err);
			return -1;
		}
		free(ev);
		if (j->pace == HR_PACE_PERIOD && j->period_us == 0 && j->schedule != HR_SCHED_TRACE) {
			l = j->line[find_option("pace") - hr_options];
			hr_err("%s:%d: [%s] pace=period needs period > 0", path, l ? l : j->section_line,
			       j->name);
			return -1;
		}
	}
	if (j->guest_numa > j->vcpus) {
		int l = j->line[find_option("guest-numa") - hr_options];

		hr_err("%s:%d: [%s] guest-numa: %d cells need at least as many vcpus (vcpus=%d)", path,
		       l ? l : j->section_line, j->name, j->guest_numa, j->vcpus);
		return -1;
	}
	if (j->workload_spec[0]) {
		const struct wl_desc *d;
		char err[256];

		if (wl_parse_spec(j->workload_spec, &d, &j->workload, err, sizeof(err))) {
			hr_err("%s:%d: [%s] workload: %s", path,
			       j->line[find_option("workload") - hr_options], j->name, err);
			return -1;
		}
		snprintf(j->workload_name, sizeof(j->workload_name), "%s", d->name);
		if (j->workload.node >= j->guest_numa) {
			hr_err("%s:%d: [%s] workload: node=%d but the guest has %d NUMA node(s) (guest-numa=%d)",
			       path, j->line[find_option("workload") - hr_options], j->name,
			       j->workload.node, j->guest_numa, j->guest_numa);
			return -1;
		}
	} else {
		j->workload_name[0] = '\0';
	}
	if (j->idle_hz > j->sample_hz) {
		int l = j->line[find_option("idle-sample-rate") - hr_options];

		if (!l)
			l = j->line[find_option("sample-rate") - hr_options];
		hr_err("%s:%d: [%s] idle-sample-rate: %d Hz is above sample-rate=%d Hz", path,
		       l ? l : j->section_line, j->name, j->idle_hz, j->sample_hz);
		return -1;
	}
	return 0;
}

/*
 * Replace every job that has matrix options by one job per combination of
 * their values, named NAME-1, NAME-2, ... and labelled "key=value ...".
 */
static int expand_matrix(const char *path, struct hr_scenario *sc)
{
	static struct hr_job out[HR_MAX_JOBS];
	int nout = 0;

	for (int i = 0; i < sc->njobs; i++) {
		struct hr_job *j = &sc->jobs[i];
		char vals[HR_MAX_OPTIONS][HR_MATRIX_VALUES][64];
		int nval[HR_MAX_OPTIONS] = { 0 }, idx[HR_MAX_OPTIONS] = { 0 }, keys[HR_MAX_OPTIONS];
		int nkeys = 0, combo = 0;

		for (size_t k = 0; k < hr_noptions; k++) {
			char buf[1024], *save = NULL, *tok;

			if (!j->matrix[k])
				continue;
			snprintf(buf, sizeof(buf), "%s", j->matrix[k]);
			for (tok = strtok_r(buf, ",", &save); tok && nval[k] < HR_MATRIX_VALUES;
			     tok = strtok_r(NULL, ",", &save)) {
				while (isspace((unsigned char)*tok))
					tok++;
				snprintf(vals[k][nval[k]++], 64, "%s", tok);
			}
			keys[nkeys++] = (int)k;
		}
		for (;;) {
			struct hr_job *n;
			size_t off = 0;
			char err[256];
			int carry;

			if (nout == HR_MAX_JOBS) {
				hr_err("%s:%d: [%s] the matrix makes more than %d jobs", path,
				       j->section_line, j->name, HR_MAX_JOBS);
				return -1;
			}
			n = &out[nout++];
			*n = *j;
			memset(n->matrix, 0, sizeof(n->matrix));
			if (nkeys)
				snprintf(n->name, sizeof(n->name), "%.24s-%d", j->name, ++combo);
			for (int q = 0; q < nkeys; q++) {
				const struct hr_option *o = &hr_options[keys[q]];

				(void)set_option(n, o, vals[keys[q]][idx[keys[q]]], err, sizeof(err));
				off += (size_t)snprintf(n->label + off, sizeof(n->label) - off, "%s%s=%s",
							q ? " " : "", o->name, vals[keys[q]][idx[keys[q]]]);
				if (off >= sizeof(n->label))
					off = sizeof(n->label) - 1;
			}
			for (carry = 0; carry < nkeys; carry++) {
				int k = keys[carry];

				if (++idx[k] < nval[k])
					break;
				idx[k] = 0;
			}
			if (carry == nkeys)
				break;
		}
	}
	memcpy(sc->jobs, out, sizeof(out[0]) * (size_t)nout);
	sc->njobs = nout;
	return 0;
}

static uint64_t resolve(const struct hr_size *z, uint64_t memory_kib)
{
	if (z->percent > 0)
		return (uint64_t)llround(memory_kib * z->percent / 100.0 / 4) * 4;
	return z->kib;
}

int hr_job_schedule(const struct hr_job *j, int vm, struct hr_sched_event **out, size_t *n,
		    char *err, size_t errlen)
{
	uint64_t list[HR_MAX_TARGETS];
	struct hr_sched_spec sp = {
		.kind = j->schedule,
		.low_kib = resolve(&j->low, j->memory_kib),
		.high_kib = resolve(&j->high, j->memory_kib),
		.period_us = j->period_us,
		.cycles = j->cycles,
		.steps = j->steps,
		.seed = (uint64_t)j->seed + (uint64_t)vm,
		.min_step_kib = resolve(&j->min_step, j->memory_kib),
		.list_kib = list,
		.nlist = j->ntargets,
		.trace_path = j->trace,
	};

	for (int i = 0; i < j->ntargets; i++)
		list[i] = j->targets[i].kib;
	return hr_sched_build(&sp, j->memory_kib, out, n, err, errlen);
}

/* The run's guests (repetitions, warm-up runs included, times vms) must fit in one run. */
static int check_guests(const struct hr_scenario *sc)
{
	int total = 0;

	for (int i = 0; i < sc->njobs; i++) {
		const struct hr_job *j = &sc->jobs[i];
		int n = hr_job_runs(j) * j->vms;
		int line = j->line[find_option("repeat") - hr_options];

		total += n;
		if (total > HR_MAX_VMS) {
			if (!line)
				line = j->line[find_option("vms") - hr_options];
			hr_err("%s:%d: [%s] %d guests in this run by the end of this job (repeat and "
			       "warm-up runs times vms, over the jobs), expected at most %d", sc->path,
			       line ? line : j->section_line, j->name, total, HR_MAX_VMS);
			return -1;
		}
	}
	return 0;
}

int hr_scenario_load(const char *path, struct hr_scenario *sc)
{
	struct parse_ctx c = { .sc = sc };
	long size;
	int r;

	memset(sc, 0, sizeof(*sc));
	snprintf(sc->path, sizeof(sc->path), "%s", path);
	c.f = fopen(path, "re");
	if (!c.f) {
		hr_err("%s: cannot open scenario: %s", path, strerror(errno));
		return -1;
	}
	if (fseek(c.f, 0, SEEK_END) || (size = ftell(c.f)) < 0 || fseek(c.f, 0, SEEK_SET)) {
		hr_err("%s: cannot read scenario: %s", path, strerror(errno));
		fclose(c.f);
		return -1;
	}
	if (size > 1 << 20) {
		hr_err("%s: scenario larger than 1 MiB: expected an INI file", path);
		fclose(c.f);
		return -1;
	}
	sc->text = calloc(1, (size_t)size + 1);
	if (!sc->text || fread(sc->text, 1, (size_t)size, c.f) != (size_t)size) {
		hr_err("%s: cannot read scenario", path);
		fclose(c.f);
		return -1;
	}
	if (memchr(sc->text, '\0', (size_t)size)) {
		hr_err("%s:1: binary data: expected an INI text file", path);
		fclose(c.f);
		return -1;
	}
	rewind(c.f);
	hr_job_defaults(&c.global);
	c.cur = &c.global;
	r = ini_parse_stream(reader, &c, handler, &c);
	fclose(c.f);
	if (c.err_line) {
		hr_err("%s:%d: %s", path, c.err_line, c.err);
		return -1;
	}
	if (r > 0) {
		hr_err("%s:%d: expected '[section]', 'key = value' or a ';' comment", path, r);
		return -1;
	}
	if (r < 0) {
		hr_err("%s: cannot parse scenario (out of memory)", path);
		return -1;
	}
	if (sc->njobs == 0) {
		/* No job sections: [global] is the one job, named after the file. */
		const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
		size_t n = strcspn(base, ".");

		sc->jobs[0] = c.global;
		snprintf(sc->jobs[0].name, sizeof(sc->jobs[0].name), "%.*s",
			 (int)(n < HR_NAME_MAX - 1 ? n : HR_NAME_MAX - 1), base);
		if (!valid_name(sc->jobs[0].name))
			snprintf(sc->jobs[0].name, sizeof(sc->jobs[0].name), "job");
		sc->njobs = 1;
	}
	r = expand_matrix(path, sc);
	for (int i = 0; i < c.nowned; i++)
		free(c.owned[i]);
	if (r)
		return -1;
	for (int i = 0; i < sc->njobs; i++)
		if (validate_job(path, &sc->jobs[i]))
			return -1;
	return check_guests(sc);
}

int hr_scenario_set(struct hr_scenario *sc, const char *kv)
{
	const char *eq = strchr(kv, '=');
	char name[64], err[256];
	size_t n = eq ? (size_t)(eq - kv) : 0;

	if (!eq || !n || n >= sizeof(name)) {
		hr_err("--set %s: expected KEY=VALUE, e.g. --set workload=spin:threads=2", kv);
		return -1;
	}
	snprintf(name, sizeof(name), "%.*s", (int)n, kv);
	for (int i = 0; i < sc->njobs; i++) {
		struct hr_job *j = &sc->jobs[i];
		const struct hr_option *o = find_option(name);

		if (hr_job_set(j, name, eq + 1, err, sizeof(err))) {
			hr_err("--set %s: %s", kv, err);
			return -1;
		}
		/* errors found later name the job's section (and say "with --set") */
		if (o)
			j->line[o - hr_options] = j->section_line ? j->section_line : 1;
		if (!strcmp(name, "trace"))
			j->trace_resolved = 1;	/* a path on the command line: from here */
	}
	snprintf(err, sizeof(err), "(with --set %s)", kv);
	hr_log_context = err;
	for (int i = 0; i < sc->njobs; i++)
		if (validate_job(sc->path, &sc->jobs[i])) {
			hr_log_context = NULL;
			return -1;
		}
	if (check_guests(sc)) {
		hr_log_context = NULL;
		return -1;
	}
	hr_log_context = NULL;
	n = strlen(sc->overrides);
	snprintf(sc->overrides + n, sizeof(sc->overrides) - n, "%s%s", n ? " " : "", kv);
	return 0;
}

void hr_scenario_free(struct hr_scenario *sc)
{
	if (!sc)
		return;
	free(sc->text);
	sc->text = NULL;
}

void hr_option_format(const struct hr_option *o, const struct hr_job *job, char *buf, size_t size)
{
	const char *p = (const char *)job + o->off;

	switch (o->type) {
	case HR_T_STR:
		snprintf(buf, size, "%s", p);
		break;
	case HR_T_INT:
	case HR_T_BOOL:
		snprintf(buf, size, "%d", *(const int *)p);
		break;
	case HR_T_SIZE:
		fmt_size(buf, size, *(const uint64_t *)p);
		break;
	case HR_T_DUR:
		fmt_dur(buf, size, *(const uint64_t *)p);
		break;
	case HR_T_ENUM:
		snprintf(buf, size, "%s", o->choices[*(const int *)p]);
		break;
	case HR_T_SIZEP: {
		const struct hr_size *z = (const struct hr_size *)p;

		if (z->percent > 0)
			snprintf(buf, size, "%g%%", z->percent);
		else
			fmt_size(buf, size, z->kib);
		break;
	}
	case HR_T_SIZES: {
		size_t n = 0;

		buf[0] = '\0';
		for (int i = 0; i < job->ntargets && n + 1 < size; i++) {
			char one[32];

			if (job->targets[i].percent > 0)
				snprintf(one, sizeof(one), "%g%%", job->targets[i].percent);
			else
				fmt_size(one, sizeof(one), job->targets[i].kib);
			n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? "," : "", one);
		}
		break;
	}
	}
}

void hr_options_print(FILE *f)
{
	fprintf(f, "%-20s %-10s %-10s %s\n", "OPTION", "TYPE", "DEFAULT", "MEANING (allowed values)");
	for (size_t i = 0; i < hr_noptions; i++) {
		const struct hr_option *o = &hr_options[i];
		char range[160];

		range_text(o, range, sizeof(range));
		fprintf(f, "%-20s %-10s %-10s %s (%s)\n", o->name, type_names[o->type],
			*o->def ? o->def : "-", o->help, range);
	}
}
