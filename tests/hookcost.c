/* hookcost.c - the agent's HOOK report (what a hit of its hooks costs) checked and priced: hr_hook_check() against hostile reports, a hit's us, probe_perturbation_pct. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "common/proto.h"
#include "core/agentcheck.h"
#include "tap.h"

static struct bbp_hook honest(void)
{
	struct bbp_hook h;

	memset(&h, 0, sizeof(h));
	h.calls = 1000;
	h.plain_ns = 1900;
	h.entry_ns = 6100;	/* +4.2 us a hit */
	h.return_ns = 9400;	/* +7.5 us */
	h.ftrace = BBP_HOOK_FTRACE;
	strcpy(h.func, "__x64_sys_getppid");
	return h;
}

static int near(double a, double b)
{
	return fabs(a - b) < 1e-9 * (fabs(b) + 1);
}

int main(void)
{
	struct bbp_hook h = honest(), b;
	struct bbp_msg m;
	char why[200], line[BBP_MAX_LINE + 1];

	plan(25);
	ok(!hr_hook_check(&h, why, sizeof(why)), "an honest HOOK is used");
	ok(near(hr_hook_entry_us(&h), 4.2) && near(hr_hook_return_us(&h), 7.5),
	   "a hit costs the probed call minus the plain one: %.3f and %.3f us", hr_hook_entry_us(&h),
	   hr_hook_return_us(&h));
	b = h;
	b.return_ns = 0;
	ok(!hr_hook_check(&b, why, sizeof(why)) && isnan(hr_hook_return_us(&b)),
	   "no return probe measured (entry mode): used, its cost unknown (NAN)");

	/* hostile or broken */
	b = h, b.entry_ns = 1800;
	ok(hr_hook_check(&b, why, sizeof(why)) && strstr(why, "negative"),
	   "a hooked call faster than the plain one (a negative cost) dropped: %s", why);
	b = h, b.return_ns = 100;
	ok(hr_hook_check(&b, why, sizeof(why)) && strstr(why, "return_ns"),
	   "a negative return probe's cost dropped: %s", why);
	b = h, b.entry_ns = b.plain_ns + 10000001;
	ok(hr_hook_check(&b, why, sizeof(why)) && strstr(why, "10 ms"), "over 10 ms a hit dropped: %s", why);
	b = h, b.return_ns = UINT64_MAX;
	ok(hr_hook_check(&b, why, sizeof(why)), "return_ns=2^64-1 dropped: %s", why);
	b = h, b.entry_ns = 0;
	ok(hr_hook_check(&b, why, sizeof(why)) && strstr(why, "entry_ns"),
	   "no entry probe measured dropped: %s", why);
	b = h, b.plain_ns = 0;
	ok(hr_hook_check(&b, why, sizeof(why)), "plain_ns=0 dropped: %s", why);
	b = h, b.plain_ns = 100000001, b.entry_ns = b.plain_ns + 10;
	ok(hr_hook_check(&b, why, sizeof(why)) && strstr(why, "plain_ns"), "a call of over 100 ms dropped: %s", why);
	b = h, b.calls = 99;
	ok(hr_hook_check(&b, why, sizeof(why)) && strstr(why, "calls"), "99 calls a round dropped: %s", why);
	b = h, b.calls = UINT64_MAX;
	ok(hr_hook_check(&b, why, sizeof(why)), "2^64-1 calls dropped");
	b = h, b.ftrace = 3;
	ok(hr_hook_check(&b, why, sizeof(why)) && strstr(why, "ftrace"), "ftrace=3 dropped: %s", why);
	b = h, b.func[0] = '\0';
	ok(hr_hook_check(&b, why, sizeof(why)), "no function named dropped");
	/* what the decoder itself refuses: a negative, NaN or fractional cost never gets this far */
	snprintf(line, sizeof(line), "HOOK calls=1000 plain_ns=1900 entry_ns=-5 return_ns=0 func=f");
	ok(bbp_decode(line, strlen(line), &m, why, sizeof(why)) != 0,
	   "HOOK entry_ns=-5 refused by the decoder: %s", why);
	snprintf(line, sizeof(line), "HOOK calls=1000 plain_ns=1900 entry_ns=nan return_ns=0 func=f");
	ok(bbp_decode(line, strlen(line), &m, why, sizeof(why)) != 0,
	   "HOOK entry_ns=nan refused by the decoder: %s", why);
	snprintf(line, sizeof(line), "HOOK calls=1000 plain_ns=1900 entry_ns=6100 return_ns=9400 "
		 "ftrace=2 func=__x64_sys_getppid");
	ok(!bbp_decode(line, strlen(line), &m, why, sizeof(why)) && m.type == BBP_HOOK &&
	   m.u.hook.return_ns == 9400 && !strcmp(m.u.hook.func, "__x64_sys_getppid"),
	   "an honest HOOK line decodes");

	/* the perturbation: hits x cost over the duration */
	ok(near(hr_probe_perturbation_pct(768, 4.2, 768, 7.5, 2.0), (768 * 4.2 + 768 * 7.5) / 2e6 * 100),
	   "768 entry hits at 4.2 us and 768 return hits at 7.5 us over 2 s: %.4f %%",
	   hr_probe_perturbation_pct(768, 4.2, 768, 7.5, 2.0));
	ok(near(hr_probe_perturbation_pct(768, 4.2, 0, NAN, 1.0), 768 * 4.2 / 1e6 * 100),
	   "a kind not hit needs no cost (entry mode: %.4f %%)",
	   hr_probe_perturbation_pct(768, 4.2, 0, NAN, 1.0));
	ok(isnan(hr_probe_perturbation_pct(0, 4.2, 10, NAN, 1.0)), "a kind hit without a cost: unknown");
	ok(isnan(hr_probe_perturbation_pct(10, 4.2, 0, 0, 0)) &&
	   isnan(hr_probe_perturbation_pct(10, 4.2, 0, 0, -1)) &&
	   isnan(hr_probe_perturbation_pct(10, 4.2, 0, 0, NAN)), "no positive duration: unknown");
	ok(hr_probe_perturbation_pct(0, NAN, 0, NAN, 1.0) == 0, "no hits (nothing moved): 0 %%");

	/* run's warning: above 2 %, naming the cheaper way with its resolution */
	ok(!hr_probe_advice(2.0, line, sizeof(line)) && !hr_probe_advice(NAN, line, sizeof(line)),
	   "2 %% and an unknown share: no warning");
	ok(hr_probe_advice(2.01, line, sizeof(line)) && strstr(line, "--set probe=poll --set sample-rate=10") &&
	   strstr(line, "100 ms"), "2.01 %%: warned, naming: %s", line);
	ok(hr_probe_advice(INFINITY, line, sizeof(line)), "an infinite share: warned");
	return done_testing();
}
