#!/usr/bin/env bash
# Set up (if needed), then the main job on the bundled examples: check and compile every
# flow (IR bundle + FreeSWITCH artifacts), draw each one, prove them offline with their
# scenarios, then serve emulated calls through the runtime and report on them from the
# journal. Output goes to out/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
out=out
mkdir -p "$out"
echo "== flowc check examples/ flows/ bindings/"
flowc check examples/ flows/ bindings/
echo "== flowc compile examples/ flows/ bindings/ -o $out/build --target freeswitch"
flowc compile examples/ flows/ bindings/ -o "$out/build" --target freeswitch
echo "== flowc graph: one drawing per flow"
mkdir -p "$out/graphs"
for f in examples/*.yaml flows/*.yaml; do
  case "$f" in *.test.yaml) continue ;; esac
  name=$(basename "$f" .yaml)
  flowc graph "$f" -o "$out/graphs/$name.svg"
  flowc graph "$f" -o "$out/graphs/$name.html"
done
echo "== flowc test examples/ flows/ (simulated calls, offline)"
flowc test examples/ flows/ --min-coverage 90 --junit "$out/flow-tests.xml" | tail -n 8

# ---- live calls: the runtime on 127.0.0.1, FreeSWITCH played by the project's ESL emulator ----
echo "== flowc serve: example scenarios as live-like calls (emulated FreeSWITCH on loopback)"
rt="$out/runtime"
rm -rf "$rt" && mkdir -p "$rt"
read -r esl_port mock_port metrics_port <<<"$(python -m runtime.demo ports 3)"
# Demo bindings: one DID per flow, look-ups answered by a local mock of the CRM/billing APIs.
python -m runtime.demo compile examples/ --out "$rt" --mock "http://127.0.0.1:$mock_port"
# Secrets (API tokens) come from the runtime's environment, never from flows or bindings.
env $(python -m runtime.demo env examples/) \
  flowc serve --bundle "$rt/build" --env demo --listen "127.0.0.1:$esl_port" \
  --journal "sqlite:///$rt/journal.db" --metrics "127.0.0.1:$metrics_port" \
  --clock 2026-10-09T10:00:00+08:00 --drain-timeout 5 2>"$rt/runtime.log" &
runtime_pid=$!
trap 'kill "$runtime_pid" 2>/dev/null || true' EXIT
echo "runtime pid $runtime_pid: ESL 127.0.0.1:$esl_port, metrics http://127.0.0.1:$metrics_port/metrics"
python -m runtime.demo calls examples/ --bundle "$rt/build" --port "$esl_port" \
  --mock-port "$mock_port" --per-example 3 --record "$rt/calls.json"
python - "$metrics_port" <<'PY'
import json, sys, urllib.request
with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/health", timeout=5) as r:
    h = json.load(r)
print(f"\nhealth: {h['status']}, bundle {h['bundle'][:19]}..., {h['calls_active']} call(s) active")
PY
kill -TERM "$runtime_pid"
wait "$runtime_pid" || true
trap - EXIT
python -m runtime.demo journal "$rt/journal.db" --record "$rt/calls.json"
echo
echo "== flowc report --brief: the demo calls, from the journal (without --brief: every section)"
flowc report --journal "sqlite:///$rt/journal.db" --brief --top 5
echo "runtime log (JSON lines): $rt/runtime.log"
echo "journal: $rt/journal.db (flowc report --journal sqlite:///$rt/journal.db [--format markdown|json])"
