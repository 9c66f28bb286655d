#!/usr/bin/env python3
"""Health checks of Marathon apps, run next to the task by the command executor, on `atoll up`.

One `atoll up --agents 1`; each scenario creates an app over /v2, watches its tasks'
healthCheckResults, the app's tasksHealthy/tasksUnhealthy and /v2/deployments, then deletes it:

1. MESOS_HTTP on $PORT0 against a tiny Python server that answers 200 on /health until a file
   `unhealthy` exists in its sandbox, then 503. The deployment completes once the task is healthy;
   after the test creates `unhealthy`, the executor kills the task after 3 failures in a row, the
   app's lastTaskFailure says why ("Health check failed 3 times in a row: HTTP 503"), the
   scheduler replaces the task and the new one (a fresh sandbox) is healthy. /v2/events carried
   health_status_changed_event, failed_health_check_event and unhealthy_instance_kill_event.
2. TCP on $PORT0 (python3 -m http.server): healthy.
3. COMMAND `test -f ok` in the sandbox of a task that touched `ok`: healthy; COMMAND `false` with
   maxConsecutiveFailures 0: unhealthy, failures counted, never killed.
3b. Two checks on one app (TCP and COMMAND `test ! -f sick`): both results show, the task is
   healthy when both pass, and creating `sick` gets it killed, lastTaskFailure naming the check.
4. A deployment waits for health: an HTTP check on a port nothing listens on keeps the app's
   deployment in /v2/deployments while its task runs.
5. A readiness check (portName http-api, /ready answering 503 until a file `ready` exists in the
   sandbox): the deployment waits and shows the 503 (with its body, preserveLastResponse) in
   currentActions' readinessCheckResults,
   then completes once the file exists; embed=app.readiness shows the task ready.
6. Aurora's HTTP lifecycle (ATOLL_LIFECYCLE_* labels, port name "admin", 1 s waits): deleting an
   app whose server ignores the requests makes the task see POST /quitquitquit, POST
   /abortabortabort at least 1 s later, then SIGTERM at least 1 s after that (its log in the
   sandbox); a server that exits on /quitquitquit sees nothing else.

Usage: health_test.py PATH/TO/atoll
"""
import glob
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scheduler_test as st  # noqa: E402
import v1_framework_client as v1  # noqa: E402

v1.DEADLINE = time.monotonic() + 380
check = v1.check
request, get = st.request, st.get
RESOURCES = {"cpus": 0.05, "mem": 32, "instances": 1, "portDefinitions": [{"port": 0}]}
TIMINGS = {"gracePeriodSeconds": 5, "intervalSeconds": 1, "timeoutSeconds": 1, "delaySeconds": 0}

# Answers /health with 200, or 503 once $MESOS_SANDBOX/unhealthy exists, and /ready with 503
# "warming up" until $MESOS_SANDBOX/ready exists (HTTP/1.1, keep-alive).
HEALTH_SERVER = """
import http.server, os
UNHEALTHY = os.path.join(os.environ.get("MESOS_SANDBOX", "."), "unhealthy")
READY = os.path.join(os.environ.get("MESOS_SANDBOX", "."), "ready")
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        code, body = 404, b""
        if self.path == "/health":
            code = 503 if os.path.exists(UNHEALTHY) else 200
        elif self.path == "/ready":
            code, body = (200, b"ready") if os.path.exists(READY) else (503, b"warming up")
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("0.0.0.0", int(os.environ["PORT0"])), Handler).serve_forever()
"""

# Logs the HTTP lifecycle's requests and SIGTERM, with times, to $MESOS_SANDBOX/lifecycle.log;
# with the argument "polite" it exits soon after answering /quitquitquit.
LIFECYCLE_SERVER = """
import http.server, os, signal, sys, threading, time
LOG = os.path.join(os.environ.get("MESOS_SANDBOX", "."), "lifecycle.log")
POLITE = sys.argv[1:] == ["polite"]
def log(what):
    with open(LOG, "a") as f:
        f.write("%.3f %s\\n" % (time.monotonic(), what))
def on_term(signo, frame):
    log("SIGTERM")
    os._exit(0)
signal.signal(signal.SIGTERM, on_term)
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        log("POST " + self.path)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
        self.wfile.flush()
        if POLITE and self.path == "/quitquitquit":
            threading.Timer(0.2, lambda: os._exit(0)).start()
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("0.0.0.0", int(os.environ["PORT0"])), Handler).serve_forever()
"""


