#!/bin/bash
# docs: the documentation stays true. Every command shown in a code block
# (indented 4 spaces, or fenced) of README.md and docs/**/*.md that starts
# with `balloonbench` or `build/balloonbench` is run here, without a guest:
#   --help, help, --version, list ...     as shown: exit 0
#   run --dry-run ...                     as shown: exit 0 (the scenario valid)
#   run ... (a real run)                  the same with --dry-run added: exit 0
#   doctor                                exit 0 or 1 (it may find things missing)
#   report, compare, trend                in a scratch directory where the
#                                         placeholders are real: results/latest
#                                         and results/*/ a copy of
#                                         tests/data/results-real, BASE/BASELINE
#                                         and CAND/CANDIDATE three runs each,
#                                         HISTORY/ eight (tests/fabricate.sh),
#                                         DIR a results directory, hosts.ini the
#                                         hosts file the docs show; [-x Y] in a
#                                         synopsis is taken as -x Y; report and
#                                         trend exit 0, compare 0 or 1
#   doctor --hosts/--connect              SKIP: it would reach the hosts named
# A command whose pipeline needs a tool that is not here is a SKIP naming it.
# Exit status 2 (bad usage) or any other failure fails the test: a documented
# command must work as shown. Also: README.md has at most 150 lines, every
# relative link in README.md and docs/ names a file (and heading) that exists,
# and every scenario example (a fenced ini block with [global]) dry-runs.
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/tests/tap.sh"
BB=${BB:-$TOP/build/balloonbench}
T=$(mktemp -d /tmp/bbdocs.XXXXXX)
trap 'rm -rf "$T"' EXIT
require bb
# The docs' runs are dry runs, which need the guest image's files to exist,
# not a guest: without build/guest (no `make image`, as `make fast` may be
# run) a stand-in, as dry-run.t and corpus.t use; it failed 15 checks there
if [ ! -f "$BB_IMAGE_DIR/vmlinuz" ]; then
	mkdir -p "$T/image" && : >"$T/image/vmlinuz" && : >"$T/image/initrd.img"
	export BB_IMAGE_DIR=$T/image
	echo "# no guest image in build/guest: a stand-in for the dry runs"
fi
cd "$TOP" || exit 1
mapfile -t DOCS < <(echo README.md; find docs -name '*.md' | sort)

