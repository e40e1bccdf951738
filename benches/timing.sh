# What the copy-and-time benchmarks share (sourced by c2pa_sign.sh and
# mixed_archive.sh): RUNS timed runs of a command, each on a fresh copy of
# a folder, and the medians of their wall time, CPU time and peak RSS.

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# time_runs RUNS SOURCE RUN_DIR WORK command...: RUNS times, copy SOURCE to
# RUN_DIR (cp -a, then sync; untimed) and time the command with
# /usr/bin/time (its output to WORK/time). Sets WALL and CPU (seconds) and
# RSS (KB), the medians. A command that fails is still timed: /usr/bin/time
# then writes a "Command exited with non-zero status" line first, so only
# its last line is read.
time_runs() {
    local runs="$1" source="$2" run_dir="$3" work="$4"; shift 4
    local walls=() cpus=() rsss=() wall user sys rss
    for _ in $(seq "$runs"); do
        rm -rf "$run_dir"; cp -a "$source" "$run_dir"; sync
        /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >/dev/null 2>&1 || true
        read -r wall user sys rss < <(tail -1 "$work/time")
        walls+=("$wall"); cpus+=("$(echo "$user + $sys" | bc -l)"); rsss+=("$rss")
    done
    WALL=$(printf '%s\n' "${walls[@]}" | median)
    CPU=$(printf '%s\n' "${cpus[@]}" | median)
    RSS=$(printf '%s\n' "${rsss[@]}" | median)
}
