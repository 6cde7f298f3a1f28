/* policy.c - the policy rows (core/policy.c) on recorded stats sequences: each rule of mom and psi, and hostile figures. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/policy.h"
#include "tap.h"

static struct hr_pol_in in;
static struct hr_pol_out out;
static struct hr_pol_state st;

/* One guest "g0": nominal 1024, floor 128, at @cur MiB (target and actual), @unused free. */
static void one_guest(double cur, double unused)
{
	hr_pol_in_clear(&in);
	in.n = 1;
	snprintf(in.g[0].name, sizeof(in.g[0].name), "g0");
	in.g[0].nominal_mib = 1024;
	in.g[0].floor_mib = 128;
	in.g[0].target_mib = in.g[0].actual_mib = cur;
	in.g[0].bs.unused_mib = unused;
}

/* The host budget at @free_frac free of 4096 MiB. */
static void host_at(double free_frac)
{
	in.host.limit_mib = 4096;
	in.host.usage_mib = 4096 * (1 - free_frac);
}

/* mom from a fresh state: @k collections of the current input, then one decision. */
static void mom_once(int k)
{
	hr_policy_init(&st, &hr_policies[HR_POL_MOM], NULL);
	for (int i = 0; i < k; i++)
		hr_policy_collect(&st, &in);
	hr_policy_decide(&st, &in, &out);
}

static void test_table(void)
{
	const char *cmd;
	char why[160];
	double c, d;

	ok(hr_policy_find("mom", &cmd, why, sizeof(why)) == &hr_policies[HR_POL_MOM] && !cmd, "mom is a row");
	ok(hr_policy_find("none", NULL, why, sizeof(why)) == &hr_policies[HR_POL_NONE], "none is a row");
	ok(hr_policy_find("fpr", NULL, why, sizeof(why))->needs & HR_POL_FPR, "fpr asks for free page reporting");
	ok(hr_policy_find("external:./p.py --x", &cmd, why, sizeof(why)) == &hr_policies[HR_POL_EXTERNAL] &&
	   !strcmp(cmd, "./p.py --x"), "external:CMD names its program");
	ok(!hr_policy_find("external", &cmd, why, sizeof(why)) && strstr(why, "external:CMD"),
	   "external without a program is refused (%s)", why);
	ok(!hr_policy_find("external:  ", &cmd, why, sizeof(why)), "external: with blanks only is refused");
	ok(!hr_policy_find("senpai", &cmd, why, sizeof(why)) && strstr(why, "expected none, fpr, mom, psi"),
	   "an unknown policy is refused (%s)", why);
	ok(hr_policies[HR_POL_MOM].needs & HR_POL_NEEDS_BUDGET && hr_policies[HR_POL_MOM].needs & HR_POL_NEEDS_BSTATS &&
	   hr_policies[HR_POL_PSI].needs & HR_POL_NEEDS_PSI, "mom needs the budget and balloon stats, psi the agent's PSI");
	ok(!hr_policy_periods(&hr_policies[HR_POL_MOM], 1, &c, &d, why, sizeof(why)) && c == 5 && d == 10,
	   "mom collects every 5 s and decides every 10 s");
	ok(!hr_policy_periods(&hr_policies[HR_POL_MOM], 0.1, &c, &d, why, sizeof(why)) && fabs(c - 0.5) < 1e-9 &&
	   fabs(d - 1) < 1e-9, "... scaled by 0.1: 0.5 s and 1 s");
	ok(hr_policy_periods(&hr_policies[HR_POL_MOM], 0, &c, &d, why, sizeof(why)) &&
	   hr_policy_periods(&hr_policies[HR_POL_MOM], NAN, &c, &d, why, sizeof(why)) &&
	   hr_policy_periods(&hr_policies[HR_POL_MOM], 1e9, &c, &d, why, sizeof(why)),
	   "a scale of 0, NaN or 1e9 is refused (%s)", why);
	for (int i = 0; i < HR_POL_N; i++)
		if ((int)hr_policies[i].kind != i || !hr_policies[i].decide || !hr_policies[i].source)
			break;
		else if (i == HR_POL_N - 1)
			ok(1, "every row has its kind, a decide function and a source");
}

