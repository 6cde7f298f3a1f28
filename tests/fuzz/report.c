/* fuzz/report.c - `balloonbench report DIR` (summary.c, report.c, csv.c,
 * downsample.c, run.json through jansson): the input is a results directory
 * as "==> NAME <==" sections (run.json first if there is no header). */
#include "report/report.h"
#include "results.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char dir[128];

	snprintf(dir, sizeof(dir), "%s/r", fz_dir);
	fz_clean(dir);
	fz_sections(data, size, "run.json", fz_put, dir);
	(void)hr_report(dir, 1);
	return 0;
}
