#!/bin/bash
# vm-fleet: one run across two real libvirt daemons (each in its own mount namespace), a over its unix socket, b over ssh to an sshd of the test's own: each, spread (with an unreachable host), and daemon b killed mid-run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-daemon.sh"
require vm daemons root	# the daemons live in mount namespaces of their own: root
trap 'daemon_stop_all; cleanup' EXIT
plan 22

daemon_start a && daemon_start b
check "two private libvirtd daemons answer on their own sockets" test -n "$DAEMON_URI_a" -a -n "$DAEMON_URI_b"
sshd_start b
check "daemon b answers over qemu+ssh through the test's sshd" test -n "$SSH_URI_b"
h=$(cat "$T/a/holder.pid")
check "the daemons do not see the runner's build directory" test -z "$(ls -A "/proc/$h/root$TOP/build")"

cat >"$T/hosts.ini" <<INI
[a]
uri = $DAEMON_URI_a
labels = tcg-box
[b]
uri = $SSH_URI_b
labels = ssh-box, tcg
max-guests = 2
INI
# json FILE JQ-EXPR
json() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

# 1. each: bench/quick.ini on both hosts at once; rows name their host.
"$BB" run -q -s "$STATE" -o "$RESULTS/each" --hosts "$T/hosts.ini" --mode each \
	--set accel=tcg "$TOP/bench/quick.ini" >"$T/out" 2>"$T/err"
rc=$?
check "each: run exits 0 (got $rc)" test $rc -eq 0
[ $rc -eq 0 ] || cat "$T/err"
dir=$(ls -d "$RESULTS/each"/2* | head -n 1)
na=$(csv_col "$dir/transitions.csv" vm | grep -c '\.a$')
nb=$(csv_col "$dir/transitions.csv" vm | grep -c '\.b$')
check "each: both hosts ran the whole scenario (transitions: a $na, b $nb)" test "$na" -eq 4 -a "$nb" -eq 4
paste -d, <(csv_col "$dir/transitions.csv" vm) <(csv_col "$dir/transitions.csv" host) >"$T/vmhost"
check "each: transitions.csv's host column names each row's host ($(sort -u -t, -k2 "$T/vmhost" | cut -d, -f2 | tr '\n' ' '))" \
	awk -F, 'NF != 2 || $2 == "" || substr($1, length($1) - length($2)) != "." $2 { bad = 1 } END { exit bad || NR != 8 }' "$T/vmhost"
hosts=$(json "$dir/run.json" '",".join(h["name"]+":"+h["status"]+":"+h["transport"]+":"+str(h["facts"]["libvirt"])+":"+str(h["facts"]["node"]["cpus"]) for h in d["hosts"]["list"])')
check "each: run.json has each host's facts from libvirt ($hosts)" \
	bash -c "[[ '$hosts' =~ ^a:ok:local\ daemon:[0-9.]+:[0-9]+,b:ok:remote:[0-9.]+:[0-9]+$ ]]"
vmh=$(json "$dir/run.json" '",".join(sorted(v["host"] for v in d["vms"]))')
check "each: every guest in run.json names its host ($vmh)" test "$vmh" = "a,b"
sent=$(json "$dir/run.json" 'sum(i["bytes_sent"] for h in d["hosts"]["list"] for i in h["image"])')
# the kernel the runner boots: vmlinux (PVH) where make image made one
kern=vmlinuz
[ -r "$BB_IMAGE_DIR/vmlinux" ] && kern=vmlinux
ksize=$(( $(stat -c %s "$BB_IMAGE_DIR/$kern") + $(stat -c %s "$BB_IMAGE_DIR/initrd.img") ))
check "each: the image went to both pools ($sent bytes sent, 2 x $ksize)" test "$sent" -eq $((2 * ksize))
sum=$(sha256sum "$BB_IMAGE_DIR/$kern" | cut -c1-16)
check "each: daemon a's pool holds the kernel as bb-$sum-$kern" \
	bash -c "virsh -q -c '$DAEMON_URI_a' vol-list balloonbench | grep -q 'bb-$sum-$kern'"
