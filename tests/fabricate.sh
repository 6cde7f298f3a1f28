# tests/fabricate.sh - results directories made from one real run (sourced, not run).
#
# fabricate SRC DEST K FACTOR: DEST is a copy of the real run SRC
# (tests/data/results-quick: run.json and transitions.csv of a bench/quick.ini
# run under TCG) as if it were run K of a history: its run_id and started_at
# moved K hours on, every rate in transitions.csv multiplied by FACTOR and
# every time divided by it, times a deterministic jitter of -2..+2 % that
# depends on K and the row only (no randomness: the same K gives the same
# run). Only run.json and transitions.csv: what compare and trend read.
fabricate() {
	local src=$1 dest=$2 k=$3 factor=$4
	mkdir -p "$dest"
	sed -e "s/\"run_id\": \"[^\"]*\"/\"run_id\": \"fab-$(printf %02d "$k")\"/" \
	    -e "s/\"started_at\": \"2026-12-02T[0-9][0-9]/\"started_at\": \"2026-12-02T$(printf %02d "$k")/" \
	    "$src/run.json" > "$dest/run.json"
	awk -F, -v OFS=, -v k="$k" -v f="$factor" '
		NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; print; next }
		{
			j = 1 + 0.01 * (((k * 7 + NR * 3) % 5) - 2)
			split("mean_rate_mib_s peak_rate_mib_s host_mean_rate_mib_s", rates, " ")
			split("control_latency_ms t50_ms t90_ms t100_ms host_t100_ms", times, " ")
			for (r in rates) if ($(col[rates[r]]) != "") $(col[rates[r]]) = sprintf("%.3f", $(col[rates[r]]) * f * j)
			for (t in times) if ($(col[times[t]]) != "") $(col[times[t]]) = sprintf("%.3f", $(col[times[t]]) / f / j)
			print
		}' "$src/transitions.csv" > "$dest/transitions.csv"
}
