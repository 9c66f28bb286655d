#!/usr/bin/env python3
"""Real tasks on a real agent: `atoll master` and `atoll agent` processes, a v1 framework in
plain Python (the client of v1_framework_client.py), and real processes started by the command
executor. Covers launch and exit codes, kill with a grace period (a task that traps SIGTERM),
TASK_KILLING, the sandbox and its files API (traversal refused), a fetch failure, an executor
killed with SIGKILL, a task over its memory limit (when cgroups are usable), and an agent killed
with SIGKILL and restarted on the same work dir while its task keeps running.

Usage: real_agent_test.py PATH/TO/atoll
"""
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import v1_framework_client as v1  # noqa: E402

v1.DEADLINE = time.monotonic() + 150
check, fail = v1.check, v1.fail


def get_json(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path)
    resp = conn.getresponse()
    body = resp.read()
    return resp.status, (json.loads(body) if body and resp.status == 200 else body.decode())


def wait_health(port):
    while time.monotonic() < v1.DEADLINE:
        try:
            if get_json(port, "/health")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    fail(f"nothing answers on port {port}")


INFO = {"user": "root", "name": "real-agent-test", "failover_timeout": 3600.0,
        "checkpoint": True,
        "capabilities": [{"type": "PARTITION_AWARE"}, {"type": "TASK_KILLING_STATE"}]}


class Framework:
    def __init__(self, port):
        self.stream = v1.Stream(port, {"type": "SUBSCRIBE", "subscribe": {"framework_info": INFO}})
        check(self.stream.status == 200, "the framework subscribes")
        first = self.stream.next_event()
        self.client = v1.Client(port)
        self.client.framework_id = first["subscribed"]["framework_id"]["value"]
        self.client.stream_id = self.stream.stream_id
        self.offers = []
        self.updates = {}  # task id -> [status...]
        self.hostname = None  # launch only on this agent when set

    def resubscribe(self, port):
        """Subscribes again with the framework id (after the master restarted)."""
        fid = {"value": self.client.framework_id}
        while time.monotonic() < v1.DEADLINE:
            try:
                stream = v1.Stream(port, {"type": "SUBSCRIBE", "framework_id": fid,
                                          "subscribe": {"framework_info": dict(INFO, id=fid)}})
            except OSError:
                time.sleep(0.1)
                continue
            if stream.status == 200:
                break
            time.sleep(0.1)
        check(stream.next_event()["type"] == "SUBSCRIBED", "the framework re-subscribes")
        self.stream = stream
        self.client.stream_id = stream.stream_id
        self.offers = []

    def reconcile(self, task_id):
        """The task's state as the master restates it."""
        before = len(self.updates.get(task_id, []))
        self.client.typed("RECONCILE", "reconcile", {"tasks": [{"task_id": {"value": task_id}}]})
        self.pump(lambda: len(self.updates.get(task_id, [])) > before, f"reconcile {task_id}")
        return self.updates[task_id][-1]

    def pump(self, predicate, what):
        """Reads events (acknowledging updates) until predicate() holds."""
        while time.monotonic() < v1.DEADLINE:
            if predicate():
                return
            event = self.stream.next_event()
            if event is None:
                fail(f"the stream ended while waiting for {what}")
            if event["type"] == "OFFERS":
                self.offers.extend(event["offers"]["offers"])
            elif event["type"] == "RESCIND":
                rid = event["rescind"]["offer_id"]["value"]
                self.offers = [o for o in self.offers if o["id"]["value"] != rid]
            elif event["type"] == "UPDATE":
                status = event["update"]["status"]
                self.updates.setdefault(status["task_id"]["value"], []).append(status)
                if "uuid" in status:
                    code, text = self.client.typed("ACKNOWLEDGE", "acknowledge", {
                        "agent_id": status["agent_id"], "task_id": status["task_id"],
                        "uuid": status["uuid"]})
                    if code != 202:
                        fail(f"ACKNOWLEDGE answered {code}: {text}")
        fail(f"timed out waiting for {what}")

    def launch(self, task_id, command, cpus=0.1, mem=32.0, extra=None):
        usable = lambda: [o for o in self.offers
                          if self.hostname is None or o["hostname"] == self.hostname]
        self.pump(usable, "an offer")
        offer = usable()[0]
        self.offers.remove(offer)
        task = {"name": task_id, "task_id": {"value": task_id}, "agent_id": offer["agent_id"],
                "resources": [
                    {"name": "cpus", "type": "SCALAR", "scalar": {"value": cpus}, "role": "*"},
                    {"name": "mem", "type": "SCALAR", "scalar": {"value": mem}, "role": "*"}],
                "command": {"value": command, "shell": True}}
        task.update(extra or {})
        code, text = self.client.typed("ACCEPT", "accept", {
            "offer_ids": [offer["id"]],
            "operations": [{"type": "LAUNCH", "launch": {"task_infos": [task]}}],
            "filters": {"refuse_seconds": 0.1}})
        if code != 202:
            fail(f"ACCEPT answered {code}: {text}")
        return offer["agent_id"]["value"]

    def states(self, task_id):
        return [s["state"] for s in self.updates.get(task_id, [])]

    def wait_state(self, task_id, state):
        terminal = {"TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_LOST", "TASK_ERROR",
                    "TASK_DROPPED", "TASK_GONE"}
        self.pump(lambda: state in self.states(task_id) or
                  (state not in terminal and terminal & set(self.states(task_id))) or
                  (state in terminal and terminal & set(self.states(task_id))),
                  f"{task_id} {state}")
        if state not in self.states(task_id):
            fail(f"{task_id} ended without {state}: {self.updates[task_id]}")
        return [s for s in self.updates[task_id] if s["state"] == state][-1]

    def kill(self, task_id, agent_id):
        code, text = self.client.typed("KILL", "kill", {"task_id": {"value": task_id},
                                                        "agent_id": {"value": agent_id}})
        if code != 202:
            fail(f"KILL answered {code}: {text}")


