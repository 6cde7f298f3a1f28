#!/bin/bash
# report-page: report.html of a run of several jobs leads with the comparison
# the run answers (one entry per job; for two mechanisms the table `run`
# printed, same figures), a single job's page has no such block; the page's
# own #selftest says so too. Recorded results (tests/data), no VM; the page
# in headless Chromium (skipped where there is none).
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/tests/tap.sh"
BB=${BB:-$TOP/build/balloonbench}
T=$(mktemp -d /tmp/bbpage.XXXXXX)
trap 'rm -rf "$T"' EXIT
require bb
plan 22

# mech: bench/balloon-vs-virtio-mem.ini under TCG (4 jobs, 2 mechanisms; run.json
# trimmed), terminal.txt what its run printed; mini: 2 jobs; real: 1 job; policy:
# bench/overcommit.ini's run of 2026-12-07 14:06 (run.json trimmed; budget.csv,
# its kind=qemu rows of every policy job, the baseline's too, decisions.csv and
# transitions.csv whole); demand: a run of bench/overcommit-hog.ini's baseline and mom
# (3 guests of the demand workload's hog shape) in 2 rounds (rounds=2), 2026-12-07 17:10
# (run.json without its clock, probe and timestamp_cost; budget.csv, decisions.csv,
# events.csv and transitions.csv whole)
for d in mech mini real policy demand; do
	cp -r "$TOP/tests/data/results-$d" "$T/$d"
	"$BB" report "$T/$d" >"$T/$d.out" 2>&1
done
check "report of each results directory writes report.html" \
	test -s "$T/mech/report.html" -a -s "$T/mini/report.html" -a -s "$T/real/report.html" -a -s "$T/policy/report.html" \
	-a -s "$T/demand/report.html"

. "$TOP/tests/browser.sh"
if [ -z "$CHROMIUM" ]; then
	skip_rest "$(missing chromium)"
	exit 0
fi

# page DIR: its DOM once drawn with #selftest at 1280 px, in $T/DIR.dom; its <body> tag printed
page() {
	browse "$T/$1.dom" "$T/console" --window-size=1280,1000 --dump-dom "file://$T/$1/report.html#selftest" &&
		grep -o '<body[^>]*data-selftest[^>]*>' "$T/$1.dom" | head -n 1
}
# comparison DIR: "JOBS FIRST": the comparison block's data-jobs and its job rows, and
# whether it is the page's first section; "none" where it has none
comparison() {
	python3 - "$T/$1.dom" <<'PY'
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    sections, jobs, rows, inside = [], None, 0, 0
    def handle_starttag(self, tag, a):
        a = dict(a)
        if tag == 'section':
            self.sections.append(a.get('id'))
            self.inside = a.get('id') == 'comparison'
            if self.inside:
                self.jobs = a.get('data-jobs')
        if tag == 'tr' and self.inside and 'data-job' in a:
            self.rows += 1
p = P()
p.feed(open(sys.argv[1]).read())
if p.jobs is None:
    print('none')
else:
    print(p.jobs, p.rows, 'first' if p.sections[0] == 'comparison' else 'not-first:' + ','.join(map(str, p.sections)))
PY
}

for d in mech mini real policy demand; do
	body=$(page $d)
	grep -q 'data-selftest="done"' <<<"$body" && grep -q 'data-checks=""' <<<"$body" &&
		grep -q 'data-errors=""' <<<"$body" && grep -q 'data-blank=""' <<<"$body" && grep -q 'data-wide=""' <<<"$body"
	ok $? "$d: the page's selftest passes (its checks, no error, no blank chart, tables fit at 1280 px): $body"
done
got=$(comparison mech)
check "mech (4 jobs): the comparison block comes first, one row per job ($got)" test "$got" = "4 4 first"
got=$(comparison mini)
check "mini (2 jobs): the comparison block comes first, one row per job ($got)" test "$got" = "2 2 first"
got=$(comparison real)
check "real (1 job): no comparison block ($got)" test "$got" = none
# the policies section: the budget's usage and swap, and each guest index's target and actual, every budget job on the same axes
pol=$(grep -o '<h2>Policies: [^<]*' "$T/policy.dom")
nb=$(grep -o '<div class="u-title">Host budget: [^<]*every job' "$T/policy.dom" | wc -l)
ng=$(grep -o '<div class="u-title">Guest v[0-9]: target (dashed) and balloon actual, every job' "$T/policy.dom" | wc -l)
check "policy: one section of the budget jobs ($pol), its usage and swap ($nb charts) and 3 guests' targets ($ng)" \
	test "$pol" = "<h2>Policies: the host budget and the guests, none vs fpr vs mom vs external" -a "$nb" -eq 2 -a "$ng" -eq 3
