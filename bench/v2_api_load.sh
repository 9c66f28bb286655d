#!/usr/bin/env bash
# The /v2 REST API under load from wrk, with nginx serving the same bytes as the ceiling.
#
# Setup: `atoll master --simulated-agents` (tasks reach RUNNING without processes) and
# `atoll scheduler` (SQLite store in a temp dir) on 127.0.0.1; APPS apps of INSTANCES instances
# each (default 1,000 × 10 = 10,000 tasks) are created and left running. Then, with wrk (2
# threads, CONNS connections, DURATION seconds each):
#   1. GET /v2/apps?embed=apps.tasks      goal >= 3,000 req/s, p99 < 5 ms
#   2. GET /v2/apps/<one app>             goal >= 80,000 req/s
#   3. GET /ping                          goal >= 80,000 req/s
#   4. nginx (1 worker) serving the bytes of 1-3 as static files: the ceiling, and the ratios
#   5. POST /v2/apps, each a new app with 1 instance, answered once durable (fsync'd SQLite
#      WAL, group commit)                 goal >= 2,000 apps/s, p99 < 20 ms
# wrk, the scheduler and nginx share the 2 cores, so the figures are for this box as a whole.
#
# Usage: bench/v2_api_load.sh [APPS=1000] [INSTANCES=10] [DURATION=10] [CONNS=8]
#        (after ./build.sh; wrk and nginx-light come with install.sh). Prints `name value unit`.
set -euo pipefail
cd "$(dirname "$0")/.."
APPS="${1:-1000}"
INSTANCES="${2:-10}"
DURATION="${3:-10}"
CONNS="${4:-8}"
ATOLL=build/atoll
[ -x "$ATOLL" ] || { echo "build atoll first (./build.sh)" >&2; exit 2; }
command -v wrk >/dev/null && command -v nginx >/dev/null ||
  { echo "wrk and nginx are needed (install.sh installs them)" >&2; exit 2; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
MPORT=$(free_port)
SPORT=$(free_port)
NPORT=$(free_port)
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

"$ATOLL" master --port "$MPORT" --work-dir "$WORK/master" --simulated-agents 100 \
  --simulated-agent-resources "cpus:64;mem:262144;disk:1000000;ports:[31000-32999]" \
  --simulated-running-delay 0 --log-level warn >"$WORK/master.log" 2>&1 &
PIDS+=($!)
"$ATOLL" scheduler --master "127.0.0.1:$MPORT" --http-port "$SPORT" --work-dir "$WORK/scheduler" \
  --log-level warn >"$WORK/scheduler.log" 2>&1 &
SCHED=$!
PIDS+=($SCHED)
BASE="http://127.0.0.1:$SPORT"
for _ in $(seq 200); do
  curl -sf "$BASE/ping" >/dev/null && break
  sleep 0.05
done

# The data set: APPS apps, created over one keep-alive connection, then wait for every task.
python3 - "$SPORT" "$APPS" "$INSTANCES" <<'EOF'
import http.client, json, sys, time
port, apps, instances = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
c = http.client.HTTPConnection("127.0.0.1", port)
for i in range(apps):
    body = json.dumps({"id": f"/bench/app-{i}", "cmd": "sleep 1000", "instances": instances,
                       "cpus": 0.01, "mem": 1, "labels": {"team": f"t{i % 10}"},
                       "env": {"INDEX": str(i)}})
    c.request("POST", "/v2/apps", body, {"Content-Type": "application/json"})
    r = c.getresponse(); r.read()
    if r.status != 201:
        sys.exit(f"POST app {i}: {r.status}")
deadline = time.time() + 600
while time.time() < deadline:
    c.request("GET", "/v2/deployments"); r = c.getresponse(); d = json.loads(r.read())
    c.request("GET", "/v2/tasks"); r = c.getresponse(); t = json.loads(r.read())
    running = sum(1 for x in t["tasks"] if x["state"] == "TASK_RUNNING")
    if not d and running == apps * instances:
        break
    time.sleep(0.5)
else:
    sys.exit(f"only {running} of {apps * instances} tasks running after 600 s")
EOF

ticks=$(getconf CLK_TCK)
cpu_of() { awk -v t="$ticks" '{print ($14 + $15) / t}' "/proc/$1/stat"; }

# wrk_run NAME URL [SCRIPT]: prints NAME_rps and NAME_p99_ms (and the scheduler's CPU).
wrk_run() {
  local name=$1 url=$2 script=${3:-}
  local args=(-t2 -c"$CONNS" -d"${DURATION}s" --latency)
  [ -n "$script" ] && args+=(-s "$script")
  wrk "${args[@]}" "$url" >"$WORK/$name.wrk" 2>&1
  awk -v n="$name" '
    /Requests\/sec/ { printf "%s_rps %.1f req/s\n", n, $2 }
    / 99%/ { v = $2; u = 1;
             if (v ~ /us$/) { sub(/us$/, "", v); u = 0.001 }
             else if (v ~ /ms$/) { sub(/ms$/, "", v) }
             else if (v ~ /s$/) { sub(/s$/, "", v); u = 1000 }
             printf "%s_p99_ms %.3f ms\n", n, v * u }
    /Non-2xx/ { printf "%s_non_2xx %d count\n", n, $NF }' "$WORK/$name.wrk"
}
rps_of() { awk '/Requests\/sec/ {print $2}' "$WORK/$1.wrk"; }

ONE="$BASE/v2/apps/bench/app-1"
mkdir -p "$WORK/www"
curl -sf "$BASE/v2/apps?embed=apps.tasks" -o "$WORK/www/all.json"
curl -sf "$ONE" -o "$WORK/www/one.json"
curl -sf "$BASE/ping" -o "$WORK/www/ping"
printf "v2_apps_body_bytes %d bytes\n" "$(stat -c %s "$WORK/www/all.json")"
printf "v2_apps_tasks %d count\n" "$((APPS * INSTANCES))"

c0=$(cpu_of "$SCHED")
wrk_run get_apps_embed_tasks "$BASE/v2/apps?embed=apps.tasks"
wrk_run get_one_app "$ONE"
wrk_run ping "$BASE/ping"
c1=$(cpu_of "$SCHED")
awk -v a="$c0" -v b="$c1" 'BEGIN { printf "scheduler_cpu_seconds_during_gets %.2f s\n", b - a }'

# The ceiling: nginx, one worker, the same bytes from files.
cat >"$WORK/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$NPORT;
    root $WORK/www;
    default_type application/json;
  }
}
EOF
chmod 755 "$WORK"
chmod -R a+rX "$WORK/www"  # nginx's worker runs as nobody
nginx -c "$WORK/nginx.conf" -p "$WORK" &
PIDS+=($!)
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$NPORT/ping" >/dev/null && break
  sleep 0.05
