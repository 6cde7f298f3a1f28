#!/usr/bin/env python3
# policy-example.py - an external balloon policy for balloonbench (policy = external:CMD),
# written to the protocol of docs/policy.md, with Python's standard library only.
#
# Every period the runner writes one JSON line of stats on stdin; this program
# answers one JSON line of targets on stdout, at once, for the same period.
# Its rule, per guest, with cur its size now (actual, else target):
#   - the guest is stalling on memory (PSI some avg10 above 5 %): give back
#     10 % of its nominal size;
#   - else the host budget is tight (under 15 % free, or the host swapping in:
#     host.swap_in_mib up 4 MiB or more since the last period, pages of the
#     QEMUs coming back from swap while usage may look low) and the guest has
#     more than 20 % of cur unused: take half of that surplus, at most 10 % of cur;
#   - else the budget is roomy (30 % free or more, the host not swapping in):
#     give back 5 % of nominal;
#   - a target always within [floor_mib, nominal_mib]; a change under 1 MiB is
#     not sent. A figure the runner could not have is null: a rule that needs
#     it leaves the guest alone.
# Try it by hand: one stats line in, one answer out
#   printf '%s\n' '{"v":1,"period":1,"host":{"limit_mib":1000,"usage_mib":950},"guests":[{"name":"g0",
#     "nominal_mib":512,"floor_mib":128,"actual_mib":512,"balloon":{"unused_mib":300}}]}' |
#     python3 bench/policy-example.py
#   {"v": 1, "period": 1, "targets": [{"name": "g0", "target_mib": 460.0}]}
# (the stats line must be one line: join the two above). tests/policyproc.c runs it.
import json
import sys

PSI_STALL = 5.0       # % of time some task stalled on memory (avg10)
TIGHT, ROOMY = 0.15, 0.30
KEEP_FREE = 0.20      # of cur, left unused in a guest
SWAP_IN_GROWTH = 4.0  # MiB of host swap-in in one period that counts as pressure


def num(d, *keys):
    """d[k1][k2]... as a float, or None where any is missing or null."""
    for k in keys:
        if not isinstance(d, dict) or d.get(k) is None:
            return None
        d = d[k]
    return float(d) if isinstance(d, (int, float)) else None


def decide(stats, last):
    """The targets for one stats line; last: {"swap_in": the previous period's
    host.swap_in_mib}, updated here."""
    limit, usage = num(stats, "host", "limit_mib"), num(stats, "host", "usage_mib")
    host_free = (limit - usage) / limit if limit and usage is not None else None
    swap_in, prev = num(stats, "host", "swap_in_mib"), last.get("swap_in")
    last["swap_in"] = swap_in
    if swap_in is not None and prev is not None and swap_in - prev >= SWAP_IN_GROWTH:
        host_free = 0.0             # the host swapping in: as tight as a full budget
    targets = []
    for g in stats.get("guests", []):
        nominal, floor = num(g, "nominal_mib"), num(g, "floor_mib")
        cur = num(g, "actual_mib")
        if cur is None:
            cur = num(g, "target_mib")
        if nominal is None or floor is None or cur is None or nominal <= 0:
            continue
        cur = min(cur, nominal)
        psi, unused = num(g, "psi", "some_avg10"), num(g, "balloon", "unused_mib")
        want = cur
        if psi is not None and psi > PSI_STALL:
            want = cur + 0.10 * nominal
        elif host_free is not None and host_free < TIGHT and unused is not None \
                and unused > KEEP_FREE * cur:
            want = cur - min((unused - KEEP_FREE * cur) / 2, 0.10 * cur)
        elif host_free is not None and host_free >= ROOMY:
            want = cur + 0.05 * nominal
        want = float(int(max(floor, min(nominal, want))))
        if want < floor:            # a fractional floor: the next whole MiB up
            want = float(int(floor) + 1)
        if abs(want - cur) >= 1 and floor <= want <= nominal:
            targets.append({"name": g["name"], "target_mib": want})
    return targets


def main():
    last = {}
    for line in sys.stdin:
        try:
            stats = json.loads(line)
            if stats.get("v") != 1:     # a version it does not know: no answer
                print(f"policy-example: stats of version {stats.get('v')!r}, not 1", file=sys.stderr)
                continue
            period = stats["period"]
            targets = decide(stats, last)
        except (ValueError, KeyError, TypeError) as e:
            print(f"policy-example: unreadable stats: {e}", file=sys.stderr)
            continue                # no answer: the runner counts a timeout
        print(json.dumps({"v": 1, "period": period, "targets": targets}), flush=True)


if __name__ == "__main__":
    main()
