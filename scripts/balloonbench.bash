# bash completion for balloonbench (installed as
# PREFIX/share/bash-completion/completions/balloonbench by make install).
# It asks the binary itself, so it never drifts from it: the commands from
# 'balloonbench --help', each command's options from its --help, scenario
# keys for --set and a choice's values from 'list options', shipped scenarios
# from 'list scenarios'.
_balloonbench() {
	local cur prev cmd words
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	cmd=${COMP_WORDS[1]}
	local bb=${COMP_WORDS[0]}

	if [ "$COMP_CWORD" -eq 1 ]; then
		words=$("$bb" --help 2>/dev/null | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } /^$/ && on { on = 0 }')
		COMPREPLY=($(compgen -W "$words --help --version" -- "$cur"))
		return
	fi
	# --set KEY=VALUE: a choice's values, from 'list options' "(one of a, b)";
	# bash splits the word at '=' (COMP_WORDBREAKS), or not where that is changed
	local key= joined=
	if [ "$prev" = "=" ] && [ "${COMP_WORDS[COMP_CWORD-3]}" = --set ]; then
		key=${COMP_WORDS[COMP_CWORD-2]}
	elif [ "$cur" = "=" ] && [ "${COMP_WORDS[COMP_CWORD-2]}" = --set ]; then
		key=$prev cur=
	elif [ "$prev" = --set ] && [[ $cur == *=* ]]; then
		key=${cur%%=*} cur=${cur#*=} joined=$key=
	fi
	if [ -n "$key" ]; then
		words=$("$bb" list options 2>/dev/null | awk -v k="$key" '$1 == k && match($0, /\(one of [^)]*\)$/) {
			s = substr($0, RSTART + 8, RLENGTH - 9); gsub(/,/, "", s); print s }')
		COMPREPLY=($(compgen -P "$joined" -W "$words" -- "$cur"))
		return
	fi
	case $prev in
	--set)
		words=$("$bb" list options 2>/dev/null | awk 'NR > 1 { print $1 "=" }')
		compopt -o nospace 2>/dev/null
		COMPREPLY=($(compgen -W "$words" -- "$cur"))
		return ;;
	--output-format)
		COMPREPLY=($(compgen -W "normal json csv normal,json json,csv normal,json,csv" -- "$cur"))
		return ;;
	-m|--metric)
		words=$("$bb" list metrics 2>/dev/null | awk 'NR > 1 { print $1 }')
		COMPREPLY=($(compgen -W "$words" -- "$cur"))
		return ;;
	-o|--output|--results|-s|--state-dir|-i|--image-dir)
		COMPREPLY=($(compgen -d -- "$cur"))
		return ;;
	-t|--thresholds|--output-file|-l|--labels)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	esac
	if [[ $cur == -* ]]; then
		words=$("$bb" help "$cmd" 2>/dev/null | grep -oE -- '--[a-z][a-z-]*' | sort -u)
		COMPREPLY=($(compgen -W "$words" -- "$cur"))
		return
	fi
	case $cmd in
	run)
		words=$("$bb" list scenarios 2>/dev/null | awk '{ print $1 }')
		COMPREPLY=($(compgen -W "$words" -- "$cur") $(compgen -f -X '!*.ini' -- "$cur") $(compgen -d -- "$cur")) ;;
	list)
		[ "$COMP_CWORD" -eq 2 ] && COMPREPLY=($(compgen -W "options workloads metrics schema scenarios" -- "$cur")) ||
			COMPREPLY=($(compgen -d -- "$cur")) ;;
	help)
		words=$("$bb" --help 2>/dev/null | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')
		COMPREPLY=($(compgen -W "$words" -- "$cur")) ;;
	report|compare|trend)
		COMPREPLY=($(compgen -d -- "$cur")) ;;
	esac
}
complete -F _balloonbench balloonbench
