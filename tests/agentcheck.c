/* agentcheck.c - hr_cost_check() against hostile COST reports. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/agentcheck.h"
#include "tap.h"

#define SEC	1000000000ull

static struct bbp_cost base(void)
{
	struct bbp_cost c;

	memset(&c, 0, sizeof(c));
	c.utime_us = 5000;
	c.stime_us = 3000;
	c.rss_kib = 3000;
	c.samples = 100;
	c.sample_us = 900;
	c.writes = 20;
	c.vmstat = 10;
	c.vmstat_us = 800;
	c.probe = 1;
	c.events = 10;
	return c;
}

/* hr_psi_check: hostile PSI reports */
static void test_psi(void)
{
	struct bbp_psi a = { .t_ns = 100 * SEC, .psi = 1, .some_avg10 = 1.5, .some_avg60 = 0.5,
			     .some_total = 2000000, .full_avg10 = 0.5, .full_total = 1000000,
			     .pswpin = 10, .pswpout = 20, .pgmajfault = 30 }, b, c;
	char why[200];

	ok(!hr_psi_check(NULL, &a, why, sizeof(why)), "psi: an honest first report is used");
	b = a;
	b.t_ns += SEC, b.some_total += 300000, b.pgmajfault += 5;
	ok(!hr_psi_check(&a, &b, why, sizeof(why)), "psi: an honest next one is used");
	b = a, b.psi = 2;
	ok(hr_psi_check(NULL, &b, why, sizeof(why)) && strstr(why, "psi=2"), "psi=2 dropped: %s", why);
	b = a, b.some_avg10 = 100.5;
	ok(hr_psi_check(NULL, &b, why, sizeof(why)) && strstr(why, "some_avg10"), "an average above 100 %% dropped: %s", why);
	b = a, b.full_avg60 = NAN;
	ok(hr_psi_check(NULL, &b, why, sizeof(why)) && strstr(why, "full_avg60"), "a NaN average dropped: %s", why);
	b = a, b.psi = 0;
	ok(hr_psi_check(NULL, &b, why, sizeof(why)) && strstr(why, "psi=0"), "figures with psi=0 dropped: %s", why);
	b = a, b.some_total = 102 * SEC / 1000;
	ok(hr_psi_check(NULL, &b, why, sizeof(why)) && strstr(why, "since boot"),
	   "more stall than time since boot dropped: %s", why);
	b = a, b.t_ns += SEC, b.pswpout -= 1;
	ok(hr_psi_check(&a, &b, why, sizeof(why)) && strstr(why, "pswpout went back"), "a count going back dropped: %s", why);
	b = a, b.t_ns += SEC, b.full_total -= 1;
	ok(hr_psi_check(&a, &b, why, sizeof(why)) && strstr(why, "full_total went back"), "a total going back dropped: %s", why);
	b = a, b.t_ns = 5 * SEC, b.some_total = 0, b.full_total = 0, b.pswpin = b.pswpout = b.pgmajfault = 0;
	ok(hr_psi_check(&a, &b, why, sizeof(why)) && strstr(why, "t went back"),
	   "t going back in one boot dropped (the host, not the guest's t, says a boot is new): %s", why);
	ok(!hr_psi_check(NULL, &b, why, sizeof(why)), "a new boot's first (the host forgot the last) counts from 0: used");
	b = a, b.full_total = a.some_total + 1;
	ok(hr_psi_check(NULL, &b, why, sizeof(why)) && strstr(why, "full_total"), "full_total above some_total dropped: %s", why);
	b = a, b.t_ns += SEC, b.psi = 0, b.some_avg10 = b.some_avg60 = b.full_avg10 = b.full_avg60 = 0;
	b.some_total = b.full_total = 0;
	ok(!hr_psi_check(&a, &b, why, sizeof(why)), "psi=1 then psi=0: the totals not compared, used");
	c = a, c.t_ns = b.t_ns + SEC;
	ok(!hr_psi_check(&b, &c, why, sizeof(why)), "psi=0 then psi=1: the totals not compared, used");
	b = a, b.vm_missing = 16;
	ok(hr_psi_check(NULL, &b, why, sizeof(why)) && strstr(why, "vm_missing"), "vm_missing=16 dropped: %s", why);
	b = a, b.vm_missing = BBP_PSI_MISS_PSWPOUT;
	ok(hr_psi_check(NULL, &b, why, sizeof(why)) && strstr(why, "pswpout"), "a figure said missing but not 0 dropped: %s", why);
	b.pswpout = 0, b.t_ns += SEC;
	ok(!hr_psi_check(&a, &b, why, sizeof(why)), "a figure missing after a count: not compared, used");
	ok(isnan(hr_psi_vm(&b, BBP_PSI_MISS_PSWPOUT)) && hr_psi_vm(&b, BBP_PSI_MISS_PSWPIN) == 10.0,
	   "hr_psi_vm: NaN where missing (never 0), the count where read");
}

