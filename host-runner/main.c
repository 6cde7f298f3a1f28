// SPDX-License-Identifier: MIT
/*
 * main.c - the balloonbench command: subcommands as a table.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hwloc.h>
#include <libvirt/libvirt.h>

#include "common/proto.h"
#include "engine/layout.h"
#include "core/log.h"
#include "report/report.h"
#include "engine/run.h"
#include "core/scenario.h"
#include "core/version.h"

struct command {
	const char *name;
	const char *args;
	const char *help;
	int (*fn)(int argc, char **argv);
};

static const struct command commands[];

static void default_state_dir(char *buf, size_t size)
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

/* The guest image: $BB_IMAGE_DIR, else guest/ beside the binary (the build tree). */
static void default_image_dir(char *buf, size_t size)
{
	const char *env = getenv("BB_IMAGE_DIR");
	char exe[PATH_MAX];
	ssize_t n;

	if (env && *env) {
		snprintf(buf, size, "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *slash;

		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		/* build/asan/balloonbench shares build/guest with build/balloonbench */
		if (strlen(exe) > 5 && (!strcmp(exe + strlen(exe) - 5, "/asan") || !strcmp(exe + strlen(exe) - 5, "/tsan")))
			exe[strlen(exe) - 5] = '\0';
		snprintf(buf, size, "%s/guest", exe);
		return;
	}
	snprintf(buf, size, "/usr/local/share/balloonbench/guest");
}

static void usage_run(FILE *f)
{
	fprintf(f,
		"usage: balloonbench run [OPTIONS] SCENARIO.ini\n"
		"\n"
		"Boot a guest per job, move its balloon through the job's targets and record\n"
		"every transition in results/<run-id>/ (run.json, samples.csv, transitions.csv,\n"
		"events.csv, ...), then summary.csv and report.html (see 'balloonbench report').\n"
		"Prints a table of the transitions and where the report is.\n"
		"\n"
		"options:\n"
		"  -c, --connect URI     libvirt URI (default: qemu:///embed?root=STATE/embed,\n"
		"                        libvirt's QEMU driver inside this process, no daemon);\n"
		"                        e.g. qemu:///system, qemu+ssh://host/system\n"
		"  -s, --state-dir DIR   state: embedded libvirt root, lock, KVM probe cache\n"
		"                        (default $BALLOONBENCH_STATE, /var/lib/balloonbench as root)\n"
		"  -o, --results DIR     where run directories go (default: results)\n"
		"  -i, --image-dir DIR   guest image with vmlinuz and initrd.img (default\n"
		"                        $BB_IMAGE_DIR, else guest/ beside the binary)\n"
		"      --set KEY=VALUE   set a scenario option in every job, over what the file\n"
		"                        says (repeatable; recorded in run.json), e.g.\n"
		"                        --set workload=spin:threads=2 for a busy guest\n"
		"      --reprobe-kvm     with accel=auto, try KVM again even if it failed before\n"
		"  -n, --dry-run         check the scenario and print the plan (jobs, guests,\n"
		"                        each guest's target changes, what this host would\n"
		"                        skip, a lower bound of the time); starts nothing\n"
		"  -q, --quiet           no progress and no table, errors only\n"
		"  -v, --verbose         more detail (repeat for libvirt debug)\n"
		"  -h, --help            this text\n"
		"\n"
		"exit status: 0 done, 1 run failed or incomplete (results kept),\n"
		"             2 bad input, 130 interrupted (results kept)\n"
		"See 'balloonbench list options' for what a scenario may set.\n");
}

static int cmd_run(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "connect", required_argument, NULL, 'c' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "results", required_argument, NULL, 'o' },
		{ "image-dir", required_argument, NULL, 'i' },
		{ "reprobe-kvm", no_argument, NULL, 'K' },
		{ "set", required_argument, NULL, 'S' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	char state[PATH_MAX], image[PATH_MAX];
	struct hr_run_opts o = { .results = "results" };
	struct hr_scenario *sc;
	const char *sets[32];
	int c, r, nsets = 0, dry = 0;

	default_state_dir(state, sizeof(state));
	default_image_dir(image, sizeof(image));
	o.state_dir = state;
	o.image_dir = image;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+c:s:o:i:nqvh", lo, NULL)) != -1) {
		switch (c) {
		case 'c': o.uri = optarg; break;
		case 's': o.state_dir = optarg; break;
		case 'o': o.results = optarg; break;
		case 'i': o.image_dir = optarg; break;
		case 'K': o.reprobe_kvm = 1; break;
		case 'S':
			if (nsets == (int)(sizeof(sets) / sizeof(sets[0]))) {
				hr_err("--set: at most %zu", sizeof(sets) / sizeof(sets[0]));
				return HR_EXIT_USAGE;
			}
			sets[nsets++] = optarg;
			break;
		case 'n': dry = 1; break;
		case 'q': hr_verbosity = HR_ERR; break;
		case 'v': hr_verbosity++; break;
		case 'h': usage_run(stdout); return HR_EXIT_OK;
		default:
			fprintf(stderr, "balloonbench: see 'balloonbench run --help'\n");
			return HR_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		hr_err("run: expected one scenario file (see 'balloonbench run --help')");
		return HR_EXIT_USAGE;
	}
	if (o.uri && !*o.uri) {
		hr_err("--connect: expected a libvirt URI, got an empty string");
		return HR_EXIT_USAGE;
	}
	sc = calloc(1, sizeof(*sc));
	if (!sc)
		return HR_EXIT_FAIL;
	r = hr_scenario_load(argv[optind], sc);
	if (!r)
		r = hr_scenario_set_all(sc, sets, nsets);	/* validated once, after them all */
	if (r) {
		hr_scenario_free(sc);
		free(sc);
		return HR_EXIT_USAGE;
	}
	r = dry ? hr_plan(sc, o.uri, stdout) : hr_run(sc, &o);
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
		"usage: balloonbench list options|workloads|scenarios [DIR]\n"
		"\n"
		"  options     every scenario option: type, default, allowed values, meaning\n"
		"  workloads   the guest workloads and their options\n"
		"  scenarios   the scenario files in DIR (default bench/) and the question each answers\n");
}

