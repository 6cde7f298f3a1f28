#!/bin/bash
# dry-run: `balloonbench run --dry-run` checks a scenario and prints its plan
# without libvirt or a guest: every shipped scenario, the targets and times
# the run would use, --set, a layout this host would skip, bad input.
. "$(dirname "$0")/lib.sh"
if [ ! -x "$BB" ]; then echo "1..0 # SKIP $BB not built"; exit 0; fi
plan 34
dry() { "$BB" run --dry-run -s "$T/state" -o "$T/results" "$@" >"$T/out" 2>"$T/err"; }
# the dry run checks the guest image a run would boot: a stand-in (nothing boots here)
mkdir -p "$T/image" && : >"$T/image/vmlinuz" && : >"$T/image/initrd.img"
export BB_IMAGE_DIR=$T/image

bad=0
for f in "$TOP"/bench/*.ini; do
	if ! dry "$f" || ! grep -q '^the scenario is valid' "$T/out" || [ -s "$T/err" ]; then
		bad=$((bad + 1))
		echo "#   $f: $(head -c 300 "$T/err")"
	fi
done
ok $bad "every scenario in bench/ dry-runs: exit 0, valid, nothing on stderr"
check "nothing was started or written: no results, no state directory" \
	test ! -e "$T/results" -a ! -e "$T/state"

dry "$TOP/bench/quick.ini"
ok $? "quick.ini: exit 0"
# four changes: 256, 1024, 256, 1024 MiB
check "  lists its four changes (256, 1024, 256, 1024 MiB)" test \
	"$(awk '$1 ~ /^[0-9]+$/ && NF == 3 { printf "%s ", $3 }' "$T/out")" = "256.0 1024.0 256.0 1024.0 "

# pace=period: the warm-up (1 s), changes at 0, 2 and 4 s, then settle 1 s: at least 6 s
cat > "$T/period.ini" <<'INI'
[p]
memory = 1G
targets = 512M, 1G, 256M
pace = period
period = 2s
settle = 1s
INI
dry "$T/period.ini"
check "pace=period: changes not before 0, 2 and 4 s" test \
	"$(awk '$1 ~ /^[0-9]+$/ && NF == 3 { printf "%s ", $2 }' "$T/out")" = "0.000 2.000 4.000 "
check "  at least 6.0 s a run (the warm-up, the last change's time plus settle)" grep -q 'at least 6.0 s a run' "$T/out"

# a random walk for two guests: each its own seed (the largest, so guest 1's is
# past int: UBSan under asan.t), the same plan every time
cat > "$T/random.ini" <<'INI'
[r]
memory = 1G
schedule = random
low = 256M
high = 1G
steps = 5
seed = 2147483647
vms = 2
repeat = 3
warmup-runs = 1
INI
dry "$T/random.ini"
check "random, vms=2: a table for guest 0 (seed 2147483647)" grep -q 'guest 0 (seed 2147483647)' "$T/out"
check "  ... and one for guest 1 (seed 2147483648)" grep -q 'guest 1 (seed 2147483648)' "$T/out"
g0=$(awk '/guest 0/ { on = 1; next } /guest 1/ { on = 0 } on && $1 ~ /^[0-9]+$/ { printf "%s ", $3 }' "$T/out")
g1=$(awk '/guest 1/ { on = 1; next } /^  [a-z]/ { on = 0 } on && $1 ~ /^[0-9]+$/ { printf "%s ", $3 }' "$T/out")
check "  the two guests walk differently ($g0/ $g1)" test -n "$g0" -a "$g0" != "$g1"
cp "$T/out" "$T/out1"
dry "$T/random.ini"
check "  and the same way every time (seeded)" cmp -s "$T/out" "$T/out1"
check "  8 guests in all: 2 x (3 runs + 1 warm-up)" grep -q '8 guests in all' "$T/out"

dry --set cycles=3 "$TOP/bench/quick.ini"
check "--set cycles=3: six changes, the override shown" test \
	"$(awk '$1 ~ /^[0-9]+$/ && NF == 3' "$T/out" | wc -l)" = 6 -a \
	"$(grep -c '^overrides: cycles=3 (--set)$' "$T/out")" = 1

# a layout the host cannot give: skipped, with the reason
nodes=$(ls -d /sys/devices/system/node/node[0-9]* 2>/dev/null | wc -l)
printf '[far]\nmemory = 1G\ntargets = 512M\nhost-numa-mode = strict\nhost-numa-nodes = 0-%d\n' "$nodes" > "$T/numa.ini"
dry "$T/numa.ini"
rc=$?
[ $rc -eq 0 ] && grep -q 'SKIPPED on this host:' "$T/out" && grep -q '1 would be skipped' "$T/out"
ok $? "host nodes 0-$nodes on a $nodes-node host: the job would be skipped, and why"

printf '[bad]\nmemory = 1G\ntargets = 2G\n' > "$T/bad.ini"
dry "$T/bad.ini"
rc=$?
[ $rc -eq 2 ] && grep -q "bad.ini:3:" "$T/err" && ! grep -q 'valid' "$T/out"
ok $? "a target above memory: exit 2 with file:line, no plan ($rc: $(head -c 200 "$T/err"))"

# what the run would open, checked by the dry run too (before, only the run found it missing)
printf '[k]\nmemory = 1G\ntargets = 512M\nkernel = %s/nope/vmlinuz\n' "$T" >"$T/kernel.ini"
dry "$T/kernel.ini"
rc=$?
[ $rc -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && ! grep -q 'valid' "$T/out" &&
	grep -q "kernel.ini:4: \[k\] kernel: $T/nope/vmlinuz: No such file or directory" "$T/err"
ok $? "kernel= names no file: exit 2, one line with file:line, no plan ($rc: $(head -c 200 "$T/err"))"
BB_IMAGE_DIR=$T/no-image dry "$TOP/bench/quick.ini"
rc=$?
[ $rc -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "guest kernel $T/no-image/vmlinuz not found" "$T/err"
ok $? "no guest image: exit 2, one line naming the file ($rc: $(head -c 200 "$T/err"))"

# ci/perf-regression checks its scenarios this way before any run
"$TOP/ci/perf-regression" --bin "$BB" --set nope=1 -o "$T/pr" -b "$T/base" >"$T/out" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q "unknown option 'nope'" "$T/out" && [ ! -e "$T/pr" ] && [ ! -e "$T/base" ]
ok $? "perf-regression with a bad --set: exit 2 before any run, nothing written ($rc)"

# parallel=1: a job side by side with the one before it; the time bound is the longer
cat > "$T/par.ini" <<'INI'
[global]
memory = 256M
targets = 128M
[a]
vms = 2
[b]
parallel = yes
vms = 3
settle = 5s
[c]
INI
dry "$T/par.ini"
ok $? "parallel: exit 0"
check "  job b side by side with a, c after them" grep -q '^job b runs side by side with a (parallel=1)' "$T/out"
check "  at least 7.5 s: b's 6 s (a's 1.5 s beside it), then c's 1.5 s (each with its 1 s warm-up)" grep -q 'at least 7.5 s plus boots' "$T/out"
# more guests side by side than the host's memory holds: refused before anything boots
mem=$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo)
half=$(( mem * 6 / 10 ))
printf '[global]\nmemory = %dM\ntargets = 128M\n[a]\n[b]\nparallel = 1\n' "$half" >"$T/parmem.ini"
dry "$T/parmem.ini"
rc=$?
[ $rc -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 1 ] &&
	grep -q "parmem.ini:6: \[b\] parallel: jobs a to b side by side, 2 guests at once, need $(( 2 * half )) MiB, this host has $mem MiB (MemTotal)" "$T/err"
ok $? "parallel over the host's memory: exit 2, one line ($rc: $(head -c 300 "$T/err"))"

# waves: a host holding 3 guests takes a's first run with b beside it, then a's
# other runs alone, then c (a's 2 and c's 2 do not fit together)
printf '[h1]\nuri = qemu+unix:///system?socket=/nonexistent/a\nmax-guests = 3\n' >"$T/hosts3.ini"
cat > "$T/par2.ini" <<'INI'
[global]
memory = 256M
targets = 128M
[a]
vms = 2
repeat = 2
[b]
parallel = yes
vms = 1
[c]
parallel = yes
vms = 2
INI
dry --hosts "$T/hosts3.ini" "$T/par2.ini"
ok $? "parallel with max-guests = 3: exit 0"
check "  waves: a+b, a, a, c (max-guests counts the group)" test \
	"$(sed -n '/^jobs a to c side by side/,/^$/p' "$T/out" | grep '^  wave' | tr -s ' ' | tr '\n' ';')" = \
	" wave 1: a run 1 (2 guests), b run 1 (1 guest); wave 2: a run 2 (2 guests); wave 3: a run 3 (2 guests); wave 4: c run 1 (2 guests);"

# two hosts, one holding 3 guests: spread shares a's runs out and puts b beside
# them where it fits; each runs a repetition on every host, so b waits for a
printf '[h1]\nuri = qemu+unix:///system?socket=/nonexistent/a\nmax-guests = 3\n[h2]\nuri = qemu+unix:///system?socket=/nonexistent/b\n' >"$T/hosts2.ini"
printf '[global]\nmemory = 256M\ntargets = 128M\n[a]\nvms = 2\nrepeat = 2\n[b]\nparallel = yes\nvms = 2\n' >"$T/par3.ini"
waves() { sed -n '/side by side (parallel=1), in waves:/,/^$/p' "$T/out" | grep '^  wave' | tr -s ' ' | tr '\n' ';'; }
dry --hosts "$T/hosts2.ini" --mode spread "$T/par3.ini"
check "parallel, spread over two hosts: b beside a where max-guests holds it ($(waves))" test "$(waves)" = \
	" wave 1: a run 1 (2 guests) on h1, a run 2 (2 guests) on h2, b run 1 (2 guests) on h2; wave 2: a run 3 (2 guests) on h1;"
dry --hosts "$T/hosts2.ini" --mode each "$T/par3.ini"
check "parallel, each: b does not fit beside a on h1, so it runs after a ($(waves))" test "$(waves)" = \
	" wave 1: a run 1 (2 guests) on h1, a run 1 (2 guests) on h2; wave 2: a run 2 (2 guests) on h1, a run 2 (2 guests) on h2; wave 3: a run 3 (2 guests) on h1, a run 3 (2 guests) on h2; wave 4: b run 1 (2 guests) on h1, b run 1 (2 guests) on h2;"

# rounds=2 (--set): bench/overcommit.ini's six jobs in turn, twice; its bound doubles
dry "$TOP/bench/overcommit.ini"
one=$(sed -n 's/^the scenario is valid.*at least \([0-9.]*\) s plus boots.*/\1/p' "$T/out")
dry --set rounds=2 "$TOP/bench/overcommit.ini"
two=$(sed -n 's/^the scenario is valid.*at least \([0-9.]*\) s plus boots.*/\1/p' "$T/out")
check "rounds=2: the order, round by round, each round's bound and the run's (twice $one: $two)" sh -c \
	"grep -qx '  round 1: baseline run 1, none run 1, fpr run 1, mom run 1, psi run 1, external run 1; at least 120.0 s plus boots' '$T/out' &&
	 grep -qx '  round 2: baseline run 2, none run 2, fpr run 2, mom run 2, psi run 2, external run 2; at least 120.0 s plus boots' '$T/out' &&
	 [ '$one' = 120.0 ] && [ '$two' = 240.0 ]"