def wait_until(predicate, what, timeout=60):
    return st.wait_until(predicate, what, timeout)


class Sandbox:
    """A WATCH entry for a task's stderr (the executor's log): printed if the test fails."""

    def poll(self):
        return None


def sandbox_of(work, task_id):
    found = glob.glob(os.path.join(work, "agent-*", "slaves", "*", "frameworks", "*", "executors",
                                   glob.escape(task_id), "runs", "latest"))
    if len(found) != 1:
        return None
    path = os.path.realpath(found[0])
    stderr = os.path.join(path, "stderr")
    if not any(log == stderr for _, _, log in st.WATCH):
        st.WATCH.append((Sandbox(), f"the sandbox stderr of {task_id}", stderr))
    return path


deployments_of = st.deployments_of


def app(port, app_id):
    status, body = get(port, f"/v2/apps{app_id}")
    return body["app"] if status == 200 else None


def tasks(port, app_id):
    status, body = get(port, f"/v2/apps{app_id}/tasks")
    return body["tasks"] if status == 200 else None


def one_task(port, app_id):
    """The app's only task, once it is TASK_RUNNING."""
    ts = tasks(port, app_id)
    return ts[0] if ts and len(ts) == 1 and ts[0]["state"] == "TASK_RUNNING" else None


def health(task):
    results = task.get("healthCheckResults") or []
    return results[0] if len(results) == 1 else None


def healthy_task(port, app_id):
    """The app's only task once it is running and healthy, the app counts it healthy and no
    deployment is left."""
    t = one_task(port, app_id)
    if t is None or not (health(t) or {}).get("alive"):
        return None
    a = app(port, app_id)
    if a is None or a["tasksHealthy"] != 1 or a["tasksUnhealthy"] != 0 or st.deployments(port):
        return None
    return t


def check_healthy(task, what):
    h = health(task)
    check(h["alive"] is True and h["consecutiveFailures"] == 0 and "firstSuccess" in h and
          "lastSuccess" in h and h["instanceId"] and task["id"].startswith(h["instanceId"]),
          f"{what}: healthCheckResults alive, with its times ({h})")


def create(port, body):
    body = dict(RESOURCES, **body)
    checks = body.get("healthChecks") or body.get("readinessChecks")
    st.create_app(port, body, checks[0]["protocol"])


def delete(port, app_id):
    st.delete_app(port, app_id)
    # Its sandboxes' logs no longer help explain a failure.
    st.WATCH[:] = [w for w in st.WATCH if f"/executors/{app_id[1:]}.instance-" not in (w[2] or "")]


