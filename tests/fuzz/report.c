/* fuzz/report.c - `balloonbench report DIR` (summary.c, report.c, csv.c,
 * downsample.c, run.json through jansson) and its --output-format json and
 * csv (output.c): the input is a results directory as "==> NAME <=="
 * sections (run.json first if there is no header). */
#include "report/report.h"
#include "results.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char dir[128], *dirs[1] = { dir };

	snprintf(dir, sizeof(dir), "%s/r", fz_dir);
	fz_clean(dir);
	fz_sections(data, size, "run.json", fz_put, dir);
	(void)hr_report(dir, 1);
	(void)rp_results_write(stdout, RP_FMT_JSON | RP_FMT_CSV, dirs, 1);	/* stdout: /dev/null */
	return 0;
}