def executor_of(agent_port, task_id):
    _, state = get_json(agent_port, "/state")
    for fw in state["frameworks"]:
        for e in fw["executors"]:
            if any(t["id"] == task_id for t in e["tasks"]):
                return e
    return None


def start_agent(atoll, master_port, agent_port, work):
    return subprocess.Popen(
        [atoll, "agent", "--master", f"127.0.0.1:{master_port}", "--port", str(agent_port),
         "--work-dir", work, "--resources", "cpus:4;mem:2048;disk:1024;ports:[31000-31100]",
         "--attributes", "rack:r1;zone:a", "--hostname", "agent-a",
         "--executor-shutdown-grace-period", "3"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def cleanup(work):
    """Kills every process still working under `work` (executors and tasks outlive their
    agent by design) and removes the cgroups they were in."""
    pids, cgroups = [], set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if not os.readlink(f"/proc/{entry}/cwd").startswith(work):
                continue
            with open(f"/proc/{entry}/cgroup") as f:
                for line in f:
                    _, controllers, path = line.rstrip("\n").split(":", 2)
                    if "/atoll/" in path or path.startswith("/atoll"):
                        cgroups.add((controllers, path))
        except OSError:
            continue
        pids.append(int(entry))
    for pid in pids:
        for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
            try:
                kill()
            except OSError:
                pass
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(os.path.exists(f"/proc/{p}/cwd") and
                                              os.path.exists(f"/proc/{p}/exe") for p in pids):
        time.sleep(0.05)
    for controllers, path in sorted(cgroups, key=lambda c: -len(c[1])):
        base = "/sys/fs/cgroup" + ("/" + controllers if controllers else "")
        for d in (base + path, os.path.dirname(base + path)):
            try:
                os.rmdir(d)
            except OSError:
                pass


def master_command(atoll, port, work):
    # Heartbeats every second; three missed make the agent unreachable.
    return [atoll, "master", "--port", str(port), "--work-dir", work + "/master",
            "--allocation-interval", "0.1", "--agent-ping-timeout", "1",
            "--max-agent-ping-timeouts", "3"]


def main():
    atoll = sys.argv[1]
    master_port, agent_port = v1.free_port(), v1.free_port()
    work = tempfile.mkdtemp(prefix="atoll-real-agent-")
    os.chmod(work, 0o755)  # tasks running as another user must reach their sandbox
    master = subprocess.Popen(
        master_command(atoll, master_port, work), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    agent = start_agent(atoll, master_port, agent_port, work + "/agent")
    procs = [master, agent]
    try:
        wait_health(master_port)
        wait_health(agent_port)
        run(atoll, master_port, agent_port, work, procs)
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
            out = p.stdout.read().decode(errors="replace")
            if os.environ.get("ATOLL_TEST_VERBOSE"):
                print(out)
        cleanup(work)
    print("1 passed, 0 failed")


def post_agent_api(master_port, body, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", master_port, timeout=10)
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    conn.request("POST", "/api/v1/agent", body=body, headers=h)
    resp = conn.getresponse()
    return resp.status, resp.read().decode()


def agent_registration(atoll, master_port, agent_port, work):
    """What agents advertise, and the agent endpoint's refusals."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        _, state = get_json(master_port, "/master/state")
        if state["slaves"]:
            break
        time.sleep(0.05)
    a = state["slaves"][0]
    check(a["hostname"] == "agent-a" and a["resources"]["cpus"] == 4 and
          a["resources"]["mem"] == 2048 and a["resources"]["ports"] == "[31000-31100]",
          f"the agent advertises --hostname and --resources ({a['resources']})")
    check(a["attributes"] == {"rack": "r1", "zone": "a"},
          f"the agent advertises --attributes ({a['attributes']})")

    # A second agent given only cpus: the rest is detected from the machine.
    port_b = v1.free_port()
    b = subprocess.Popen(
        [atoll, "agent", "--master", f"127.0.0.1:{master_port}", "--port", str(port_b),
         "--work-dir", work + "/agent-b", "--resources", "cpus:7", "--hostname", "agent-b"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        found = None
        while found is None and time.monotonic() < deadline:
            _, state = get_json(master_port, "/master/state")
            found = next((x for x in state["slaves"] if x["hostname"] == "agent-b"), None)
            time.sleep(0.05)
        check(found is not None and found["resources"]["cpus"] == 7 and
              found["resources"]["mem"] > 0 and found["resources"]["disk"] > 0 and
              found["resources"]["ports"] == "[31000-32000]",
              f"--resources overrides detection item by item ({found and found['resources']})")
    finally:
        b.send_signal(signal.SIGTERM)
        b.wait(timeout=10)

    code, _ = post_agent_api(master_port, "{oops")
    check(code == 400, "POST /api/v1/agent with malformed JSON is 400")
    code, text = post_agent_api(master_port, '{"type":"HEARTBEAT"}')
    check(code == 400 and "Atoll-Agent-Stream-Id" in text,
          "an agent message without its stream id is 400")
    code, _ = post_agent_api(master_port, '{"type":"HEARTBEAT"}',
                             {"Atoll-Agent-Stream-Id": "no-such-stream"})
    check(code == 400, "an agent message naming an unknown stream is 400")


def agent_endpoints(agent_port):
    code, _ = get_json(agent_port, "/health")
    check(code == 200, "the agent answers /health")
    code, snap = get_json(agent_port, "/metrics/snapshot")
    check(code == 200 and snap["slave/registered"] == 1 and snap["slave/tasks_running"] >= 1,
          f"/metrics/snapshot counts registration and running tasks ({snap})")
    conn = http.client.HTTPConnection("127.0.0.1", agent_port, timeout=10)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    check("atoll_agent_tasks_running" in text and "# TYPE" in text,
          "/metrics is the Prometheus text format")


def run(atoll, master_port, agent_port, work, procs):
    agent_registration(atoll, master_port, agent_port, work)
    fw = Framework(master_port)
    fw.hostname = "agent-a"  # not the stopped agent-b

    # Exit codes.
    agent_id = fw.launch("exit-3", "echo hello from $MESOS_TASK_ID; exit 3")
    failed = fw.wait_state("exit-3", "TASK_FAILED")
    check(fw.states("exit-3")[:2] == ["TASK_STARTING", "TASK_RUNNING"],
          "a command task goes STARTING, RUNNING")
    check("exited with status 3" in failed.get("message", ""),
          f"exit 3 is TASK_FAILED with the status in the message ({failed.get('message')})")
    fw.launch("exit-0", "true")
    fw.wait_state("exit-0", "TASK_FINISHED")
    check(True, "exit 0 is TASK_FINISHED")

    # A long task: its sandbox, environment and files API.
    fw.launch("long", "echo $MESOS_TASK_ID > id.txt; echo $MESOS_SANDBOX >> id.txt; sleep 600")
    fw.wait_state("long", "TASK_RUNNING")
    executor = executor_of(agent_port, "long")
    check(executor is not None and executor["directory"], "/state shows the task's executor")
    sandbox = executor["directory"]
    deadline = time.monotonic() + 10
    while not os.path.exists(sandbox + "/id.txt") and time.monotonic() < deadline:
        time.sleep(0.05)
    code, data = get_json(agent_port, "/files/read?path=" + urllib.parse.quote(
        sandbox + "/id.txt") + "&offset=0&length=4096")
    check(code == 200 and data["data"].split("\n")[0] == "long",
          "MESOS_TASK_ID is set and /files/read serves the sandbox")
    check(data["data"].split("\n")[1] == sandbox, "MESOS_SANDBOX is the sandbox")
    agent_endpoints(agent_port)
    code, _ = get_json(agent_port, "/files/read?path=" + urllib.parse.quote(
        sandbox + "/../../../../../../../../etc/passwd") + "&offset=0&length=100")
    check(code in (400, 403, 404), f"the files API refuses '..' ({code})")

    # Kill with a grace period: the task traps SIGTERM and says so.
    fw.launch("trap", "trap 'echo got TERM; exit 0' TERM; while true; do sleep 0.1; done",
              extra={"kill_policy": {"grace_period": {"nanoseconds": 5_000_000_000}}})
    fw.wait_state("trap", "TASK_RUNNING")
    time.sleep(0.3)  # let the shell install its trap
    fw.kill("trap", agent_id)
    fw.wait_state("trap", "TASK_KILLED")
    check("TASK_KILLING" in fw.states("trap"), "TASK_KILLING comes first with the capability")
    trap_dir = executor_of(agent_port, "long")["directory"].rsplit("/executors/", 1)[0]
    with open(f"{trap_dir}/executors/trap/runs/latest/stdout") as f:
        check("got TERM" in f.read(), "the task saw SIGTERM before being killed")

    # Another user (CommandInfo.user), when the agent runs as root.
    if os.geteuid() == 0:
        fw.launch("as-nobody", "id -un > whoami; echo ok > written",
                  extra={"command": {"value": "id -un > whoami", "user": "nobody"}})
        fw.wait_state("as-nobody", "TASK_FINISHED")
        nobody_dir = sandbox.rsplit("/executors/", 1)[0] + "/executors/as-nobody/runs/latest"
        with open(nobody_dir + "/whoami") as f:
            check(f.read().strip() == "nobody", "CommandInfo.user runs the task as that user")
        fw.launch("as-ghost", "true",
                  extra={"command": {"value": "true", "user": "no-such-user-atoll"}})
        status = fw.wait_state("as-ghost", "TASK_FAILED")
        check("no-such-user-atoll" in status.get("message", ""),
              f"an unknown user fails the launch with a clear reason ({status.get('message')})")

    # A fetch failure.
    fw.launch("fetch-fail", "true",
              extra={"command": {"value": "true", "uris": [{"value": "/no/such/file.tgz"}]}})
    status = fw.wait_state("fetch-fail", "TASK_FAILED")
    check("Failed to fetch" in status.get("message", ""),
          f"a fetch failure fails the task with the reason ({status.get('message')})")

    # The executor killed with SIGKILL.
    fw.launch("victim", "sleep 600")
    fw.wait_state("victim", "TASK_RUNNING")
    pid = executor_of(agent_port, "victim")["pid"]
    os.kill(pid, signal.SIGKILL)
    status = fw.wait_state("victim", "TASK_FAILED")
    check(status.get("reason") == "REASON_EXECUTOR_TERMINATED",
          f"a killed executor fails its task with REASON_EXECUTOR_TERMINATED ({status})")

    # Over the memory limit (needs cgroups).
    _, state = get_json(agent_port, "/state")
    if "disabled" not in state.get("isolation", "disabled"):
        fw.launch("hog", "python3 -c 'b = bytearray(400 << 20); import time; time.sleep(60)'",
                  mem=64.0)
        status = fw.wait_state("hog", "TASK_FAILED")
        check(status.get("reason") == "REASON_CONTAINER_LIMITATION_MEMORY",
              f"a task over its memory limit fails with REASON_CONTAINER_LIMITATION_MEMORY "
              f"({status.get('reason')})")
    else:
        print("skip: memory limit (isolation:", state.get("isolation"), ")")

    # kill -9 of the agent; the task keeps running; a restart recovers it. A task that ends
    # while the agent is down has its update delivered after the restart.
    fw.launch("brief", "sleep 2")
    fw.wait_state("brief", "TASK_RUNNING")
    long_pid = executor_of(agent_port, "long")["pid"]
    agent = procs[1]
    agent.kill()
    agent.wait()
    os.kill(long_pid, 0)  # still alive
    check(True, "the executor survives the agent's SIGKILL")
    time.sleep(2.5)  # "brief" ends while its agent is down
    procs[1] = start_agent(atoll, master_port, agent_port, work + "/agent")
    wait_health(agent_port)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        e = executor_of(agent_port, "long")
        if e is not None and e.get("subscribed"):
            break
        time.sleep(0.1)
    check(e is not None and e["pid"] == long_pid,
          "the restarted agent re-attaches the running executor")
    check(fw.reconcile("long")["state"] == "TASK_RUNNING",
          "after the agent restart the task is still RUNNING")
    fw.wait_state("brief", "TASK_FINISHED")
    check(fw.states("brief").count("TASK_FINISHED") >= 1,
          "an update produced while the agent was down is delivered after its restart")

    # The agent stops answering (SIGSTOP): unreachable, then back.
    agent = procs[1]
    agent.send_signal(signal.SIGSTOP)
    status = fw.wait_state("long", "TASK_UNREACHABLE")
    check(status.get("reason") == "REASON_AGENT_REMOVED",
          "a silent agent's task becomes TASK_UNREACHABLE (partition-aware framework)")
    agent.send_signal(signal.SIGCONT)
    fw.pump(lambda: fw.states("long")[-1] == "TASK_RUNNING", "the task restated RUNNING")
    check(fw.updates["long"][-1].get("reason") == "REASON_AGENT_REREGISTERED",
          "when the agent is back its task is restated RUNNING (REASON_AGENT_REREGISTERED)")

    # The master is killed and restarted: the agent re-registers with its task.
    master = procs[0]
    master.kill()
    master.wait()
    procs[0] = subprocess.Popen(master_command(atoll, master_port, work),
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    wait_health(master_port)
    fw.resubscribe(master_port)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        _, state = get_json(master_port, "/master/state")
        if any(t["id"] == "long" for f in state["frameworks"] for t in f["tasks"]):
            break
        time.sleep(0.1)
    check(fw.reconcile("long")["state"] == "TASK_RUNNING",
          "after a master restart the agent re-registers and the task is RUNNING")
    fw.kill("long", agent_id)
    fw.wait_state("long", "TASK_KILLED")
    check(True, "the recovered task can be killed")


if __name__ == "__main__":
    main()