done
wrk_run nginx_apps_embed_tasks "http://127.0.0.1:$NPORT/all.json"
wrk_run nginx_one_app "http://127.0.0.1:$NPORT/one.json"
wrk_run nginx_ping "http://127.0.0.1:$NPORT/ping"
for pair in "get_apps_embed_tasks nginx_apps_embed_tasks" "get_one_app nginx_one_app" \
            "ping nginx_ping"; do
  set -- $pair
  awk -v a="$(rps_of "$1")" -v b="$(rps_of "$2")" -v n="$1" \
    'BEGIN { printf "ratio_%s_atoll_over_nginx %.3f ratio\n", n, a / b }'
done

# Durable creates: every request a new app (wrk's Lua numbers them per thread).
cat >"$WORK/post.lua" <<'EOF'
local counter = 0
local next_thread = 0
function setup(thread)
  thread:set("thread_id", next_thread)
  next_thread = next_thread + 1
end
function request()
  counter = counter + 1
  local body = string.format(
    '{"id":"/post/t%d-app-%d","cmd":"sleep 1000","instances":1,"cpus":0.001,"mem":1}',
    thread_id, counter)
  return wrk.format("POST", "/v2/apps", {["Content-Type"] = "application/json"}, body)
end
EOF
c0=$(cpu_of "$SCHED")
wrk_run post_apps "$BASE/v2/apps" "$WORK/post.lua"
c1=$(cpu_of "$SCHED")
awk -v a="$c0" -v b="$c1" 'BEGIN { printf "scheduler_cpu_seconds_during_posts %.2f s\n", b - a }'
created=$(curl -sf "$BASE/v2/apps?id=/post/" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["apps"]))')
printf "post_apps_created %d count\n" "$created"
