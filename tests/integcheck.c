/* integcheck.c - hr_iv_check() and hr_bad_check() against hostile integrity reports. */
#include <stdint.h>
#include <string.h>

#include "core/integcheck.h"
#include "tap.h"
#include "workloads/workload.h"

#define MIB	(1024ull * 1024)

int main(void)
{
	struct bbp_iv iv = { 1, 3, 16384, 1 }, x;
	struct bbp_bad bad = { 1, 5000, 8192, 1234, 0x7f0000000000ull, WL_BAD_CORRUPT }, y;
	char why[200];

	plan(14);
	ok(!hr_iv_check(&iv, 4, 0, why, sizeof(why)), "an honest IV is used");
	ok(!hr_iv_check(&iv, 3, 1ull << 40, why, sizeof(why)), "... in the last epoch, after many pages");
	ok(hr_iv_check(&iv, 2, 0, why, sizeof(why)), "an epoch beyond the guest's is refused (%s)", why);
	x = iv, x.e = UINT64_MAX;
	ok(hr_iv_check(&x, 4, 0, why, sizeof(why)), "epoch 2^64-1 is refused");
	x = iv, x.bad = x.pages + 1;
	ok(hr_iv_check(&x, 4, 0, why, sizeof(why)), "more mismatches than pages are refused (%s)", why);
	x = iv, x.pages = UINT64_MAX, x.bad = 0;
	ok(hr_iv_check(&x, 4, 0, why, sizeof(why)), "2^64-1 pages are refused (%s)", why);
	ok(hr_iv_check(&iv, 4, (1ull << 50) - 1, why, sizeof(why)), "a total past 2^50 pages is refused");
	ok(!hr_bad_check(&bad, 64 * MIB, 0, why, sizeof(why)), "an honest BAD is used");
	ok(!hr_bad_check(&bad, 64 * MIB, WL_BAD_KEPT - 1, why, sizeof(why)), "... the last the agent keeps");
	ok(hr_bad_check(&bad, 64 * MIB, WL_BAD_KEPT, why, sizeof(why)), "one more than it keeps is refused (%s)", why);
	y = bad, y.page = 16384;
	ok(hr_bad_check(&y, 64 * MIB, 0, why, sizeof(why)), "a page beyond the workload's size is refused (%s)", why);
	y = bad, y.off = WL_PAGE;
	ok(hr_bad_check(&y, 64 * MIB, 0, why, sizeof(why)), "a byte beyond a page is refused (%s)", why);
	y = bad, y.kind = WL_BAD_NONE;
	ok(hr_bad_check(&y, 64 * MIB, 0, why, sizeof(why)), "kind 0 (no mismatch) is refused (%s)", why);
	y = bad, y.kind = WL_NBAD_KINDS;
	ok(hr_bad_check(&y, 64 * MIB, 0, why, sizeof(why)), "an unknown kind is refused (%s)", why);
	return done_testing();
}
