/* SPDX-License-Identifier: MIT */
/*
 * readfile.h - every file the runner reads as input (a scenario, a trace,
 * thresholds, a results directory's CSV files and run.json) is opened by one
 * function and read whole (a results CSV file: as a stream, through
 * hr_open_file), with two rules: only a regular file is read (a FIFO, a
 * device such as /dev/zero, a directory or a socket is refused by its type,
 * and opening it never blocks), and never more than a stated limit.
 */
#ifndef HR_READFILE_H
#define HR_READFILE_H

#include <stddef.h>

/* The limits, in bytes (also in docs/HACKING.md, "Hardening"). */
#define HR_MAX_SCENARIO		(1u << 20)		/* scenario and thresholds files: 1 MiB */
#define HR_MAX_TRACE		(64u << 20)		/* a trace: 64 MiB */
#define HR_MAX_RUN_JSON		(64u << 20)		/* run.json: 64 MiB */
#define HR_MAX_CSV		(4ull << 30)		/* one results CSV file: 4 GiB */

/*
 * Read @path (a @what: "scenario", "trace", ...) into a malloc'ed buffer,
 * NUL-terminated, in *@buf and its length in *@len. Returns 0; -ENOENT
 * without a word if it does not exist and @enoent_quiet; otherwise -1 with
 * one line naming the file and why (not a regular file, and what it is;
 * larger than @max; a read error): in @err if not NULL, else through hr_err.
 */
int hr_read_file(const char *path, const char *what, size_t max, int enoent_quiet, char **buf,
		 size_t *len, char *err, size_t errlen);

/*
 * The same rules for a file too large to hold (a results CSV file, read as a
 * stream): @path opened for reading, O_CLOEXEC, if it is a regular file of
 * at most @max bytes. The fd; -ENOENT (quietly, if @enoent_quiet) or -1 with
 * the error reported through hr_error, in hr_read_file's words.
 */
int hr_open_file(const char *path, const char *what, size_t max, int enoent_quiet);
/* "@path: @what larger than the limit of @max", through hr_error, for a file that grew. -1. */
int hr_file_too_large(const char *path, const char *what, size_t max);

/*
 * Whether @path is a regular file this process may read, checked without
 * reading it (a guest image that QEMU opens later). 0, or -1 with why in
 * @why: strerror's words, or what it is instead ("a directory, not a
 * regular file").
 */
int hr_file_readable(const char *path, char *why, size_t whylen);

/*
 * The kernel file of the guest image in @image_dir: "vmlinux", the kernel
 * uncompressed with its PVH entry, booted without unpacking itself (under
 * TCG the bzImage's xz costs 3+ s of emulated CPU a boot), where `make
 * image` made one, it is readable, and it is not older than the vmlinuz
 * beside it (a vmlinuz copied in later is not the kernel it was made
 * from); else "vmlinuz". A run chooses once (hr_run.kernel_file).
 */
const char *hr_image_kernel(const char *image_dir);

/* What a file of mode @mode is, in words ("a directory", "a FIFO", ...). */
const char *hr_file_kind(unsigned mode);

#endif /* HR_READFILE_H */