# a parallel group in rounds: its waves round by round; the warm-up run in the first
printf '[global]\nmemory = 256M\ntargets = 128M\nrounds = 2\n[a]\nrepeat = 2\n[b]\nparallel = yes\n[c]\n' >"$T/rounds.ini"
dry "$T/rounds.ini"
check "rounds=2 with a parallel group: a+b's waves in each round ($(waves)), c after them each round" sh -c \
	"[ '$(waves)' = ' wave 1 (round 1): a run 1 (1 guest), b run 1 (1 guest); wave 2 (round 1): a run 2 (1 guest), b run 2 (1 guest); wave 3 (round 1): a run 3 (1 guest); wave 4 (round 2): a run 4 (1 guest), b run 3 (1 guest); wave 5 (round 2): a run 5 (1 guest);' ] &&
	 grep -q '^  round 1: a runs 1-3 (warm-up 1) + b runs 1-2 (warm-up 1), c runs 1-2 (warm-up 1);' '$T/out' &&
	 grep -q '^  round 2: a runs 4-5 + b run 3, c run 3;' '$T/out'"
dry --set rounds=2 --set round-order=reverse "$TOP/bench/overcommit.ini"
check "round-order=reverse: the second round in reverse order" \
	grep -qx '  round 2: external run 2, psi run 2, mom run 2, fpr run 2, none run 2, baseline run 2; at least 120.0 s plus boots' "$T/out"
