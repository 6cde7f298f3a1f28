// SPDX-License-Identifier: MIT
/*
 * cgroup.c - the cgroups libvirt's embedded driver makes for each QEMU, and
 * their removal where libvirt does not remove them.
 *
 * Without systemd, the driver puts a domain's QEMU in
 * machine/qemu-embed-HASH-ID-NAME.libvirt-qemu of every mounted hierarchy
 * (each cgroup v1 controller's, and the v2 tree), some with directories of
 * their own inside (emulator, vcpuN). HASH is the first 8 hex digits of the
 * SHA-256 of the driver's root directory, ID the domain's id, NAME its name
 * (cut to keep the whole within 64 characters). The driver removes them when
 * it stops the domain itself; not when the runner was killed (its guardian
 * kills QEMU), nor when a later connection finds the domain's QEMU dead or
 * destroys a leftover. Those are removed here: only the directories of one
 * root (HASH) whose NAME begins with a given prefix, deepest first. A cgroup
 * that still holds tasks cannot be removed (EBUSY): it is tried again until
 * a deadline, while QEMU's last threads exit. (Under systemd, machined's
 * scopes go with their processes by themselves.)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#include "../../common/smallfile.h"
#include "core/clock.h"
#include "engine.h"

#define CG_RETRY_NS	50000000ull	/* an EBUSY cgroup is tried again this often */

int hr_cgroup_prefix(const char *root, char *buf, size_t size)
{
	unsigned char d[32];

	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, root, strlen(root), d) < 0 || size < 21)
		return -1;
	snprintf(buf, size, "qemu-embed-%02x%02x%02x%02x-", d[0], d[1], d[2], d[3]);
	return 0;
}

/* Is @name the cgroup of a domain of root @prefix whose name begins with @dom? */
static int ours(const char *name, const char *prefix, const char *dom)
{
	static const char sfx[] = ".libvirt-qemu";
	size_t n = strlen(name), p = strlen(prefix);
	const char *id = name + p, *rest;

	if (n <= p + sizeof(sfx) - 1 || strncmp(name, prefix, p) ||
	    strcmp(name + n - (sizeof(sfx) - 1), sfx))
		return 0;
	rest = id + strspn(id, "0123456789");
	return rest > id && *rest == '-' && !strncmp(rest + 1, dom, strlen(dom));
}

/* rmdir @name in @at, tried again while it holds tasks, until @deadline. 0 or -errno. */
static int rmdir_wait(int at, const char *name, uint64_t deadline)
{
	while (unlinkat(at, name, AT_REMOVEDIR)) {
		if (errno == ENOENT)
			return 0;
		if (errno != EBUSY || hr_now_ns() >= deadline)
			return -errno;
		(void)nanosleep(&(struct timespec){ .tv_nsec = (long)CG_RETRY_NS }, NULL);
	}
	return 0;
}

/* Remove cgroup @name in @at, the directories inside it first. 0 or -errno. */
static int remove_tree(int at, const char *name, uint64_t deadline, int depth)
{
	int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), r = 0;
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return errno == ENOENT ? 0 : -errno;
	}
	while (depth < 8 && (e = readdir(d))) {
		if (e->d_type == DT_DIR && strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			int s = remove_tree(dirfd(d), e->d_name, deadline, depth + 1);

			r = r ? r : s;
		}
	}
	closedir(d);
	return r ? r : rmdir_wait(at, name, deadline);
}

/* Each mounted hierarchy's machine/ directory (v1 and v2): @fn(its path, @arg). */
static void each_machine_dir(void (*fn)(const char *path, void *arg), void *arg)
{
	FILE *m = setmntent("/proc/self/mounts", "re");
	struct mntent me;
	char buf[4096];

	while (m && getmntent_r(m, &me, buf, sizeof(buf))) {
		char path[PATH_MAX];

		if ((!strcmp(me.mnt_type, "cgroup") || !strcmp(me.mnt_type, "cgroup2")) &&
		    snprintf(path, sizeof(path), "%s/machine", me.mnt_dir) < (int)sizeof(path))
			fn(path, arg);
	}
	if (m)
		endmntent(m);
}

struct sweep {
	const char *prefix, *dom;
	uint64_t deadline;
	int removed, left, err;
};

static void sweep_dir(const char *path, void *arg)
{
	struct sweep *s = arg;
	DIR *d = opendir(path);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		int r;

		if (e->d_type != DT_DIR || !ours(e->d_name, s->prefix, s->dom))
			continue;
		r = remove_tree(dirfd(d), e->d_name, s->deadline, 0);
		if (r) {
			s->left++;
			s->err = -r;
		} else {
			s->removed++;
		}
	}
	if (d)
		closedir(d);
}

int hr_cgroup_remove(const char *prefix, const char *dom, uint64_t deadline, int *left, int *err)
{
	struct sweep s = { .prefix = prefix, .dom = dom, .deadline = deadline };

	each_machine_dir(sweep_dir, &s);
	if (left)
		*left = s.left;
	if (err)
		*err = s.err;
	return s.removed;
}

int hr_cgroup_rmtree(int at, const char *name, uint64_t deadline)
{
	return remove_tree(at, name, deadline, 0);
}

/*
 * libvirt's lock files of a root's agent channels. For a channel it opens
 * (virDomainOpenChannel: the runner's link to each agent) libvirt's chrdev
 * code writes HR_CHRDEV_LOCK_DIR/LCK..PATH, PATH the channel's socket with
 * every / made _, holding its pid, and removes it when the stream closes;
 * a runner killed while holding one leaves it. Removed here: those of the
 * domains of root @root whose name begins with @dom, and only where the
 * pid they hold is @pid (the dead runner's). No allocation beyond
 * opendir's, nothing said: the guardian calls it. The number removed.
 */
#define HR_CHRDEV_LOCK_DIR	"/var/lock"	/* libvirt's chrdev_lock_files as Debian builds it (a link to /run/lock) */

int hr_chrdev_locks_remove(const char *root, const char *dom, pid_t pid)
{
	char want[PATH_MAX + 64], buf[32];
	DIR *d;
	struct dirent *e;
	size_t n, dn = strlen(dom);
	int removed = 0;

	/* as virChrdevLockFilePath: a leading "/dev" dropped, then every / made _ */
	if (snprintf(want, sizeof(want), "LCK..%s/lib/qemu/channel/target/domain-",
		     strncmp(root, "/dev", 4) ? root : root + 4) >= (int)sizeof(want))
		return 0;
	for (char *p = want; *p; p++)
		if (*p == '/')
			*p = '_';
	n = strlen(want);
	if (!(d = opendir(HR_CHRDEV_LOCK_DIR)))
		return 0;
	while ((e = readdir(d))) {
		const char *id = e->d_name + n, *rest;

		if (strncmp(e->d_name, want, n))
			continue;
		rest = id + strspn(id, "0123456789");
		if (rest == id || *rest != '-' || strncmp(rest + 1, dom, dn))
			continue;
		if (bb_read_small_at(dirfd(d), e->d_name, O_NOFOLLOW | O_NONBLOCK, buf, sizeof(buf)) > 0 &&
		    strtol(buf, NULL, 10) == (long)pid && !unlinkat(dirfd(d), e->d_name, 0))
			removed++;
	}
	closedir(d);
	return removed;
}