def http_on_demand(port, work):
    create(port, {"id": "/web", "cmd": f"exec python3 -c '{HEALTH_SERVER}'", "healthChecks": [
        dict(TIMINGS, protocol="MESOS_HTTP", path="/health", portIndex=0,
             maxConsecutiveFailures=3)]})
    first = wait_until(lambda: healthy_task(port, "/web"),
                       "/web healthy, counted healthy, its deployment done")
    check_healthy(first, "MESOS_HTTP /health answering 200")
    embedded = get(port, "/v2/apps/web?embed=app.tasks")[1]["app"]["tasks"]
    check(health(embedded[0]) and health(embedded[0])["alive"],
          "embed=app.tasks shows the healthCheckResults too")
    sandbox = wait_until(lambda: sandbox_of(work, first["id"]), f"the sandbox of {first['id']}")
    with open(os.path.join(sandbox, "unhealthy"), "w"):
        pass

    def failing():
        t = one_task(port, "/web")
        h = health(t) if t and t["id"] == first["id"] else None
        return h if h and h["alive"] is False and h.get("lastFailureCause") == "HTTP 503" else None
    h = wait_until(failing, "/web answering 503 seen unhealthy", 10)
    check(1 <= h["consecutiveFailures"] < 3 and "lastFailure" in h and "lastSuccess" in h,
          f"503 makes the task unhealthy before it is killed ({h})")

    def replaced():
        t = one_task(port, "/web")
        return t if t and t["id"] != first["id"] else None
    second = wait_until(replaced, "the unhealthy task killed and replaced")
    a = app(port, "/web")
    failure = a.get("lastTaskFailure") or {}
    message = failure.get("message", "")
    check(failure.get("taskId") == first["id"] and failure.get("state") == "TASK_KILLED" and
          "Health check failed 3 times in a row" in message and "HTTP 503" in message,
          f"lastTaskFailure says why the task was killed ({failure})")
    second = wait_until(lambda: healthy_task(port, "/web"), "the replacement healthy")
    check_healthy(second, "the replacement (its sandbox has no `unhealthy`)")
    new_sandbox = sandbox_of(work, second["id"])
    check(new_sandbox and not os.path.exists(os.path.join(new_sandbox, "unhealthy")),
          f"the replacement runs in a fresh sandbox ({new_sandbox})")
    delete(port, "/web")


def health_events(events):
    """Checked after the scenarios, so that a missing event does not hide the other results."""
    wanted = ["health_status_changed_event", "failed_health_check_event",
              "unhealthy_instance_kill_event"]
    end = time.monotonic() + 10
    while time.monotonic() < end and not all(w in events.types for w in wanted):
        time.sleep(0.1)
    missing = [w for w in wanted if w not in events.types]
    check(not missing, f"/v2/events delivered {wanted} (missing {missing}, seen "
          f"{sorted(set(events.types))})")


def tcp(port):
    create(port, {"id": "/tcp", "cmd": "exec python3 -m http.server $PORT0", "healthChecks": [
        dict(TIMINGS, protocol="TCP", portIndex=0, maxConsecutiveFailures=3)]})
    t = wait_until(lambda: healthy_task(port, "/tcp"), "/tcp healthy and its deployment done")
    check_healthy(t, "TCP on $PORT0")
    delete(port, "/tcp")


def command(port):
    create(port, {"id": "/cmd-ok", "cmd": "touch ok; exec sleep 3600", "healthChecks": [
        dict(TIMINGS, protocol="COMMAND", command={"value": "test -f ok"},
             maxConsecutiveFailures=3)]})
    create(port, {"id": "/cmd-false", "cmd": "exec sleep 3600", "healthChecks": [
        dict(TIMINGS, protocol="COMMAND", command={"value": "false"},
             maxConsecutiveFailures=0)]})

    def ok_healthy():
        t = one_task(port, "/cmd-ok")
        a = app(port, "/cmd-ok")
        return t if t and (health(t) or {}).get("alive") and a and a["tasksHealthy"] == 1 else None
    t = wait_until(ok_healthy, "/cmd-ok healthy")
    check_healthy(t, "COMMAND `test -f ok` in the sandbox")

    def failing(n):
        t = one_task(port, "/cmd-false")
        h = health(t) if t else None
        return t if h and h["alive"] is False and h["consecutiveFailures"] >= n else None
    t = wait_until(lambda: failing(1), "/cmd-false failing")
    h = health(t)
    check(h.get("lastFailureCause") and "lastFailure" in h and "lastSuccess" not in h,
          f"COMMAND `false`: alive false, failures counted, with a cause ({h})")
    a = app(port, "/cmd-false")
    check(a["tasksHealthy"] == 0 and a["tasksUnhealthy"] == 1 and a["tasksRunning"] == 1,
          f"/cmd-false counts one unhealthy task ({a['tasksHealthy']} healthy, "
          f"{a['tasksUnhealthy']} unhealthy, {a['tasksRunning']} running)")
    # A check that can never kill reports further failures every 30 s, not every probe.
    later = wait_until(lambda: failing(10), "/cmd-false's next report, 30 s on", 50)
    check(later["id"] == t["id"] and len(tasks(port, "/cmd-false")) == 1,
          f"maxConsecutiveFailures 0 never kills ({health(later)['consecutiveFailures']} failures, "
          f"same task {t['id']})")
    check("lastTaskFailure" not in app(port, "/cmd-false"), "and records no task failure")
    delete(port, "/cmd-ok")
    delete(port, "/cmd-false")