check "each: no QEMU left on either daemon" test -z "$(daemon_qemus a)$(daemon_qemus b)"
g=$(csv_awk '$c["vm"] == "all" && $c["direction"] == "inflate" && $c["metric"] == "t100_ms" { print $c["job"] ":" $c["n"] }' "$dir/summary.csv" | sort | tr '\n' ' ')
check "each: summary.csv keeps the hosts apart, by label ($g)" test "$g" = "quick@ssh-box:2 quick@tcg-box:2 "
each=$dir
"$BB" doctor --hosts "$T/hosts.ini" >"$T/doctor" 2>&1
rc=$?
n=$(grep -c '/kernel .*in the storage pool (not sent again)' "$T/doctor")
check "doctor --hosts: both hosts reached, the kernel in both pools (rc $rc, $n)" test $rc -eq 0 -a "$n" -eq 2
[ "$n" -eq 2 ] || cat "$T/doctor"

# 2. spread, with a third host that does not answer: its share goes to the others;
# two repetitions, one per live host; the image is not sent again.
cp "$T/hosts.ini" "$T/hosts3.ini"
printf '[c]\nuri = qemu+unix:///system?socket=%s/nowhere/libvirt-sock\n' "$T" >>"$T/hosts3.ini"
"$BB" run -s "$STATE" -o "$RESULTS/spread" --hosts "$T/hosts3.ini" --mode spread \
	--set accel=tcg --set repeat=2 "$TOP/bench/quick.ini" >"$T/out" 2>"$T/err"
rc=$?
check "spread: run exits 0 with host c unreachable (got $rc)" test $rc -eq 0
[ $rc -eq 0 ] || cat "$T/err"
check "spread: the unreachable host is reported" grep -q "host c: unreachable" "$T/err"
dir=$(ls -d "$RESULTS/spread"/2* | head -n 1)
per=$(json "$dir/run.json" '",".join(h["name"]+":"+h["status"]+":"+str(h["guests"]) for h in d["hosts"]["list"])+"|"+str(len(d["vms"]))')
# repeat=2 runs three times (a warm-up first): a takes two, b one, c none
check "spread: the repetitions shared out over the live hosts, none on c ($per)" \
	test "$per" = "a:ok:2,b:ok:1,c:skipped:0|3"
sent=$(json "$dir/run.json" 'sum(i["bytes_sent"] for h in d["hosts"]["list"] for i in h["image"])')
check "spread: an unchanged image is not sent again ($sent bytes)" test "$sent" -eq 0
"$BB" compare "$each" "$dir" >"$T/cmp" 2>&1
n=$(grep -c '^quick.ini:quick@\(tcg\|ssh\)-box .*t100_ms' "$T/cmp")
check "compare: each against spread, like with like: each host label's rows ($n)" test "$n" -eq 4
[ "$n" -eq 4 ] || cat "$T/cmp"

# 3. each, and daemon b killed once its guest is up: b's guest fails with the
# reason, a's results are kept, exit 1, no QEMU left on either host (b's powers
# itself off when the agent's watchdog hears nothing).
"$BB" run -q -s "$STATE" -o "$RESULTS/kill" --hosts "$T/hosts.ini" --mode each \
	--set accel=tcg --set agent-watchdog=5s "$TOP/bench/quick.ini" >"$T/out" 2>"$T/err" &
pid=$!
dir=$(run_dir "$RESULTS/kill")
wait_for "$dir/events.csv" "\.b,hello," 120
daemon_kill b
wait $pid
rc=$?
check "kill: run exits 1 (got $rc)" test $rc -eq 1
na=$(csv_col "$dir/transitions.csv" vm | grep -c '\.a$')
check "kill: host a's results are kept ($na transitions)" test "$na" -eq 4
st=$(json "$dir/run.json" 'd["status"]+"|"+[h for h in d["hosts"]["list"] if h["name"]=="b"][0]["status"]+"|"+d.get("incomplete_reason","")')
diag "kill: $st"
check "kill: run.json says incomplete, host b lost, and why" \
	bash -c "[[ '${st//\'/}' == 'incomplete|lost|host b: libvirt connection lost'* ]]"
for _ in $(seq 300); do [ -z "$(daemon_qemus b)" ] && break; sleep 0.1; done
check "kill: no QEMU left on either host" test -z "$(daemon_qemus a)$(daemon_qemus b)"
finish
