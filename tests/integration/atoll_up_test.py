#!/usr/bin/env python3
"""`atoll up` as the embedded cluster: a master and three local agents in one process, with
distinct hostnames and rack/zone attributes, running real tasks; Ctrl-C stops it cleanly and
kills its tasks; a restart on the same work dir brings the same agents back and reports the
killed tasks.

Usage: atoll_up_test.py PATH/TO/atoll
"""
import glob
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import real_agent_test as ra  # noqa: E402
import v1_framework_client as v1  # noqa: E402

v1.DEADLINE = time.monotonic() + 120
check, fail = v1.check, v1.fail


def start(atoll, port, work, *extra):
    # The embedded scheduler's REST API gets a free port too (its default, 8080, may be taken).
    return subprocess.Popen([atoll, "up", "--work-dir", work, "--master-port", str(port),
                             "--http-port", str(v1.free_port()), "--agents", "3",
                             "--allocation-interval", "0.1", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purposes.
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0] != "Z"


def without_isolation(atoll):
    """Without cgroups Ctrl-C still kills tasks: the agent signals each executor's session, and
    the command executor keeps its task in it."""
    port = v1.free_port()
    work = tempfile.mkdtemp(prefix="atoll-up-none-")
    up = start(atoll, port, work, "--isolation", "none")
    try:
        ra.wait_health(port)
        fw = ra.Framework(port)
        fw.launch("bare", "echo $$ > pid; exec sleep 600")
        fw.wait_state("bare", "TASK_RUNNING")
        pid = None
        deadline = time.monotonic() + 10
        while pid is None and time.monotonic() < deadline:
            for f in glob.glob(work + "/agent-*/slaves/*/frameworks/*/executors/bare/runs/latest/pid"):
                text = open(f).read().strip()
                pid = int(text) if text else None
            time.sleep(0.05)
        check(pid is not None and alive(pid), "a task runs without isolation")
        up.send_signal(signal.SIGINT)
        up.wait(timeout=15)
        deadline = time.monotonic() + 5
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        check(not alive(pid), "without cgroups, Ctrl-C still kills the task")
    finally:
        if up.poll() is None:
            up.kill()
        ra.cleanup(work)


def main():
    atoll = sys.argv[1]
    without_isolation(atoll)
    port = v1.free_port()
    work = tempfile.mkdtemp(prefix="atoll-up-")
    up = start(atoll, port, work)
    try:
        ra.wait_health(port)
        run(atoll, port, work, up)
    finally:
        if up.poll() is None:
            up.kill()
        ra.cleanup(work)
    print("1 passed, 0 failed")


def run(atoll, port, work, up):
    fw = ra.Framework(port)
    fw.pump(lambda: len({o["agent_id"]["value"] for o in fw.offers}) == 3, "offers from 3 agents")
    hosts = sorted(o["hostname"] for o in fw.offers)
    check(hosts == ["agent-0", "agent-1", "agent-2"], f"three agents with distinct hostnames {hosts}")
    racks = {a["text"]["value"] for o in fw.offers for a in o["attributes"] if a["name"] == "rack"}
    check(len(racks) == 3, f"each agent has its own rack attribute {sorted(racks)}")
    cpus = [r["scalar"]["value"] for o in fw.offers for r in o["resources"] if r["name"] == "cpus"]
    check(min(cpus) >= 1.0, "every agent offers at least one cpu")
    agent_ids = sorted({o["agent_id"]["value"] for o in fw.offers})

    for i in range(3):
        fw.launch(f"up-{i}", "echo $$ > pid; exec sleep 600")
    for i in range(3):
        fw.wait_state(f"up-{i}", "TASK_RUNNING")
    used = {s["agent_id"]["value"] for i in range(3) for s in fw.updates[f"up-{i}"]}
    check(len(used) == 3, "the tasks run on the three agents")
    pids = []
    deadline = time.monotonic() + 10
    while len(pids) < 3 and time.monotonic() < deadline:
        files = glob.glob(work + "/agent-*/slaves/*/frameworks/*/executors/up-*/runs/latest/pid")
        pids = [int(open(f).read()) for f in files if open(f).read().strip()]
        time.sleep(0.05)
    check(len(pids) == 3 and all(alive(p) for p in pids), "three task processes run")

    up.send_signal(signal.SIGINT)
    try:
        code = up.wait(timeout=15)
    except subprocess.TimeoutExpired:
        fail("atoll up did not stop on Ctrl-C")
    check(code == 0, f"Ctrl-C stops atoll up cleanly (exit {code})")
    deadline = time.monotonic() + 5
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    check(not any(alive(p) for p in pids), "Ctrl-C kills the cluster's tasks")

    up = start(atoll, port, work)
    try:
        ra.wait_health(port)
        fw.resubscribe(port)
        fw.pump(lambda: all("TASK_KILLED" in fw.states(f"up-{i}") for i in range(3)),
                "the killed tasks reported after the restart")
        check(True, "after the restart the tasks killed by Ctrl-C are reported TASK_KILLED")
        _, state = ra.get_json(port, "/master/state")
        ids = sorted(a["id"] for a in state["slaves"])
        check(ids == agent_ids, "the same three agents come back with their ids")
    finally:
        up.send_signal(signal.SIGINT)
        up.wait(timeout=15)


if __name__ == "__main__":
    main()
