// SPDX-License-Identifier: MIT
/*
 * main.c - the balloonbench command: subcommands as a table.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/proto.h"
#include "engine/fleet.h"
#include "core/log.h"
#include "core/paths.h"
#include "report/report.h"
#include "engine/run.h"
#include "engine/budget.h"
#include "core/scenario.h"
#include "core/version.h"
#include "main.h"

struct command {
	const char *name;
	const char *args;
	const char *help;
	int (*fn)(int argc, char **argv);
	void (*usage)(FILE *f);		/* its --help text (help COMMAND, the man page) */
};

static const struct command commands[];

/* $BALLOONBENCH_STATE, else /var/lib/balloonbench as root, else ~/.local/state/balloonbench. */
void hr_default_state_dir(char *buf, size_t size)
{
	const char *env = getenv("BALLOONBENCH_STATE");
	const char *home = getenv("HOME");

	if (env && *env)
		snprintf(buf, size, "%s", env);
	else if (geteuid() == 0)
		snprintf(buf, size, "/var/lib/balloonbench");
	else
		snprintf(buf, size, "%s/.local/state/balloonbench", home ? home : "/tmp");
}

/*
 * The directory this binary is in; build/asan/ and build/tsan/ count as
 * build/ (they share its guest image). Returns 0, or -1 if it is not known.
 */
