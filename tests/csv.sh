# tests/csv.sh: reading results CSV files by column name, never by position
# (sourced by tests/lib.sh, and by tests that need only this). The columns are
# declared in host-runner/core/schema.c (balloonbench list schema); tests/schema.t
# checks that no test reads one by its position.

# csv_col FILE COLUMN-NAME: print that column of every data row
csv_col() {
	awk -F, -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i; next } k { print $k }' "$1"
}

# csv_where FILE COL VALUE OUTCOL: OUTCOL of the rows whose COL is VALUE
csv_where() {
	awk -F, -v c="$2" -v v="$3" -v o="$4" '
		NR == 1 { for (i = 1; i <= NF; i++) { if ($i == c) k = i; if ($i == o) q = i }; next }
		k && q && $k == v { print $q }' "$1"
}

# csv_awk [-v NAME=VALUE]... PROGRAM FILE...: awk -F, over each FILE's data rows
# (its header skipped), with c["NAME"] the number of column NAME in the
# current file's header: $c["source"] == "guest" { print $c["t_s"] }
csv_awk() {
	local opts=()

	while [ "$1" = -v ]; do
		opts+=(-v "$2")
		shift 2
	done
	awk -F, "${opts[@]}" 'FNR == 1 { split("", c); for (i = 1; i <= NF; i++) c[$i] = i; next }
		'"$1" "${@:2}"
}