# (the baseline, policy none without a budget, has kind=qemu rows and decisions: in the guests' charts only)
nbt=$(grep -o '>baseline target<' "$T/policy.dom" | wc -l)
check "policy: the baseline (no budget) is in each guest's chart, target and actual ($nbt; the section's title, above, the budget jobs only)" \
	test "$nbt" -eq 3
check "mini (no budget): no policies section" eval '! grep -q "<h2>Policies" "$T/mini.dom"'
check "real (1 job): the key figures lead, as before" grep -q '<header>.*class="keyfigs"' "$T/real.dom"
check "mech: the key figures per job come after the comparison (collapsed)" \
	sh -c "grep -o 'id=\"comparison\".*class=\"keyfigs\"' '$T/mech.dom' | grep -q '<details>'"


# demand: each guest index's chart has every job repetition's demand (the workload's
# trace), target and actual; every policy chart the same x range (s from each job's
# start line), every guest chart the same y range; the trace where the hog shape puts it
# policy_charts DIR: "KIND|X|Y|SERIES" a line per chart of the policies section
policy_charts() {
	python3 - "$T/$1.dom" <<'PY'
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def handle_starttag(self, tag, a):
        a = dict(a)
        if 'data-policy-chart' in a:
            print('|'.join([a['data-policy-chart'], a.get('data-x', ''), a.get('data-y', ''), a.get('data-series', '')]))
P().feed(open(sys.argv[1]).read())
PY
}
policy_charts demand >"$T/demand.charts"
ng=$(grep -c '^guest|' "$T/demand.charts")
bad=$(grep '^guest|' "$T/demand.charts" | while IFS='|' read -r kind x y series; do
	for k in baseline mom 'baseline r1' 'mom r1'; do
		for s in demand target actual; do
			grep -q "|$k $s|" <<<"|$series|" || echo "no '$k $s'"
		done
	done
done | sort -u | tr '\n' ' ')
check "demand: 3 guest charts, each with every job and round's demand, target and actual ($ng charts${bad:+; $bad})" \
	test "$ng" -eq 3 -a -z "$bad"
nx=$(cut -d'|' -f2 "$T/demand.charts" | sort -u | wc -l)
ny=$(grep '^guest|' "$T/demand.charts" | cut -d'|' -f3 | sort -u | wc -l)
x=$(head -n 1 "$T/demand.charts" | cut -d'|' -f2)
check "demand: every policy chart on one x range ($nx: $x, from before the start line to past policy-duration), every guest chart on one y range ($ny)" \
	sh -c "[ $nx -eq 1 ] && [ $ny -eq 1 ] && [ $(wc -l <"$T/demand.charts") -eq 5 ] &&
	       echo '$x' | awk -F, '{ exit !(\$1 < 0 && \$2 >= 30) }'"
# the trace computed by the report (vms[].demand) against the hog shape: 16 MiB, then 160 MiB for
# 9 s of each 30 s period, centred, guest k 10 s behind k-1: the first rise 0.5, 10.5 and 20.5 s
# after the start line for guests 2, 0 and 1
got=$(python3 - "$T/demand/report.html" <<'PY'
import json, re, sys
h = open(sys.argv[1]).read()
d = json.loads(re.search(r'<script id="bb-data" type="application/json">(.*?)</script>', h, re.S).group(1))
out = []
for v in d['vms']:
    m = v.get('demand')
    if not m:
        out.append(v['name'] + ':none'); continue
    t = [x - m['start_line_s'] for x in m['t']]
    rise = [t[i] for i in range(1, len(t)) if m['mib'][i] > m['mib'][i - 1] and t[i] >= 0]
    first = rise[0] if rise else -1
    want = {0: 10.5, 1: 20.5, 2: 0.5}[v['vm_index']]
    # the report's grid: 50 ms steps from the start line
    out.append('%d:%g-%g@%s' % (v['vm_index'], min(m['mib']), max(m['mib']), '%g' % want if abs(first - want) <= 0.051 else '%.3f' % first))
print(' '.join(sorted(set(out))))
PY
)
check "demand: every guest's trace 16 to 160 MiB, its first hog at the shape's time ($got)" \
	test "$got" = "0:16-160@10.5 1:16-160@20.5 2:16-160@0.5"
