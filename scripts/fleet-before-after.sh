#!/usr/bin/env bash
# Measures the fleet check at 10,000 instances (20 ms per call) before and
# after: the checks test binary built from a base commit with this tree's
# fleet benchmark harness, and the one built from this tree, run in turn,
# round after round, each against the same simulator (this tree's, in a
# process of its own), then prints a table per round and the medians.
#
#   scripts/fleet-before-after.sh [base-commit] [rounds]
#
# BENCH (default FleetCheckApart10000) picks the benchmark; THROTTLED=N adds
# N rounds of BenchmarkFleetCheckThrottled1000 (simulator in process, rate
# limited), also in turn. PROFILE=dir writes a CPU profile per run there.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:-e29b03e}
rounds=${2:-5}
bench=${BENCH:-FleetCheckApart10000}
throttled=${THROTTLED:-0}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
harness=(checks/fleet_sim_test.go checks/fleet_throttle_sim_test.go checks/fleet_apart_sim_test.go)

echo "building before ($(git rev-parse --short "$base") with this tree's harness) and after ($(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo '+changes'))" >&2
mkdir "$tmp/before"
git archive "$base" | tar -x -C "$tmp/before"
for f in "${harness[@]}"; do cp "$f" "$tmp/before/$f"; done
# The harness calls checks.FleetGC as the check command does; a base
# without it had no such setting: a no-op stands in.
if ! grep -q 'func FleetGC' "$tmp/before/checks/"*.go; then
	printf 'package checks\n\nfunc FleetGC() func() { return func() {} }\n' >"$tmp/before/checks/fleetgc_none_test.go"
fi
# Nor did it read the registrations while listing: a no-op stands in.
if ! grep -q 'func (a \*AWSEnv) ReadRegistrationsWhileListing' "$tmp/before/internal/awsfacts/"*.go; then
	printf 'package awsfacts\n\nfunc (a *AWSEnv) ReadRegistrationsWhileListing() {}\n' >"$tmp/before/internal/awsfacts/early_none.go"
fi
# Nor did it start the fleet's questions while listing: the registrations
# only (a no-op itself when the base had no such read) stand in.
if ! grep -q 'func PrefetchWhileListing' "$tmp/before/checks/"*.go; then
	printf 'package checks\n\nimport "github.com/ssmdoctor/ssmdoctor/internal/awsfacts"\n\nfunc PrefetchWhileListing(a *awsfacts.AWSEnv) { a.ReadRegistrationsWhileListing() }\n' >"$tmp/before/checks/prefetch_early_none_test.go"
fi
(cd "$tmp/before" && go test -c -o "$tmp/before.test" ./checks)
go test -c -o "$tmp/after.test" ./checks

# run BIN BENCH: one run, prints its benchmark line.
run() {
	local prof=()
	if [ -n "${PROFILE:-}" ]; then
		mkdir -p "$PROFILE"
		prof=(-test.cpuprofile "$PROFILE/$1-$3.prof")
		cp "$tmp/$1.test" "$PROFILE/$1.test"
	fi
	(cd "$tmp" && SSMDOCTOR_FLEET_SIM_BIN="$tmp/after.test" "./$1.test" -test.run '^$' \
		-test.bench "^Benchmark$2\$" -test.benchtime 1x "${prof[@]}") | grep "^Benchmark$2"
}

# metric LINE NAME: the value reported for NAME in a benchmark line, "-"
# when the benchmark does not report it.
metric() { awk -v n="$2" '{for (i = 2; i < NF; i++) if ($(i+1) == n) v = $i} END {print (v == "" ? "-" : v)}' <<<"$1"; }

# two DECIMALS: a value rounded to two decimals, "-" kept.
two() { if [ "$1" = - ]; then echo -; else printf '%.2f' "$1"; fi; }

median() { sort -g | awk '{a[NR] = $1} END {if (NR) print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

echo "machine: nproc $(nproc), $(uname -m), $(go env GOVERSION), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| round | side | wall s | resolve / prefetch / checks s | doctor CPU s | simulator CPU s | doctor peak RSS MiB | calls / bound |"
echo "|---|---|---|---|---|---|---|---|"
declare -A walls cpus
for r in $(seq "$rounds"); do
	for side in before after; do
		line=$(run "$side" "$bench" "$r")
		w=$(metric "$line" wall-s)
		c=$(metric "$line" doctor-cpu-s)
		walls[$side]+="$w "
		cpus[$side]+="$c "
		printf '| %s | %s | %s | %s / %s / %s | %s | %s | %s | %s / %s |\n' "$r" "$side" "$(two "$w")" \
			"$(two "$(metric "$line" resolve-s)")" "$(two "$(metric "$line" prefetch-s)")" "$(two "$(metric "$line" checks-s)")" \
			"$(two "$c")" "$(two "$(metric "$line" sim-cpu-s)")" "$(metric "$line" doctor-peak-rss-MiB)" \
			"$(metric "$line" calls)" "$(metric "$line" bound)"
	done
done
bw=$(tr ' ' '\n' <<<"${walls[before]}" | grep . | median)
aw=$(tr ' ' '\n' <<<"${walls[after]}" | grep . | median)
bc=$(tr ' ' '\n' <<<"${cpus[before]}" | { grep -v '^-*$' || true; } | median)
ac=$(tr ' ' '\n' <<<"${cpus[after]}" | { grep -v '^-*$' || true; } | median)
echo
printf 'median wall: before %.2f s, after %.2f s, after/before %.2f\n' "$bw" "$aw" "$(awk -v a="$aw" -v b="$bw" 'BEGIN {print a / b}')"
if [ -n "$bc" ]; then
	printf 'median doctor CPU: before %.2f s, after %.2f s, after/before %.2f\n' "$bc" "$ac" "$(awk -v a="$ac" -v b="$bc" 'BEGIN {print a / b}')"
fi
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"

if [ "$throttled" -gt 0 ]; then
	echo
	echo "| round | side | rate-limited wall s | calls | throttled |"
	echo "|---|---|---|---|---|"
	for r in $(seq "$throttled"); do
		for side in before after; do
			line=$(run "$side" FleetCheckThrottled1000 "t$r")
			printf '| %s | %s | %s | %s | %s |\n' "$r" "$side" "$(two "$(metric "$line" wall-s)")" "$(metric "$line" calls)" "$(metric "$line" throttled)"
		done
	done
fi
