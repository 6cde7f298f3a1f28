// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

int hr_verbosity = HR_INFO;
const char *hr_log_context;
void (*hr_log_around)(int before);

void hr_log(enum hr_level level, const char *fmt, ...)
{
	static const char *const prefix[] = {
		[HR_ERR] = "balloonbench: ",
		[HR_WARN] = "balloonbench: warning: ",
		[HR_INFO] = "",
		[HR_DEBUG] = "debug: ",
	};
	char buf[2048];
	va_list ap;

	if ((int)level > hr_verbosity)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* One message, one line: libvirt's and the guest's texts may hold newlines. */
	for (char *p = buf; (p = strchr(p, '\n'));)
		*p = ' ';
	if (hr_log_around)
		hr_log_around(1);
	fprintf(stderr, "%s%s%s%s\n", prefix[level], buf, hr_log_context && level == HR_ERR ? " " : "",
		hr_log_context && level == HR_ERR ? hr_log_context : "");
	if (hr_log_around)
		hr_log_around(0);
}