static void usage_doctor(FILE *f)
{
	fprintf(f,
		"usage: balloonbench doctor\n"
		"\n"
		"What this host offers: versions (libvirt, QEMU), KVM or TCG (and the last KVM\n"
		"probe), host NUMA, huge pages, which balloon options QEMU, libvirt and the guest\n"
		"kernel support, the guest image and the state directory. Exit 1 if something\n"
		"a run needs is missing.\n");
}

static int cmd_list(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";

	if (!strcmp(what, "-h") || !strcmp(what, "--help")) {
		usage_list(stdout);
		return HR_EXIT_OK;
	}

	if (!strcmp(what, "options")) {
		hr_options_print(stdout);
		return HR_EXIT_OK;
	}
	if (!strcmp(what, "scenarios")) {
		const char *dir = argc > 2 ? argv[2] : "bench";
		struct dirent **ents;
		int n = scandir(dir, &ents, filter_ini, alphasort);

		if (n < 0) {
			hr_err("list scenarios: %s: %s", dir, strerror(errno));
			return HR_EXIT_USAGE;
		}
		for (int i = 0; i < n; i++) {
			char path[PATH_MAX], s[SUMMARY_LINE];

			if (!rp_path(path, sizeof(path), dir, ents[i]->d_name)) {
				scenario_summary(path, s, sizeof(s));
				printf("%-28s %s\n", path, s);
			}
			free(ents[i]);
		}
		free(ents);
		return HR_EXIT_OK;
	}
	if (!strcmp(what, "workloads")) {
		printf("Workloads run in the guest while the balloon moves. In a scenario:\n"
		       "  workload = NAME:key=value,key=value   (sizes 64M, durations 500ms)\n"
		       "A bare number is bytes in value-size and block; size needs a unit.\n\n");
		wl_print(stdout);
		return HR_EXIT_OK;
	}
	hr_err("list: expected 'options', 'workloads' or 'scenarios [DIR]' (see 'balloonbench list --help')");
	return HR_EXIT_USAGE;
}