static int exe_dir(char *buf, size_t size)
{
	char exe[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	size_t len;

	if (n <= 0)
		return -1;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	len = strlen(exe);
	if (len > 5 && (!strcmp(exe + len - 5, "/asan") || !strcmp(exe + len - 5, "/tsan")))
		exe[len - 5] = '\0';
	return snprintf(buf, size, "%s", exe) < (int)size ? 0 : -1;
}

/*
 * What the binary ships, found from where it is: @tree (relative to its
 * directory in the build tree, e.g. "guest" beside build/balloonbench) or,
 * installed, @installed (e.g. "../lib/balloonbench/guest" from PREFIX/bin).
 * The first that exists; the build tree's if neither does (then the error
 * names it). @fallback if the binary's path is unknown.
 */
static void shipped_dir(char *buf, size_t size, const char *tree, const char *installed,
			const char *fallback)
{
	char dir[PATH_MAX], path[PATH_MAX], real[PATH_MAX];
	struct stat st;

	if (exe_dir(dir, sizeof(dir))) {
		snprintf(buf, size, "%s", fallback);
		return;
	}
	for (int i = 1; i >= 0; i--) {
		/* the installed one only if the build tree's is not there */
		if (!rp_path(path, sizeof(path), dir, i ? tree : installed) && !stat(path, &st) &&
		    S_ISDIR(st.st_mode) && realpath(path, real)) {
			snprintf(buf, size, "%s", real);
			return;
		}
	}
	(void)rp_path(buf, size, dir, tree);
}

/* The guest image: $BB_IMAGE_DIR, else guest/ beside the binary, else PREFIX/lib/balloonbench/guest. */
void hr_default_image_dir(char *buf, size_t size)
{
	const char *env = getenv("BB_IMAGE_DIR");

	if (env && *env)
		snprintf(buf, size, "%s", env);
	else
		shipped_dir(buf, size, "guest", "../lib/balloonbench/guest",
			    "/usr/local/lib/balloonbench/guest");
}

/* The shipped scenarios: bench/ of the source tree, else PREFIX/share/balloonbench/bench. */
static void default_bench_dir(char *buf, size_t size)
{
	shipped_dir(buf, size, "../bench", "../share/balloonbench/bench",
		    "/usr/local/share/balloonbench/bench");
}

/*
 * The scenario file @arg names: @arg itself if it exists; else, for a bare
 * name ("quick" or "quick.ini"), the shipped scenario of that name; else
 * @arg (loading it then says what is wrong). Returns 0, or -1 (said) if a
 * path does not fit @size.
 */
static int find_scenario(const char *arg, char *buf, size_t size)
{
	char dir[PATH_MAX];

	if (access(arg, F_OK) && !strchr(arg, '/')) {
		default_bench_dir(dir, sizeof(dir));
		if (snprintf(buf, size, "%s/%s", dir, arg) < (int)size && !access(buf, F_OK))
			return 0;
		if (snprintf(buf, size, "%s/%s.ini", dir, arg) < (int)size && !access(buf, F_OK))
			return 0;
	}
	if (snprintf(buf, size, "%s", arg) >= (int)size) {
		hr_err("run: %.60s...: path too long", arg);
		return -1;
	}
	return 0;
}

static void usage_run(FILE *f)
{
	fprintf(f,
		"usage: balloonbench run [OPTIONS] SCENARIO.ini|NAME\n"
		"\n"
		"Boot a guest per job, move its balloon through the job's targets and record\n"
		"every transition in results/<run-id>/ (run.json, samples.csv, transitions.csv,\n"
		"events.csv, ...), then summary.csv and report.html (see 'balloonbench report').\n"
		"Prints a table of the transitions and where the report is. NAME (quick,\n"
		"oscillate, ...) is a shipped scenario ('balloonbench list scenarios').\n"
		"\n"
		"options:\n"
		"  -c, --connect URI     libvirt URI (default: qemu:///embed?root=STATE/embed,\n"
		"                        libvirt's QEMU driver inside this process, no daemon);\n"
		"                        e.g. qemu:///system, qemu+ssh://host/system;\n"
		"                        repeated: several hosts in one run (see --mode)\n"
		"      --hosts FILE      the hosts of the run, one INI section each (uri =,\n"
		"                        max-guests =, labels =, pool =); the guest image goes\n"
		"                        to each daemon's storage pool (by its SHA-256)\n"
		"      --mode each|spread  with several hosts: the whole scenario on every\n"
		"                        host (each, the default), or its repetitions shared\n"
		"                        out among them (spread)\n"
		"  -s, --state-dir DIR   state: embedded libvirt root, lock, KVM probe cache\n"
		"                        (default $BALLOONBENCH_STATE, /var/lib/balloonbench as root)\n"
		"  -o, --results DIR     where run directories go (default: results)\n"
		"  -i, --image-dir DIR   guest image with vmlinuz and initrd.img (default\n"
		"                        $BB_IMAGE_DIR, else guest/ beside the binary, else\n"
		"                        PREFIX/lib/balloonbench/guest when installed)\n"
		"      --set KEY=VALUE   set a scenario option in every job, over what the file\n"
		"                        says (repeatable; recorded in run.json), e.g.\n"
		"                        --set workload=spin:threads=2 for a busy guest\n"
		"      --reprobe-kvm     with accel=auto, try KVM again even if it failed before\n"
		"  -n, --dry-run         check the scenario and the files the run would open\n"
		"                        (guest image, traces, hosts file, where it writes)\n"
		"                        and print the plan (jobs, guests, each guest's target\n"
		"                        changes, what this host would skip, a lower bound of\n"
		"                        the time); starts and writes nothing\n"
		"      --output-format LIST  normal (the table, on stdout), json (the run's\n"
		"                        transitions and summary statistics, schema in\n"
		"                        report/output.c), csv (summary.csv's rows), several\n"
		"                        comma-separated; default normal\n"
		"      --output-file FILE    where json and csv go (default: stdout)\n"
		"  -q, --quiet           no progress and no table, errors only\n"
		"  -v, --verbose         more detail (repeat for libvirt debug)\n"
		"  -h, --help            this text\n"
		"\n"
		"exit status: 0 done, 1 run failed or incomplete (results kept),\n"
		"             2 bad input, 130 interrupted (results kept)\n"
		"See 'balloonbench list options' for what a scenario may set.\n");
}

/* The run results/latest points at now, or "" if none. */
static void latest_run(const char *results, char *buf, size_t size)
{
	char link[PATH_MAX];
	ssize_t n = -1;

	if (!rp_path(link, sizeof(link), results, "latest"))
		n = readlink(link, buf, size - 1);
	buf[n > 0 ? n : 0] = '\0';
}

/*
 * hr_run, then --output-format's json and csv from the results directory it
 * wrote (the files, read back as `report` reads them). Returns hr_run's exit
 * status, or HR_EXIT_FAIL if the output could not be written after a run that
 * went well.
 */
static int run_and_write(const struct hr_scenario *sc, const struct hr_run_opts *o, unsigned fmts,
			 FILE *out, const char *outpath)
{
	char before[PATH_MAX], after[PATH_MAX], dir[PATH_MAX];
	char *dirs[1] = { dir };
	int r;

	latest_run(o->results, before, sizeof(before));
	r = hr_run(sc, o);
	if (!out)
		return r;
	latest_run(o->results, after, sizeof(after));
	if (!after[0] || !strcmp(before, after) || rp_path(dir, sizeof(dir), o->results, after)) {
		hr_err("run: no results directory to write --output-format from");
		if (!r)
			r = HR_EXIT_FAIL;
	} else if (rp_results_write(out, fmts, dirs, 1)) {
		hr_error_print();	/* before the close's */
		if (!r)
			r = HR_EXIT_FAIL;
	}
	if (rp_output_close(out, outpath) && !r)
		r = HR_EXIT_FAIL;
	return r;
}

/* Scenario @path with the --set options @sets[0..n) applied; NULL (said) if it is not valid. */
static struct hr_scenario *load_scenario(const char *path, const char *const *sets, int n)
{
	struct hr_scenario *sc = calloc(1, sizeof(*sc));
	int r;

	if (!sc)
		return NULL;
	r = hr_scenario_load(path, sc);
	if (!r)
		r = hr_scenario_set_all(sc, sets, n);	/* validated once, after them all */
	if (r) {
		hr_scenario_free(sc);
		free(sc);
		return NULL;
	}
	return sc;
}

/*
 * What a run makes or opens beyond the scenario and the image, checked for a
 * dry run without making it: --results and --state-dir (made with their
 * parents), --output-file. 0, or -1 (said).
 */
static int check_outputs(const struct hr_run_opts *o, unsigned fmts, const char *outpath)
{
	const struct { const char *opt, *path; int dir; } p[] = {
		{ "--results", o->results, 1 },
		{ "--state-dir", o->state_dir, 1 },
		{ "--output-file", (fmts & ~RP_FMT_NORMAL) && outpath && strcmp(outpath, "-") ? outpath : NULL, 0 },
	};
	char why[PATH_MAX + 64];

	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
		if (p[i].path && hr_path_writable(p[i].path, p[i].dir, why, sizeof(why))) {
			hr_err("run: %s %s: %s", p[i].opt, p[i].path, why);
			return -1;
		}
	}
	return 0;
}