int main(void)
{
	struct bbp_cost a = base(), b;
	char why[200];

	plan(20 + 20);
	test_psi();
	ok(!hr_cost_check(NULL, &a, SEC, 1024, why, sizeof(why)), "an honest first COST is used");
	b = a;
	b.samples += 1000, b.events += 300, b.utime_us += 20000, b.writes += 10;
	ok(!hr_cost_check(&a, &b, SEC, 1024, why, sizeof(why)), "an honest next COST is used");
	ok(!hr_cost_check(&a, &a, 0, 1024, why, sizeof(why)), "the same counts again (nothing happened) are used");

	b = a;
	b.probe = 2;
	ok(hr_cost_check(&a, &b, SEC, 1024, why, sizeof(why)) && strstr(why, "probe=2"),
	   "probe=2 dropped: %s", why);
	b.probe = UINT64_MAX;
	ok(hr_cost_check(NULL, &b, SEC, 1024, why, sizeof(why)), "probe=2^64-1 dropped, also first");

	/* each cumulative count going back, alone */
	{
		static const char *names[] = { "samples", "dropped", "events", "lost", "mismatch",
					       "utime_us", "stime_us", "sample_us", "writes",
					       "vmstat", "vmstat_us", "event_kib" };
		uint64_t *f[12];
		int bad = 0;

		a.dropped = a.lost = a.mismatch = 1;
		b = a;
		f[0] = &b.samples, f[1] = &b.dropped, f[2] = &b.events, f[3] = &b.lost;
		f[4] = &b.mismatch, f[5] = &b.utime_us, f[6] = &b.stime_us, f[7] = &b.sample_us;
		f[8] = &b.writes, f[9] = &b.vmstat, f[10] = &b.vmstat_us, f[11] = &b.event_kib;
		a.event_kib = 1024;
		for (int i = 0; i < 12; i++) {
			b = a;
			*f[i] -= 1;
			if (!hr_cost_check(&a, &b, SEC, 1024, why, sizeof(why)) || !strstr(why, names[i])) {
				diag("%s going back was not refused by name: %s", names[i], why);
				bad++;
			}
		}
		ok(!bad, "each of the 12 cumulative counts going back is refused, by name");
	}
	b = a;
	b.samples = 0;	/* an agent that restarted, or lies */
	ok(hr_cost_check(&a, &b, SEC, 1024, why, sizeof(why)), "samples back to 0 dropped: %s", why);

	/* RSS beyond the guest's memory */
	b = a;
	b.rss_kib = 1024 * 1024 + 1;
	ok(hr_cost_check(&a, &b, SEC, 1024, why, sizeof(why)) && strstr(why, "RSS"),
	   "an agent RSS above the guest's memory dropped: %s", why);
	b.rss_kib = 1024 * 1024;
	ok(!hr_cost_check(&a, &b, SEC, 1024, why, sizeof(why)), "RSS equal to the memory is used");

	/* batch events: at most 2 x memory MiB per second passed, plus one such second */
	b = a;
	b.events = a.events + 2048;
	ok(!hr_cost_check(&a, &b, SEC / 2, 1024, why, sizeof(why)), "2048 events within 0.5 s (1 GiB) used");
	b.events = a.events + 2049;
	ok(hr_cost_check(&a, &b, SEC / 2, 1024, why, sizeof(why)) && strstr(why, "2049 batch events"),
	   "2049 events within 0.5 s (1 GiB) dropped: %s", why);
	b.events = a.events + 2048 * 4;
	ok(!hr_cost_check(&a, &b, 3 * SEC, 1024, why, sizeof(why)), "8192 events in 3 s (1 GiB) used");
	b.events = a.events + 2048 * 4 + 1;
	ok(hr_cost_check(&a, &b, 3 * SEC, 1024, why, sizeof(why)), "8193 events in 3 s (1 GiB) dropped");
	b.events = UINT64_MAX;
	ok(hr_cost_check(&a, &b, 3 * SEC, 1024, why, sizeof(why)), "2^64-1 events dropped");
	/* the KiB the events moved (virtio-mem's requests): the same bound, in MiB */
	b = a;
	b.event_kib = a.event_kib + 2048 * 1024;
	ok(!hr_cost_check(&a, &b, SEC / 2, 1024, why, sizeof(why)), "events moving 2048 MiB within 0.5 s (1 GiB) used");
	b.event_kib += 1024;
	ok(hr_cost_check(&a, &b, SEC / 2, 1024, why, sizeof(why)) && strstr(why, "KiB"),
	   "events moving 2049 MiB within 0.5 s (1 GiB) dropped: %s", why);
	b = base();
	b.events = UINT64_MAX;
	ok(hr_cost_check(NULL, &b, UINT64_MAX, 1024, why, sizeof(why)),
	   "2^64-1 events as the first COST dropped, even after 2^64-1 ns");
	b.events = 4096;
	ok(!hr_cost_check(NULL, &b, 1 * SEC, 1024, why, sizeof(why)), "the first COST: 4096 events in 1 s used");
	b.events = 4097;
	ok(hr_cost_check(NULL, &b, 1 * SEC, 1024, why, sizeof(why)), "the first COST: 4097 events in 1 s dropped");
	b.rss_kib = 0;
	ok(hr_cost_check(NULL, &b, 1 * SEC, 0, why, sizeof(why)) && strstr(why, "batch events"),
	   "a guest of 0 MiB: any batch event dropped: %s", why);
	ok(strlen(why) < sizeof(why) - 1, "the reason fits its buffer");
	b.events = 10;
	ok(!hr_cost_check(NULL, &b, 0, 1024, why, sizeof(why)), "dt 0: one second's allowance still holds");
	return done_testing();
}
