#!/usr/bin/env python3
# policy-oracle.py - the expected targets of tests/data/policy-seq-{mom,psi}.csv, from a
# second, independent transliteration of the rules: MOM's doc/balloon.rules
# (github:oVirt/mom 3de1c8e6bcb9) and Senpai's tick() (github:facebookincubator/senpai
# senpai.py c51e8e21de5c), in Python, line by line. tests/policy.c replays the same
# closed loop through core/policy.c and compares every target.
#
#   python3 tests/data/policy-oracle.py tests/data   # rewrites the two files
#
# The loop, both sides: two guests g0, g1 (nominal 1024 MiB, floor 256 MiB); a
# target is applied at once (actual = target at the next row); each guest's
# working set ws comes from the row, its unused memory is actual - ws (at least 0).
# mom: a row every 5 s (a collection), a decision every other row (10 s); the host
#   budget's limit 2304 MiB, its usage the row's other_mib plus both guests' actual:
#   pressure (about 7 % free), then critical (under 5 %), then none.
# psi: a row every 1 s (Senpai's tick), a decision every row; a guest short of its
#   working set stalls 1 ms a tick per MiB short (its PSI some total grows by that).
import math
import sys

NOMINAL, FLOOR, LIMIT = 1024.0, 256.0, 2304.0


def clamp(v):
    return max(math.ceil(FLOOR), min(math.floor(NOMINAL), v))


# ---- MOM: doc/balloon.rules ---------------------------------------------------------
pressure_threshold, pressure_critical = 0.20, 0.05
min_guest_free_percent, max_balloon_change_percent = 0.20, 0.05
min_balloon_change_percent = 0.0025
HISTORY = 10        # sample-history-length


def avg(xs):
    return sum(xs[-HISTORY:]) / len(xs[-HISTORY:])


def change_big_enough(cur, new_val):
    return abs(new_val - cur) > min_balloon_change_percent * cur


def shrink_guest(g, host_free_percent):
    if host_free_percent <= pressure_critical:
        guest_free_percent = -0.05 + host_free_percent
    else:
        guest_free_percent = min_guest_free_percent * (host_free_percent / pressure_threshold)
    guest_used_mem = avg(g["hist_cur"]) - avg(g["hist_unused"])
    balloon_min = max(FLOOR, guest_used_mem + guest_free_percent * g["cur"])
    balloon_size = g["cur"] * (1 - max_balloon_change_percent)
    if balloon_size < balloon_min:
        balloon_size = balloon_min
    if balloon_size <= g["cur"] and change_big_enough(g["cur"], balloon_size):
        t = clamp(math.floor(balloon_size))
        if t < g["cur"]:
            return t
    return None


def grow_guest(g):
    if g["cur"] < NOMINAL:
        guest_used_mem = avg(g["hist_cur"]) - avg(g["hist_unused"])
        balloon_min = max(FLOOR, guest_used_mem + min_guest_free_percent * g["cur"])
        balloon_size = g["cur"] * (1 + max_balloon_change_percent)
        if balloon_size < balloon_min:
            balloon_size = balloon_min
        if balloon_size > NOMINAL:
            balloon_size = NOMINAL
        if change_big_enough(g["cur"], balloon_size):
            t = clamp(math.floor(balloon_size))
            if t > g["cur"]:
                return t
    return None


def mom_rows():
    rows = []
    for i in range(40):
        other = 100 if i < 10 else 500 if i < 20 else 0
        rows.append((i * 5.0, other, 400.0 if i < 30 else 700.0, 900.0))
    return rows


def run_mom():
    gs = [{"cur": NOMINAL, "hist_cur": [], "hist_unused": []} for _ in range(2)]
    host_hist, out = [], []
    for i, (t, other, ws0, ws1) in enumerate(mom_rows()):
        usage = other + sum(g["cur"] for g in gs)
        host_hist.append(min(1.0, max(0.0, (LIMIT - usage) / LIMIT)))
        for g, ws in zip(gs, (ws0, ws1)):
            g["hist_cur"].append(g["cur"])
            g["hist_unused"].append(max(0.0, g["cur"] - ws))
        if i % 2 == 1:
            hf = avg(host_hist)
            for g in gs:
                t_new = shrink_guest(g, hf) if hf < pressure_threshold else grow_guest(g)
                if t_new is not None:
                    g["cur"] = float(t_new)
        out.append((t, other, ws0, ws1, gs[0]["cur"], gs[1]["cur"]))
    return out


# ---- Senpai: senpai.py's tick(), a guest's target as memory.high ----------------------
interval, pressure = 6, 10 * 1000
max_probe, max_backoff, coeff_probe, coeff_backoff = 0.01, 1.0, 10, 20


def psi_rows():
    return [(float(i), 980.0 if i < 50 else 500.0, 1024.0) for i in range(100)]


def run_psi():
    gs = [{"cur": NOMINAL, "total": 0.0, "last_total": 0.0, "integral": 0.0, "grace": interval,
           "primed": False} for _ in range(2)]
    out = []
    for (t, ws0, ws1) in psi_rows():
        for g, ws in zip(gs, (ws0, ws1)):
            g["total"] += max(0.0, ws - g["cur"]) * 1000
            if not g["primed"]:           # Senpai.__init__
                g["primed"], g["last_total"], g["grace"] = True, g["total"], interval
                continue
            delta = g["total"] - g["last_total"]
            g["last_total"] = g["total"]
            g["integral"] += delta
            if g["integral"] > pressure:
                err = g["integral"] / pressure
                adj = (err / coeff_backoff) ** 2
                adj = min(adj * max_backoff, max_backoff)
                g["cur"] = float(clamp(round(g["cur"] + g["cur"] * adj)))
                g["integral"] = 0
                g["grace"] = interval - 1
                continue
            if g["grace"]:
                g["grace"] -= 1
                continue
            err = pressure / max(g["integral"], 1)
            adj = (err / coeff_probe) ** 2
            adj = min(adj * max_probe, max_probe)
            g["cur"] = float(clamp(round(g["cur"] - g["cur"] * adj)))
            g["integral"] = 0
            g["grace"] = interval - 1
        out.append((t, ws0, ws1, gs[0]["total"], gs[1]["total"], gs[0]["cur"], gs[1]["cur"]))
    return out


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else "tests/data"
    with open(f"{d}/policy-seq-mom.csv", "w") as f:
        f.write("# tests/data/policy-oracle.py's mom loop: the targets after each row\n")
        f.write("t_s,other_mib,g0_ws_mib,g1_ws_mib,g0_target_mib,g1_target_mib\n")
        for r in run_mom():
            f.write("%g,%g,%g,%g,%g,%g\n" % r)
    with open(f"{d}/policy-seq-psi.csv", "w") as f:
        f.write("# tests/data/policy-oracle.py's psi loop: the targets after each row\n")
        f.write("t_s,g0_ws_mib,g1_ws_mib,g0_some_total_us,g1_some_total_us,g0_target_mib,g1_target_mib\n")
        for r in run_psi():
            f.write("%g,%g,%g,%.0f,%.0f,%g,%g\n" % r)


if __name__ == "__main__":
    main()