/* run's long options (getopt_long) */
static const struct option run_lopts[] = {
	{ "connect", required_argument, NULL, 'c' },
	{ "hosts", required_argument, NULL, 'H' },
	{ "mode", required_argument, NULL, 'M' },
	{ "state-dir", required_argument, NULL, 's' },
	{ "results", required_argument, NULL, 'o' },
	{ "image-dir", required_argument, NULL, 'i' },
	{ "reprobe-kvm", no_argument, NULL, 'K' },
	{ "set", required_argument, NULL, 'S' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "output-format", required_argument, NULL, 'F' },
	{ "output-file", required_argument, NULL, 'O' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 }
};

/* What run's command line asked for. */
struct run_args {
	char state[PATH_MAX], image[PATH_MAX];
	struct hr_run_opts o;
	const char *sets[32], *outpath;
	int nsets, dry;
	unsigned fmts;		/* RP_FMT_* */
};

/* run's options into @a. Returns 0, 1 after --help (exit 0), or -1 (said; exit 2). */
static int parse_run_args(int argc, char **argv, struct run_args *a)
{
	struct hr_run_opts *o = &a->o;
	int c;

	memset(a, 0, sizeof(*a));
	o->results = "results";
	a->fmts = RP_FMT_NORMAL;
	hr_default_state_dir(a->state, sizeof(a->state));
	hr_default_image_dir(a->image, sizeof(a->image));
	o->state_dir = a->state;
	o->image_dir = a->image;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+c:s:o:i:nqvh", run_lopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (!*optarg) {
				hr_err("--connect: expected a libvirt URI, got an empty string");
				return -1;
			}
			if (!o->uri) {
				o->uri = optarg;
			} else if (o->nmore == (int)(sizeof(o->more_uris) / sizeof(o->more_uris[0]))) {
				hr_err("--connect: at most %zu hosts", 1 + sizeof(o->more_uris) / sizeof(o->more_uris[0]));
				return -1;
			} else {
				o->more_uris[o->nmore++] = optarg;
			}
			break;
		case 'H': o->hosts_file = optarg; break;
		case 'M':
			if ((o->fleet_mode = hr_fleet_mode_parse(optarg)) < 0) {
				hr_err("--mode: expected each or spread, got '%s'", optarg);
				return -1;
			}
			break;
		case 's': o->state_dir = optarg; break;
		case 'o': o->results = optarg; break;
		case 'i': o->image_dir = optarg; break;
		case 'K': o->reprobe_kvm = 1; break;
		case 'S':
			if (a->nsets == (int)(sizeof(a->sets) / sizeof(a->sets[0]))) {
				hr_err("--set: at most %zu", sizeof(a->sets) / sizeof(a->sets[0]));
				return -1;
			}
			a->sets[a->nsets++] = optarg;
			break;
		case 'n': a->dry = 1; break;
		case 'q': hr_verbosity = HR_ERR; break;
		case 'v': hr_verbosity++; break;
		case 'F':
			if (rp_formats_parse(optarg, RP_CMD_RUN, &a->fmts))
				return -1;
			break;
		case 'O': a->outpath = optarg; break;
		case 'h': usage_run(stdout); return 1;
		default:
			fprintf(stderr, "balloonbench: see 'balloonbench run --help'\n");
			return -1;
		}
	}
	if (optind != argc - 1) {
		hr_err("run: expected one scenario file (see 'balloonbench run --help')");
		return -1;
	}
	if (o->hosts_file && o->uri) {
		hr_err("run: --hosts or --connect, not both");
		return -1;
	}
	return 0;
}

