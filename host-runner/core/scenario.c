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
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "common/proto.h"
#include "log.h"
#include "matrix.h"
#include "readfile.h"
#include "scenario.h"
#include "policy.h"
#include "schedule.h"
#include "mechdef.h"
#include "workloads/parse.h"



struct parse_ctx {
	struct hr_scenario *sc;
	FILE *f;
	int lineno;
	struct hr_job global;
	struct hr_job *cur;	/* job being filled, or &global */
	int cur_section;	/* a [section] was seen */
	int seen[HR_MAX_OPTIONS];	/* per option: its line in the current section, 0 = not yet */
	int global_line;	/* the line of [global], 0 = none yet */
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

/* Refuse the job name @len bytes at @name. */
static void bad_name(struct parse_ctx *c, const char *name, size_t len)
{
	c->err_line = c->lineno;
	snprintf(c->err, sizeof(c->err),
		 "job name '[%.*s]': expected letters, digits, '-', '_', '.' (at most %d)",
		 (int)len, name, HR_NAME_MAX - 1);
}

/* Anything but blanks or a ';' comment after a "[name]": refused (1), never dropped. */
static int junk_after(struct parse_ctx *c, const char *q)
{
	size_t n;

	while (*q == ' ' || *q == '\t')
		q++;
	if (!*q || *q == '\n' || *q == '\r' || *q == ';')
		return 0;
	n = strcspn(q, "\r\n");
	c->err_line = c->lineno;
	snprintf(c->err, sizeof(c->err),
		 "text after the section header: '%.*s%s' (a comment starts with ';')",
		 (int)(n > 40 ? 40 : n), q, n > 40 ? "..." : "");
	return 1;
}

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
	if (junk_after(c, e + 1))
		return;
	p++;
	while (p < e && isspace((unsigned char)*p))
		p++;
	while (e > p && isspace((unsigned char)e[-1]))
		e--;
	if ((size_t)(e - p) >= sizeof(name)) {
		bad_name(c, p, (size_t)(e - p));	/* too long for any job */
		return;
	}
	memcpy(name, p, (size_t)(e - p));
	name[e - p] = '\0';
	begin_section(c, name);
}

/*
 * Leading blanks are not part of a line: inih would read an indented line
 * after a key as the rest of that key's value (a multi-line value), while
 * section_line() took an indented "[b]" for job b's header: both at once.
 * Without them every line is what it says, wherever it is.
 */
static void unindent(char *str)
{
	size_t k = 0;

	while (str[k] && str[k] != '\n' && isspace((unsigned char)str[k]))
		k++;
	if (k)
		memmove(str, str + k, strlen(str + k) + 1);
}

static char *reader(char *str, int num, void *stream)
{
	struct parse_ctx *c = stream;
	char *r = c->f ? fgets(str, num, c->f) : NULL;

	if (r) {
		size_t n;

		c->lineno++;
		/* a UTF-8 byte order mark: not part of the first line (its [section] counts) */
		if (c->lineno == 1 && !strncmp(str, "\xef\xbb\xbf", 3))
			memmove(str, str + 3, strlen(str + 3) + 1);
		n = strlen(str);
		/* A line longer than inih's buffer would be split silently: refuse it. */
		if (n == (size_t)num - 1 && str[n - 1] != '\n' && !feof(c->f) && !c->err_line) {
			c->err_line = c->lineno;
			snprintf(c->err, sizeof(c->err), "line longer than %d characters", num - 2);
		}
		unindent(str);
		section_line(c, str);
	}
	return r;
}

/*
 * key = a, b, c on a single-valued option: a matrix. Every value is checked
 * now (so errors name this line: hr_matrix_option); the job is expanded after
 * parsing.
 */
static int matrix_option(struct parse_ctx *c, const struct hr_option *o, const char *value)
{
	if (c->nowned == (int)(sizeof(c->owned) / sizeof(c->owned[0]))) {
		c->err_line = c->lineno;
		snprintf(c->err, sizeof(c->err), "%s: matrix too large", o->name);
		return 0;
	}
	if (hr_matrix_option(c->cur, o, value, c->err, sizeof(c->err))) {
		c->err_line = c->lineno;
		return 0;
	}
	c->owned[c->nowned++] = c->cur->matrix[o - hr_options];
	c->cur->line[o - hr_options] = c->lineno;
	return 1;
}

