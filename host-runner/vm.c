// SPDX-License-Identifier: MIT
/*
 * vm.c - everything that talks to libvirt: the connection (the embedded QEMU
 * driver by default), domain XML, boot with a watchdog and accel fallback, the
 * agent's channel, the clock offset, balloon targets and QEMU's own view.
 *
 * Domains started through qemu:///embed outlive this process (libvirt 9.0
 * refuses AUTODESTROY there), so every domain we start carries a <metadata>
 * element naming this process, is destroyed on every exit path (run.c), and a
 * later run reaps the domains a killed run left behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>

#include "layout.h"
#include "log.h"
#include "report.h"
#include "runner.h"

static int ev_stop;

uint64_t hr_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int64_t hr_run_time(const struct hr_run *run)
{
	return (int64_t)(hr_now_ns() - run->t0_mono_ns);
}

/* libvirt's last error as one line (it is reported by us, not by libvirt). */
static const char *lv_err(void)
{
	const char *m = virGetLastErrorMessage();

	return m && *m ? m : "unknown libvirt error";
}

static void quiet_errors(void *opaque, virErrorPtr err)
{
	(void)opaque;
	if (hr_verbosity >= HR_DEBUG && err && err->message)
		hr_debug("libvirt: %s", err->message);
}

static void *event_loop(void *arg)
{
	(void)arg;
	while (!ev_stop)
		if (virEventRunDefaultImpl() < 0)
			break;
	return NULL;
}