static int cmd_run(int argc, char **argv)
{
	struct run_args a;
	struct hr_scenario *sc;
	char scen[PATH_MAX];
	FILE *out = NULL;
	int r = parse_run_args(argc, argv, &a);

	if (r)
		return r > 0 ? HR_EXIT_OK : HR_EXIT_USAGE;
	if (find_scenario(argv[optind], scen, sizeof(scen)) || !(sc = load_scenario(scen, a.sets, a.nsets)))
		return HR_EXIT_USAGE;
	/* what the run would open, checked by a dry run too: --output-file first, then the image */
	if ((a.dry ? check_outputs(&a.o, a.fmts, a.outpath) :
		   (a.fmts & ~RP_FMT_NORMAL) && !(out = rp_output_open(a.outpath))) ||
	    hr_scenario_check_image(sc, a.o.image_dir) ||
	    hr_scenario_check_memory(sc, hr_run_local_mem_kib(&a.o)) ||
	    hr_budget_check_scenario(sc, &a.o, a.dry ? stdout : NULL)) {
		if (out)
			(void)rp_output_close(out, a.outpath);
		hr_scenario_free(sc);
		free(sc);
		return HR_EXIT_USAGE;
	}
	if (!(a.fmts & RP_FMT_NORMAL) && hr_verbosity > HR_WARN)
		hr_verbosity = HR_WARN;	/* no table: stdout is the JSON's or the CSV's */
	r = a.dry ? hr_plan(sc, &a.o, stdout) : run_and_write(sc, &a.o, a.fmts, out, a.outpath);
	hr_scenario_free(sc);
	free(sc);
	return r;
}

#define SUMMARY_LINE	512	/* a scenario's first comment line, read whole: fits a summary */