# code_lines FILE...: "FILE:LINE<TAB>TEXT" for every line of a code block;
# fenced blocks also give "FILE:LINE<TAB>```LANG" at their start
code_lines() {
	awk '
		FNR == 1 { fence = 0; prev_code = 0; prev_blank = 1 }
		/^ *```/ { fence = !fence; if (fence) print FILENAME ":" FNR "\t" $0; prev_code = 0; prev_blank = 0; next }
		fence { print FILENAME ":" FNR "\t" $0; next }
		/^    / && (prev_blank || prev_code) { print FILENAME ":" FNR "\t" $0; prev_code = 1; prev_blank = 0; next }
		{ prev_code = 0; prev_blank = ($0 ~ /^[ \t]*$/) }
	' "$@"
}

# The commands: a continued line (ending in \) joined to the next, a
# trailing "  # comment" dropped.
code_lines "${DOCS[@]}" | awk -F'\t' '
	{ line = $2; sub(/^[ \t]+/, "", line); sub(/^\$ /, "", line) }
	cont { cmd = cmd " " line; if (cmd !~ /\\$/) { emit(); cont = 0 } else sub(/[ \t]*\\$/, "", cmd); next }
	line ~ /^(build\/)?balloonbench([ \t]|$)/ {
		where = $1; cmd = line
		if (cmd ~ /\\$/) { cont = 1; sub(/[ \t]*\\$/, "", cmd); next }
		emit()
	}
	function emit() { sub(/[ \t]+#.*$/, "", cmd); gsub(/[ \t]+/, " ", cmd); print where "\t" cmd }
' >"$T/commands"

# The hosts file the docs show (a code block whose first line is "# hosts.ini").
code_lines "${DOCS[@]}" | awk -F'\t' '
	$2 ~ /^```/ { start = 1; next }
	start && $2 ~ /^# hosts\.ini/ { take = 1; where = $1; sub(/:[0-9]+$/, "", where) }
	start { start = 0 }
	take { split($1, a, ":"); if (a[1] != where || (last && a[2] != last + 1)) exit; last = a[2]; print $2 }
' >"$T/hosts.ini"

# Scenario examples: fenced ```ini blocks holding a [global] section.
code_lines "${DOCS[@]}" | awk -F'\t' -v dir="$T/ex" '
	$2 ~ /^```ini/ { k++; file = dir "-" k ".ini"; split($1, a, ":"); where[k] = $1; last = a[2]; next }
	file { split($1, a, ":"); if (a[2] != last + 1) { close(file); file = ""; next } last = a[2]; print $2 > file }
	END { for (i = 1; i <= k; i++) print where[i] "\t" dir "-" i ".ini" }
' | while IFS=$'\t' read -r where file; do
	grep -q '^\[global\]' "$file" 2>/dev/null && printf '%s\t%s\n' "$where" "$file"
done >"$T/scenarios"

# The relative links of README.md and docs/: FILE:LINE<TAB>TARGET
for f in "${DOCS[@]}"; do
	grep -n -o '\](\([^)]*\))' "$f" | sed 's/^\([0-9]*\):](\(.*\))$/\1\t\2/' |
		awk -F'\t' -v f="$f" '$2 !~ /^[a-z]+:/ { print f ":" $1 "\t" $2 }'
done >"$T/links"

ncmd=$(wc -l <"$T/commands")
nscen=$(wc -l <"$T/scenarios")
plan $((ncmd + nscen + 3))

lines=$(wc -l <README.md)
ok "$([ "$lines" -le 150 ]; echo $?)" "README.md has at most 150 lines ($lines)"

# A heading's anchor as GitHub makes it: lower case, punctuation dropped, blanks to -.
anchors() { sed -n 's/^#\{1,6\} \(.*\)$/\1/p' "$1" | tr '[:upper:]' '[:lower:]' | sed 's/[^a-z0-9 _-]//g; s/ /-/g'; }
bad=0 readme_docs=0
while IFS=$'\t' read -r where target; do
	src=${where%%:*} path=${target%%#*} frag=
	[ "$path" != "$target" ] && frag=${target#*#}
	[ -n "$path" ] && file=$(dirname "$src")/$path || file=$src
	[ "$src" = README.md ] && [ "${path#docs/}" != "$path" ] && readme_docs=$((readme_docs + 1))
	if [ ! -e "$file" ]; then
		echo "# $where: $target: no such file"; bad=$((bad + 1))
	elif [ -n "$frag" ] && ! anchors "$file" | grep -qx -- "$frag"; then
		echo "# $where: $target: no heading with that anchor in $file"; bad=$((bad + 1))
	fi
done <"$T/links"
ok "$([ "$bad" -eq 0 ] && [ "$readme_docs" -gt 0 ]; echo $?)" \
	"every relative link of README.md and docs/ exists, headings too ($(wc -l <"$T/links") links, $readme_docs from README.md into docs/)"
ok "$([ -s "$T/hosts.ini" ]; echo $?)" "the docs show a hosts file (a code block starting '# hosts.ini')"

# The scratch directory where the placeholders are real.
W=$T/w
mkdir -p "$W/results" "$W/state"
ln -s "$TOP/bench" "$W/bench"
ln -s "$TOP/ci" "$W/ci"
cp "$T/hosts.ini" "$W/hosts.ini"
# shellcheck source=tests/fabricate.sh
. "$TOP/tests/fabricate.sh"
cp -r "$TOP/tests/data/results-real" "$W/results/20261123-032847-edc6"
ln -s 20261123-032847-edc6 "$W/results/latest"
cp -r "$TOP/tests/data/results-real" "$W/DIR"
for k in 0 1 2; do fabricate "$TOP/tests/data/results-quick" "$W/BASE/r$k" "$k" 1; done
for k in 4 5 6; do fabricate "$TOP/tests/data/results-quick" "$W/CAND/r$k" "$k" 1; done
cp -r "$W/BASE" "$W/BASELINE"
cp -r "$W/CAND" "$W/CANDIDATE"
for k in 0 1 2 3 4 5 6 7; do fabricate "$TOP/tests/data/results-quick" "$W/HISTORY/run-$k" "$k" 1; done
for k in 0 1 2 3 4 5 6 7; do echo "fab-0$k build-$k"; done >"$W/labels.txt"
export BALLOONBENCH_STATE=$W/state BB

while IFS=$'\t' read -r where cmd; do
	# the synopsis' optional parts taken as given; the binary is the one built here
	args=$(echo "$cmd" | sed -e 's/^\(build\/\)\{0,1\}balloonbench//' -e 's/\[\(-[^]]*\)\]/\1/g')
	read -ra words <<<"$args"
	sub=${words[0]:-}
	want="0" note=
	case $sub in
	run)
		case " $args " in
		*" --help "* | *" -h "*) ;;
		*" --dry-run "* | *" -n "*) ;;
		*) args=" run --dry-run${args# run}"; note=" (as a dry run)" ;;
		esac ;;
	doctor)
		case " $args " in
		*" --hosts "* | *" --connect "* | *" -c "*)
			skip "$where: $cmd: it would reach the hosts it names"; continue ;;
		esac
		want="0 1" ;;
	compare) want="0 1" ;;
	esac
	# a tool a pipeline needs (quoted text left out: a jq filter has | too)
	need=$(echo "$args" | sed -e "s/'[^']*'//g" -e 's/"[^"]*"//g' | grep -o '| *[a-z][a-z0-9_-]*' |
		sed 's/^| *//' | while read -r tool; do
		command -v "$tool" >/dev/null || echo "$tool"; done | head -n 1)
	if [ -n "$need" ]; then
		skip "$where: $cmd: needs $need, not installed here"
		continue
	fi
	(cd "$W" && timeout 120 bash -o pipefail -c "\"\$BB\" $args" </dev/null >"$T/out" 2>"$T/err")
	rc=$?
	good=1
	for w in $want; do [ "$rc" -eq "$w" ] && good=0; done
	ok $good "$where: $cmd$note: exit $rc (want ${want// / or })"
	if [ "$good" -ne 0 ]; then
		sed 's/^/#   /' "$T/err" | head -n 5
		tail -n 3 "$T/out" | sed 's/^/#   /'
	fi
done <"$T/commands"

while IFS=$'\t' read -r where file; do
	"$BB" run --dry-run "$file" </dev/null >"$T/out" 2>"$T/err"
	rc=$?
	ok "$([ "$rc" -eq 0 ] && grep -q '^the scenario is valid' "$T/out"; echo $?)" \
		"$where: the scenario example dry-runs (exit $rc)"
	[ "$rc" -eq 0 ] || sed 's/^/#   /' "$T/err" | head -n 3
done <"$T/scenarios"

finish
