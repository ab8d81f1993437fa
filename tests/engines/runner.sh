# shellcheck shell=bash
# The scenario runner. Scenario files (podman.sh, containerd.sh, cri.sh,
# gorunc.sh, and final.sh, which always runs last) define one function per scenario and register it:
#
#   register podman/run-rm-exit-status podman_run_rm
#
# Each scenario runs in a fresh bash (lib.sh and its own file sourced, under
# set -Eeuo pipefail) with a time limit; exit 0 passes, 77 skips, anything
# else fails. After every scenario of an engine the file's ENGINE_cleanup
# function, if any, removes what the scenario may have left. Output is TAP
# on stdout, a scenario's full output in results/<runtime>/<scenario>.log.

SCEN_NAMES=()
SCEN_FUNCS=()
SCEN_FILES=()

register() {
	SCEN_NAMES+=("$1")
	SCEN_FUNCS+=("$2")
	SCEN_FILES+=("$SCEN_FILE")
}

for SCEN_FILE in podman.sh containerd.sh cri.sh gorunc.sh final.sh; do
	SCEN_FILE=$ENGINES_DIR/$SCEN_FILE
	# shellcheck disable=SC1090
	source "$SCEN_FILE"
done

run_all() {
	local i name fn file engine log rc t0 t1 n=0 pass=0 failed=0 skipped=0 tap
	local filter=${ENGINES_FILTER:-} limit=${SCENARIO_TIMEOUT:-90}
	tap=$RESULTS_DIR/$RT_NAME.tap
	: >"$tap"
	local selected=()
	for i in "${!SCEN_NAMES[@]}"; do
		[[ -z "$filter" || "${SCEN_NAMES[$i]}" =~ $filter || "${SCEN_NAMES[$i]}" == final/* ]] &&
			selected+=("$i")
	done
	echo "1..${#selected[@]}" | tee -a "$tap"
	for i in "${selected[@]}"; do
		name=${SCEN_NAMES[$i]} fn=${SCEN_FUNCS[$i]} file=${SCEN_FILES[$i]}
		engine=${name%%/*}
		log=$RESULTS_DIR/$RT_NAME/${name//\//_}.log
		n=$((n + 1))
		echo "### scenario $name" >>"$INVOCATION_LOG"
		t0=$(date +%s%N)
		rc=0
		timeout -k 5 "$limit" bash -c '
			source "$ENGINES_DIR/lib.sh"
			source "$1"
			set -Eeuo pipefail
			trap '\''echo "FAIL: line $LINENO: $BASH_COMMAND (exit $?)" >&2'\'' ERR
			"$2"' _ "$file" "$fn" </dev/null >"$log" 2>&1 || rc=$?
		t1=$(date +%s%N)
		[[ $rc == 124 || $rc == 137 ]] && echo "FAIL: timed out after ${limit}s" >>"$log"
		if declare -F "${engine}_cleanup" >/dev/null; then
			"${engine}_cleanup" >>"$log" 2>&1 || true
		fi
		local secs
		secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
		local line
		if [[ $rc == 0 ]]; then
			pass=$((pass + 1))
			line="ok $n $name (${secs}s)"
		elif [[ $rc == 77 ]]; then
			skipped=$((skipped + 1))
			line="ok $n $name # SKIP $(grep -m1 '^SKIP:' "$log" | cut -c7-)"
		else
			failed=$((failed + 1))
			line="not ok $n $name (${secs}s, exit $rc)"
			line+=$'\n'$(
				grep -E '^FAIL' "$log" | head -n 3 | sed 's/^/#   /'
				tail -n 12 "$log" | grep -vE '^FAIL' | sed 's/^/#   | /'
			)
		fi
		echo "$line" | tee -a "$tap"
	done
	local summary="engines: $pass passed, $failed failed, $skipped skipped"
	echo "# runtime $RT_REAL" >>"$tap"
	echo "$summary" | tee -a "$tap"
	echo "$summary" >"$RESULTS_DIR/$RT_NAME.summary"
	[[ $failed == 0 ]]
}
