/* fuzz/compare.c - `balloonbench compare A B` (compare.c, abstat.c, csv.c,
 * run.json): the input is two results directories as sections "a/run.json",
 * "a/transitions.csv", "b/...", and "thresholds.ini" (then -t). */
#include "report/report.h"
#include "results.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char dir[128], a[160], b[160], th[160], out[160];
	char *argv[] = { "compare", "-o", out, "-t", th, a, b, NULL };
	struct stat st;

	snprintf(dir, sizeof(dir), "%s/c", fz_dir);
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	snprintf(th, sizeof(th), "%s/thresholds.ini", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	fz_clean(dir);
	fz_clean(a);
	fz_clean(b);
	fz_clean(out);
	fz_sections(data, size, "a/run.json", fz_put, dir);
	if (stat(th, &st))	/* no thresholds section: no -t */
		(void)hr_compare_main(5, (char *[]){ "compare", "-o", out, a, b, NULL });
	else
		(void)hr_compare_main(7, argv);
	return 0;
}
