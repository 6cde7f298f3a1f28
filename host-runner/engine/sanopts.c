// SPDX-License-Identifier: MIT
/*
 * sanopts.c - the ASan+UBSan runner's own sanitizer defaults (build/asan/
 * balloonbench only; the other builds compile nothing here). ASAN_OPTIONS from
 * the environment are read after these and win.
 *
 * intercept_tls_get_addr=0: LeakSanitizer must not track dynamic TLS through
 * its __tls_get_addr interceptor. In gcc 12's runtime (Debian 12's libasan8)
 * that interceptor guesses where a dlopen()ed module's TLS block begins: one
 * that starts 16 bytes into a page is taken for glibc 2.19's memalign layout,
 * and the 16 bytes before it are read as the block's {size, start}. Since
 * glibc 2.26 those are ASan's own chunk header, so LeakSanitizer's tracer
 * later scans garbage (seen: "DTLS 17 at 0x107b-0x10000217d", size
 * 0x100001102, then "Tracer caught signal 11" and "LeakSanitizer has
 * encountered a fatal error" at exit) and the run exits non-zero with no
 * finding. Whether a block lands there depends on the heap's history, so one
 * path (vm-retry's retried boot) crashed four times in four on one machine
 * and never on another. The modules the runner dlopen()s with TLS are
 * libvirt's QEMU driver (1 byte) and glibc's NSS modules (libnss_systemd: 92
 * bytes); neither holds the only pointer to anything we allocate, so the leak
 * check loses nothing by not scanning them. tests/lsan.t builds the crash
 * from scratch (tests/lsan-dtls/), shows that this default avoids it, and
 * that a planted leak is still found with it. LLVM 17's runtime asks its
 * allocator instead of guessing; drop this when the toolchain has that.
 */
#if defined(__SANITIZE_ADDRESS__)
const char *__asan_default_options(void);

const char *__asan_default_options(void)
{
	return "intercept_tls_get_addr=0";
}
#endif