/* The embedded driver's private config: no virtlogd, no separate user. */
static int write_embed_conf(const char *root)
{
	static const char conf[] =
		"# written by balloonbench for its embedded libvirt QEMU driver\n"
		"stdio_handler = \"file\"\n"
		"user = \"root\"\n"
		"group = \"root\"\n"
		"security_driver = \"none\"\n"
		"remember_owner = 0\n"
		"namespaces = [ ]\n";
	char path[PATH_MAX];
	FILE *f;
	int r;

	snprintf(path, sizeof(path), "%s/etc", root);
	r = hr_mkdir_p(path);
	if (r) {
		hr_err("cannot create %s: %s", path, strerror(-r));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/etc/qemu.conf", root);
	f = fopen(path, "we");
	if (!f || fputs(conf, f) == EOF || fclose(f)) {
		hr_err("cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static void lifecycle_cb(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque)
{
	static const char *const stopped[] = {
		"shut down", "destroyed", "crashed", "migrated", "saved", "failed", "snapshot",
	};
	struct hr_run *run = opaque;
	const char *name = virDomainGetName(dom);

	(void)conn;
	if (event != VIR_DOMAIN_EVENT_STOPPED && event != VIR_DOMAIN_EVENT_CRASHED)
		return;
	for (int i = 0; i < run->nvms; i++) {
		struct hr_vm *vm = run->vms[i];

		if (!vm || strcmp(vm->name, name))
			continue;
		pthread_mutex_lock(&vm->lock);
		vm->dead = 1;
		snprintf(vm->dead_reason, sizeof(vm->dead_reason), "%s",
			 event == VIR_DOMAIN_EVENT_CRASHED ? "crashed" :
			 (detail >= 0 && detail < 7 ? stopped[detail] : "stopped"));
		pthread_cond_broadcast(&vm->cond);
		pthread_mutex_unlock(&vm->lock);
	}
}

int hr_conn_open(struct hr_run *run)
{
	static int registered;
	char lockpath[PATH_MAX];
	int r;

	if (!registered) {
		char logs[PATH_MAX + 64];

		/* libvirt's own log (the embedded driver's warnings) goes to a file. */
		snprintf(logs, sizeof(logs), "3:file:%s/libvirt.log", run->state_dir);
		if (hr_verbosity < HR_DEBUG && hr_mkdir_p(run->state_dir) == 0)
			setenv("LIBVIRT_LOG_OUTPUTS", logs, 0);
		virSetErrorFunc(NULL, quiet_errors);
		if (virEventRegisterDefaultImpl() < 0) {
			hr_err("cannot start libvirt's event loop: %s", lv_err());
			return -1;
		}
		registered = 1;
	}
	r = hr_mkdir_p(run->state_dir);
	if (r) {
		hr_err("cannot create state dir %s: %s", run->state_dir, strerror(-r));
		return -1;
	}
	if (!run->uri[0]) {
		char root[PATH_MAX];

		snprintf(root, sizeof(root), "%s/embed", run->state_dir);
		if (write_embed_conf(root))
			return -1;
		snprintf(run->uri, sizeof(run->uri), "qemu:///embed?root=%s", root);
		/* One process per embedded root: say who holds it, not libvirt's guess. */
		snprintf(lockpath, sizeof(lockpath), "%s/lock", run->state_dir);
		run->lock_fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (run->lock_fd < 0 || flock(run->lock_fd, LOCK_EX | LOCK_NB)) {
			char pid[32] = "?";

			if (run->lock_fd >= 0) {
				ssize_t n = pread(run->lock_fd, pid, sizeof(pid) - 1, 0);

				pid[n > 0 ? n : 0] = '\0';
				pid[strcspn(pid, "\n")] = '\0';
			}
			hr_err("state dir %s is in use by another balloonbench run (pid %s); wait for it or use --state-dir",
			       run->state_dir, pid);
			return -1;
		}
		if (ftruncate(run->lock_fd, 0) == 0)
			(void)dprintf(run->lock_fd, "%d\n", (int)getpid());
	}
	ev_stop = 0;
	if (pthread_create(&run->ev_thread, NULL, event_loop, NULL)) {
		hr_err("cannot start the event thread");
		return -1;
	}
	run->ev_running = 1;
	run->conn = virConnectOpen(run->uri);
	if (!run->conn) {
		const char *m = lv_err();

		hr_err("cannot connect to '%s': %s%s", run->uri, m,
		       strstr(m, "libvirt-qemu") ? " (run 'make deps' to create the libvirt-qemu user)" : "");
		return -1;
	}
	(void)virConnectSetKeepAlive(run->conn, 5, 3);
	run->lifecycle_cb = virConnectDomainEventRegisterAny(run->conn, NULL,
			VIR_DOMAIN_EVENT_ID_LIFECYCLE, VIR_DOMAIN_EVENT_CALLBACK(lifecycle_cb), run, NULL);
	return 0;
}

static void wake_event_loop(int timer, void *opaque)
{
	(void)timer;
	(void)opaque;
}

void hr_conn_close(struct hr_run *run)
{
	if (run->conn) {
		if (run->lifecycle_cb >= 0)
			(void)virConnectDomainEventDeregisterAny(run->conn, run->lifecycle_cb);
		virConnectClose(run->conn);
		run->conn = NULL;
	}
	if (run->ev_running) {
		int t;

		ev_stop = 1;
		/* A timer that fires at once makes virEventRunDefaultImpl return. */
		t = virEventAddTimeout(0, wake_event_loop, NULL, NULL);
		pthread_join(run->ev_thread, NULL);
		if (t >= 0)
			virEventRemoveTimeout(t);
		run->ev_running = 0;
	}
	if (run->lock_fd > 0) {
		close(run->lock_fd);
		run->lock_fd = -1;
	}
}

static void boot_id(char *buf, size_t size)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");

	if (!f || !fgets(buf, (int)size, f))
		snprintf(buf, size, "unknown");
	buf[strcspn(buf, "\n")] = '\0';
	if (f)
		fclose(f);
}

static int attr(const char *xml, const char *name, char *out, size_t size)
{
	char key[64];
	const char *p, *e;

	snprintf(key, sizeof(key), " %s=\"", name);
	p = strstr(xml, key);
	if (!p) {
		snprintf(key, sizeof(key), " %s='", name);
		if (!(p = strstr(xml, key)))
			return -1;
	}
	p += strlen(key);
	e = strpbrk(p, "\"'");
	if (!e || (size_t)(e - p) >= size)
		return -1;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return 0;
}

/* Is the process that started a domain gone? Only judged on the same host. */
static int owner_gone(const char *meta)
{
	char host[256], pid[32], bid[64], mybid[64], myhost[256], path[64], comm[64] = "";
	FILE *f;

	if (attr(meta, "host", host, sizeof(host)) || attr(meta, "pid", pid, sizeof(pid)) ||
	    attr(meta, "boot_id", bid, sizeof(bid)))
		return 0;
	if (gethostname(myhost, sizeof(myhost)) || strcmp(host, myhost))
		return 0;
	boot_id(mybid, sizeof(mybid));
	if (strcmp(bid, mybid))
		return 1;
	snprintf(path, sizeof(path), "/proc/%s/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return 1;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	return strncmp(comm, "balloonbench", 12) != 0 || atoi(pid) == (int)getpid();
}

int hr_reap_leftovers(struct hr_run *run)
{
	virDomainPtr *doms = NULL;
	int n = virConnectListAllDomains(run->conn, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);

	if (n < 0) {
		hr_warn("cannot list domains to reap leftovers: %s", lv_err());
		return 0;
	}
	for (int i = 0; i < n; i++) {
		char *meta = virDomainGetMetadata(doms[i], VIR_DOMAIN_METADATA_ELEMENT, HR_META_NS,
						  VIR_DOMAIN_AFFECT_LIVE);

		if (meta && owner_gone(meta)) {
			char rid[64] = "?";

			(void)attr(meta, "run", rid, sizeof(rid));
			if (virDomainDestroy(doms[i]) == 0)
				hr_warn("reaped domain %s left running by killed run %s",
					virDomainGetName(doms[i]), rid);
			else if (virGetLastErrorCode() == VIR_ERR_NO_DOMAIN)
				/* The embedded driver's reconnect may stop it first ("daemon"). */
				hr_warn("reaped domain %s left running by killed run %s (libvirt stopped it on reconnect)",
					virDomainGetName(doms[i]), rid);
			else
				hr_warn("cannot reap domain %s left by killed run %s: %s",
					virDomainGetName(doms[i]), rid, lv_err());
		}
		free(meta);
		virDomainFree(doms[i]);
	}
	free(doms);
	return 0;
}

static void image_path(const struct hr_vm *vm, int initrd, char *buf, size_t size)
{
	const char *set = initrd ? vm->job->initrd : vm->job->kernel;

	if (*set)
		snprintf(buf, size, "%s", set);
	else
		snprintf(buf, size, "%s/%s", vm->run->image_dir, initrd ? "initrd.img" : "vmlinuz");
}

/* The domain for @vm under @accel, as a malloc'ed string. */
static char *domain_xml(const struct hr_vm *vm, int accel)
{
	const struct hr_job *j = vm->job;
	char host[256] = "", bid[64], path[PATH_MAX], *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	(void)gethostname(host, sizeof(host));
	boot_id(bid, sizeof(bid));
	fprintf(f, "<domain type='%s'>\n  <name>%s</name>\n", accel == HR_ACCEL_KVM ? "kvm" : "qemu",
		vm->name);
	fprintf(f, "  <metadata><bb:run xmlns:bb='%s' run='%s' pid='%d' host='", HR_META_NS,
		vm->run->id, (int)getpid());
	rp_escape_markup(f, host);
	fprintf(f, "' boot_id='%s'/></metadata>\n", bid);
	fprintf(f, "  <memory unit='KiB'>%" PRIu64 "</memory>\n", j->memory_kib);
	fprintf(f, "  <currentMemory unit='KiB'>%" PRIu64 "</currentMemory>\n", j->memory_kib);
	fprintf(f, "  <vcpu>%d</vcpu>\n  <os>\n    <type arch='x86_64'>hvm</type>\n", j->vcpus);
	image_path(vm, 0, path, sizeof(path));
	fputs("    <kernel>", f);
	rp_escape_markup(f, path);
	image_path(vm, 1, path, sizeof(path));
	fputs("</kernel>\n    <initrd>", f);
	rp_escape_markup(f, path);
	fputs("</initrd>\n    <cmdline>console=ttyS0 quiet panic=-1 ", f);
	rp_escape_markup(f, j->cmdline);
	fputs("</cmdline>\n  </os>\n  <features><acpi/></features>\n", f);
	hr_layout_xml(f, j);
	fputs(accel == HR_ACCEL_KVM ? "  <cpu mode='host-passthrough' check='none'>" : "  <cpu>", f);
	if (j->guest_numa > 1) {
		uint64_t mib = j->memory_kib / 1024, per = mib / (uint64_t)j->guest_numa;
		int cpu = 0;

		fputs("<numa>", f);
		for (int c = 0; c < j->guest_numa; c++) {
			int ncpu = j->vcpus / j->guest_numa + (c < j->vcpus % j->guest_numa);

			fprintf(f, "<cell id='%d' cpus='%d-%d' memory='%" PRIu64 "' unit='MiB'/>", c, cpu,
				cpu + ncpu - 1, c == j->guest_numa - 1 ? mib - per * (uint64_t)c : per);
			cpu += ncpu;
		}
		fputs("</numa>", f);
	}
	fputs("</cpu>\n", f);
	fputs("  <on_poweroff>destroy</on_poweroff>\n  <on_reboot>destroy</on_reboot>\n"
	      "  <on_crash>destroy</on_crash>\n  <devices>\n"
	      "    <controller type='usb' model='none'/>\n", f);
	fputs("    <serial type='file'><source path='", f);
	rp_escape_markup(f, vm->console_path);
	fputs("'/><target port='0'/></serial>\n", f);
	if (!strcmp(j->workload_name, "pagecache")) {
		/* A disk for the page cache to cache (sparse: reads are cheap on the host). */
		fputs("    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='", f);
		rp_escape_markup(f, vm->disk_path);
		fputs("'/><target dev='vda' bus='virtio'/></disk>\n", f);
	}
	fprintf(f, "    <channel type='unix'><source mode='bind'/>"
		"<target type='virtio' name='%s'/></channel>\n", BBP_PORT_NAME);
	fprintf(f, "    <memballoon model='virtio' autodeflate='%s' freePageReporting='%s'>",
		j->deflate_on_oom ? "on" : "off", j->free_page_reporting ? "on" : "off");
	if (j->stats_period)
		fprintf(f, "<stats period='%d'/>", j->stats_period);
	fputs("</memballoon>\n  </devices>\n</domain>\n", f);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void append_gsample(struct hr_vm *vm, const struct bbp_sample *s)
{
	struct hr_gsample g;

	if (vm->ngs == vm->gcap) {
		size_t cap = vm->gcap ? vm->gcap * 2 : 4096;
		struct hr_gsample *n = realloc(vm->gs, cap * sizeof(*n));

		if (!n) {
			vm->bad_msgs++;
			return;
		}
		vm->gs = n;
		vm->gcap = cap;
	}
	if (vm->ngs && s->seq > vm->gs[vm->ngs - 1].seq + 1)
		vm->seq_gaps += s->seq - vm->gs[vm->ngs - 1].seq - 1;
	g.guest_ns = s->t_ns;
	if (vm->have_offset)
		g.t_ns = (int64_t)s->t_ns - vm->best.offset_ns - (int64_t)vm->run->t0_mono_ns;
	else
		g.t_ns = hr_run_time(vm->run);
	g.seq = s->seq;
	g.inflate = s->inflate;
	g.deflate = s->deflate;
	g.oom_kill = s->oom_kill;
	g.total_kib = s->total_kib;
	g.free_kib = s->free_kib;
	vm->gs[vm->ngs++] = g;
	hr_write_gsample(vm->run, vm, &g);
}

/* Event thread, vm->lock held. */
static void on_line(const char *line, size_t len, void *opaque)
{
	struct hr_vm *vm = opaque;
	struct bbp_msg m;
	char err[160];

	if (bbp_decode(line, len, &m, err, sizeof(err))) {
		if (vm->bad_msgs++ < 5)
			hr_warn("%s: malformed message from agent dropped: %s", vm->name, err);
		return;
	}
	switch (m.type) {
	case BBP_HELLO:
		vm->hello = m.u.hello;
		vm->have_hello = 1;
		break;
	case BBP_SAMPLE:
		append_gsample(vm, &m.u.sample);
		break;
	case BBP_PONG: {
		uint64_t t1 = hr_now_ns();
		struct hr_clock_est e;

		if (m.u.pong.id != vm->ping_id || !vm->ping_sent)
			break;
		e.rtt_ns = t1 - vm->ping_sent;
		e.offset_ns = (int64_t)m.u.pong.t_ns - (int64_t)(vm->ping_sent + e.rtt_ns / 2);
		e.t_ns = (int64_t)(t1 - vm->run->t0_mono_ns);
		vm->est[vm->nest++ % 64] = e;
		vm->ping_sent = 0;
		break;
	}
	case BBP_COST:
		if (!vm->ncost++)
			vm->cost_first = m.u.cost;
		vm->cost_last = m.u.cost;
		break;
	case BBP_LOG:
		hr_log(m.u.log.level == 0 ? HR_WARN : m.u.log.level == 1 ? HR_WARN : HR_DEBUG,
		       "%s: agent: %s", vm->name, m.u.log.msg);
		hr_event(vm->run, vm, "agent-log", "%s", m.u.log.msg);
		break;
	default:
		if (hr_wl_msg(vm, &m) && vm->bad_msgs++ < 5)
			hr_warn("%s: unexpected or bad %s from agent dropped", vm->name,
				bbp_type_name(m.type));
	}
	pthread_cond_broadcast(&vm->cond);
}

/*
 * The agent powers its guest off after `agent-watchdog` of host silence (so
 * a guest never outlives a killed runner); a runner that is only waiting
 * (settle, a long period, other guests booting) keeps it fed with a PING
 * every sixth of that, which nobody waits for (id 0: its PONG is ignored).
 */
static void keepalive(struct hr_vm *vm)
{
	struct bbp_msg m = { .type = BBP_PING };
	uint64_t last;

	pthread_mutex_lock(&vm->send_lock);
	last = vm->last_send;
	pthread_mutex_unlock(&vm->send_lock);
	if (last && hr_now_ns() - last > vm->job->agent_watchdog_us * 1000 / 6)
		(void)hr_vm_send(vm, &m);
}

static void stream_cb(virStreamPtr st, int events, void *opaque)
{
	struct hr_vm *vm = opaque;
	char buf[16384];

	(void)events;
	for (;;) {
		int n = virStreamRecv(st, buf, sizeof(buf));

		if (n == -2) {
			keepalive(vm);	/* the agent talks at least once a second */
			return;
		}
		pthread_mutex_lock(&vm->lock);
		if (n > 0) {
			bbp_reader_feed(&vm->rd, buf, (size_t)n, on_line, vm);
			pthread_mutex_unlock(&vm->lock);
			continue;
		}
		vm->hangup = 1;
		pthread_cond_broadcast(&vm->cond);
		pthread_mutex_unlock(&vm->lock);
		(void)virStreamEventRemoveCallback(st);
		return;
	}
}

int hr_vm_send(struct hr_vm *vm, const struct bbp_msg *m)
{
	char buf[BBP_MAX_LINE + 1];
	int n = bbp_encode(buf, sizeof(buf), m), off = 0, ret = 0;

	if (n < 0 || !vm->st)
		return -1;
	pthread_mutex_lock(&vm->send_lock);	/* the event loop's keepalive sends too */
	for (int tries = 0; off < n; ) {
		int r = virStreamSend(vm->st, buf + off, (size_t)(n - off));

		if (r > 0) {
			off += r;
		} else if (r == -2 && tries++ < 1000) {
			usleep(1000);
		} else {
			hr_err("%s: cannot send %s to the agent: %s", vm->name,
			       bbp_type_name(m->type), r == -2 ? "channel full for 1 s" : lv_err());
			ret = -1;
			break;
		}
	}
	if (!ret)
		vm->last_send = hr_now_ns();
	pthread_mutex_unlock(&vm->send_lock);
	return ret;
}

/* Wait on vm->cond (lock held) for at most @ms. */
static void timed_wait(struct hr_vm *vm, int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += (long)ms * 1000000L;
	ts.tv_sec += ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	(void)pthread_cond_timedwait(&vm->cond, &vm->lock, &ts);
}

int hr_vm_wait_sample(struct hr_vm *vm, size_t seen, int ms)
{
	int r;

	uint64_t deadline = hr_now_ns() + (uint64_t)ms * 1000000ull;

	/* Other messages wake us too: wait until a sample came or time is up. */
	pthread_mutex_lock(&vm->lock);
	while (vm->ngs <= seen && !vm->dead && !vm->hangup && !hr_stop) {
		uint64_t now = hr_now_ns();

		if (now >= deadline)
			break;
		timed_wait(vm, (int)((deadline - now + 999999) / 1000000));
	}
	r = vm->ngs > seen;
	pthread_mutex_unlock(&vm->lock);
	return r;
}

int hr_vm_clock_sync(struct hr_vm *vm, int pings)
{
	int got = 0;

	for (int i = 0; i < pings && !hr_stop; i++) {
		struct bbp_msg m = { .type = BBP_PING };
		uint64_t deadline;
		int nest;

		pthread_mutex_lock(&vm->lock);
		m.u.ping.id = ++vm->ping_id;
		nest = vm->nest;
		vm->ping_sent = hr_now_ns();
		pthread_mutex_unlock(&vm->lock);
		if (hr_vm_send(vm, &m))
			return -1;
		deadline = hr_now_ns() + 500000000ull;
		pthread_mutex_lock(&vm->lock);
		while (vm->nest == nest && !vm->dead && !vm->hangup && hr_now_ns() < deadline)
			timed_wait(vm, 20);
		if (vm->nest != nest) {
			const struct hr_clock_est *e = &vm->est[(vm->nest - 1) % 64];

			got++;
			if (!vm->have_offset || e->rtt_ns < vm->best.rtt_ns)
				vm->best = *e;
			vm->have_offset = 1;
		}
		pthread_mutex_unlock(&vm->lock);
	}
	if (!got) {
		hr_err("%s: the agent answered none of %d pings", vm->name, pings);
		return -1;
	}
	return 0;
}

/* Last non-empty line of a file, for error messages about a failed boot. */
static void last_line(const char *path, char *out, size_t size)
{
	char buf[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	off_t end;
	ssize_t n;
	char *p;

	snprintf(out, size, "(nothing)");
	if (fd < 0)
		return;
	end = lseek(fd, 0, SEEK_END);
	n = pread(fd, buf, sizeof(buf) - 1, end > (off_t)sizeof(buf) - 1 ? end - (off_t)sizeof(buf) + 1 : 0);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	p = strrchr(buf, '\n');
	snprintf(out, size, "'%s'", p ? p + 1 : buf);
	for (p = out; *p; p++)
		if (*p == '\r')
			*p = ' ';
}

static void drop_domain(struct hr_vm *vm)
{
	if (vm->st) {
		(void)virStreamEventRemoveCallback(vm->st);
		(void)virStreamAbort(vm->st);
		virStreamFree(vm->st);
		vm->st = NULL;
	}
	if (vm->dom) {
		if (virDomainDestroy(vm->dom) < 0 && virDomainIsActive(vm->dom) == 1)
			hr_err("%s: could not destroy the domain: %s", vm->name, lv_err());
		virDomainFree(vm->dom);
		vm->dom = NULL;
	}
}

/*
 * Start @vm's domain under @accel and wait up to @timeout_us for the agent's
 * hello. Returns 0, or -1 with the reason in @why.
 */
static int boot_once(struct hr_vm *vm, int accel, uint64_t timeout_us, char *why, size_t wlen)
{
	char *xml = domain_xml(vm, accel);
	uint64_t t0 = hr_now_ns(), deadline = t0 + timeout_us * 1000;

	if (!xml) {
		snprintf(why, wlen, "cannot build domain XML");
		return -1;
	}
	pthread_mutex_lock(&vm->lock);
	vm->dead = vm->hangup = vm->have_hello = 0;
	bbp_reader_init(&vm->rd);
	pthread_mutex_unlock(&vm->lock);
	(void)unlink(vm->console_path);
	hr_debug("%s: domain XML:\n%s", vm->name, xml);
	vm->dom = virDomainCreateXML(vm->run->conn, xml, 0);
	free(xml);
	if (!vm->dom) {
		snprintf(why, wlen, "libvirt could not start it: %s", lv_err());
		return -1;
	}
	vm->st = virStreamNew(vm->run->conn, VIR_STREAM_NONBLOCK);
	if (!vm->st || virDomainOpenChannel(vm->dom, BBP_PORT_NAME, vm->st, VIR_DOMAIN_CHANNEL_FORCE) ||
	    virStreamEventAddCallback(vm->st, VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_ERROR |
				      VIR_STREAM_EVENT_HANGUP, stream_cb, vm, NULL)) {
		snprintf(why, wlen, "cannot open the agent channel: %s", lv_err());
		drop_domain(vm);
		return -1;
	}
	pthread_mutex_lock(&vm->lock);
	while (!vm->have_hello && !vm->dead && !vm->hangup && !hr_stop && hr_now_ns() < deadline)
		timed_wait(vm, 50);
	pthread_mutex_unlock(&vm->lock);
	if (vm->have_hello) {
		vm->boot_ns = (int64_t)(hr_now_ns() - t0);
		return 0;
	}
	{
		char console[256];

		last_line(vm->console_path, console, sizeof(console));
		if (hr_stop)
			snprintf(why, wlen, "interrupted while booting");
		else if (vm->dead)
			snprintf(why, wlen, "the domain %s during boot (last console line: %s)",
				 vm->dead_reason, console);
		else if (vm->hangup)
			snprintf(why, wlen, "the agent channel closed during boot (last console line: %s)",
				 console);
		else
			snprintf(why, wlen, "the agent's hello did not arrive within %.0f s (last console line: %s)",
				 timeout_us / 1e6, console);
	}
	drop_domain(vm);
	return -1;
}

/* KVM found unusable earlier on this host, kernel and QEMU? Cached in state dir. */
static int kvm_known_broken(struct hr_run *run, const char *key, char *why, size_t wlen)
{
	char path[PATH_MAX], line[512];
	FILE *f;
	int broken = 0;

	snprintf(path, sizeof(path), "%s/kvm-probe", run->state_dir);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fgets(line, sizeof(line), f) && !strncmp(line, "broken ", 7)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strcmp(line + 7, key) && fgets(why, (int)wlen, f)) {
			why[strcspn(why, "\n")] = '\0';
			broken = 1;
		}
	}
	fclose(f);
	return broken;
}

static void kvm_mark_broken(struct hr_run *run, const char *key, const char *why)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/kvm-probe", run->state_dir);
	f = fopen(path, "we");
	if (!f)
		return;
	fprintf(f, "broken %s\n%s\n", key, why);
	fclose(f);
}

int hr_vm_boot(struct hr_run *run, struct hr_vm *vm, char *err, size_t errlen)
{
	const struct hr_job *j = vm->job;
	char why[1024], key[256], *caps;
	unsigned long hv = 0;
	struct utsname u;
	int kvm_ok;

	caps = virConnectGetDomainCapabilities(run->conn, NULL, "x86_64", NULL, "kvm", 0);
	kvm_ok = caps != NULL;
	free(caps);
	(void)virConnectGetVersion(run->conn, &hv);
	uname(&u);
	snprintf(key, sizeof(key), "%s qemu-%lu", u.release, hv);

	if (j->accel == HR_ACCEL_KVM) {
		if (!kvm_ok) {
			snprintf(err, errlen, "%s: accel=kvm: this host offers no KVM (libvirt: %s)",
				 vm->name, lv_err());
			return -1;
		}
		if (boot_once(vm, HR_ACCEL_KVM, j->kvm_boot_timeout_us, why, sizeof(why))) {
			snprintf(err, errlen,
				 "%s: accel=kvm: the guest did not boot under KVM: %s; use accel=tcg or accel=auto",
				 vm->name, why);
			return -1;
		}
		vm->accel = HR_ACCEL_KVM;
		return 0;
	}
	if (j->accel == HR_ACCEL_AUTO) {
		if (!kvm_ok) {
			snprintf(vm->accel_note, sizeof(vm->accel_note),
				 "accel=auto: no KVM on this host; running under TCG");
		} else if (!run->reprobe_kvm && kvm_known_broken(run, key, why, sizeof(why))) {
			snprintf(vm->accel_note, sizeof(vm->accel_note),
				 "accel=auto: KVM is present but could not boot a guest when probed (%s); running under TCG (cached in %s/kvm-probe; --reprobe-kvm tries again)",
				 why, run->state_dir);
		} else if (boot_once(vm, HR_ACCEL_KVM, j->kvm_boot_timeout_us, why, sizeof(why))) {
			if (hr_stop) {
				snprintf(err, errlen, "%s: interrupted while booting", vm->name);
				return -1;
			}
			kvm_mark_broken(run, key, why);
			snprintf(vm->accel_note, sizeof(vm->accel_note),
				 "accel=auto: KVM is present but the guest did not boot under it (%s); retrying under TCG",
				 why);
		} else {
			vm->accel = HR_ACCEL_KVM;
			snprintf(vm->accel_note, sizeof(vm->accel_note), "accel=auto: KVM works");
			return 0;
		}
		hr_warn("%s: %s", vm->name, vm->accel_note);
		hr_warn("%s: TCG is software emulation: expect figures 10-100x below a KVM host's", vm->name);
	}
	if (boot_once(vm, HR_ACCEL_TCG, j->boot_timeout_us, why, sizeof(why))) {
		snprintf(err, errlen, "%s: the guest did not boot under TCG: %s", vm->name, why);
		return -1;
	}
	vm->accel = HR_ACCEL_TCG;
	return 0;
}

int hr_vm_set_target(struct hr_vm *vm, uint64_t kib)
{
	if (virDomainSetMemoryFlags(vm->dom, kib, VIR_DOMAIN_AFFECT_LIVE) < 0) {
		hr_err("%s: cannot set the balloon target to %" PRIu64 " KiB: %s", vm->name, kib,
		       lv_err());
		return -1;
	}
	return 0;
}

/* QEMU's "actual" in KiB: query-balloon, or memory stats where that is refused. */
static int host_actual(struct hr_vm *vm, uint64_t *kib)
{
	if (!vm->host_via_stats) {
		char *res = NULL;
		json_t *j, *a;
		int r = -1;

		if (virDomainQemuMonitorCommand(vm->dom, "{\"execute\":\"query-balloon\"}", &res, 0) == 0) {
			j = json_loads(res, 0, NULL);
			a = json_object_get(json_object_get(j, "return"), "actual");
			if (json_is_integer(a)) {
				*kib = (uint64_t)json_integer_value(a) / 1024;
				r = 0;
			}
			json_decref(j);
		}
		free(res);
		if (r == 0)
			return 0;
		hr_debug("%s: query-balloon failed (%s): using memory stats", vm->name, lv_err());
		vm->host_via_stats = 1;
	}
	{
		virDomainMemoryStatStruct st[VIR_DOMAIN_MEMORY_STAT_NR];
		int n = virDomainMemoryStats(vm->dom, st, VIR_DOMAIN_MEMORY_STAT_NR, 0);

		for (int i = 0; i < n; i++) {
			if (st[i].tag == VIR_DOMAIN_MEMORY_STAT_ACTUAL_BALLOON) {
				*kib = st[i].val;
				return 0;
			}
		}
	}
	return -1;
}

int hr_vm_poll_host(struct hr_vm *vm)
{
	struct hr_hsample h;

	if (host_actual(vm, &h.actual_kib))
		return -1;
	h.t_ns = hr_run_time(vm->run);
	pthread_mutex_lock(&vm->lock);
	if (vm->nhs == vm->hcap) {
		size_t cap = vm->hcap ? vm->hcap * 2 : 1024;
		struct hr_hsample *n = realloc(vm->hs, cap * sizeof(*n));

		if (!n) {
			pthread_mutex_unlock(&vm->lock);
			return -1;
		}
		vm->hs = n;
		vm->hcap = cap;
	}
	vm->hs[vm->nhs++] = h;
	pthread_mutex_unlock(&vm->lock);
	hr_write_hsample(vm->run, vm, &h);
	return 0;
}

void hr_vm_destroy(struct hr_vm *vm)
{
	if (vm)
		drop_domain(vm);
}

void hr_vm_free(struct hr_vm *vm)
{
	if (!vm)
		return;
	hr_vm_destroy(vm);
	free(vm->gs);
	free(vm->hs);
	free(vm->lat);
	free(vm->fb);
	free(vm->trans_dir);
	free(vm->ns);
	free(vm->placement);
	if (vm->disk_path[0])
		(void)unlink(vm->disk_path);
	pthread_mutex_destroy(&vm->lock);
	pthread_mutex_destroy(&vm->send_lock);
	pthread_cond_destroy(&vm->cond);
	free(vm);
}
