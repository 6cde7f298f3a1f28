#!/bin/bash
# report-scale: how long does `balloonbench report` take for a run of 10^6
# samples, how big is the page, and does a browser still open it quickly?
#
# Method: a synthetic results directory (no VM: this measures the reporter, not
# the balloon): one guest sampled at 1 kHz for 1000 s (10^6 guest rows in
# samples.csv, plus host rows at 10 Hz), a square wave of 100 transitions,
# faults.csv at 100 Hz. `balloonbench report` runs 3 times; the median is
# printed, beside the time to merely read samples.csv (cat, run in turn with
# it) as a ratio, its peak RSS (GNU time's maximum resident set size, the
# highest of the 3, beside a 1000-sample run's) and the load average. With chromium present, the page's load-and-draw time is measured
# against a 1000-sample report made the same way (ratio of the two).
#
# usage: bench/report-scale.sh [SAMPLES]   (default 1000000; needs make all)
#        bench/report-scale.sh --make DIR SAMPLES   only make that results directory
#        (tests/vm-faults.t interrupts a report of one)
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
BB=${BB:-$TOP/build/balloonbench}
[ "${1:-}" = --make ] && N=0 || N=${1:-1000000}
T=$(mktemp -d /tmp/bb-report-scale.XXXXXX)
trap 'rm -rf "$T"' EXIT

# make_run DIR SAMPLES: a results directory with SAMPLES guest samples at 1 kHz
make_run() {
	local d=$1 n=$2
	mkdir -p "$d"
	cat > "$d/run.json" <<JSON
{ "schema_version": 1, "run_id": "synthetic-$n", "status": "complete", "started_at": "",
  "scenario": { "file": "bench/report-scale (synthetic)", "text": "",
                "jobs": [ { "name": "square", "label": "", "vms": "1" } ] },
  "vms": [ { "name": "bb-syn", "job": "square", "vm_index": 0, "rep": 0, "warmup": false,
             "memory_mib": 1024 } ] }
JSON
	awk -v n="$n" -v d="$d" 'BEGIN {
		s = d "/samples.csv"; f = d "/faults.csv"; tr = d "/transitions.csv"
		print "t_s,vm,source,seq,t_guest_ns,balloon_mib,inflated_pages,deflated_pages,oom_kills,mem_total_kib,mem_free_kib,actual_mib" > s
		print "t_s,vm,workload,bin_ms,accesses,slow_accesses,slow_mean_ns,slow_max_ns,minflt,majflt" > f
		print "vm,job,index,cycle,direction,from_mib,to_mib,t_set_s,t100_ms,mean_rate_mib_s,end_reason,rep,warmup,label" > tr
		period = n / 1000 / 100; b = 0; flt = 0
		for (i = 0; i < n; i++) {
			t = i / 1000; ph = t - int(t / period) * period
			want = int(t / period) % 2 ? 768 : 0
			if (b < want) b = b + 1 > want ? want : b + 1
			if (b > want) b = b - 2 < want ? want : b - 2
			printf "%.6f,bb-syn,guest,%d,%d,%.3f,%d,%d,0,%d,%d,\n", t, i, i * 1000000, b, b * 256, 0, (1024 - b) * 1024, (900 - b) * 1024 > s
			if (i % 100 == 0) printf "%.6f,bb-syn,host,,,%.3f,,,,,,%.3f\n", t, b, 1024 - b > s
			if (i % 10 == 0) { flt += int(rand() * 50); printf "%.6f,bb-syn,hold,10.000,%d,%d,3000,%d,%d,0\n", t, 2000, int(rand() * 5), 2000 + int(rand() * 100000), flt > f }
			if (ph == 0 && i > 0) printf "bb-syn,square,%d,%d,%s,%d,%d,%.6f,%.3f,%.3f,reached,0,0,\"\"\n", int(t / period) - 1, 0, want ? "inflate" : "deflate", want ? 1024 : 256, want ? 256 : 1024, t, 700 + rand() * 100, 1000 + rand() * 100 > tr
		}
	}'
}

if [ "${1:-}" = --make ]; then
	make_run "$2" "$3"
	exit 0
fi

median3() { sort -n | sed -n 2p; }
now() { date +%s.%N; }
calc() { awk "BEGIN { print $* }"; }

make_run "$T/big" "$N"
make_run "$T/small" 1000
rows=$(($(wc -l < "$T/big/samples.csv") - 1))
mib=$(du -m "$T/big/samples.csv" | cut -f1)

# peak RSS (KiB) of "$@", from GNU time's %M, into $T/rss.N; empty without /usr/bin/time
rss_run() {
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f %M -o "$T/rss.$i" "$@"
	else
		"$@"
	fi
}
peak() { cat "$T"/rss.* 2>/dev/null | sort -n | tail -1; }

load=$(cut -d' ' -f1 /proc/loadavg)
# report and cat side by side, in turn, so that both see the same load
for i in 1 2 3; do
	s=$(now); rss_run "$BB" report -q "$T/big"; e=$(now); calc "$e - $s" >> "$T/rep"
	s=$(now); cat "$T/big/samples.csv" > /dev/null; e=$(now); calc "$e - $s" >> "$T/cat"
done
rep=$(median3 < "$T/rep")
cat=$(median3 < "$T/cat")
rss=$(peak)
rm -f "$T"/rss.*
rss_run "$BB" report -q "$T/small"
rss_small=$(peak)
size=$(stat -c %s "$T/big/report.html")
echo "samples.csv: $rows rows ($mib MiB)"
printf 'balloonbench report: %.2f s (median of 3); reading samples.csv alone: %.3f s; ratio %.0fx\n' \
	"$rep" "$cat" "$(calc "$rep / $cat")"
if [ -n "$rss" ]; then
	printf 'peak RSS: %.1f MiB (the 1000-sample run: %.1f MiB)\n' "$(calc "$rss / 1024")" \
		"$(calc "$rss_small / 1024")"
else
	echo "peak RSS: not measured (no GNU time: apt-get install time)"
fi
echo "load average: $load before, $(cut -d' ' -f1 /proc/loadavg) after ($(nproc) CPUs)"
printf 'report.html: %d bytes (%.0f KiB)\n' "$size" "$(calc "$size / 1024")"

CHROMIUM=$(command -v chromium || true)
if [ -n "$CHROMIUM" ]; then
	load() {	# seconds for headless chromium to load, draw and self-check the page
		local s e
		s=$(now)
		"$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
			--disable-component-update --no-first-run --user-data-dir="$(mktemp -d "$T/p.XXXX")" \
			--dump-dom "file://$1/report.html#selftest" 2>/dev/null | grep -o 'data-charts="[0-9]*" data-blank="[^"]*"' >&2
		e=$(now)
		calc "$e - $s"
	}
	big=$(for i in 1 2 3; do load "$T/big"; done 2>/dev/null | median3)
	small=$(for i in 1 2 3; do load "$T/small"; done 2>/dev/null | median3)
	printf 'chromium load+draw: %.2f s for the %d-sample page, %.2f s for a 1000-sample page: ratio %.2f\n' \
		"$big" "$N" "$small" "$(calc "$big / $small")"
else
	echo "chromium: not installed, page load not measured"
fi
