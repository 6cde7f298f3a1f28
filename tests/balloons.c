/* balloons.c - the guest balloon readers (common/balloons.c) on sample files in the formats the kernel drivers write (tests/data/balloons/), and the /proc/PID/stat parser (common/smallfile.c). */
#include <stdio.h>
#include <string.h>

#include "common/balloons.h"
#include "common/smallfile.h"
#include "tap.h"

#define D "tests/data/balloons/"

static void test_detect(void)
{
	static const struct { const char *root, *name; } want[] = {
		{ D "virtio", "virtio_balloon" }, { D "xen", "xen-balloon" },
		{ D "vmw", "vmw_balloon" }, { D "vmw-old", "vmw_balloon" }, { D "hv", "hv_balloon" },
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct bb_balloon_driver *d = bb_balloon_detect(want[i].root);

		is_str(d ? d->name : "(none)", want[i].name, "%s: detected as %s", want[i].root,
		       want[i].name);
	}
	ok(bb_balloon_detect(D "none") == NULL,
	   "a guest whose only virtio device is not a balloon (virtio-mem, id 24): no driver");
	ok(bb_balloon_detect(D "does-not-exist") == NULL, "nothing there: no driver");
}

static void expect(const char *root, uint64_t size, int has_target, uint64_t target,
		   uint64_t failures)
{
	const struct bb_balloon_driver *d = bb_balloon_detect(root);
	struct bb_balloon_state s = { 0 };

	ok(d && d->read(root, &s) == 0, "%s: read", root);
	is_int((long long)s.size_kib, (long long)size, "%s: balloon holds %llu KiB", root,
	       (unsigned long long)size);
	is_int(s.has_target, has_target, "%s: %s a target", root, has_target ? "shows" : "shows no");
	is_int((long long)s.target_kib, (long long)target, "%s: target %llu KiB", root,
	       (unsigned long long)target);
	is_int((long long)s.failures, (long long)failures, "%s: %llu failures", root,
	       (unsigned long long)failures);
}

static void test_read(void)
{
	/* 196608 - 65536 pages of 4 KiB */
	expect(D "virtio", 524288, 0, 0, 0);
	/* low_kb + high_kb; target_kb; retry_count "1a" is hex (DEVICE_ULONG_ATTR) */
	expect(D "xen", 2097152, 1, 2097152, 26);
	/* current and target in 4 KiB frames; the later "target: 731 (0 failed)" is a command count */
	expect(D "vmw", 786432, 1, 1048576, 0);
	expect(D "vmw-old", 262144, 1, 524288, 0);
	/* pages_ballooned of page_size 4096 */
	expect(D "hv", 524288, 0, 0, 0);
}

/* /proc/pressure/memory and /proc/vmstat's named counts (the agent's PSI message) */
static void test_psi(void)
{
	static const char ok_text[] = "some avg10=1.25 avg60=0.50 avg300=0.10 total=123456\n"
				      "full avg10=0.75 avg60=0.25 avg300=0.00 total=65432\n";
	static const char *const bad[] = {
		"some avg10=1.25 avg60=0.50 avg300=0.10 total=123456\n",		/* no full line */
		"some avg10=101.00 avg60=0.50 avg300=0.10 total=1\nfull avg10=0 avg60=0 avg300=0 total=0\n",
		"some avg10=-1 avg60=0.50 avg300=0.10 total=1\nfull avg10=0 avg60=0 avg300=0 total=0\n",
		"some avg10=nan avg60=0.50 avg300=0.10 total=1\nfull avg10=0 avg60=0 avg300=0 total=0\n",
		"some avg10=1 avg60=0.50 avg300=0.10 total=-1\nfull avg10=0 avg60=0 avg300=0 total=0\n",
		"some avg10=1 avg60=0.50 avg300=0.10 total=99999999999999999999999\nfull avg10=0 avg60=0 avg300=0 total=0\n",
		"some avg10=1 avg60=0.50 avg300=0.10 total=5x\nfull avg10=0 avg60=0 avg300=0 total=0\n",
		"",
	};
	struct bb_psi p = { 0 };
	uint64_t v = 0;
	int refused = 1;

	ok(bb_parse_psi(ok_text, &p) == 0 && p.some_avg10 == 1.25 && p.some_avg60 == 0.5 &&
	   p.some_total_us == 123456 && p.full_avg10 == 0.75 && p.full_avg60 == 0.25 &&
	   p.full_total_us == 65432, "psi: both lines read");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (bb_parse_psi(bad[i], &p) != -1) {
			refused = 0;
			diag("accepted: %s", bad[i]);
		}
	ok(refused, "psi: a missing line, an average out of 0..100 or NaN, a bad total: refused");
	ok(bb_parse_vmstat("pswpin 12\npswpout 34\npgmajfault 5\n", "pswpout", &v) == 0 && v == 34,
	   "vmstat: a named count");
	ok(bb_parse_vmstat("pswpin 12\n", "pswp", &v) == -1, "vmstat: a prefix does not match");
	ok(bb_parse_vmstat("pgmajfault x\n", "pgmajfault", &v) == -1, "vmstat: not a number: refused");
	ok(bb_parse_vmstat("", "pswpin", &v) == -1, "vmstat: missing");
}