def several_checks(port, work):
    """An app with two checks, TCP and COMMAND, as Marathon allows: both run next to the task,
    each has its healthCheckResults entry, and the COMMAND one alone kills the task."""
    create(port, {"id": "/pair", "cmd": f"exec python3 -c '{HEALTH_SERVER}'", "healthChecks": [
        dict(TIMINGS, protocol="TCP", portIndex=0, maxConsecutiveFailures=3),
        dict(TIMINGS, protocol="COMMAND", command={"value": "test ! -f sick"},
             maxConsecutiveFailures=2)]})

    def both_healthy():
        t = one_task(port, "/pair")
        results = (t or {}).get("healthCheckResults") or []
        a = app(port, "/pair")
        return t if (len(results) == 2 and all(r["alive"] for r in results) and a and
                     a["tasksHealthy"] == 1 and not deployments_of(port, "/pair")) else None
    first = wait_until(both_healthy, "/pair running with both checks passing")
    sandbox = wait_until(lambda: sandbox_of(work, first["id"]), "the sandbox of /pair")
    open(os.path.join(sandbox, "sick"), "w").close()

    def replaced():
        t = one_task(port, "/pair")
        return t if t and t["id"] != first["id"] else None
    wait_until(replaced, "/pair killed for its COMMAND check and replaced")
    failure = app(port, "/pair").get("lastTaskFailure") or {}
    message = failure.get("message", "")
    check(failure.get("taskId") == first["id"] and
          "Health check failed 2 times in a row" in message and
          "(health check 2 of 2, COMMAND)" in message,
          f"lastTaskFailure names the failing check ({failure})")
    delete(port, "/pair")


def deployment_waits(port):
    create(port, {"id": "/never", "cmd": "exec sleep 3600", "healthChecks": [
        dict(TIMINGS, protocol="HTTP", path="/", portIndex=0, maxConsecutiveFailures=0)]})

    def unhealthy():
        t = one_task(port, "/never")
        h = health(t) if t else None
        return t if h and h["alive"] is False and h["consecutiveFailures"] >= 1 else None
    t = wait_until(unhealthy, "/never running with a failing check")
    check(bool(health(t).get("lastFailureCause")),
          f"HTTP to a port nothing listens on fails ({health(t)})")
    end = time.monotonic() + 5
    polls = 0
    while time.monotonic() < end:
        deps = st.deployments(port)
        mine = deployments_of(port, "/never")
        check_running = one_task(port, "/never")
        if not mine or check_running is None or check_running["id"] != t["id"]:
            st.fail_with_logs(f"the deployment of /never waits while its task is unhealthy "
                    f"(deployments {deps}, task {check_running})")
        polls += 1
        time.sleep(0.25)
    check(True, f"the deployment of /never stays in /v2/deployments while its task runs "
          f"unhealthy ({polls} polls over 5 s)")
    delete(port, "/never")


