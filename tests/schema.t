#!/bin/bash
# schema: the results files and their one declaration (host-runner/core/schema.c)
# agree: balloonbench-results(5) names every column of the files a real run
# wrote (tests/data/results-real) and no other, and no test reads a results
# column by its position (tests/csv.sh reads them by name). No guest.
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/tests/tap.sh"
BB=${BB:-$TOP/build/balloonbench}
T=$(mktemp -d /tmp/bbschema.XXXXXX)
trap 'rm -rf "$T"' EXIT
require bb
plan 4

"$BB" list schema --man >"$T/man.5"
ok $? "list schema --man: exit 0"
# the man page's columns, per file in their order: "FILE NAME" lines (.SH FILE, then .TP \fBNAME\fR)
awk '/^\.SH [a-z_]*\\?\.csv/ { f = $2; gsub(/\\/, "", f); next } /^\.SH / { f = "" }
	f && prev == ".TP" && match($0, /^\\fB[a-z0-9_]+\\fR/) { print f, substr($0, 4, RLENGTH - 6) }
	{ prev = $0 }' "$T/man.5" >"$T/man.cols"
# each file's header is the man page's columns of that file, or their start (columns are appended)
bad= files=
for f in "$TOP"/tests/data/results-real/*.csv; do
	b=$(basename "$f")
	files="$files $b"
	want=$(head -n 1 "$f")
	got=$(awk -v f="$b" '$1 == f { print $2 }' "$T/man.cols" | paste -sd, -)
	case "$got," in "$want,"*) ;; *) bad="$bad $b";; esac
done
ok "$([ -z "$bad" ] && echo 0 || echo 1)" \
	"balloonbench-results(5) names the columns of a real run's files in their order:$files${bad:+ # not:$bad}"
nf=$(cut -d' ' -f1 "$T/man.cols" | sort -u | wc -l)
ok "$([ "$nf" -eq 13 ] && echo 0 || echo 1)" "the man page has every file's columns ($(wc -l <"$T/man.cols") in $nf files)"

# Positional reads: an awk -F, program (or cut -d, -f) over a .csv file that
# uses $1, $2...; allowed: files a test makes itself that are not results
# (tests/vm-fleet.t's vmhost: vm,host pairs) and /etc/passwd's fields.
python3 - "$TOP"/tests/*.t "$TOP"/tests/*.sh >"$T/pos" <<'PY'
import re, sys
allow = ("/vmhost", "getent passwd")
for path in sys.argv[1:]:
    text = open(path).read()
    for m in re.finditer(r"awk -F,[^']*'((?:[^'])*)'([^\n]*)", text):
        prog, rest = m.group(1), m.group(2)
        line = text.count("\n", 0, m.start()) + 1
        if any(a in rest for a in allow):
            continue
        if re.search(r"\$[1-9]", prog) and (".csv" in rest or "csv" in rest):
            print("%s:%d: %s" % (path.split("/tests/")[-1], line, prog.strip()[:80]))
    for m in re.finditer(r"cut -d, -f[0-9][^\n]*", text):
        line = text.count("\n", 0, m.start()) + 1
        ctx = text.splitlines()[line - 1]
        if ".csv" in ctx and not any(a in ctx for a in allow):
            print("%s:%d: %s" % (path.split("/tests/")[-1], line, ctx.strip()[:80]))
PY
[ ! -s "$T/pos" ]
ok $? "no test reads a results column by its position (use csv_col, csv_where or csv_awk)$(sed 's/^/ # /' "$T/pos" | tr '\n' ' ')"
finish