static void doctor_line(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void doctor_line(const char *what, const char *fmt, ...)
{
	va_list ap;

	printf("%-16s ", what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* "yes"/"no" for a property of QEMU's virtio-balloon device (its -device help text) */
static const char *has_prop(const char *help, const char *prop)
{
	char want[64];

	snprintf(want, sizeof(want), "  %s=", prop);
	return strstr(help, want) ? "yes" : "no";
}

/* CONFIG_@opt of the guest kernel: "y", "m", "no" or "?" (no config to read) */
static const char *kconfig(const char *config, const char *opt)
{
	char want[64];
	const char *p;

	if (!config)
		return "?";
	snprintf(want, sizeof(want), "\nCONFIG_%s=", opt);
	p = strstr(config, want);
	if (!p)
		return "no";
	p += strlen(want);
	return *p == 'y' ? "y" : *p == 'm' ? "m" : "no";
}

/*
 * Which balloon options the host (QEMU's device, libvirt's memballoon XML,
 * huge pages) and the guest kernel support. What the guest negotiated is
 * known only once it runs: each run records it (run.json, balloon_features).
 */
static void doctor_balloon(const char *image, unsigned long lv)
{
	char help[16384] = "", path[PATH_MAX + 32], *config = NULL;
	size_t n = 0;
	FILE *f = popen("qemu-system-x86_64 -device virtio-balloon-pci,help 2>&1", "r");
	uint64_t huge = hr_free_hugepages_kib();

	if (f) {
		n = fread(help, 1, sizeof(help) - 1, f);
		help[n] = '\0';
		pclose(f);
	}
	if (strstr(help, "virtio-balloon-pci options"))
		doctor_line("balloon/qemu", "virtio-balloon-pci: deflate-on-oom %s, free-page-reporting %s, "
			    "free-page-hint %s, guest-stats-polling-interval %s",
			    has_prop(help, "deflate-on-oom"), has_prop(help, "free-page-reporting"),
			    has_prop(help, "free-page-hint"), has_prop(help, "guest-stats-polling-interval"));
	else
		doctor_line("balloon/qemu", "cannot ask qemu-system-x86_64 about virtio-balloon-pci");
	/* <memballoon autodeflate> since libvirt 1.3.1, freePageReporting since 6.9.0 */
	if (lv)
		doctor_line("balloon/libvirt", "deflate-on-oom (autodeflate) %s, free-page-reporting "
			    "(freePageReporting) %s, stats period yes",
			    lv >= 1003001 ? "yes" : "no (libvirt < 1.3.1)",
			    lv >= 6009000 ? "yes" : "no (libvirt < 6.9.0)");
	doctor_line("hugepages", "%s, %llu MiB free in 2 MiB pages%s", hr_hugetlbfs_mounted() ?
		    "hugetlbfs mounted" : "no hugetlbfs mounted", (unsigned long long)huge / 1024,
		    huge ? "" : " (hugepages=1 jobs are skipped)");
	snprintf(path, sizeof(path), "%s/kernel.config", image);
	f = fopen(path, "re");
	if (f) {
		config = calloc(1, 1 << 20);
		if (config) {
			config[0] = '\n';
			n = fread(config + 1, 1, (1 << 20) - 2, f);
			config[n + 1] = '\0';
		}
		fclose(f);
	}
	if (config)
		doctor_line("balloon/guest", "kernel VIRTIO_BALLOON %s, BALLOON_COMPACTION %s, "
			    "PAGE_REPORTING %s (free page reporting), NUMA %s; negotiated features: "
			    "run.json of a run", kconfig(config, "VIRTIO_BALLOON"),
			    kconfig(config, "BALLOON_COMPACTION"), kconfig(config, "PAGE_REPORTING"),
			    kconfig(config, "NUMA"));
	else
		doctor_line("balloon/guest", "no %s (make image writes it)", path);
	free(config);
}

/* qemu's version; 1 if it is missing. */
static int doctor_qemu(void)
{
	FILE *f = popen("qemu-system-x86_64 --version 2>/dev/null", "r");
	char line[512] = "";
	int missing = 0;

	if (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		doctor_line("qemu", "%s", line);
	} else {
		doctor_line("qemu", "MISSING: qemu-system-x86_64 not found (make deps)");
		missing = 1;
	}
	if (f)
		pclose(f);
	return missing;
}

/* /dev/kvm, the KVM module, and what the last accel=auto probe (in @state) found. */
static void doctor_kvm(const char *state)
{
	static const char *const kvm_mods[] = { "kvm_intel", "kvm_amd", "kvm_pvm" };
	char path[PATH_MAX + 32], line[512] = "", why[512] = "";	/* fits PATH_MAX + "/kvm-probe" */
	const char *mod = "none";
	FILE *f;

	for (size_t i = 0; i < sizeof(kvm_mods) / sizeof(kvm_mods[0]); i++) {
		snprintf(path, sizeof(path), "/sys/module/%s", kvm_mods[i]);
		if (!access(path, F_OK))
			mod = kvm_mods[i];
	}
	doctor_line("kvm", "/dev/kvm %s, module %s%s",
		    access("/dev/kvm", R_OK | W_OK) ? "not usable" : "present", mod,
		    !strcmp(mod, "kvm_pvm") ? " (a nested PVM hypervisor: stock guests may not boot; accel=auto probes)" : "");
	snprintf(path, sizeof(path), "%s/kvm-probe", state);
	f = fopen(path, "re");
	if (!f) {
		doctor_line("kvm probe", "not probed yet (the first accel=auto run does it)");
		return;
	}
	if (fgets(line, sizeof(line), f) && fgets(why, sizeof(why), f)) {
		why[strcspn(why, "\n")] = '\0';
		doctor_line("kvm probe", "KVM failed to boot a guest: %s (%s)", why, path);
	}
	fclose(f);
}

/* The guest image in @image and its kernel; 1 if it is missing. */
static int doctor_image(const char *image)
{
	char path[PATH_MAX + 32], line[512] = "";	/* fits PATH_MAX + "/kernel.release" */
	FILE *f;
	int missing = 0;

	snprintf(path, sizeof(path), "%s/kernel.release", image);
	f = fopen(path, "re");
	if (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		doctor_line("guest image", "%s (kernel %s)", image, line);
	} else {
		doctor_line("guest image", "MISSING in %s (make image)", image);
		missing = 1;
	}
	if (f)
		fclose(f);
	return missing;
}

static int cmd_doctor(int argc, char **argv)
{
	char state[PATH_MAX], image[PATH_MAX];
	unsigned long lv = 0;
	hwloc_topology_t topo;
	int problems = 0;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage_doctor(stdout);
		return HR_EXIT_OK;
	}
	if (argc > 1) {
		hr_err("doctor: unexpected '%s' (see 'balloonbench doctor --help')", argv[1]);
		return HR_EXIT_USAGE;
	}
	default_state_dir(state, sizeof(state));
	default_image_dir(image, sizeof(image));
	doctor_line("balloonbench", "%s", BB_VERSION);
	if (!virGetVersion(&lv, NULL, NULL))
		doctor_line("libvirt", "%lu.%lu.%lu (library)", lv / 1000000, lv / 1000 % 1000,
			    lv % 1000);
	problems += doctor_qemu();
	doctor_kvm(state);
	if (!hwloc_topology_init(&topo)) {
		if (!hwloc_topology_load(topo))
			doctor_line("host numa", "%d node(s), %d core(s), %d PU(s) (hwloc)",
				    hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE),
				    hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE),
				    hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU));
		hwloc_topology_destroy(topo);
	}
	if (getpwnam("libvirt-qemu"))
		doctor_line("libvirt-qemu", "user present (the embedded driver needs it)");
	else {
		doctor_line("libvirt-qemu", "MISSING: the embedded driver needs this user (make deps)");
		problems++;
	}
	problems += doctor_image(image);
	doctor_balloon(image, lv);
	doctor_line("state dir", "%s", state);
	printf("%s\n", problems ? "problems found: see MISSING above" : "ready");
	return problems ? HR_EXIT_FAIL : HR_EXIT_OK;
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
		"options:\n"
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
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c, r, ret = HR_EXIT_OK, quiet = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+qh", lo, NULL)) != -1) {
		switch (c) {
		case 'q': quiet = 1; break;
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
	for (int i = optind; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) || !S_ISDIR(st.st_mode)) {
			hr_err("report: %s: not a results directory", argv[i]);
			ret = HR_EXIT_USAGE;
			continue;
		}
		r = hr_report(argv[i], 0);
		if (r) {	/* bad input: 2, as every command; a failed write: 1 */
			if (ret != HR_EXIT_FAIL)
				ret = r == RP_BAD_INPUT ? HR_EXIT_USAGE : HR_EXIT_FAIL;
			continue;
		}
		if (!quiet)
			printf("report: %s/report.html\n", argv[i]);
	}
	return ret;
}