ax=$(grep -o 's from the job.s start line[^<]*' "$T/policy.dom" | head -n 1)
check "policy (no events.csv): the x axis says where the start line is not recorded ($ax)" \
	grep -q 'its first decision past it, or its budget.s creation, where the line is not recorded' <<<"$ax"
# pages that break it: the demand's data gone, one policy's chart on its own x range
cp "$T/demand/report.html" "$T/demand.html"
sed 's|"demand":{|"demand_gone":{|g' "$T/demand.html" >"$T/demand/report.html"
body=$(page demand)
check "a page without the demand traces fails its selftest ($(grep -o 'data-checks="[^"]\{0,80\}' <<<"$body"))" \
	grep -q 'data-checks="[^"]*no series baseline demand' <<<"$body"
sed 's|uPlot.join(pad(g.tables))|uPlot.join(g.tables)|' "$T/demand.html" >"$T/demand/report.html"
body=$(page demand)
check "a page whose guest charts take their own x range fails its selftest ($(grep -o 'data-checks="[^"]\{0,80\}' <<<"$body"))" \
	grep -q 'data-checks="Guest v0: [^"]*: x [-0-9.,]*, not ' <<<"$body"

# the page's mechanism and reclaim tables against the terminal's: same rows, same n,
# the figures within 1 % (the page reads transitions.csv's 3 decimals, the terminal
# had every digit); then the selftest of a page whose job table lost a row
python3 - "$T/mech.dom" "$T/mech/terminal.txt" >"$T/figs" 2>&1 <<'PY'
import re, sys
from html.parser import HTMLParser
class P(HTMLParser):
    tables, cell, row, infigs = [], None, None, False
    def handle_starttag(self, tag, a):
        if tag == 'table':
            self.infigs = ('class', 'figs') in a
            if self.infigs:
                self.tables.append([])
        elif tag == 'tr' and self.infigs:
            self.row = []
        elif tag in ('td', 'th') and self.row is not None:
            self.cell = ''
    def handle_endtag(self, tag):
        if tag in ('td', 'th') and self.cell is not None:
            self.row.append(self.cell.strip()); self.cell = None
        elif tag == 'tr' and self.row is not None:
            self.tables[-1].append(self.row)
            self.row = None
        elif tag == 'table':
            self.infigs = False
    def handle_data(self, d):
        if self.cell is not None: self.cell += d
p = P()
p.feed(open(sys.argv[1]).read())
# each table's rows, the header out, in the terminal's order: its reclaim table
# (5 columns) first, then the mechanisms' (8); the page leads with the latter
page = sorted((r for t in p.tables for r in t[1:]), key=len)
term = []
for line in open(sys.argv[2]):
    if re.match(r'^(reclaim|return|refault|shrink|grow)', line):
        term.append(line.split())
def same(a, b):
    if a == b: return True
    try:
        x, y = float(a.rstrip('x')), float(b.rstrip('x'))
        return abs(x - y) <= 0.01 * max(abs(x), abs(y))
    except ValueError:
        return False
bad = 0
flat = lambda r: ' '.join(r).split()
if len(page) != len(term):
    print('rows: page %d, terminal %d' % (len(page), len(term))); bad = 1
for a, b in zip(page, term):
    a, b = flat(a), flat(b)
    if len(a) != len(b) or not all(same(x, y) for x, y in zip(a, b)):
        print('page %s | terminal %s' % (' '.join(a), ' '.join(b))); bad = 1
print('%d rows compared' % len(page))
sys.exit(bad)
PY
ok $? "mech: the page's mechanism and reclaim tables are the terminal's ($(tail -n 1 "$T/figs"))"
[ "$failed" -eq 0 ] || sed 's/^/#   /' "$T/figs"

# a page that drops a job's row: its own selftest says so (the check is live)
sed 's|el(.tr., { .data-job.: jobName(j) }|el("tr", {}|' "$T/mech/report.html" >"$T/mech/broken.html"
cp "$T/mech/broken.html" "$T/mech/report.html"
body=$(page mech)
check "a page whose comparison lacks its job rows fails its selftest ($(grep -o 'data-checks="[^"]*"' <<<"$body"))" \
	grep -q 'data-checks="the comparison block has 0 job entries for 4 jobs"' <<<"$body"
finish
