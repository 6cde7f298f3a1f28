/* SPDX-License-Identifier: MIT */
/*
 * log.h - one place for the runner's messages. Errors are one line, prefixed
 * "balloonbench: ", on stderr. Progress and info go to stderr too, so stdout
 * holds only what a command is asked to print (tables, lists).
 */
#ifndef HR_LOG_H
#define HR_LOG_H

enum hr_level { HR_ERR, HR_WARN, HR_INFO, HR_DEBUG };

extern int hr_verbosity;	/* messages above this level are not shown */
extern const char *hr_log_context;	/* appended to errors while set, e.g. "(after --set x=y)" */
/* Called with 1 before and 0 after a message is written (the live progress block moves aside). */
extern void (*hr_log_around)(int before);

void hr_log(enum hr_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define hr_err(...)	hr_log(HR_ERR, __VA_ARGS__)
#define hr_warn(...)	hr_log(HR_WARN, __VA_ARGS__)
#define hr_info(...)	hr_log(HR_INFO, __VA_ARGS__)
#define hr_debug(...)	hr_log(HR_DEBUG, __VA_ARGS__)

#endif /* HR_LOG_H */
