#!/usr/bin/env python3
"""The service scheduler over its Marathon /v2 REST API, with real tasks.

1. `atoll up --agents 2` (the scheduler in-process): create an app, wait for its tasks, list
   them, scale it, restart it, kill one task with scale=true, delete it; an SSE client on
   /v2/events sees the attach, deployment and status events.
2. `atoll master`, `atoll agent` and `atoll scheduler` as separate processes: the scheduler is
   killed with SIGKILL in the middle of a restart and started again on the same work dir; the
   app, its running tasks (same ids, none duplicated) and the framework id survive, and the
   deployment completes.

Usage: scheduler_test.py PATH/TO/atoll
"""
import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import real_agent_test as ra  # noqa: E402
import v1_framework_client as v1  # noqa: E402

v1.DEADLINE = time.monotonic() + 400
check, fail = v1.check, v1.fail
VERBOSE = bool(os.environ.get("ATOLL_TEST_VERBOSE"))


def request(port, method, path, body=None):
    """Returns (status, headers as a dict with lower-case names, JSON body or text)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json"} if body is not None else {}
    conn.request(method, path, body=json.dumps(body) if body is not None else None,
                 headers=headers)
    resp = conn.getresponse()
    data = resp.read().decode()
    conn.close()
    try:
        parsed = json.loads(data) if data else None
    except ValueError:
        parsed = data
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, parsed


def get(port, path):
    status, _, body = request(port, "GET", path)
    return status, body


# Processes that must keep running while the test waits: (Popen, name, log file path).
WATCH = []


def fail_with_logs(message):
    for _, name, log in WATCH:
        if log is None:
            continue
        try:
            lines = open(log, errors="replace").read().splitlines()
        except OSError:
            continue
        print(f"---- last lines of {name} ({log}) ----")
        print("\n".join(lines[-40:]))
    fail(message)


def wait_until(predicate, what, timeout=90):
    deadline = min(time.monotonic() + timeout, v1.DEADLINE)
    last = None
    while time.monotonic() < deadline:
        for proc, name, _ in WATCH:
            if proc.poll() is not None:
                fail_with_logs(f"{name} exited ({proc.returncode}) while waiting for {what}")
        try:
            last = predicate()
            if last:
                return last
        except OSError as e:  # the scheduler is (re)starting
            last = e
        time.sleep(0.1)
    fail_with_logs(f"timed out waiting for {what} (last: {last})")


def wait_ping(port):
    def ping():
        return get(port, "/ping")[0] == 200
    wait_until(ping, f"the scheduler on port {port}")


def app(port, app_id):
    status, body = get(port, f"/v2/apps{app_id}?embed=apps.tasks")
    return body["app"] if status == 200 else None


def running(port, app_id):
    a = app(port, app_id)
    return [t for t in a["tasks"] if t["state"] == "TASK_RUNNING"] if a else []


def deployments(port):
    return get(port, "/v2/deployments")[1]


def deployments_of(port, app_id):
    return [d for d in deployments(port) if app_id in d.get("affectedApps", [])]


def create_app(port, body, what=""):
    """POSTs `body` to /v2/apps and checks the 201 (`what` says what the app is for)."""
    status, _, created = request(port, "POST", "/v2/apps", body)
    check(status == 201, f"POST /v2/apps {body['id']} {what} answers 201 "
          f"({status}{'' if status == 201 else f' {created}'})")


def delete_app(port, app_id, also_gone=lambda: True):
    """DELETEs the app and waits until it, its tasks and its deployments are gone (and
    `also_gone()` holds)."""
    status, _, deleted = request(port, "DELETE", f"/v2/apps{app_id}")
    check(status == 200, f"DELETE /v2/apps{app_id} ({status} {deleted})")

    def gone():
        return (get(port, f"/v2/apps{app_id}")[0] == 404 and not deployments_of(port, app_id) and
                not [t for t in get(port, "/v2/tasks")[1]["tasks"] if t["appId"] == app_id] and
                also_gone())
    wait_until(gone, f"{app_id}, its tasks and its deployment gone")


def settled(port, app_id, n, version=None):
    """The app has n running tasks (all of `version` when given) and no deployment."""
    a = app(port, app_id)
    if a is None or deployments(port) != []:
        return False
    tasks = [t for t in a["tasks"] if t["state"] == "TASK_RUNNING"]
    if a["tasksRunning"] != n or len(a["tasks"]) != n or len(tasks) != n:
        return False
    return version is None or all(t["version"] == version for t in tasks)


class EventClient:
    """GET /v2/events on a raw socket; collects the `event:` types in a background thread."""

    def __init__(self, port, query="", last_event_id=None):
        self.types = []
        self.ids = []
        self.headers = ""
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        extra = f"Last-Event-ID: {last_event_id}\r\n" if last_event_id is not None else ""
        self.sock.sendall(f"GET /v2/events{query} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          f"Accept: text/event-stream\r\n{extra}\r\n".encode())
        self.sock.settimeout(None)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        buf = b""
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                return
            if not data:
                return
            buf += data
            if not self.headers and b"\r\n\r\n" in buf:
                head, buf = buf.split(b"\r\n\r\n", 1)
                self.headers = head.decode()
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                line = line.decode(errors="replace").rstrip("\r")
                if line.startswith("event: "):
                    self.types.append(line[len("event: "):])
                elif line.startswith("id: "):
                    self.ids.append(int(line[len("id: "):]))

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


def http_answers(port):
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", "/")
        return conn.getresponse().status == 200
    except OSError:
        return False


def stop(procs):
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def dump(procs, names):
    for p, name in zip(procs, names):
        if p.stdout is None:
            continue
        out = p.stdout.read().decode(errors="replace")
        if VERBOSE:
            print(f"---- {name} ----\n{out}")


# --------------------------------------------------------------------------------------------
# 1. atoll up


class AtollUp:
    """`atoll up` on free ports in a fresh work dir, watched while the test waits."""

    def __init__(self, atoll, agents, prefix, extra=()):
        self.master_port, self.http_port = v1.free_port(), v1.free_port()
        self.work = tempfile.mkdtemp(prefix=prefix)
        os.chmod(self.work, 0o755)
        self.log_path = os.path.join(self.work, "up.log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [atoll, "up", "--work-dir", self.work, "--master-port", str(self.master_port),
             "--http-port", str(self.http_port), "--agents", str(agents),
             "--allocation-interval", "0.1", *extra], stdout=self.log, stderr=subprocess.STDOUT)
        WATCH[:] = [(self.proc, "atoll up", self.log_path)]

    def stop(self, what="atoll up"):
        """Ctrl-C: the cluster must stop cleanly."""
        WATCH.clear()
        self.proc.send_signal(signal.SIGINT)
        code = self.proc.wait(timeout=20)
        check(code == 0, f"Ctrl-C stops {what} cleanly (exit {code})")

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        if VERBOSE:
            print(open(self.log_path, errors="replace").read())
        ra.cleanup(self.work)


@contextlib.contextmanager
def atoll_up(atoll, agents, prefix, extra=()):
    """AtollUp, answering /ping, closed (and its work dir removed) however the block ends."""
    up = AtollUp(atoll, agents, prefix, extra)
    try:
        wait_ping(up.http_port)
        yield up
    finally:
        up.close()


def embedded(atoll):
    events = None
    with atoll_up(atoll, 2, "atoll-scheduler-up-") as up:
        try:
            http_port = up.http_port
            events = EventClient(http_port)
            wait_until(lambda: "event_stream_attached" in events.types, "event_stream_attached")
            check("text/event-stream" in events.headers.lower(),
                  "/v2/events answers with Content-Type text/event-stream")
            only = EventClient(http_port,
                               "?event_type=deployment_success&event_type=app_terminated_event")
            run_embedded(http_port, events)
            wait_until(lambda: "app_terminated_event" in only.types,
                       "the filtered stream's events")
            check(set(only.types) == {"deployment_success", "app_terminated_event"},
                  f"event_type= filters the stream ({sorted(set(only.types))})")
            # A client that reconnects with Last-Event-ID gets what it missed, then the live ones.
            first_id = events.ids[0]
            again = EventClient(http_port, "?event_type=deployment_success",
                                last_event_id=first_id)
            wait_until(lambda: again.types.count("deployment_success") >=
                       only.types.count("deployment_success"), "the replayed events")
            check(all(i > first_id for i in again.ids) and again.ids == sorted(again.ids),
                  "replayed events come after Last-Event-ID, in order")
            again.close()
            only.close()
            up.stop("atoll up with the scheduler")
        finally:
            if events:
                events.close()


def run_embedded(port, events):
    body = {"id": "/hello", "cmd": "exec python3 -m http.server $PORT0 --bind 127.0.0.1",
            "instances": 2, "cpus": 0.1, "mem": 64}
    status, headers, created = request(port, "POST", "/v2/apps", body)
    check(status == 201, f"POST /v2/apps answers 201 ({status} {created})")
    check(headers.get("location", "").endswith("/v2/apps/hello"),
          f"with a Location ({headers.get('location')})")
    check(bool(headers.get("marathon-deployment-id")), "and a Marathon-Deployment-Id")
    status, _, again = request(port, "POST", "/v2/apps", body)
    check(status == 409, f"creating it again answers 409 ({status})")

    wait_until(lambda: settled(port, "/hello", 2), "two running tasks")
    status, tasks = get(port, "/v2/apps/hello/tasks")
    check(status == 200 and len(tasks["tasks"]) == 2, "GET /v2/apps/hello/tasks lists two tasks")
    hosts = {t["host"] for t in tasks["tasks"]}
    check(hosts <= {"agent-0", "agent-1"}, f"on the local agents {sorted(hosts)}")
    ports = [t["ports"][0] for t in tasks["tasks"]]
    wait_until(lambda: all(http_answers(p) for p in ports), f"the tasks serve HTTP on {ports}")
    check(True, "each task serves HTTP on its $PORT0")

    status, _, scaled = request(port, "PUT", "/v2/apps/hello", {"instances": 3})
    check(status == 200 and "deploymentId" in scaled, f"PUT instances=3 starts a deployment "
          f"({status} {scaled})")
    wait_until(lambda: settled(port, "/hello", 3), "three running tasks")
    check(True, "scaled to three running tasks")

    before = {t["id"] for t in running(port, "/hello")}
    status, _, restarted = request(port, "POST", "/v2/apps/hello/restart")
    check(status == 200 and "deploymentId" in restarted, f"POST /restart starts a deployment "
          f"({status} {restarted})")
    version = restarted["version"]
    wait_until(lambda: settled(port, "/hello", 3, version), "three tasks of the new version")
    after = {t["id"] for t in running(port, "/hello")}
    check(not (before & after), "the restart replaced every task")

    victim = sorted(after)[0]
    status, _, killed = request(port, "DELETE", f"/v2/apps/hello/tasks/{victim}?scale=true")
    check(status == 200, f"DELETE a task with scale=true ({status} {killed})")
    wait_until(lambda: settled(port, "/hello", 2), "two running tasks after kill-and-scale")
    a = app(port, "/hello")
    check(a["instances"] == 2 and victim not in {t["id"] for t in a["tasks"]},
          "the app is scaled down to 2 and the killed task is gone")

    status, _, deleted = request(port, "DELETE", "/v2/apps/hello")
    check(status == 200 and "deploymentId" in deleted, f"DELETE /v2/apps/hello ({status})")

    def gone():
        return (get(port, "/v2/apps/hello")[0] == 404 and deployments(port) == [] and
                get(port, "/v2/tasks")[1]["tasks"] == [])
    wait_until(gone, "the app, its tasks and deployments gone")
    check(True, "the deleted app, its tasks and its deployment are gone")
    wait_until(lambda: not any(http_answers(p) for p in ports), "the task processes gone")

    wanted = ["event_stream_attached", "api_post_event", "deployment_info",
              "status_update_event", "instance_changed_event", "deployment_success",
              "app_terminated_event"]
    wait_until(lambda: all(w in events.types for w in wanted), f"events {wanted}")
    check(True, f"/v2/events delivered {wanted}")


# --------------------------------------------------------------------------------------------
# 2. separate processes, the scheduler killed mid-deployment


def scheduler_command(atoll, master_port, http_port, work):
    return [atoll, "scheduler", "--master", f"127.0.0.1:{master_port}", "--http-port",
            str(http_port), "--work-dir", work + "/scheduler"]


def master_tasks(master_port, framework_id):
    _, state = ra.get_json(master_port, "/master/state")
    fws = [f for f in state["frameworks"] if f["id"] == framework_id]
    return state, (fws[0]["tasks"] if fws else [])


def separate(atoll):
    master_port, agent_port, http_port = v1.free_port(), v1.free_port(), v1.free_port()
    work = tempfile.mkdtemp(prefix="atoll-scheduler-")
    os.chmod(work, 0o755)
    gate = os.path.join(work, "gate")
    open(gate, "w").close()
    master = subprocess.Popen([atoll, "master", "--port", str(master_port), "--work-dir",
                               work + "/master", "--allocation-interval", "0.1"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    agent = ra.start_agent(atoll, master_port, agent_port, work + "/agent")
    sched_log = open(os.path.join(work, "scheduler.log"), "ab")
    sched = subprocess.Popen(scheduler_command(atoll, master_port, http_port, work),
                             stdout=sched_log, stderr=subprocess.STDOUT)
    procs = [master, agent]
    WATCH[:] = [(master, "atoll master", None), (agent, "atoll agent", None),
                (sched, "atoll scheduler", os.path.join(work, "scheduler.log"))]
    try:
        ra.wait_health(master_port)
        ra.wait_health(agent_port)
        wait_ping(http_port)
        sched = run_separate(atoll, master_port, http_port, work, gate, sched, sched_log)
    finally:
        stop([sched] + procs)
        dump(procs, ["master", "agent"])
        sched_log.close()
        if VERBOSE:
            print("---- scheduler ----\n" + open(os.path.join(work, "scheduler.log")).read())
        ra.cleanup(work)


def run_separate(atoll, master_port, http_port, work, gate, sched, sched_log):
    # Each task fetches the gate file: without it the fetch fails and the task never runs, so
    # with the gate removed a restart cannot complete (its new tasks keep failing before
    # TASK_RUNNING, and the old ones must stay).
    body = {"id": "/svc", "instances": 2, "cpus": 0.1, "mem": 32, "cmd": "exec sleep 600",
            "fetch": [{"uri": gate}], "backoffSeconds": 1, "backoffFactor": 1.0}
    status, _, _ = request(http_port, "POST", "/v2/apps", body)
    check(status == 201, f"the app is created ({status})")
    wait_until(lambda: settled(http_port, "/svc", 2), "two running tasks")
    _, info = get(http_port, "/v2/info")
    framework_id = info["frameworkId"]
    check(bool(framework_id), f"the scheduler is framework {framework_id}")
    old = sorted(t["id"] for t in running(http_port, "/svc"))

    os.remove(gate)
    status, _, restarted = request(http_port, "POST", "/v2/apps/svc/restart")
    check(status == 200, f"a restart starts ({status} {restarted})")
    version = restarted["version"]

    def new_task_failed():
        a = app(http_port, "/svc")
        return a and a.get("lastTaskFailure") and deployments(http_port)
    wait_until(new_task_failed, "a task of the new version failing (the restart in progress)")
    check(sorted(t["id"] for t in running(http_port, "/svc")) == old,
          "mid-restart the old tasks keep running")

    WATCH.pop()
    sched.send_signal(signal.SIGKILL)
    sched.wait()
    check(True, "the scheduler is killed with SIGKILL mid-deployment")
    sched = subprocess.Popen(scheduler_command(atoll, master_port, http_port, work),
                             stdout=sched_log, stderr=subprocess.STDOUT)
    WATCH.append((sched, "atoll scheduler", os.path.join(work, "scheduler.log")))
    wait_ping(http_port)

    _, info = get(http_port, "/v2/info")
    check(info["frameworkId"] == framework_id, "the framework id survives the restart")
    a = app(http_port, "/svc")
    check(a is not None and a["instances"] == 2, "the app survives the restart")
    deps = deployments(http_port)
    check(len(deps) == 1 and deps[0]["id"] == restarted["deploymentId"],
          f"the deployment survives the restart ({[d['id'] for d in deps]})")
    wait_until(lambda: sorted(t["id"] for t in running(http_port, "/svc")) == old,
               "the old tasks reported running again")
    check(True, "the old tasks keep their ids after the restart")
    _, tasks = master_tasks(master_port, framework_id)
    live = [t for t in tasks if t["state"] in ("TASK_RUNNING", "TASK_STAGING", "TASK_STARTING")]
    check(sorted(t["id"] for t in live if t["state"] == "TASK_RUNNING") == old,
          f"the master runs exactly the old tasks ({sorted(t['id'] for t in live)})")
    state, _ = master_tasks(master_port, framework_id)
    names = [f["name"] for f in state["frameworks"]]
    check(names.count("marathon") == 1, f"one framework at the master ({names})")

    open(gate, "w").close()
    wait_until(lambda: settled(http_port, "/svc", 2, version), "the restart completing", 120)
    new = sorted(t["id"] for t in running(http_port, "/svc"))
    check(not set(new) & set(old), "the restart completes after the scheduler's restart")

    def master_agrees():
        _, tasks = master_tasks(master_port, framework_id)
        live = [t["id"] for t in tasks
                if t["state"] in ("TASK_RUNNING", "TASK_STAGING", "TASK_STARTING", "TASK_KILLING")]
        return sorted(live) == new
    wait_until(master_agrees, "the master running exactly the two new tasks")
    check(True, "no task is duplicated or left behind")

    WATCH.pop()
    sched.send_signal(signal.SIGTERM)
    code = sched.wait(timeout=15)
    check(code == 0, f"SIGTERM stops atoll scheduler cleanly (exit {code})")
    _, tasks = master_tasks(master_port, framework_id)
    check(sorted(t["id"] for t in tasks if t["state"] == "TASK_RUNNING") == new,
          "its tasks keep running without it")
    return sched


def main():
    atoll = sys.argv[1]
    if os.environ.get("ATOLL_TEST_ONLY") != "separate":
        embedded(atoll)
    separate(atoll)
    print("2 passed, 0 failed")


if __name__ == "__main__":
    main()