# a parallel=1 job that round-order= puts after another group (job a, the head of its
# group) runs on its own, as run_jobs takes it: not ' + ', its time added (b 1.5 s + a 31 s)
printf '[global]\nmemory = 256M\ntargets = 128M\nrounds = 2\nround-order = reverse\n[a]\nparallel = yes\nsettle = 30s\n[b]\n' >"$T/rounds-rev.ini"
dry "$T/rounds-rev.ini"
check "round-order=reverse, a parallel=1 job after another group: its own group, its time added ($(grep '^  round 2' "$T/out"))" \
	grep -qx '  round 2: b run 3, a run 3; at least 32.5 s plus boots' "$T/out"
printf '[global]\nmemory = 256M\n[a]\n[b]\nrounds = 3\n' >"$T/rounds-bad.ini"
dry "$T/rounds-bad.ini"
rc=$?
[ $rc -eq 2 ] && grep -q "rounds-bad.ini:5: \[b\] rounds=3 where \[a\] has rounds=1" "$T/err" && ! grep -q 'scenario is valid' "$T/out"
ok $? "rounds= of one job only: exit 2 with file:line, no plan ($rc: $(head -c 200 "$T/err"))"
dry --set rounds=0 "$TOP/bench/overcommit.ini"
rc=$?
[ $rc -eq 2 ] && grep -q "rounds: '0' is not an integer from 1 to 100" "$T/err"
ok $? "--set rounds=0: exit 2, the range ($rc: $(head -c 200 "$T/err"))"

