/* skeletons.c - the templates of a mechanism (core/mech_skeleton.c) and a workload (workloads/skeleton.c) through the runner's own lookups; every mechanism row's shape. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/mechdef.h"
#include "core/scenario.h"
#include "tap.h"
#include "workloads/workload.h"

#define MIB	1024ull		/* KiB */

/* What @fn writes for @j, in a malloc'ed string. */
static char *written(void (*fn)(FILE *f, const struct hr_job *j), const struct hr_job *j)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fn(f, j);
	fclose(f);
	return buf;
}

/* Every row, the template's too: named once, found by its name, every hook set. */
static void test_rows(void)
{
	struct hr_job j;

	hr_job_defaults(&j);
	for (int k = 0; k < HR_MECH_ALL; k++) {
		const struct hr_mech_def *m = hr_mech_def(k);
		uint64_t r;

		j.mechanism = k;
		ok(hr_mech_kind(hr_mech_name(k)) == k, "%s: found by its name", hr_mech_name(k));
		ok(m->xml_memory && m->xml_devices && m->boot_kib && m->round && m->plan &&
		   m->cmdline && m->limit, "%s: every hook the engine calls unasked is set",
		   hr_mech_name(k));
		r = m->round(&j, j.memory_kib / 2);
		ok(m->round(&j, r) == r && r <= j.memory_kib, "%s: round() is idempotent, within memory=",
		   hr_mech_name(k));
	}
	ok(hr_mech_kind("no-such") < 0, "an unknown name is no kind");
	for (int k = 0; k < HR_MECH_N; k++)
		ok(strcmp(hr_mech_names[k], "skeleton"), "mechanism='s value %d is not the template",
		   k);
	ok(!hr_mech_names[HR_MECH_N], "mechanism='s values end at HR_MECH_N");
}

/* The template's pure row, through hr_mech_kind() and hr_mech_def() as domain.c and scenario.c ask. */
static void test_mech_skeleton(void)
{
	int k = hr_mech_kind("skeleton");
	const struct hr_mech_def *m = hr_mech_def(k);
	struct hr_job j;
	char err[256], *x;

	hr_job_defaults(&j);
	ok(k == HR_MECH_SKELETON, "the template is HR_MECH_SKELETON");
	ok(hr_job_set(&j, "mechanism", "skeleton", err, sizeof(err)) != 0,
	   "mechanism=skeleton is refused (not a user's mechanism)");
	j.mechanism = k;
	snprintf(j.name, sizeof(j.name), "t");
	j.section_line = 3;
	j.memory_kib = 1024 * MIB;
	x = written(m->xml_memory, &j);
	ok(x && strstr(x, "<memory unit='KiB'>1048576</memory>") &&
	   strstr(x, "<currentMemory unit='KiB'>1048576</currentMemory>"), "xml_memory: memory= at boot");
	free(x);
	x = written(m->xml_devices, &j);
	ok(x && !strncmp(x, "    <memballoon model='virtio'", 30) && strstr(x, "</memballoon>\n"),
	   "xml_devices: its device, indented in <devices>");
	free(x);
	x = written(m->plan, &j);
	ok(x && !strncmp(x, "  skeleton: ", 12) && x[strlen(x) - 1] == '\n', "plan: one line of its own");
	free(x);
	is_int(m->boot_kib(&j), 1024 * MIB, "boot_kib: all of memory=");
	ok(!(m->flags & HR_MF_NUMA), "no guest NUMA cells needed");
	is_int(m->round(&j, 301 * MIB), 300 * MIB, "round: 301M to whole 4 MiB steps");
	is_int(m->round(&j, 302 * MIB), 304 * MIB, "round: 302M up to the step above");
	is_int(m->round(&j, 2048 * MIB), 1024 * MIB, "round: never above memory=");
	is_int(m->round(&j, 0), 4 * MIB, "round: never below one step");
	is_int(hr_mech_check_job("t.ini", &j), 0, "check_job: 1G is whole steps");
	j.memory_kib = 1023 * MIB;
	fprintf(stderr, "# the next line is the template's refusal, as a scenario would show it:\n");
	is_int(hr_mech_check_job("t.ini", &j), -1, "check_job: 1023M is refused");
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A shm as the agent makes it: rdtsc calibrated against CLOCK_MONOTONIC over 20 ms. */
static struct wl_shm *new_shm(const struct wl_opts *o)
{
	struct wl_shm *shm = calloc(1, sizeof(*shm));
	struct timespec ts = { 0, 20000000 };
	uint64_t k0 = wl_ticks(), t0 = now_ns(), k1, t1;

	nanosleep(&ts, NULL);
	t1 = now_ns();
	k1 = wl_ticks();
	if (!shm)
		return NULL;
	shm->ns_per_tick = (double)(t1 - t0) / (double)(k1 - k0);
	shm->tick0 = k1;
	shm->ns0 = t1;
	shm->t0_ns = now_ns();
	shm->slow_ns = o->slow_ns;
	return shm;
}

/* The template workload: its options through wl_parse_opts(), then a short run. */
static void test_wl_skeleton(void)
{
	const struct wl_desc *d = NULL;
	struct wl_ctx ctx = { .desc = &wl_skeleton };
	char err[256], text[64];
	uint64_t acc = 0, req = 0, bytes = 0, t0;
	int ret;

	ok(!wl_find("skeleton") && wl_parse_spec("skeleton", &d, &ctx.o, err, sizeof(err)) &&
	   !d, "workload=skeleton is refused (not in the registry): %s", err);
	snprintf(text, sizeof(text), "qd=4");
	ok(wl_parse_opts(&wl_skeleton, text, &ctx.o, err, sizeof(err)) &&
	   strstr(err, "unknown option 'qd'"), "an option it does not take is refused: %s", err);
	snprintf(text, sizeof(text), "size=4M,duration=150ms,threads=2,rate=20000");
	if (!ok(!wl_parse_opts(&wl_skeleton, text, &ctx.o, err, sizeof(err)), "its options parse"))
		diag("  %s", err);
	is_int(ctx.o.size, 4 << 20, "size=4M");
	is_int(ctx.o.threads, 2, "threads=2");
	ok(wl_skeleton.help && !strchr(wl_skeleton.help, '\n') && !wl_skeleton.supported,
	   "one-line help; runs anywhere");
	ctx.shm = new_shm(&ctx.o);
	if (!ok(ctx.shm, "a shm"))
		return;
	t0 = now_ns();
	ret = wl_skeleton.run(&ctx);
	is_int(ret, 0, "a short run returns 0");
	for (int t = 0; t < WL_MAX_THREADS; t++) {
		for (int e = 0; e < 2; e++) {
			acc += st_hist_total(&ctx.shm->th[t].ep[e].hist[WL_K_ACCESS]);
			req += st_hist_total(&ctx.shm->th[t].ep[e].hist[WL_K_REQUEST]);
		}
		bytes += ctx.shm->th[t].bytes;
	}
	ok(acc > 100 && !req && (wl_skeleton.flags & WL_F_ACCESS),
	   "it records accesses only, as its flags say (%llu)", (unsigned long long)acc);
	is_int(bytes, 4 << 20, "its threads held size= between them");
	ok(now_ns() - t0 < 5000000000ull, "it stopped at duration= (%.2f s)", (now_ns() - t0) / 1e9);
	free(ctx.shm);
}

int main(void)
{
	test_rows();
	test_mech_skeleton();
	test_wl_skeleton();
	return done_testing();
}