static void test_parsers(void)
{
	uint64_t v = 7, a, b;

	ok(bb_parse_keyed("page_size             : 4096\n", "page_size", &v) == 0 && v == 4096,
	   "keyed: padded name");
	ok(bb_parse_keyed("pages_added           : 1\n", "pages", &v) == -1,
	   "keyed: a prefix of a longer name does not match");
	ok(bb_parse_keyed("current               : -5\n", "current", &v) == -1, "keyed: a sign is refused");
	ok(bb_parse_keyed("current               : 12x\n", "current", &v) == -1,
	   "keyed: junk after the number is refused");
	ok(bb_parse_keyed("current: 99999999999999999999999\n", "current", &v) == -1,
	   "keyed: a number beyond 64 bits is refused");
	ok(bb_parse_keyed("", "current", &v) == -1, "keyed: empty text");
	ok(bb_parse_ulong("1a\n", 16, &v) == 0 && v == 26, "ulong: hex as DEVICE_ULONG_ATTR prints it");
	ok(bb_parse_ulong("1a\n", 10, &v) == -1, "ulong: hex where decimal is due is refused");
	ok(bb_parse_ulong("\n", 10, &v) == -1, "ulong: empty");
	ok(bb_parse_vmstat_balloon("balloon_inflate 3\nballoon_deflate 1\n", &a, &b) == 0 && a == 3 &&
	   b == 1, "vmstat: both counters");
	ok(bb_parse_vmstat_balloon("balloon_inflate 3\n", &a, &b) == -1, "vmstat: one missing");
}

/* /proc/PID/stat (common/smallfile.c): the fault counts and CPU ticks both sides read. */
static void test_proc_stat(void)
{
	struct bb_proc_stat s;

	ok(!bb_proc_stat_parse("88 (touch) R 1 88 88 0 -1 4194560 16392 7 2 1 40 3 0 0 20 0 1 0 512 "
			       "17027072 4106 18446744073709551615\n", &s) &&
	   s.minflt == 16392 && s.cminflt == 7 && s.majflt == 2 && s.cmajflt == 1 && s.utime == 40 &&
	   s.stime == 3, "proc stat: faults and ticks of a plain line");
	ok(!bb_proc_stat_parse("9 (a) b (c ) S 1 9 9 0 -1 0 5 6 7 8 9 10\n", &s) && s.minflt == 5 &&
	   s.stime == 10, "proc stat: a name with spaces and parentheses");
	ok(bb_proc_stat_parse("9 (a) S 1 9 9 0 -1 0 5 6\n", &s) == -1 &&
	   bb_proc_stat_parse("no parenthesis 1 2 3", &s) == -1, "proc stat: a cut or foreign line is refused");
}

int main(void)
{
	plan(7 + 5 * 5 + 11 + 3 + 6);
	test_detect();
	test_read();
	test_parsers();
	test_proc_stat();
	test_psi();
	return done_testing();
}