static void test_static(void)
{
	one_guest(512, 100);
	host_at(0.01);
	hr_policy_init(&st, &hr_policies[HR_POL_NONE], NULL);
	hr_policy_collect(&st, &in);
	ok(!hr_policy_decide(&st, &in, &out) && out.n == 1 && !out.t[0].set && out.t[0].target_mib == 512 &&
	   strstr(out.t[0].reason, "none"), "none: no change under critical pressure (%s)", out.t[0].reason);
	hr_policy_init(&st, &hr_policies[HR_POL_FPR_ONLY], NULL);
	ok(!hr_policy_decide(&st, &in, &out) && !out.t[0].set && strstr(out.t[0].reason, "fpr"),
	   "fpr: no change either (%s)", out.t[0].reason);
}

static void test_mom(void)
{
	/* pressure: host 10 % free, guest 1000 MiB with 600 unused: used 400, it keeps
	 * 0.20 * 0.10 / 0.20 = 10 % free (500 MiB): the 5 % step wins, 950 */
	one_guest(1000, 600);
	host_at(0.10);
	mom_once(1);
	ok(out.t[0].set && out.t[0].target_mib == 950 && strstr(out.t[0].reason, "5% step"),
	   "mom pressure: shrink by the 5 %% step, 1000 -> 950 (%s)", out.t[0].reason);
	/* max step: with 900 unused the guest could go to 200 MiB, but one cycle moves 5 % */
	one_guest(1000, 900);
	host_at(0.10);
	mom_once(1);
	ok(out.t[0].set && out.t[0].target_mib == 950, "mom max step: 950, not the 200 the free memory allows");
	/* min free: 120 unused of 1000: used 880 + 10 % of 1000 = 980 > 950 */
	one_guest(1000, 120);
	host_at(0.10);
	mom_once(1);
	ok(out.t[0].set && out.t[0].target_mib == 980 && strstr(out.t[0].reason, "free share"),
	   "mom min free: shrink only to used + the guest's free share, 980 (%s)", out.t[0].reason);
	one_guest(1000, 50);
	host_at(0.10);
	mom_once(1);
	ok(!out.t[0].set && strstr(out.t[0].reason, "no shrink"),
	   "mom min free: a guest with too little free is not shrunk under pressure (%s)", out.t[0].reason);
	/* critical: at 6 % free the guest keeps 6 % free (900 used + 60 = 960); at 4 % it keeps
	 * -1 %: 900 used - 10 = 890 < 950, so the 5 % step, and with nothing unused 990 */
	one_guest(1000, 100);
	host_at(0.06);
	mom_once(1);
	ok(out.t[0].set && out.t[0].target_mib == 960, "mom pressure at 6 %% free: used + 6 %% free, 960 (%s)",
	   out.t[0].reason);
	host_at(0.04);
	mom_once(1);
	ok(out.t[0].set && out.t[0].target_mib == 950 && strstr(out.t[0].reason, "critical"),
	   "mom critical at 4 %% free: 950 (%s)", out.t[0].reason);
	one_guest(1000, 0);
	host_at(0.04);
	mom_once(1);
	ok(out.t[0].set && out.t[0].target_mib == 990,
	   "mom critical: below the guest's used memory (990 < 1000 used): it is made to swap");
	/* critical boundary: exactly 5 % free is critical (<=): 970 used keeps 0 % free, not 5 % (1020) */
	one_guest(1000, 30);
	in.host.limit_mib = 4000, in.host.usage_mib = 3800;
	mom_once(1);
	ok(out.t[0].set && out.t[0].target_mib == 970 && strstr(out.t[0].reason, "critical"),
	   "mom at exactly 5 %% free is critical: 970 (%s)", out.t[0].reason);
	/* floor: pressure never takes a guest below its floor */
	one_guest(130, 130);
	host_at(0.01);
	mom_once(1);
	ok(out.t[0].set && out.t[0].target_mib == 128, "mom: the floor (128) bounds a shrink of 130");
	one_guest(128, 128);
	host_at(0.01);
	mom_once(1);
	ok(!out.t[0].set, "mom: a guest at its floor stays (%s)", out.t[0].reason);
	/* dead band: no pressure, 1020 -> 1024 moves 4 MiB > 0.25 % (2.55); 1022 -> 1024 does not */
	one_guest(1020, 800);
	host_at(0.5);
	mom_once(1);
	ok(out.t[0].set && out.t[0].target_mib == 1024 && strstr(out.t[0].reason, "nominal"),
	   "mom grow: 1020 -> 1024 (capped at nominal) (%s)", out.t[0].reason);
	one_guest(1022, 800);
	host_at(0.5);
	mom_once(1);
	ok(!out.t[0].set && strstr(out.t[0].reason, "0.25%"), "mom dead band: 2 MiB of 1022 is no change (%s)",
	   out.t[0].reason);
	one_guest(1000, 900);
	host_at(0.199);
	in.host.usage_mib = 4096 - 0.1975 * 4096;	/* 19.75 %: pressure; shrink blocked by nothing */
	mom_once(1);
	ok(out.t[0].set && out.t[0].target_mib == 950, "mom: 19.75 %% free is pressure");
	/* slow deflate: no pressure, 500 with 300 unused: 5 % a cycle, to nominal in steps */
	one_guest(500, 300);
	host_at(0.5);
	hr_policy_init(&st, &hr_policies[HR_POL_MOM], NULL);
	{
		int steps = 0, big = 0;
		double prev = 500;

		for (int k = 0; k < 40 && in.g[0].actual_mib < 1024; k++) {
			hr_policy_collect(&st, &in);
			hr_policy_decide(&st, &in, &out);
			if (!out.t[0].set)
				break;
			steps++;
			if (out.t[0].target_mib - prev > 0.05 * prev + 1e-9)
				big++;
			prev = in.g[0].target_mib = in.g[0].actual_mib = out.t[0].target_mib;
		}
		ok(steps == 15 && !big && prev == 1024, "mom slow deflate: 500 -> 1024 in %d steps of at most 5 %%", steps);
	}
	/* grow to the guest's 20 % free: 500 with nothing unused: 600, more than 5 % */
	one_guest(500, 0);
	host_at(0.5);
	mom_once(1);
	ok(out.t[0].set && out.t[0].target_mib == 600 && strstr(out.t[0].reason, "20% free"),
	   "mom grow: to used + 20 %% free at once, 500 -> 600 (%s)", out.t[0].reason);
	/* StatAvg: 5 collections with 260 unused, 5 with 0: 130 on average, used 870 + 10 % */
	one_guest(1000, 600);
	host_at(0.10);
	hr_policy_init(&st, &hr_policies[HR_POL_MOM], NULL);
	for (int k = 0; k < 10; k++) {
		in.g[0].bs.unused_mib = k < 5 ? 260 : 0;
		hr_policy_collect(&st, &in);
	}
	hr_policy_decide(&st, &in, &out);
	ok(out.t[0].set && out.t[0].target_mib == 970, "mom averages the last 10 collections: used 870 + 100 = 970");
	in.g[0].bs.unused_mib = 600;
	for (int k = 0; k < 10; k++)
		hr_policy_collect(&st, &in);
	hr_policy_decide(&st, &in, &out);
	ok(out.t[0].target_mib == 950, "... and forgets the 11th back");
	/* no budget, no stats */
	one_guest(1000, 600);
	mom_once(1);
	ok(!out.t[0].set && strstr(out.t[0].reason, "no host budget"), "mom without a budget: no change (%s)",
	   out.t[0].reason);
	one_guest(1000, NAN);
	host_at(0.1);
	mom_once(1);
	ok(!out.t[0].set && strstr(out.t[0].reason, "no balloon stats"), "mom without balloon stats: no change (%s)",
	   out.t[0].reason);
	mom_once(0);
	ok(!out.t[0].set, "mom before any collection: no change");
}