def readiness(port, work):
    """A readiness check, run by the executor: the deployment waits, showing the last answer,
    until the task's /ready answers 200."""
    create(port, {"id": "/warm", "cmd": f"exec python3 -c '{HEALTH_SERVER}'",
                  "portDefinitions": [{"port": 0, "name": "http-api"}],
                  "readinessChecks": [{"name": "warm", "protocol": "HTTP", "path": "/ready",
                                       "portName": "http-api", "intervalSeconds": 2,
                                       "timeoutSeconds": 1, "httpStatusCodesForReady": [200],
                                       "preserveLastResponse": True}]})

    def not_ready():
        mine = deployments_of(port, "/warm")
        if not mine or not one_task(port, "/warm"):
            return None
        results = [r for a in mine[0]["currentActions"] for r in a["readinessCheckResults"]]
        return results if results and results[0].get("lastResponse", {}).get("status") == 503 \
            else None
    results = wait_until(not_ready, "/warm running, its deployment showing the 503 of /ready")
    check(results[0]["ready"] is False and results[0]["name"] == "warm" and
          results[0]["lastResponse"] == {"status": 503, "contentType": "text/plain",
                                         "body": "warming up"},
          f"/v2/deployments currentActions readinessCheckResults, with the last response "
          f"preserved ({results})")
    task = one_task(port, "/warm")
    sandbox = wait_until(lambda: sandbox_of(work, task["id"]), "the sandbox of /warm")
    open(os.path.join(sandbox, "ready"), "w").close()
    wait_until(lambda: not deployments_of(port, "/warm"), "/warm's deployment done once ready")
    status, body = get(port, "/v2/apps/warm?embed=app.readiness")
    ready = body["app"].get("readinessCheckResults", []) if status == 200 else []
    check(len(ready) == 1 and ready[0]["ready"] is True and ready[0]["taskId"] == task["id"],
          f"embed=app.readiness shows the task ready ({ready})")
    delete(port, "/warm")


def lifecycle(port, work):
    """Aurora's HTTP lifecycle before the signals, as the task sees it."""
    labels = {"ATOLL_LIFECYCLE_PORT_NAME": "admin",
              "ATOLL_LIFECYCLE_GRACEFUL_SHUTDOWN_WAIT_SECONDS": "1",
              "ATOLL_LIFECYCLE_SHUTDOWN_WAIT_SECONDS": "1"}
    logs = {}
    for app_id, argument in (("/stubborn", ""), ("/polite", "polite")):
        st.create_app(port, dict(RESOURCES, **{
            "id": app_id, "cmd": f"exec python3 -c '{LIFECYCLE_SERVER}' {argument}",
            "portDefinitions": [{"port": 0, "name": "admin"}], "labels": labels,
            "healthChecks": [dict(TIMINGS, protocol="MESOS_TCP", portIndex=0)]}), "MESOS_TCP")
        task = wait_until(lambda: healthy_task(port, app_id), f"{app_id} running and healthy")
        sandbox = wait_until(lambda: sandbox_of(work, task["id"]), f"the sandbox of {app_id}")
        delete(port, app_id)  # returns once the task has ended: its log is complete
        with open(os.path.join(sandbox, "lifecycle.log")) as f:
            logs[app_id] = [line.split(" ", 1) for line in f.read().splitlines()]
    stubborn = logs["/stubborn"]
    check([what for _, what in stubborn] == ["POST /quitquitquit", "POST /abortabortabort",
                                             "SIGTERM"],
          f"/quitquitquit, /abortabortabort, then SIGTERM ({stubborn})")
    times = [float(t) for t, _ in stubborn]
    check(times[1] - times[0] >= 0.9 and times[2] - times[1] >= 0.9,
          f"each step waited its second for the task to exit ({stubborn})")
    polite = [what for _, what in logs["/polite"]]
    check(polite == ["POST /quitquitquit"],
          f"a task that exits on /quitquitquit gets nothing more ({polite})")


def main():
    started = time.monotonic()
    events = None
    with st.atoll_up(sys.argv[1], 1, "atoll-health-") as up:
        try:
            events = st.EventClient(up.http_port)
            wait_until(lambda: "event_stream_attached" in events.types, "event_stream_attached")
            http_on_demand(up.http_port, up.work)
            tcp(up.http_port)
            command(up.http_port)
            several_checks(up.http_port, up.work)
            deployment_waits(up.http_port)
            readiness(up.http_port, up.work)
            lifecycle(up.http_port, up.work)
            health_events(events)
            up.stop()
        finally:
            if events:
                events.close()
    print(f"8 passed, 0 failed ({time.monotonic() - started:.1f} s)")


if __name__ == "__main__":
    main()
