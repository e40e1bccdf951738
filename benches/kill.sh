#!/usr/bin/env bash
# Long kill -9 harness (issue 11). Usage:
#
#   benches/kill.sh [ROUNDS] [SEED]
#
# Runs the ignored test `kill_9_long` of tests/kill.rs: 120 rounds (or
# ROUNDS) of `ccsig apply` SIGKILLed at a random moment over 12 files of
# 4-16 MiB, each round checked file by file (old or completely new), with
# `ccsig check` and a run to completion after every kill that left
# temporary files. SEED replays a run (the test prints the seed it used).
# The figures are printed at the end; see docs/reliability.md, "Kill -9".
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$(dirname "$here")"
if [ -n "${1:-}" ]; then export CCSIG_KILL_ROUNDS="$1"; fi
if [ -n "${2:-}" ]; then export CCSIG_KILL_SEED="$2"; fi
exec cargo test --release --test kill -- --ignored --nocapture kill_9_long
