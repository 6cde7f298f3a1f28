/* SPDX-License-Identifier: MIT */
/*
 * assets.S - the pages' scripts and style (report.html, compare.html, trend.html) and
 * uPlot, built into the binary so that `balloonbench report` and `compare`
 * need no files at run time and their pages need no network. The Makefile passes the paths (uPlot comes
 * from the npm registry at the version pinned in reports/package-lock.json).
 * Each blob ends with a NUL and a symbol marking its end.
 */
#define ASSET(sym, path)		\
	.global sym, sym##_end;		\
	.balign 16;			\
sym:	.incbin path;			\
sym##_end:				\
	.byte 0

	.section .rodata
	ASSET(rp_uplot_js, RP_UPLOT_JS)
	ASSET(rp_uplot_css, RP_UPLOT_CSS)
	ASSET(rp_common_js, "reports/common.js")
	ASSET(rp_report_js, "reports/report.js")
	ASSET(rp_compare_js, "reports/compare.js")
	ASSET(rp_trend_js, "reports/trend.js")
	ASSET(rp_report_css, "reports/report.css")

	.section .note.GNU-stack, "", @progbits