/* psi: a fresh state primed with total @total at t = 0. */
static void psi_start(double cur, double total)
{
	one_guest(cur, NAN);
	in.g[0].psi.some_total_us = total;
	in.t_s = 0;
	hr_policy_init(&st, &hr_policies[HR_POL_PSI], NULL);
	hr_policy_decide(&st, &in, &out);
}

/* One psi tick, 1 s later, the total grown by @delta_us; a set target is applied. */
static void psi_tick(double delta_us)
{
	in.t_s += 1;
	in.g[0].psi.some_total_us += delta_us;
	hr_policy_decide(&st, &in, &out);
	if (out.t[0].set)
		in.g[0].target_mib = in.g[0].actual_mib = out.t[0].target_mib;
}

static void test_psi(void)
{
	int first = -1, second = -1;

	psi_start(1000, 5000);
	ok(!out.t[0].set && strstr(out.t[0].reason, "first"), "psi: the first reading sets nothing");
	/* no stalls: Senpai waits its interval (6 ticks), then probes by max_probe (1 %) */
	for (int k = 1; k <= 13; k++) {
		psi_tick(0);
		if (out.t[0].set && first < 0)
			first = k, ok(out.t[0].target_mib == 990, "psi probe: 1000 -> 990 (1 %%) (%s)", out.t[0].reason);
		else if (out.t[0].set && second < 0)
			second = k, ok(out.t[0].target_mib == 980, "psi probe: 990 -> 980");
	}
	is_int(first, 7, "psi: the first probe after the interval's 6 ticks of grace");
	is_int(second, 13, "psi rate limit: the next one interval later");
	/* stalls under the target slow the probe: (10000 / 5000 / 10)^2 * 1 % = 0.04 % */
	psi_start(1000, 0);
	for (int k = 1; k <= 7; k++)
		psi_tick(k == 7 ? 5000 : 0);
	ok(!out.t[0].set && strstr(out.t[0].reason, "probe"),
	   "psi: a probe of 0.04 %% of 1000 is under 1 MiB: no change (%s)", out.t[0].reason);
	/* stalls above the target back off at once: 50 ms: (5 / 20)^2 = 6.25 % */
	psi_start(800, 0);
	psi_tick(50000);
	ok(out.t[0].set && out.t[0].target_mib == 850, "psi back off: 800 -> 850 (+6.25 %%) (%s)", out.t[0].reason);
	psi_tick(0);
	ok(!out.t[0].set && strstr(out.t[0].reason, "probing in 5"), "... then 5 ticks of grace (%s)",
	   out.t[0].reason);
	/* stalls accumulate across ticks: 3 ms a tick crosses 10 ms on the 4th */
	psi_start(800, 0);
	psi_tick(3000), psi_tick(3000), psi_tick(3000);
	ok(!out.t[0].set, "psi: 9 ms stalled in 3 ticks: no change yet");
	psi_tick(3000);
	ok(out.t[0].set && out.t[0].target_mib > 800, "psi: 12 ms on the 4th tick: back off to %.0f",
	   out.t[0].target_mib);
	/* heavy pressure: max_backoff (100 %) at most, and nominal caps it */
	psi_start(700, 0);
	psi_tick(1e9);
	ok(out.t[0].set && out.t[0].target_mib == 1024, "psi: 1000 s stalled: grow to nominal, no further");
	psi_start(1024, 0);
	psi_tick(1e9);
	ok(!out.t[0].set && strstr(out.t[0].reason, "nominal"), "psi: at nominal it stays (%s)", out.t[0].reason);
	/* the floor */
	psi_start(128, 0);
	for (int k = 0; k < 7; k++)
		psi_tick(0);
	ok(!out.t[0].set && strstr(out.t[0].reason, "floor"), "psi: at the floor a probe stays (%s)", out.t[0].reason);
	/* avg10 stands in for a missing total: 10 % of 1 s = 100 ms */
	psi_start(800, NAN);
	in.g[0].psi.some_avg10 = 10;
	psi_tick(0);
	ok(out.t[0].set && out.t[0].target_mib > 800, "psi: avg10 10 %% without a total backs off (%s)",
	   out.t[0].reason);
	psi_start(800, NAN);
	psi_tick(0);
	ok(!out.t[0].set && strstr(out.t[0].reason, "no memory pressure"), "psi without PSI: no change (%s)",
	   out.t[0].reason);
	/* a total that goes back (a rebooted guest) is no stall */
	psi_start(800, 1e9);
	in.g[0].psi.some_total_us = 0;
	psi_tick(0);
	ok(!out.t[0].set && strstr(out.t[0].reason, "probing"), "psi: a total that went back counts 0 (%s)",
	   out.t[0].reason);
	/* Senpai's reset: a target this policy did not set is stepped from the actual size */
	psi_start(800, 0);
	psi_tick(50000);	/* 850 */
	in.g[0].target_mib = 600, in.g[0].actual_mib = 700;
	for (int k = 0; k < 6; k++)
		psi_tick(0);
	ok(out.t[0].set && out.t[0].target_mib == 693, "psi: stepped from the actual 700 when the target moved: 693 (%s)",
	   out.t[0].reason);
	/* knobs out of range fall back to Senpai's defaults */
	{
		struct hr_psi_params p = { 0, NAN, -1, 1e9, 0, INFINITY };

		hr_policy_init(&st, &hr_policies[HR_POL_PSI], &p);
		ok(st.psi.interval == 6 && st.psi.pressure_us == 10000 && st.psi.max_probe == 0.01 &&
		   st.psi.max_backoff == 1 && st.psi.coeff_probe == 10 && st.psi.coeff_backoff == 20,
		   "psi: knobs out of range are Senpai's defaults");
	}
}