/* First comment line of a scenario: what question it answers. @size: SUMMARY_LINE. */
static void scenario_summary(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	char line[SUMMARY_LINE];

	snprintf(buf, size, "-");
	while (f && fgets(line, sizeof(line), f)) {
		char *p = line;

		if (*p != '#' && *p != ';')
			break;
		while (*p == '#' || *p == ';' || *p == ' ')
			p++;
		p[strcspn(p, "\n")] = '\0';
		if (*p) {
			snprintf(buf, size, "%s", p);
			break;
		}
	}
	if (f)
		fclose(f);
}

static int filter_ini(const struct dirent *e)
{
	size_t n = strlen(e->d_name);

	return n > 4 && !strcmp(e->d_name + n - 4, ".ini");
}

static void usage_list(FILE *f)
{
	fprintf(f,
		"usage: balloonbench list options|workloads|metrics|schema|scenarios [DIR]\n"
		"\n"
		"  options     every scenario option: type, default, allowed values, meaning\n"
		"  workloads   the guest workloads and their options\n"
		"  metrics     the metrics of summary.csv, compare and trend: unit, which way is better\n"
		"  schema      every results file's columns: type, unit, meaning (--man: as\n"
		"              balloonbench-results(5); --json-schema: the JSON Schema of\n"
		"              --output-format json)\n"
		"  scenarios   the scenario files in DIR (default: the shipped ones, bench/ of the\n"
		"              source tree or PREFIX/share/balloonbench/bench) and what each answers;\n"
		"              'balloonbench run NAME' runs a shipped one from anywhere\n"
		"exit status: 0 listed, 1 no shipped scenario found, 2 bad usage or no scenario in DIR\n");
}

static int cmd_list(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";

	if (!strcmp(what, "-h") || !strcmp(what, "--help")) {
		usage_list(stdout);
		return HR_EXIT_OK;
	}

	if (!strcmp(what, "options")) {
		if (argc > 2 && !strcmp(argv[2], "--man"))
			rp_man_scenario(stdout);	/* balloonbench-scenario(5), for make docs */
		else
			hr_options_print(stdout);
		return HR_EXIT_OK;
	}
	if (!strcmp(what, "metrics")) {
		rp_metrics_print(stdout);
		return HR_EXIT_OK;
	}
	if (!strcmp(what, "schema")) {
		const char *how = argc > 2 ? argv[2] : "";

		if (!strcmp(how, "--man"))
			rp_man_results(stdout);		/* balloonbench-results(5), for make docs */
		else if (!strcmp(how, "--json-schema"))
			return rp_json_schema(stdout) ? HR_EXIT_FAIL : HR_EXIT_OK;
		else if (!*how)
			rp_schema_print(stdout);
		else {
			hr_err("list schema: expected --man or --json-schema, not '%s'", how);
			return HR_EXIT_USAGE;
		}
		return HR_EXIT_OK;
	}
	if (!strcmp(what, "scenarios")) {
		char shipped[PATH_MAX];
		const char *dir = argc > 2 ? argv[2] : shipped;
		struct dirent **ents;
		int n;

		default_bench_dir(shipped, sizeof(shipped));
		n = scandir(dir, &ents, filter_ini, alphasort);
		if (n <= 0) {
			hr_err("list scenarios: %s: %s%s", dir, n ? strerror(errno) : "no scenario (*.ini) in it",
			       dir == shipped ? " (the shipped scenarios: is balloonbench built or installed?)" : "");
			if (!n)
				free(ents);
			return dir == shipped ? HR_EXIT_FAIL : HR_EXIT_USAGE;
		}
		for (int i = 0; i < n; i++) {
			char path[PATH_MAX], s[SUMMARY_LINE];

			if (!rp_path(path, sizeof(path), dir, ents[i]->d_name)) {
				scenario_summary(path, s, sizeof(s));
				/* shipped: by the name 'run NAME' takes; else by path */
				if (dir == shipped)
					printf("%-22.*s %s\n", (int)strlen(ents[i]->d_name) - 4,
					       ents[i]->d_name, s);
				else
					printf("%-28s %s\n", path, s);
			}
			free(ents[i]);
		}
		free(ents);
		if (dir == shipped)
			fprintf(stderr, "(in %s: 'balloonbench run NAME' runs one from anywhere)\n", shipped);
		return HR_EXIT_OK;
	}
	if (!strcmp(what, "workloads")) {
		printf("Workloads run in the guest while the balloon moves. In a scenario:\n"
		       "  workload = NAME:key=value,key=value   (sizes 64M, durations 500ms)\n"
		       "A bare number is bytes in value-size and block; size needs a unit.\n\n");
		wl_print(stdout);
		return HR_EXIT_OK;
	}
	hr_err("list: expected 'options', 'workloads', 'metrics', 'schema' or 'scenarios [DIR]' (see "
	       "'balloonbench list --help')");
	return HR_EXIT_USAGE;
}

