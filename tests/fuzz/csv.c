/* fuzz/csv.c - the results' CSV reader (report/csv.c): the input is one CSV file. */
#include <math.h>

#include "report/report.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[128];
	struct rp_csv c;
	volatile double sum = 0;
	int r;

	snprintf(path, sizeof(path), "%s/f.csv", fz_dir);
	fz_write(path, data, size);
	if (rp_csv_open(&c, path))
		return 0;
	while ((r = rp_csv_next(&c)) > 0) {
		if (c.nf != c.ncols)
			abort();	/* the contract: a row has the header's fields */
		for (int i = -1; i <= c.nf; i++)
			sum += strlen(rp_csv_str(&c, i)) + (isnan(rp_csv_num(&c, i)) ? 0 : 1);
	}
	rp_csv_close(&c);
	return sum < 0;	/* never: keeps the reads */
}