/*
 * The closed loops of tests/data/policy-oracle.py, replayed through core/policy.c: two
 * guests (nominal 1024, floor 256), a target applied at once, unused = actual - ws;
 * mom: a collection a row (5 s), a decision every other row, the budget 2304 MiB with
 * usage = other + both actuals; psi: a decision a row (1 s), a guest short of its
 * working set stalling 1 ms a tick per MiB. Every target must be the oracle's.
 */
static void replay(const char *file, int psi)
{
	FILE *f = fopen(file, "r");
	char line[256];
	int rows = 0, bad = 0, changes = 0;
	double prev[2] = { 1024, 1024 };

	hr_pol_in_clear(&in);
	in.n = 2;
	for (int i = 0; i < 2; i++) {
		snprintf(in.g[i].name, sizeof(in.g[i].name), "g%d", i);
		in.g[i].nominal_mib = 1024, in.g[i].floor_mib = 256;
		in.g[i].target_mib = in.g[i].actual_mib = 1024;
		in.g[i].psi.some_total_us = 0;
	}
	in.host.limit_mib = 2304;
	hr_policy_init(&st, &hr_policies[psi ? HR_POL_PSI : HR_POL_MOM], NULL);
	while (f && fgets(line, sizeof(line), f)) {
		double t, other = 0, ws[2], total[2], want[2];

		if (line[0] == '#' || line[0] == 't')
			continue;
		if (psi ? sscanf(line, "%lf,%lf,%lf,%lf,%lf,%lf,%lf", &t, &ws[0], &ws[1], &total[0], &total[1],
				 &want[0], &want[1]) != 7 :
			  sscanf(line, "%lf,%lf,%lf,%lf,%lf,%lf", &t, &other, &ws[0], &ws[1], &want[0], &want[1]) != 6) {
			bad++;
			break;
		}
		in.t_s = t;
		in.period = (uint64_t)rows + 1;
		in.host.usage_mib = other + in.g[0].actual_mib + in.g[1].actual_mib;
		for (int i = 0; i < 2; i++) {
			double a = in.g[i].actual_mib;

			in.g[i].bs.unused_mib = a > ws[i] ? a - ws[i] : 0;
			in.g[i].psi.some_total_us += (ws[i] > a ? ws[i] - a : 0) * 1000;
		}
		if (psi && (in.g[0].psi.some_total_us != total[0] || in.g[1].psi.some_total_us != total[1]) &&
		    ++bad <= 5)
			diag("%s t=%g: PSI totals %.0f %.0f, the oracle's %.0f %.0f", file, t,
				    in.g[0].psi.some_total_us, in.g[1].psi.some_total_us, total[0], total[1]);
		if (!psi)
			hr_policy_collect(&st, &in);
		if (psi || rows % 2 == 1) {
			hr_policy_decide(&st, &in, &out);
			for (int i = 0; i < 2; i++)
				if (out.t[i].set)
					in.g[i].target_mib = in.g[i].actual_mib = out.t[i].target_mib;
		}
		for (int i = 0; i < 2; i++) {
			if (in.g[i].target_mib != want[i] && ++bad <= 5)	/* the first five said */
				diag("%s t=%g: g%d at %g, the oracle's %g (%s)", file, t, i, in.g[i].target_mib,
				     want[i], out.t[i].reason);
			changes += in.g[i].target_mib != prev[i];
			prev[i] = in.g[i].target_mib;
		}
		rows++;
	}
	if (f)
		fclose(f);
	ok(f && rows >= 40 && !bad && changes >= 20, "%s: %d rows, %d changes, every target the oracle's", file,
	   rows, changes);
}