# a fleet: the hosts as the run would read them, nothing connected to
cat >"$T/hosts.ini" <<'H'
[fast]
uri = qemu+unix:///system?socket=/nonexistent/libvirt.sock
max-guests = 2
labels = big, x86
[far]
uri = qemu+ssh://nobody@192.0.2.1/system
H
dry --hosts "$T/hosts.ini" --mode spread "$TOP/bench/quick.ini"
ok $? "--hosts, spread: exit 0 without reaching either host"
check "  the hosts, their limits and labels, and the mode" sh -c \
	"grep -q '^hosts: 2 from .*hosts.ini, mode spread' '$T/out' &&
	 grep -q 'fast .*socket=/nonexistent/libvirt.sock, labels big, x86, at most 2 guests at once' '$T/out' &&
	 grep -q 'far .*qemu+ssh://nobody@192.0.2.1/system' '$T/out'"
printf '[fast]\nurl = qemu:///system\n' >"$T/hosts-bad.ini"
dry --hosts "$T/hosts-bad.ini" "$TOP/bench/quick.ini"
rc=$?
[ $rc -eq 2 ] && grep -q "hosts-bad.ini:2: unknown key 'url'" "$T/err" && ! grep -q 'scenario is valid' "$T/out"
ok $? "a bad hosts file: exit 2 with file:line, no plan ($rc: $(head -c 200 "$T/err"))"
finish
