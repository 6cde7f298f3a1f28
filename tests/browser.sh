# tests/browser.sh - a headless Chromium for the page tests (sourced, not run).
# Needs $T (a scratch directory). CHROMIUM is empty when there is none
# (make check installs it: scripts/install-deps.sh --test).

CHROMIUM=$(command -v chromium || command -v chromium-browser)

# browse OUT ERR ARGS...: headless, no network, a fresh profile every time
browse() {
	local out=$1 err=$2
	shift 2
	timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
		--disable-component-update --no-first-run --user-data-dir="$(mktemp -d "$T/prof.XXXX")" \
		--virtual-time-budget=15000 "$@" >"$out" 2>"$err"
}

# selftest HTML: open HTML#selftest and print its <body> tag, where the page's
# self-test (reports/common.js) wrote data-charts, data-blank, data-errors;
# console messages go to $T/console (one line each, CONSOLE in them)
selftest() {
	browse "$T/dom" "$T/console" --enable-logging=stderr --v=0 --dump-dom "file://$1#selftest" || return
	grep -o '<body[^>]*data-selftest[^>]*>' "$T/dom" | head -n 1
}
