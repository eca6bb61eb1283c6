#!/usr/bin/env bash
# retention-golden.sh regenerates core/internal/retention/testdata/restic-*.json:
# the keep decisions of restic's `forget` (keep-last/daily/weekly/monthly/yearly)
# over generated histories, which TestGoldenRestic compares with our GFS rule.
# restic is only needed here, never when the tests run.
#
# Needs: bash, GNU date, jq, restic (tested with 0.14.0). Takes 10-20 minutes:
# every `restic backup` derives the repository key with scrypt (~0.5 s CPU).
#
# restic buckets a snapshot by the UTC offset stored in it, which is the zone
# of the `restic backup` process, not of `restic forget`; so each history is
# made in its own throw-away repository with TZ set to the zone under test.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/core/internal/retention/testdata
jobs=${RETENTION_GOLDEN_JOBS:-$(( $(nproc) + 1 ))}

command -v restic >/dev/null || { echo "retention-golden: restic not installed" >&2; exit 1; }
command -v jq >/dev/null || { echo "retention-golden: jq not installed" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The password of a throw-away repository; in the environment, never in argv.
RESTIC_PASSWORD=$(head -c 18 /dev/urandom | base64)
export RESTIC_PASSWORD
echo "dbkeep retention golden" >"$work/file"


# times_utc prints "YYYY-MM-DD HH:MM:SS" local times, one or two per day for
# three years, about one day in ten missing.
times_utc() {
	local d=2023-11-27 end=2026-11-27 r
	RANDOM=20261127 # a fixed seed: the same bash draws the same history
	while [[ $d < $end ]]; do
		r=$((RANDOM % 100))
		if ((r >= 10)); then
			printf '%s %02d:%02d:%02d\n' "$d" $((RANDOM % 24)) $((RANDOM % 60)) $((RANDOM % 60))
		fi
		if ((r >= 95)); then
			# A second set the same day, after 12:00 so it differs from the first.
			printf '%s %02d:%02d:%02d\n' "$d" $((12 + RANDOM % 12)) $((RANDOM % 60)) $((RANDOM % 60))
		fi
		d=$(date -u -d "$d + 1 day" +%F)
	done | sort -u
}

# times_berlin prints local times for sixteen months around three DST
# changes in Europe/Berlin: days near a change always have a set, at a time
# in the gap/overlap (02:xx) or next to midnight; other days one in two,
# mostly next to midnight, where the local and the UTC date differ.
times_berlin() {
	local d=2025-01-01 end=2026-05-01 r near
	RANDOM=20250330 # a fixed seed
	while [[ $d < $end ]]; do
		near=0
		for c in 2025-03-30 2025-10-26 2026-03-29; do
			local diff=$(( ($(date -u -d "$d" +%s) - $(date -u -d "$c" +%s)) / 86400 ))
			if ((diff >= -3 && diff <= 3)); then near=1; fi
			if [[ $d == "$c" ]]; then printf '%s 02:%02d:%02d\n' "$d" $((10 + RANDOM % 40)) $((RANDOM % 60)); fi
		done
		r=$((RANDOM % 100))
		if ((near || r < 50)); then
			if ((RANDOM % 2)); then
				printf '%s 23:%02d:%02d\n' "$d" $((RANDOM % 60)) $((RANDOM % 60))
			else
				printf '%s 00:%02d:%02d\n' "$d" $((RANDOM % 60)) $((RANDOM % 60))
			fi
		fi
		d=$(date -u -d "$d + 1 day" +%F)
	done
	printf '2025-12-31 23:59:30\n2026-01-01 00:00:30\n'
}

# golden ZONE NAME POLICY... builds one repository and writes testdata/restic-NAME.json.
golden() {
	local zone=$1 name=$2 gen=$3
	shift 3
	export RESTIC_REPOSITORY=$work/repo-$name
	restic init -q >/dev/null
	"$gen" | sort -u >"$work/times-$name"
	echo "retention-golden: $name: $(wc -l <"$work/times-$name") backups in $zone, $jobs at a time" >&2
	TZ=$zone xargs -d '\n' -P "$jobs" -I{} restic backup -q --host h --time {} "$work/file" <"$work/times-$name"
	restic snapshots --json | jq -c '[.[].time] | sort' >"$work/snaps-$name"
	if [[ $(jq length "$work/snaps-$name") -ne $(wc -l <"$work/times-$name") ]]; then
		echo "retention-golden: $name: restic holds a different number of snapshots than made" >&2
		exit 1
	fi
	local policies=()
	for p in "$@"; do
		# p is "last daily weekly monthly yearly"; 0 leaves a rule unset.
		read -r l dd w m y <<<"$p"
		local args=()
		((l)) && args+=(--keep-last "$l")
		((dd)) && args+=(--keep-daily "$dd")
		((w)) && args+=(--keep-weekly "$w")
		((m)) && args+=(--keep-monthly "$m")
		((y)) && args+=(--keep-yearly "$y")
		local kept
		kept=$(restic forget --dry-run --json --group-by host "${args[@]}" | jq -c '[.[].keep[].time] | sort')
		policies+=("$(jq -nc --argjson l "$l" --argjson d "$dd" --argjson w "$w" --argjson m "$m" --argjson y "$y" --argjson keep "$kept" \
			'{last:$l,daily:$d,weekly:$w,monthly:$m,yearly:$y,keep:$keep}')")
	done
	printf '%s\n' "${policies[@]}" | jq -sc --arg zone "$zone" --arg tool "$(restic version | cut -d' ' -f1,2)" \
		--slurpfile snaps "$work/snaps-$name" \
		'{tool:$tool,zone:$zone,snapshots:$snaps[0],policies:.}' >"$out/restic-$name.json"
	echo "retention-golden: wrote $out/restic-$name.json" >&2
}

mkdir -p "$out"
golden UTC utc times_utc "3 10 8 12 5" "0 45 30 30 3" "20 400 0 6 0" "1 0 200 0 0"
golden Europe/Berlin berlin times_berlin "0 30 20 14 2" "5 200 0 0 0" "0 0 60 0 0"
