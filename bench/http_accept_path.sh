#!/usr/bin/env bash
# The accept path over the real v1 HTTP API: `atoll master --simulated-agents` in one process,
# the example framework (examples/frameworks/launcher, HTTP driver) in another, on 127.0.0.1.
# Every call is an HTTP request (ACCEPT per offer, ACKNOWLEDGE per update) and every event a
# RecordIO record on the SUBSCRIBE stream, so this prices JSON + sockets on top of the engine
# that bench/accept_path measures in-process.
#
# Usage: bench/http_accept_path.sh [TASKS=20000] [AGENTS=100]   (after ./build.sh and
#        `ninja -C build launcher`). Prints `name value unit` lines.
set -euo pipefail
cd "$(dirname "$0")/.."
TASKS="${1:-20000}"
AGENTS="${2:-100}"
ATOLL=build/atoll
LAUNCHER=build/examples/launcher
[ -x "$ATOLL" ] && [ -x "$LAUNCHER" ] || { echo "build atoll and launcher first" >&2; exit 2; }

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
WORK=$(mktemp -d)
"$ATOLL" master --port "$PORT" --work-dir "$WORK" --simulated-agents "$AGENTS" \
  --simulated-running-delay 0 --log-level warn >"$WORK/master.log" 2>&1 &
MASTER=$!
trap 'kill $MASTER 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break
  sleep 0.05
done

ticks=$(getconf CLK_TCK)
cpu_of() { awk -v t="$ticks" '{print ($14 + $15) / t}' "/proc/$1/stat"; }
before=$(cpu_of $MASTER)
start=$(date +%s.%N)
"$LAUNCHER" --master "127.0.0.1:$PORT" --tasks "$TASKS" --cpus 0.01 --mem 1 --timeout 600 \
  >"$WORK/launcher.log" 2>&1
end=$(date +%s.%N)
after=$(cpu_of $MASTER)
rss_kb=$(awk '/VmHWM/ {print $2}' "/proc/$MASTER/status")

awk -v tasks="$TASKS" -v agents="$AGENTS" -v start="$start" -v end="$end" -v c0="$before" \
    -v c1="$after" -v rss="$rss_kb" 'BEGIN {
  wall = end - start
  printf "http_accept_path_tasks %d count\n", tasks
  printf "http_accept_path_agents %d count\n", agents
  printf "http_accept_path_wall_seconds %.3f s\n", wall
  printf "http_accept_path_tasks_per_second %.1f tasks/s\n", tasks / wall
  printf "http_accept_path_master_cpu_seconds %.3f s\n", c1 - c0
  printf "http_accept_path_master_cpu_us_per_task %.1f us\n", (c1 - c0) * 1e6 / tasks
  printf "http_accept_path_master_peak_rss %.1f MiB\n", rss / 1024
}'