static int cmd_help(int argc, char **argv);

static void usage_report(FILE *f)
{
	fprintf(f,
		"usage: balloonbench report [OPTIONS] RESULTS_DIR...\n"
		"\n"
		"Write summary.csv (statistics across repetitions) and report.html (charts and\n"
		"tables, one self-contained file that opens offline) into each results directory.\n"
		"'balloonbench run' does this at the end of every run; run it again on an\n"
		"older or an interrupted run: the CSV files are the data, nothing else is needed.\n"
		"\n"
		"It also writes metrics.prom: the summary statistics as OpenMetrics text, for\n"
		"Prometheus (node_exporter's textfile collector) and other metric stores.\n"
		"\n"
		"options:\n"
		"      --output-format LIST  normal (a line per report written), json (each\n"
		"                        run's transitions and summary statistics, schema in\n"
		"                        report/output.c), csv (summary.csv's rows with a\n"
		"                        run_id column), several comma-separated; default normal\n"
		"      --output-file FILE    where json and csv go (default: stdout)\n"
		"  -q, --quiet           print nothing but errors\n"
		"  -h, --help            this text\n"
		"\n"
		"exit status: 0 written, 1 a file could not be read or written (what could\n"
		"             be shown is still written), 2 bad usage\n");
}

static int cmd_report(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "output-format", required_argument, NULL, 'F' },
		{ "output-file", required_argument, NULL, 'O' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c, r, ret = HR_EXIT_OK, quiet = 0, ndone = 0;
	unsigned fmts = RP_FMT_NORMAL;
	const char *outpath = NULL;
	char **done;
	FILE *out = NULL;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+qh", lo, NULL)) != -1) {
		switch (c) {
		case 'q': quiet = 1; break;
		case 'F':
			if (rp_formats_parse(optarg, RP_CMD_REPORT, &fmts))
				return HR_EXIT_USAGE;
			break;
		case 'O': outpath = optarg; break;
		case 'h': usage_report(stdout); return HR_EXIT_OK;
		default:
			fprintf(stderr, "balloonbench: see 'balloonbench report --help'\n");
			return HR_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		hr_err("report: expected a results directory (see 'balloonbench report --help')");
		return HR_EXIT_USAGE;
	}
	if ((fmts & ~RP_FMT_NORMAL) && !(out = rp_output_open(outpath)))
		return HR_EXIT_USAGE;
	done = calloc((size_t)argc, sizeof(*done));
	if (!done)
		return HR_EXIT_FAIL;
	for (int i = optind; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) || !S_ISDIR(st.st_mode)) {
			hr_err("report: %s: not a results directory", argv[i]);
			ret = HR_EXIT_USAGE;
			continue;
		}
		r = hr_report(argv[i], 0);
		if (r) {	/* bad input: 2, as every command; a failed write: 1 */
			hr_error_print();	/* each directory's, as it goes */
			if (ret != HR_EXIT_FAIL)
				ret = r == RP_BAD_INPUT ? HR_EXIT_USAGE : HR_EXIT_FAIL;
			continue;
		}
		done[ndone++] = argv[i];
		if (!quiet && (fmts & RP_FMT_NORMAL))
			printf("report: %s/report.html\n", argv[i]);
	}
	if (out && ndone && rp_results_write(out, fmts, done, ndone)) {
		hr_error_print();	/* before the close's */
		if (ret == HR_EXIT_OK)
			ret = HR_EXIT_FAIL;
	}
	if (out && rp_output_close(out, outpath) && ret == HR_EXIT_OK)
		ret = HR_EXIT_FAIL;
	free(done);
	return ret;
}