static uint64_t rng = 88172645463325252ull;

static double pick(void)
{
	static const double v[] = { NAN, INFINITY, -INFINITY, 0, -1, 1, 127.5, 128, 512, 1023.9,
				    1024, 1025, 2048, 1e300, -1e300, 4096, 5e-324 };

	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return v[rng % (sizeof(v) / sizeof(v[0]))];
}

static void test_hostile(void)
{
	int bad = 0, sets = 0;

	one_guest(1000, 600);
	host_at(0.1);
	in.g[0].nominal_mib = NAN;
	mom_once(1);
	ok(!out.t[0].set && strstr(out.t[0].reason, "nominal"), "a NaN nominal: no change (%s)", out.t[0].reason);
	in.g[0].nominal_mib = 0;
	mom_once(1);
	ok(!out.t[0].set && strstr(out.t[0].reason, "nominal"), "a zero nominal: no change");
	in.g[0].nominal_mib = 1024, in.g[0].floor_mib = 2000;
	mom_once(1);
	ok(!out.t[0].set && strstr(out.t[0].reason, "floor"), "a floor above nominal: no change (%s)", out.t[0].reason);
	one_guest(2048, 1500);
	host_at(0.1);
	mom_once(1);
	ok(out.t[0].set && out.t[0].target_mib == 972, "an actual above nominal is taken as nominal: 1024 -> 972");
	one_guest(NAN, 600);
	in.g[0].target_mib = 1000;
	host_at(0.1);
	mom_once(1);
	ok(out.t[0].set && out.t[0].target_mib == 950, "no actual: the target stands in");
	in.g[0].target_mib = NAN;
	mom_once(1);
	ok(!out.t[0].set && strstr(out.t[0].reason, "no actual"), "no actual and no target: no change");
	one_guest(1000, 600);
	in.host.limit_mib = 4096, in.host.usage_mib = 9000;
	mom_once(1);
	ok(out.t[0].set && strstr(out.t[0].reason, "critical"), "usage above the limit is 0 %% free: critical");
	in.host.usage_mib = -5;
	mom_once(1);
	ok(!out.t[0].set && strstr(out.t[0].reason, "no host budget"), "a negative usage is no budget state");
	in.n = -1;
	ok(hr_policy_decide(&st, &in, &out) == -1 && out.n == 0, "a negative guest count is refused");
	in.n = HR_POL_MAX_GUESTS + 1;
	ok(hr_policy_decide(&st, &in, &out) == -1, "more than %d guests are refused", HR_POL_MAX_GUESTS);
	/* every row over hostile figures: a set target is always a whole MiB within [floor, nominal] */
	for (int r = 0; r < HR_POL_N; r++) {
		hr_policy_init(&st, &hr_policies[r], NULL);
		for (int k = 0; k < 3000; k++) {
			hr_pol_in_clear(&in);
			in.n = 3;
			in.t_s = k * pick();
			in.host.limit_mib = pick(), in.host.usage_mib = pick();
			for (int i = 0; i < in.n; i++) {
				struct hr_pol_guest *g = &in.g[i];

				snprintf(g->name, sizeof(g->name), "g%d", i);
				g->nominal_mib = pick(), g->floor_mib = pick();
				g->target_mib = pick(), g->actual_mib = pick();
				g->bs.unused_mib = pick();
				g->psi.some_total_us = pick() * k, g->psi.some_avg10 = pick();
			}
			hr_policy_collect(&st, &in);
			if (hr_policy_decide(&st, &in, &out) || out.n != 3) {
				bad++;
				continue;
			}
			for (int i = 0; i < in.n; i++) {
				const struct hr_pol_target *t = &out.t[i];
				const struct hr_pol_guest *g = &in.g[i];

				if (!t->reason[0])
					bad++;
				if (!t->set)
					continue;
				sets++;
				if (!isfinite(t->target_mib) || t->target_mib != floor(t->target_mib) ||
				    t->target_mib < g->floor_mib || t->target_mib > g->nominal_mib)
					bad++, diag("%s: %s -> %g (floor %g nominal %g)", hr_policies[r].name,
						    g->name, t->target_mib, g->floor_mib, g->nominal_mib);
			}
		}
	}
	ok(!bad && sets > 100, "hostile figures, every row: %d targets set, all whole MiB in [floor, nominal], "
	   "every decision has a reason", sets);
}

int main(void)
{
	plan(65);
	test_table();
	test_static();
	test_mom();
	test_psi();
	test_hostile();
	replay("tests/data/policy-seq-mom.csv", 0);
	replay("tests/data/policy-seq-psi.csv", 1);
	return done_testing();
}
