#!/bin/bash
# formats: the machine-readable outputs, without a guest, on runs made from
# one real run (tests/data/results-quick, see tests/fabricate.sh): report's
# and compare's --output-format json/csv, compare.junit.xml against a JUnit
# schema (xmllint, tests/data/junit.xsd), compare.md, metrics.prom through
# real OpenMetrics and Prometheus text parsers, and bad input (exit 2).
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/tests/tap.sh"
BB=${BB:-$TOP/build/balloonbench}
T=$(mktemp -d /tmp/bbformats.XXXXXX)
trap 'rm -rf "$T"' EXIT
require bb
. "$TOP/tests/fabricate.sh"
. "$TOP/tests/csv.sh"
PY=/usr/bin/python3
plan 23

# base: runs 0-2 as recorded; slow: runs 4-6, 30 % slower (rates x 0.7)
for k in 0 1 2; do fabricate "$TOP/tests/data/results-quick" "$T/base/r$k" "$k" 1; done
for k in 4 5 6; do fabricate "$TOP/tests/data/results-quick" "$T/slow/r$k" "$k" 0.7; done
R=$T/base/r0

# ---- report ----
"$BB" report --output-format=json "$R" >"$T/r.json" 2>"$T/err"
check "report --output-format=json: exit 0, JSON only on stdout" $PY -c "import json; json.load(open('$T/r.json'))"
check "  schema_version 1, the transitions and summary rows of the files, features by name" $PY -c "
import json, csv
d = json.load(open('$T/r.json')); r = d['runs'][0]
assert d['schema'] == 'balloonbench-results' and d['schema_version'] == 1
tr = list(csv.DictReader(open('$R/transitions.csv'))); sm = list(csv.DictReader(open('$R/summary.csv')))
assert len(r['transitions']) == len(tr) and len(r['summary']) == len(sm) > 0
assert r['transitions'][0]['t100_ms'] == float(tr[0]['t100_ms'])
assert r['summary'][0]['median'] == float(sm[0]['median'])
assert r['vms'][0]['balloon_feature_names'] == 'STATS_VQ, EVENT_IDX, VERSION_1, RING_RESET'
"
"$BB" list schema --json-schema >"$T/schema.json"
check "list schema --json-schema: a JSON Schema" $PY -c "import json; assert json.load(open('$T/schema.json'))['\$schema']"
# jsonschema where installed; else a check of our own: required keys and each column's type
check "  the JSON output validates against it (every column typed by core/schema.c: a string, or a number or null)" $PY -c "
import json, sys
s = json.load(open('$T/schema.json')); d = json.load(open('$T/r.json'))
try:
    import jsonschema
    jsonschema.validate(d, s)
    sys.exit(0)
except ImportError:
    pass
types = {'string': str, 'integer': int, 'number': (int, float), 'null': type(None), 'boolean': bool, 'object': dict, 'array': list}
def check(v, sc, where):
    if 'const' in sc: assert v == sc['const'], where
    if 'type' in sc:
        t = sc['type'] if isinstance(sc['type'], list) else [sc['type']]
        assert any(isinstance(v, types[x]) and not (x in ('integer', 'number') and isinstance(v, bool)) for x in t), (where, v, t)
    for k in sc.get('required', []): assert k in v, (where, k)
    for k, p in sc.get('properties', {}).items():
        if isinstance(v, dict) and k in v: check(v[k], p, where + '.' + k)
    if 'items' in sc and isinstance(v, list):
        for i, x in enumerate(v): check(x, sc['items'], '%s[%d]' % (where, i))
check(d, s, '')
"
"$BB" report --output-format=csv "$T/base/r0" "$T/base/r1" >"$T/r.csv" 2>"$T/err"
check "report --output-format=csv: one header, summary.csv's rows of both runs with run_id" sh -c "
	[ \$(grep -c '^schema,' '$T/r.csv') -eq 1 ] && head -n 1 '$T/r.csv' | grep -q ',ci_coverage,run_id\$' &&
	[ \$(grep -c ',r0\$' '$T/r.csv') -eq \$((\$(wc -l < '$R/summary.csv') - 1)) ] && grep -q ',r1\$' '$T/r.csv'"
"$BB" report --output-format=normal,json --output-file "$T/out.json" "$R" >"$T/stdout" 2>"$T/err"
check "normal,json --output-file: the line on stdout, the JSON in the file" sh -c "
	grep -q '^report: .*report.html' '$T/stdout' && $PY -c \"import json; json.load(open('$T/out.json'))\""
check "report.html shows the features by name" grep -q 'balloon_feature_names":"STATS_VQ, EVENT_IDX' "$R/report.html"

# ---- metrics.prom ----
check "report wrote metrics.prom, ending in # EOF" sh -c "[ \"\$(tail -n 1 '$R/metrics.prom')\" = '# EOF' ]"
if $PY -c 'import prometheus_client' 2>/dev/null; then
	out=$($PY "$TOP/tests/om-parse.py" "$R/metrics.prom")
	ok $? "metrics.prom: parsed by the OpenMetrics and the Prometheus text parsers ($out)"
else
	skip "no python3-prometheus-client (scripts/install-deps.sh --test)"