static int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("balloonbench %s (agent protocol %d)\n", BB_VERSION, BBP_VERSION);
	return HR_EXIT_OK;
}

static void usage_version(FILE *f)
{
	fprintf(f, "usage: balloonbench version (or --version)\n");
}

static void usage_help(FILE *f)
{
	fprintf(f, "usage: balloonbench help [COMMAND]   (or COMMAND --help)\n");
}

static const struct command commands[] = {
	{ "run", "[OPTIONS] SCENARIO.ini", "boot guests, move balloons, record results", cmd_run, usage_run },
	{ "report", "[OPTIONS] RESULTS_DIR...", "summary.csv and report.html of a results directory", cmd_report,
	  usage_report },
	{ "compare", "[OPTIONS] BASE CAND", "A/B: did the candidate runs regress against the baseline?", hr_compare_main,
	  rp_compare_usage },
	{ "trend", "[OPTIONS] RESULTS...", "a metric over many runs, change points marked", hr_trend_main, rp_trend_usage },
	{ "list", "options|workloads|metrics|schema|scenarios", "what a scenario may set; workloads; metrics; results columns; shipped scenarios", cmd_list,
	  usage_list },
	{ "doctor", "", "what this host can do: KVM or TCG, NUMA, versions, guest image", hr_cmd_doctor,
	  hr_usage_doctor },
	{ "version", "", "print the version", cmd_version, usage_version },
	{ "help", "[COMMAND]", "this text, or a command's", cmd_help, usage_help },
	{ NULL, NULL, NULL, NULL, NULL },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: balloonbench COMMAND [ARGS]\n\n"
		   "A benchmark and stress test for VM memory ballooning (virtio-balloon).\n\n"
		   "commands:\n");
	for (const struct command *c = commands; c->name; c++)
		fprintf(f, "  %-8s %-28s %s\n", c->name, c->args, c->help);
	fprintf(f, "\nglobal options: -h/--help, --version\n"
		   "Start with: balloonbench run bench/quick.ini\n");
}

/* balloonbench(1): every command with its --help, from the same texts. */
static int man_main(void)
{
	struct rp_man_cmd m[16];
	size_t n = 0;

	for (const struct command *c = commands; c->name && n < sizeof(m) / sizeof(m[0]); c++, n++) {
		m[n].name = c->name;
		m[n].help = c->help;
		m[n].usage = c->usage;
	}
	rp_man_main(stdout, m, n);
	return HR_EXIT_OK;
}

static int cmd_help(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--man"))
		return man_main();	/* balloonbench(1), for make docs */
	for (const struct command *c = commands; argc > 1 && c->name; c++)
		if (!strcmp(argv[1], c->name)) {
			c->usage(stdout);
			return HR_EXIT_OK;
		}
	usage(stdout);
	return HR_EXIT_OK;
}

/*
 * The command layer's idiom: print once, return the exit status. What the
 * engine, core and report functions a command called recorded (hr_error) and
 * did not say is taken and printed here, once, when the command fails; a
 * command's own usage errors are printed where they are found (hr_err).
 */
static int failed_with(int code)
{
	if (code != HR_EXIT_OK)
		hr_error_print();
	return code;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		usage(stderr);
		return HR_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return cmd_help(1, argv);
	if (!strcmp(argv[1], "--version"))
		return cmd_version(1, argv);
	for (const struct command *c = commands; c->name; c++)
		if (!strcmp(argv[1], c->name))
			return failed_with(c->fn(argc - 1, argv + 1));
	hr_err("unknown command '%s' (see 'balloonbench --help')", argv[1]);
	return HR_EXIT_USAGE;
}