static int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("balloonbench %s (agent protocol %d)\n", BB_VERSION, BBP_VERSION);
	return HR_EXIT_OK;
}

static const struct command commands[] = {
	{ "run", "[OPTIONS] SCENARIO.ini", "boot guests, move balloons, record results", cmd_run },
	{ "report", "[OPTIONS] RESULTS_DIR...", "summary.csv and report.html of a results directory", cmd_report },
	{ "compare", "[OPTIONS] BASE CAND", "A/B: did the candidate runs regress against the baseline?", hr_compare_main },
	{ "list", "options|workloads|scenarios", "what a scenario may set; workloads; shipped scenarios", cmd_list },
	{ "doctor", "", "what this host can do: KVM or TCG, NUMA, versions, guest image", cmd_doctor },
	{ "version", "", "print the version", cmd_version },
	{ "help", "[COMMAND]", "this text, or a command's", cmd_help },
	{ NULL, NULL, NULL, NULL },
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

static int cmd_help(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*usage)(FILE *f);
	} pages[] = {
		{ "run", usage_run }, { "report", usage_report }, { "list", usage_list },
		{ "doctor", usage_doctor },
	};

	for (size_t i = 0; argc > 1 && i < sizeof(pages) / sizeof(pages[0]); i++)
		if (!strcmp(argv[1], pages[i].name)) {
			pages[i].usage(stdout);
			return HR_EXIT_OK;
		}
	if (argc > 1 && !strcmp(argv[1], "compare")) {
		char *av[] = { argv[1], (char *)"--help", NULL };

		return hr_compare_main(2, av);
	}
	usage(stdout);
	return HR_EXIT_OK;
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
			return c->fn(argc - 1, argv + 1);
	hr_err("unknown command '%s' (see 'balloonbench --help')", argv[1]);
	return HR_EXIT_USAGE;
}