fi
t100=$(csv_awk '$c["vm"] == "all" && $c["direction"] == "inflate" && $c["metric"] == "t100_ms" { print $c["median"] }' "$R/summary.csv")
check "  base units: t100 median ${t100} ms is balloonbench_t100_seconds ${t100}e-3" awk -v w="$t100" '
	/^balloonbench_t100_seconds\{.*direction="inflate".*stat="median"/ { v = $NF; found = 1 }
	END { exit !(found && (v - w / 1000) ^ 2 < 1e-12) }' "$R/metrics.prom"
check "  names: balloonbench_ prefix, _seconds/_bytes/_bytes_per_second units, # TYPE, # UNIT, # HELP" sh -c "
	grep -q '^# UNIT balloonbench_mean_rate_bytes_per_second bytes_per_second\$' '$R/metrics.prom' &&
	grep -q '^# TYPE balloonbench_shortfall_bytes gauge\$' '$R/metrics.prom' &&
	grep -q '^# HELP balloonbench_stalls ' '$R/metrics.prom' &&
	! grep -v '^#' '$R/metrics.prom' | grep -qv '^balloonbench_'"

# ---- compare: JUnit XML, Markdown, JSON ----
mkdir -p "$T/c1"
"$BB" compare -q -o "$T/c1" --output-format=json --output-file "$T/c1.json" "$T/base" "$T/slow" 2>"$T/err"
rc=$?
check "compare, 30 % slower: exit 1 (got $rc)" test $rc -eq 1
if command -v xmllint >/dev/null; then
	xmllint --noout --schema "$TOP/tests/data/junit.xsd" "$T/c1/compare.junit.xml" 2>"$T/xml.err"
	ok $? "compare.junit.xml is valid JUnit XML (tests/data/junit.xsd)$(head -c 300 "$T/xml.err" | tr '\n' ' ' | sed 's/^/ # /')"
else
	skip "no xmllint (scripts/install-deps.sh --test)"
fi
check "  a testcase per gated metric, the rate's regression a <failure>" sh -c "
	[ \$(grep -c '<testcase ' '$T/c1/compare.junit.xml') -eq $(csv_awk '$c["gated"] == 1' "$T/c1/compare.csv" | wc -l) ] &&
	grep -A1 'name=\"inflate mean_rate_mib_s\"' '$T/c1/compare.junit.xml' | grep -q '<failure type=\"regression\"'"
check "compare.md: the outcome and the gated rows" sh -c "
	grep -q '^## balloonbench compare: :x: REGRESSION' '$T/c1/compare.md' &&
	grep -q '| inflate | \`mean_rate_mib_s\` .*\*\*regression\*\*' '$T/c1/compare.md'"
check "compare --output-format=json: outcome regression, every row with its statistics" $PY -c "
import json, csv
d = json.load(open('$T/c1.json')); rows = list(csv.DictReader(open('$T/c1/compare.csv')))
assert d['schema'] == 'balloonbench-compare' and d['schema_version'] == 1
assert d['outcome'] == 'regression' and d['status'] == 1 and len(d['metrics']) == len(rows)
m = [x for x in d['metrics'] if x['metric'] == 'mean_rate_mib_s' and x['direction'] == 'inflate'][0]
assert m['verdict'] == 'regression' and m['rel_change'] < -0.2 and m['n_base'] == 6
"
mkdir -p "$T/c2"
"$BB" compare -q -o "$T/c2" "$T/base/r0" "$T/slow/r4" 2>"$T/err"
rc=$?
if command -v xmllint >/dev/null; then
	xmllint --noout --schema "$TOP/tests/data/junit.xsd" "$T/c2/compare.junit.xml" 2>/dev/null
	ok $? "one run a side (inconclusive, exit $rc): valid JUnit XML too"
else
	skip "no xmllint"
fi
check "  inconclusive metrics are <skipped>, none failed" sh -c "
	grep -q '<skipped type=\"inconclusive\"' '$T/c2/compare.junit.xml' && ! grep -q '<failure' '$T/c2/compare.junit.xml' &&
	grep -q ':warning: inconclusive' '$T/c2/compare.md'"
"$BB" compare -q -o "$T/c2" --output-format=csv "$T/base" "$T/slow" >"$T/c.csv" 2>/dev/null
check "compare --output-format=csv: compare.csv on stdout" cmp -s "$T/c.csv" "$T/c2/compare.csv"

# ---- bad input: one line, exit 2 ----
bad() { # bad DESCRIPTION PATTERN COMMAND...
	local d=$1 pat=$2
	shift 2
	"$@" >/dev/null 2>"$T/bad.err"
	local rc=$?
	check "$d: exit 2, one line (got $rc: $(head -c 200 "$T/bad.err"))" sh -c "
		[ $rc -eq 2 ] && [ \$(wc -l < '$T/bad.err') -eq 1 ] && grep -q -- \"$pat\" '$T/bad.err'"
}
bad "report --output-format=xml" "unknown format 'xml'" "$BB" report --output-format=json,xml "$R"
bad "compare --output-format=yaml" "unknown format 'yaml'" "$BB" compare --output-format=yaml "$T/base" "$T/slow"
bad "report --output-file in a missing directory" "cannot write $T/no/such.json" \
	"$BB" report --output-format=json --output-file "$T/no/such.json" "$R"
bad "run --output-file unwritable: refused before any guest" "cannot write $T/no/run.json" \
	"$BB" run -s "$T/state" -o "$T/results" --output-format=json --output-file "$T/no/run.json" "$TOP/bench/quick.ini"
finish