/* A "[name]" line starts a job (or [global]), even if no key follows. */
static void begin_section(struct parse_ctx *c, const char *name)
{
	c->cur_section = 1;
	memset(c->seen, 0, sizeof(c->seen));
	if (!strcmp(name, "global")) {
		if (c->global_line) {
			c->err_line = c->lineno;
			snprintf(c->err, sizeof(c->err), "[global] given twice (first on line %d)",
				 c->global_line);
			return;
		}
		c->global_line = c->lineno;
		c->cur = &c->global;
		return;
	}
	if (!valid_name(name)) {
		bad_name(c, name, strlen(name));
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
	memcpy(c->cur->name, name, strlen(name) + 1);	/* valid_name: it fits */
	c->cur->section_line = c->lineno;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *c = user;
	const struct hr_option *o;

	(void)section;
	if (c->err_line)
		return 1;	/* report only the first error */
	o = hr_option_find(name);
	if (!o) {
		c->err_line = c->lineno;
		snprintf(c->err, sizeof(c->err),
			 "unknown option '%s' in [%s] (see 'balloonbench list options')", name,
			 c->cur == &c->global ? "global" : c->cur->name);
		return 0;
	}
	if (c->seen[o - hr_options]) {
		c->err_line = c->lineno;
		snprintf(c->err, sizeof(c->err), "%s given twice in [%s] (first on line %d)", name,
			 c->cur == &c->global ? "global" : c->cur->name, c->seen[o - hr_options]);
		return 0;
	}
	c->seen[o - hr_options] = c->lineno;
	c->cur->matrix[o - hr_options] = NULL;
	if (strchr(value, ',') && o->type != HR_T_STR && o->type != HR_T_SIZES)
		return matrix_option(c, o, value);
	if (hr_option_set(c->cur, o, value, c->err, sizeof(c->err))) {
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
	int l = hr_job_line(j, name);

	return l ? l : j->section_line;
}

/* The syntax of host lists is checked here; whether this host has them, at run time. */
static int check_host_lists(const char *path, const struct hr_job *j)
{
	if (j->host_numa_mode != HR_NUMA_NONE && hr_set_max(j->host_numa_nodes) < 0) {
		return hr_error("%s:%d: [%s] host-numa-nodes: '%s' is not a node list like 0, 0-1 or 0,2", path,
		       opt_line(j, "host-numa-nodes"), j->name, j->host_numa_nodes);
	}
	if (strcmp(j->vcpu_pin, "none") && hr_set_max(j->vcpu_pin) < 0) {
		return hr_error("%s:%d: [%s] vcpu-pin: '%s' is not none or a CPU list like 0-1 or 0,2", path,
		       opt_line(j, "vcpu-pin"), j->name, j->vcpu_pin);
	}
	return 0;
}

/* Targets in KiB (percentages of memory resolved), each from 4M to memory=. */
static int resolve_targets(const char *path, struct hr_job *j)
{
	/* targets left at their default: blame memory=, else the job's header */
	int tl = hr_job_line(j, "targets");
	char m[HR_UNIT_TEXT], v[HR_UNIT_TEXT];

	if (!tl)
		tl = opt_line(j, "memory");
	(void)hr_format_size(m, sizeof(m), j->memory_kib);
	for (int i = 0; i < j->ntargets; i++) {
		struct hr_size *t = &j->targets[i];

		if (t->percent > 0)
			t->kib = (uint64_t)llround(j->memory_kib * t->percent / 100.0 / 4) * 4;
		if (t->kib > j->memory_kib) {
			(void)hr_format_size(v, sizeof(v), t->kib);
			return hr_error("%s:%d: [%s] targets: %s is above memory=%s, %s", path, tl, j->name, v,
			       m, hr_mech_def(j->mechanism)->limit);
		}
		if (t->kib < 4096) {
			return hr_error("%s:%d: [%s] targets: entry %d is below 4M", path, tl, j->name, i + 1);
		}
	}
	return 0;
}

/* A relative trace is found beside the scenario: make it that path, once. */
static int resolve_trace(const char *path, struct hr_job *j)
{
	const char *slash = strrchr(path, '/');
	size_t dir = slash ? (size_t)(slash - path + 1) : 0, len = strlen(j->trace);

	if (j->schedule != HR_SCHED_TRACE || !j->trace[0] || j->trace[0] == '/' ||
	    j->trace_resolved)
		return 0;
	if (dir + len >= sizeof(j->trace)) {
		return hr_error("%s:%d: [%s] trace: '%.*s%s' is longer than %zu characters", path,
		       opt_line(j, "trace"), j->name, (int)dir, path, j->trace, sizeof(j->trace) - 1);
	}
	memmove(j->trace + dir, j->trace, len + 1);
	memcpy(j->trace, path, dir);
	j->trace_resolved = 1;	/* once: validation runs again after --set */
	return 0;
}

/* events=: parsed, and each event one this job can run (core/lifecycle.c). */
static int check_events(const char *path, struct hr_job *j, size_t ntrans)
{
	char err[400];

	if (hr_lc_parse(j->events_spec, j->events, &j->nevents, err, sizeof(err)) ||
	    hr_lc_check(j->events, j->nevents, ntrans, j->mechanism, j->memory_kib, j->timeout_us,
				j->migrate_to, err, sizeof(err)))
		return hr_error("%s:%d: [%s] events: %s", path, opt_line(j, "events"), j->name, err);
	return 0;
}

/* The schedule builds (the reason blames the line of the field it names), and pace= fits it. */
static int check_schedule(const char *path, struct hr_job *j)
{
	struct hr_sched_event *ev = NULL;
	char err[512], word[32];
	const struct hr_option *o;
	size_t n = 0;
	int l = hr_job_line(j, "schedule");

	if (resolve_trace(path, j))
		return -1;
	if (hr_job_schedule(j, 0, &ev, &n, err, sizeof(err))) {
		/* "low (2G) is ...": low's line */
		if (sscanf(err, "%31[a-z-]", word) == 1 &&
		    (o = hr_option_find(!strcmp(word, "list") ? "targets" : word)) &&
		    j->line[o - hr_options])
			l = j->line[o - hr_options];
		else if (j->schedule == HR_SCHED_TRACE && hr_job_line(j, "trace"))
			l = hr_job_line(j, "trace");	/* the trace file's own error: trace='s line */
		return hr_error("%s:%d: [%s] schedule %s: %s", path, l ? l : j->section_line, j->name,
		       hr_sched_names[j->schedule], err);
	}
	free(ev);
	if (check_events(path, j, n))
		return -1;
	if (j->pace == HR_PACE_PERIOD && j->period_us == 0 && j->schedule != HR_SCHED_TRACE) {
		return hr_error("%s:%d: [%s] pace=period needs period > 0", path, opt_line(j, "pace"), j->name);
	}
	return 0;
}

/* The entry after @k's in a comma-separated list (at the list's end: its NUL). */
static const char *next_entry(const char *k)
{
	k += strcspn(k, ",");
	return *k ? k + 1 : k;
}

/* The options of a workload spec "NAME:k=v,...": no empty entry, no key twice. 0, or -1 (@err). */
static int check_spec_keys(const char *spec, char *err, size_t errlen)
{
	const char *p = strchr(spec, ':');
	int n;

	if (!p)
		return 0;
	if ((n = hr_list_empty_entry(p + 1)))
		return wl_err(err, errlen, "option %d of '%s' is empty", n, spec);
	for (const char *k = p + 1; *k; k = next_entry(k)) {
		size_t kl = strcspn(k, "=,");

		for (const char *q = next_entry(k); *q; q = next_entry(q))
			if (strcspn(q, "=,") == kl && !strncmp(q, k, kl))
				return wl_err(err, errlen, "option '%.*s' given twice in '%s'",
					      (int)kl, k, spec);
	}
	return 0;
}

/* The agent's RUN message must carry the spec whole (proto.h: BBP_MAX_LINE, escaped). */
static int check_spec_sendable(const char *spec, char *err, size_t errlen)
{
	struct bbp_msg m = { .type = BBP_RUN };
	char line[BBP_MAX_LINE + 1];
	size_t n = strlen(spec);

	m.u.run.w = 1;	/* the id the runner sends */
	m.u.run.guest = HR_MAX_VMS;	/* and a guest's index, at its longest */
	if (n >= sizeof(m.u.run.spec))
		return wl_err(err, errlen, "%zu characters, the agent's RUN message carries at most %zu",
			      n, sizeof(m.u.run.spec) - 1);
	memcpy(m.u.run.spec, spec, n + 1);
	if (bbp_encode(line, sizeof(line), &m) < 0)
		return wl_err(err, errlen, "%zu characters make a RUN message longer than %d bytes "
			      "(each blank, '=' and '%%' is sent as 3): too long to send to the agent",
			      n, BBP_MAX_LINE);
	return 0;
}

/* A workload's size must fit the guest (its node's share, when bound to one). 0, or -1 (@err). */
static int check_spec_fits(const struct hr_job *j, const struct wl_desc *d, char *err,
			   size_t errlen)
{
	uint64_t mem = j->memory_kib * 1024, node = mem / (uint64_t)j->guest_numa;
	char a[HR_UNIT_TEXT], b[HR_UNIT_TEXT];

	if (!(d->opts & WL_OPT(WL_O_SIZE)))
		return 0;
	(void)hr_format_size(a, sizeof(a), (j->workload.size + 1023) / 1024);
	if (j->workload.size > mem) {
		(void)hr_format_size(b, sizeof(b), j->memory_kib);
		return wl_err(err, errlen, "size=%s does not fit the guest (memory=%s)", a, b);
	}
	if (j->workload.node >= 0 && j->guest_numa > 1 && j->workload.size > node) {
		(void)hr_format_size(b, sizeof(b), node / 1024);
		return wl_err(err, errlen, "size=%s does not fit guest node %d (%s of memory)", a,
			      j->workload.node, b);
	}
	return 0;
}

/* workload=: parsed by the workloads' own parser, sendable to the agent, fitting the guest. */
static int check_workload(const char *path, struct hr_job *j)
{
	const struct wl_desc *d;
	char err[256];

	j->workload_name[0] = '\0';
	if (!j->workload_spec[0])
		return 0;
	if (check_spec_sendable(j->workload_spec, err, sizeof(err)) ||
	    check_spec_keys(j->workload_spec, err, sizeof(err)) ||
	    wl_parse_spec(j->workload_spec, &d, &j->workload, err, sizeof(err))) {
		return hr_error("%s:%d: [%s] workload: %s", path, opt_line(j, "workload"), j->name, err);
	}
	if (j->workload.node >= j->guest_numa) {
		return hr_error("%s:%d: [%s] workload: node=%d but the guest has %d NUMA node(s) (guest-numa=%d)",
		       path, opt_line(j, "workload"), j->name, j->workload.node, j->guest_numa,
		       j->guest_numa);
	}
	if (check_spec_fits(j, d, err, sizeof(err))) {
		return hr_error("%s:%d: [%s] workload: %s", path, opt_line(j, "workload"), j->name, err);
	}
	snprintf(j->workload_name, sizeof(j->workload_name), "%s", d->name);	/* names are short */
	return 0;
}

#define MIB_KIB(n)	((uint64_t)(n) * 1024)

/* prefill= and refill= must leave the guest room to run. */
static int check_fills(const char *path, const struct hr_job *j)
{
	static const char *const name[2] = { "prefill", "refill" };
	const uint64_t kib[2] = { j->prefill_kib, j->refill_kib };

	for (int i = 0; i < 2; i++) {
		if (kib[i] && kib[i] + MIB_KIB(64) > j->memory_kib) {
			return hr_error("%s:%d: [%s] %s: %" PRIu64 "M leaves the guest less than 64M of its memory=%" PRIu64 "M",
			       path, hr_job_line(j, name[i]), j->name, name[i], kib[i] / 1024,
			       j->memory_kib / 1024);
		}
	}
	return 0;
}

/* The image files a job names (kernel=, initrd=): a regular file each, readable (QEMU opens them). */
static int check_images(const char *path, const struct hr_job *j)
{
	static const char *const key[2] = { "kernel", "initrd" };
	const char *file[2] = { j->kernel, j->initrd };
	char why[128];

	for (int k = 0; k < 2; k++) {
		if (*file[k] && hr_file_readable(file[k], why, sizeof(why))) {
			return hr_error("%s:%d: [%s] %s: %s: %s", path, opt_line(j, key[k]), j->name, key[k],
			       file[k], why);
		}
	}
	return 0;
}

int hr_scenario_check_image(const struct hr_scenario *sc, const char *image_dir)
{
	static const char *const key[2] = { "kernel", "initrd" };
	const char *const file[2] = { hr_image_kernel(image_dir), "initrd.img" };

	for (int i = 0; i < sc->njobs; i++) {
		const struct hr_job *j = &sc->jobs[i];
		const char *set[2] = { j->kernel, j->initrd };

		for (int k = 0; k < 2; k++) {
			char p[PATH_MAX + 16], why[128];

			if (*set[k])
				continue;	/* checked with the job */
			snprintf(p, sizeof(p), "%s/%s", image_dir, file[k]);
			if (!hr_file_readable(p, why, sizeof(why)))
				continue;
			return hr_error("guest %s %s not found: run 'make image' first, or set %s= in the scenario (%s)",
			       key[k], p, key[k], why);
		}
	}
	return 0;
}

/* Checks that need the whole job: host lists, targets against memory, the schedule, the workload. */
static uint64_t resolve(const struct hr_size *z, uint64_t memory_kib);

uint64_t hr_job_floor_kib(const struct hr_job *j)
{
	uint64_t f = resolve(&j->low, j->memory_kib);

	return f < j->memory_kib ? f : j->memory_kib;
}

/*
 * host-budget, host-swap, policy, policy-period-scale (issue 24): their
 * syntax, and what goes together, here; the host's side (a memory
 * controller, MemTotal, the guests' minimum) at run time and in the dry run
 * (engine/budget.c), before anything boots.
 */
static int check_policy(const char *path, struct hr_job *j)
{
	const struct hr_policy *row = NULL;
	const char *cmd = NULL;
	double c, d;
	char why[256], *end;

	memset(&j->budget, 0, sizeof(j->budget));
	j->policy_kind = 0;
	if (j->host_budget[0] && hr_budget_parse("host-budget", j->host_budget, &j->budget, why, sizeof(why)))
		return hr_error("%s:%d: [%s] %s", path, opt_line(j, "host-budget"), j->name, why);
	if (j->host_swap[0] && hr_budget_parse("host-swap", j->host_swap, &j->budget, why, sizeof(why)))
		return hr_error("%s:%d: [%s] %s", path, opt_line(j, "host-swap"), j->name, why);
	if (j->budget.has_swap && !j->budget.has_budget)
		return hr_error("%s:%d: [%s] host-swap: a swap file for the job's host budget, expected "
				"a host-budget too", path, opt_line(j, "host-swap"), j->name);
	j->policy_scale = strtod(j->policy_period_scale, &end);
	if (end == j->policy_period_scale || *end || !isfinite(j->policy_scale) ||
	    j->policy_scale < 0.01 || j->policy_scale > 100)
		return hr_error("%s:%d: [%s] policy-period-scale: '%.40s' is not a number from 0.01 to 100",
				path, opt_line(j, "policy-period-scale"), j->name, j->policy_period_scale);
	if (!j->policy[0])
		return 0;
	if (!(row = hr_policy_find(j->policy, &cmd, why, sizeof(why))))
		return hr_error("%s:%d: [%s] policy: %s", path, opt_line(j, "policy"), j->name, why);
	if (hr_policy_periods(row, j->policy_scale, &c, &d, why, sizeof(why)))
		return hr_error("%s:%d: [%s] policy-period-scale: %s", path,
				opt_line(j, "policy-period-scale"), j->name, why);
	if ((row->needs & HR_POL_NEEDS_BUDGET) && !j->budget.has_budget)
		return hr_error("%s:%d: [%s] policy: %s decides on the host budget's state, expected a "
				"host-budget too", path, opt_line(j, "policy"), j->name, row->name);
	if ((row->needs & HR_POL_FPR) && !j->free_page_reporting)
		return hr_error("%s:%d: [%s] policy: %s is free page reporting, expected free-page-reporting=1 too",
				path, opt_line(j, "policy"), j->name, row->name);
	if ((row->needs & HR_POL_NEEDS_BSTATS) && !j->stats_period)
		return hr_error("%s:%d: [%s] policy: %s reads the balloon's statistics, expected a "
				"stats-period above 0", path, opt_line(j, "policy"), j->name, row->name);
	if (j->nevents)
		return hr_error("%s:%d: [%s] policy: lifecycle events (events=) follow a schedule's "
				"transitions; not yet with a policy, expected one or the other", path,
				opt_line(j, "policy"), j->name);
	if (j->mechanism != HR_MECH_BALLOON)
		return hr_error("%s:%d: [%s] policy: a policy sets balloon targets, expected mechanism=balloon",
				path, opt_line(j, "policy"), j->name);
	if (j->vms > HR_POL_MAX_GUESTS)
		return hr_error("%s:%d: [%s] policy: at most %d guests under one policy, this job has vms=%d",
				path, opt_line(j, "policy"), j->name, HR_POL_MAX_GUESTS, j->vms);
	j->policy_kind = (int)row->kind + 1;
	return 0;
}

static int validate_job(const char *path, struct hr_job *j)
{
	int l;

	if (check_host_lists(path, j) || resolve_targets(path, j) || check_schedule(path, j) ||
	    hr_mech_check_job(path, j) || check_images(path, j))
		return -1;
	if (j->guest_numa > j->vcpus) {
		return hr_error("%s:%d: [%s] guest-numa: %d cells need at least as many vcpus (vcpus=%d)", path,
		       opt_line(j, "guest-numa"), j->name, j->guest_numa, j->vcpus);
	}
	if (check_workload(path, j) || check_fills(path, j) || check_policy(path, j))
		return -1;
	if (j->idle_hz > j->sample_hz) {
		l = hr_job_line(j, "idle-sample-rate");
		if (!l)
			l = hr_job_line(j, "sample-rate");
		return hr_error("%s:%d: [%s] idle-sample-rate: %d Hz is above sample-rate=%d Hz", path,
		       l ? l : j->section_line, j->name, j->idle_hz, j->sample_hz);
	}
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

/* splitmix64's finaliser (round-order=shuffle's order of a round) */
static uint64_t mix64(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

int hr_rounds_plan(const struct hr_scenario *sc, struct hr_round_step *out, int max)
{
	int rounds = sc->njobs && sc->jobs[0].rounds > 1 ? sc->jobs[0].rounds : 1, n = 0, ng = 0;
	int order = sc->njobs ? sc->jobs[0].round_order : HR_RO_FILE;
	int head[HR_MAX_JOBS], seq[HR_MAX_JOBS];

	for (int i = 0; i < sc->njobs; i++)	/* the groups: a job and the parallel ones after it */
		if (!i || !sc->jobs[i].parallel)
			head[ng++] = i;
	for (int r = 0; r < rounds; r++) {
		uint64_t z = mix64((uint64_t)r + 1);

		for (int g = 0; g < ng; g++)
			seq[g] = order == HR_RO_REVERSE && r % 2 ? ng - 1 - g : g;
		for (int g = ng - 1; order == HR_RO_SHUFFLE && g > 0; g--) {	/* Fisher-Yates */
			int k = (int)(z % (uint64_t)(g + 1)), t = seq[g];

			z = mix64(z);
			seq[g] = seq[k];
			seq[k] = t;
		}
		for (int g = 0; g < ng; g++) {
			int end = seq[g] + 1 < ng ? head[seq[g] + 1] : sc->njobs;

			for (int i = head[seq[g]]; i < end; i++, n++)
				if (n < max) {
					out[n] = (struct hr_round_step){ .round = r, .job = i };
					hr_round_runs(&sc->jobs[i], r, &out[n].from, &out[n].to);
				}
		}
	}
	return n;
}

/*
 * rounds= is the run's: every job the same (a job that says otherwise is
 * refused at its line); then the run's guests (repetitions, warm-up runs
 * included, times vms) must fit in one run.
 */
static int check_guests(const struct hr_scenario *sc)
{
	int total = 0;

	for (int i = 1; i < sc->njobs; i++) {
		const struct hr_job *j = &sc->jobs[i], *j0 = &sc->jobs[0];
		const struct hr_job *at = hr_job_line(j, "rounds") ? j : j0, *other = at == j ? j0 : j;

		if (j->rounds != j0->rounds)
			return hr_error("%s:%d: [%s] rounds=%d where [%s] has rounds=%d: rounds is the run's, "
					"expected one value for every job (set it in [global] or with --set)",
					sc->path, opt_line(at, "rounds"), at->name, at->rounds, other->name,
					other->rounds);
		at = hr_job_line(j, "round-order") ? j : j0;
		other = at == j ? j0 : j;
		if (j->round_order != j0->round_order)
			return hr_error("%s:%d: [%s] round-order=%s where [%s] has round-order=%s: round-order is "
					"the run's, expected one value for every job (set it in [global] or with --set)",
					sc->path, opt_line(at, "round-order"), at->name,
					hr_round_order_names[at->round_order], other->name,
					hr_round_order_names[other->round_order]);
	}
	for (int i = 0; i < sc->njobs; i++) {
		const struct hr_job *j = &sc->jobs[i];
		int n = hr_job_runs(j) * j->vms;
		int line = hr_job_line(j, "repeat");

		if (!line)
			line = hr_job_line(j, "rounds");
		total += n;
		if (total > HR_MAX_VMS) {
			if (!line)
				line = hr_job_line(j, "vms");
			return hr_error("%s:%d: [%s] %d guests in this run by the end of this job (repeat "
			       "times rounds and warm-up runs, times vms, over the jobs), expected at most %d", sc->path,
			       line ? line : j->section_line, j->name, total, HR_MAX_VMS);
		}
	}
	return 0;
}

int hr_scenario_check_memory(const struct hr_scenario *sc, uint64_t host_kib)
{
	for (int i = 0; i < sc->njobs && host_kib; i++) {
		const struct hr_job *j = &sc->jobs[i];
		uint64_t need = j->memory_kib * (uint64_t)j->vms, group = 0;
		int line = hr_job_line(j, "vms"), first = i, guests = 0;

		if (need > host_kib) {
			if (!line)
				line = opt_line(j, "memory");
			return hr_error("%s:%d: [%s] vms=%d x memory=%" PRIu64 "M: %d guests at once need %" PRIu64
					" MiB, this host has %" PRIu64 " MiB (MemTotal)%s%s%s: fewer vms or less memory",
					sc->path, line, j->name, j->vms, j->memory_kib / 1024, j->vms, need / 1024,
					host_kib / 1024, sc->overrides[0] ? " (with --set " : "", sc->overrides,
					sc->overrides[0] ? ")" : "");
		}
		/* parallel=1: the group (the jobs side by side up to this one) at once */
		while (first > 0 && sc->jobs[first].parallel)
			first--;
		for (int k = first; k <= i; k++) {
			group += sc->jobs[k].memory_kib * (uint64_t)sc->jobs[k].vms;
			guests += sc->jobs[k].vms;
		}
		if (group > host_kib) {
			line = hr_job_line(j, "parallel");
			return hr_error("%s:%d: [%s] parallel: jobs %s to %s side by side, %d guests at once, "
					"need %" PRIu64 " MiB, this host has %" PRIu64 " MiB (MemTotal): "
					"fewer jobs side by side, fewer vms or less memory", sc->path,
					line ? line : j->section_line, j->name, sc->jobs[first].name, j->name,
					guests, group / 1024, host_kib / 1024);
		}
	}
	return 0;
}

/* The line number of byte @off of @text. */
static int line_of(const char *text, size_t off)
{
	int l = 1;

	for (size_t i = 0; i < off; i++)
		l += text[i] == '\n';
	return l;
}

/*
 * Read @path whole into sc->text (kept for run.json): a regular file of at
 * most 1 MiB (readfile.h); a stream over that text in *@f. 0 or -1.
 */
static int read_text(const char *path, struct hr_scenario *sc, FILE **f)
{
	size_t size;

	*f = NULL;
	if (hr_read_file(path, "scenario", HR_MAX_SCENARIO, 0, &sc->text, &size, NULL, 0))
		return -1;
	if (memchr(sc->text, '\0', size)) {
		return hr_error("%s:%d: binary data (a NUL byte): expected an INI text file", path,
		       line_of(sc->text, (size_t)((char *)memchr(sc->text, '\0', size) - sc->text)));
	}
	if (!size)
		return 0;	/* nothing to read: no stream */
	*f = fmemopen(sc->text, size, "r");
	if (!*f) {
		return hr_error("%s: cannot read scenario: %s", path, strerror(errno));
	}
	return 0;
}

/* Parse the INI stream into c->sc's jobs (a file without jobs: [global] is one, named after it). */
static int parse_jobs(const char *path, struct parse_ctx *c)
{
	struct hr_scenario *sc = c->sc;
	int r;

	hr_job_defaults(&c->global);
	c->cur = &c->global;
	r = ini_parse_stream(reader, c, handler, c);
	if (c->err_line) {
		return hr_error("%s:%d: %s", path, c->err_line, c->err);
	}
	if (r > 0) {
		return hr_error("%s:%d: expected '[section]', 'key = value' or a ';' comment", path, r);
	}
	if (r < 0) {
		return hr_error("%s: cannot parse scenario (out of memory)", path);
	}
	if (sc->njobs == 0) {
		const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
		size_t n = strcspn(base, ".");

		sc->jobs[0] = c->global;
		/* at most HR_NAME_MAX - 1 characters of it, then checked */
		snprintf(sc->jobs[0].name, sizeof(sc->jobs[0].name), "%.*s",
			 (int)(n < HR_NAME_MAX - 1 ? n : HR_NAME_MAX - 1), base);
		if (!valid_name(sc->jobs[0].name))
			snprintf(sc->jobs[0].name, sizeof(sc->jobs[0].name), "job");
		sc->njobs = 1;
	}
	return 0;
}

int hr_scenario_load(const char *path, struct hr_scenario *sc)
{
	struct parse_ctx c = { .sc = sc };
	int r;

	memset(sc, 0, sizeof(*sc));
	if (strlen(path) >= sizeof(sc->path)) {
		return hr_error("%s: a scenario path longer than %zu characters", path, sizeof(sc->path) - 1);
	}
	memcpy(sc->path, path, strlen(path) + 1);
	if (read_text(path, sc, &c.f))
		return -1;
	r = parse_jobs(path, &c);
	if (c.f)
		fclose(c.f);
	if (!r)
		r = hr_matrix_expand(path, sc);
	for (int i = 0; i < c.nowned; i++)
		free(c.owned[i]);
	if (r)
		return -1;
	for (int i = 0; i < sc->njobs; i++)
		if (validate_job(path, &sc->jobs[i]))
			return -1;
	return check_guests(sc);
}

/* Validate every job again after the --set options @kv (errors say "(with --set KV ...)"). */
static int revalidate(struct hr_scenario *sc, const char *const *kv, int n)
{
	char ctx[sizeof(sc->overrides) + 16];
	size_t off;
	int r = 0;

	off = (size_t)snprintf(ctx, sizeof(ctx), "(with --set");
	for (int i = 0; i < n && off < sizeof(ctx); i++)
		off += (size_t)snprintf(ctx + off, sizeof(ctx) - off, " %s", kv[i]);
	if (off < sizeof(ctx))
		snprintf(ctx + off, sizeof(ctx) - off, ")");
	hr_log_context = ctx;	/* the --set list fits overrides: checked by set_one */
	for (int i = 0; i < sc->njobs && !r; i++)
		r = validate_job(sc->path, &sc->jobs[i]);
	if (!r)
		r = check_guests(sc);
	hr_log_context = NULL;
	return r;
}

/* Apply one "KEY=VALUE" to every job and add it to sc->overrides; no validation. 0 or -1. */
static int set_one(struct hr_scenario *sc, const char *kv)
{
	const char *eq = strchr(kv, '=');
	char name[64], err[256];
	size_t n = eq ? (size_t)(eq - kv) : 0, used = strlen(sc->overrides);
	const struct hr_option *o;

	if (!eq || !n || n >= sizeof(name)) {
		return hr_error("--set %s: expected KEY=VALUE, e.g. --set workload=spin:threads=2", kv);
	}
	if (used + (used ? 1 : 0) + strlen(kv) >= sizeof(sc->overrides)) {
		return hr_error("--set %s: the --set options add up to more than %zu characters", kv,
		       sizeof(sc->overrides) - 1);
	}
	memcpy(name, kv, n);
	name[n] = '\0';
	o = hr_option_find(name);
	for (int i = 0; i < sc->njobs; i++) {
		struct hr_job *j = &sc->jobs[i];

		if (hr_job_set(j, name, eq + 1, err, sizeof(err))) {
			return hr_error("--set %s: %s", kv, err);
		}
		/* errors found later name the job's section (and say "with --set") */
		j->line[o - hr_options] = j->section_line ? j->section_line : 1;
		if (!strcmp(name, "trace"))
			j->trace_resolved = 1;	/* a path on the command line: from here */
	}
	snprintf(sc->overrides + used, sizeof(sc->overrides) - used, "%s%s", used ? " " : "", kv);
	return 0;
}

int hr_scenario_set_all(struct hr_scenario *sc, const char *const *kv, int n)
{
	for (int i = 0; i < n; i++)
		if (set_one(sc, kv[i]))
			return -1;
	return n ? revalidate(sc, kv, n) : 0;
}

int hr_scenario_set(struct hr_scenario *sc, const char *kv)
{
	return hr_scenario_set_all(sc, &kv, 1);
}

void hr_scenario_free(struct hr_scenario *sc)
{
	if (!sc)
		return;
	free(sc->text);
	sc->text = NULL;
}
