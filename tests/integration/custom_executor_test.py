#!/usr/bin/env python3
"""A custom executor on a real agent: examples/executors/echo_executor.py, fetched by the agent
into the sandbox from a URI, speaking the v1 executor API. Two tasks share one ExecutorInfo
(one executor process gets two LAUNCH events); both go RUNNING then FINISHED; the executor's
work (a file of reversed text) is in its sandbox and served by /files/read; a framework
MESSAGE to the executor comes back as a MESSAGE event; the executor's exit once idle reaches
the scheduler as a FAILURE event naming the executor.

Usage: custom_executor_test.py PATH/TO/atoll PATH/TO/echo_executor.py
"""
import base64
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import real_agent_test as ra  # noqa: E402
import v1_framework_client as v1  # noqa: E402

v1.DEADLINE = time.monotonic() + 90
check, fail = v1.check, v1.fail

# Frameworks' own events beyond what ra.Framework.pump keeps (MESSAGE, FAILURE).
seen = []


class Framework(ra.Framework):
    """ra.Framework, keeping the MESSAGE and FAILURE events it would otherwise drop."""

    def __init__(self, port):
        # Not partition aware, no TASK_KILLING: a plain framework; checkpointing like real ones.
        ra.INFO = {"user": "root", "name": "custom-executor-test", "failover_timeout": 3600.0,
                   "checkpoint": True}
        super().__init__(port)
        stream = self.stream
        next_event = stream.next_event

        def recording_next_event():
            event = next_event()
            if event is not None and event["type"] in ("MESSAGE", "FAILURE"):
                seen.append(event)
            return event
        stream.next_event = recording_next_event


def executor_info(script, executor_id="echo"):
    return {"executor_id": {"value": executor_id}, "name": "echo executor",
            "command": {"value": "python3 echo_executor.py", "shell": True,
                        # The agent fetches the script into the sandbox before starting us.
                        "uris": [{"value": script, "executable": False, "extract": False}],
                        # Linger 3 s once idle: time for the MESSAGE round trip below.
                        "environment": {"variables": [
                            {"name": "ECHO_EXECUTOR_IDLE_SECONDS", "value": "3"}]}},
            "resources": [
                {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}, "role": "*"},
                {"name": "mem", "type": "SCALAR", "scalar": {"value": 32.0}, "role": "*"}]}


def task(task_id, agent_id, text, script, delay=None, executor_id="echo"):
    t = {"name": task_id, "task_id": {"value": task_id}, "agent_id": agent_id,
         "resources": [
             {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}, "role": "*"},
             {"name": "mem", "type": "SCALAR", "scalar": {"value": 32.0}, "role": "*"}],
         "executor": executor_info(script, executor_id),
         "data": base64.b64encode(text.encode()).decode()}
    if delay is not None:
        t["labels"] = {"labels": [{"key": "delay_seconds", "value": str(delay)}]}
    return t


def echo_executor(agent_port, executor_id="echo"):
    _, state = ra.get_json(agent_port, "/state")
    for fw in state["frameworks"]:
        for e in fw["executors"]:
            if e["id"] == executor_id:
                return e
    return None


def read_sandbox_file(agent_port, path):
    code, data = ra.get_json(agent_port, "/files/read?path=" + urllib.parse.quote(path) +
                             "&offset=0&length=4096")
    return data["data"] if code == 200 else None


def main():
    atoll, script = sys.argv[1], os.path.abspath(sys.argv[2])
    master_port, agent_port = v1.free_port(), v1.free_port()
    work = tempfile.mkdtemp(prefix="atoll-custom-executor-")
    os.chmod(work, 0o755)
    # The agent is restarted below: give it 15 missed pings (not 3) before it is unreachable.
    command = ra.master_command(atoll, master_port, work)
    command[command.index("--max-agent-ping-timeouts") + 1] = "15"
    master = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    agent = ra.start_agent(atoll, master_port, agent_port, work + "/agent")
    procs = [master, agent]
    executor_pids = []
    try:
        ra.wait_health(master_port)
        ra.wait_health(agent_port)
        fw = Framework(master_port)
        run(fw, agent_port, script, executor_pids)
        run_kill_restart_shutdown(fw, atoll, master_port, agent_port, work, script, procs,
                                  executor_pids)
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            out = p.stdout.read().decode(errors="replace")
            if os.environ.get("ATOLL_TEST_VERBOSE"):
                print(out)
        for pid in executor_pids:
            try:
                os.killpg(pid, signal.SIGKILL)  # the agent spawns it in a session of its own
            except ProcessLookupError:
                pass
        ra.cleanup(work)
    print("1 passed, 0 failed")


def run(fw, agent_port, script, executor_pids):
    fw.pump(lambda: fw.offers, "an offer")
    offer = fw.offers.pop(0)
    agent_id = offer["agent_id"]
    # Two tasks, one ExecutorInfo: the agent starts one executor and sends it two LAUNCHes.
    # "slow" stays RUNNING for 2 s, so the executor is still there for the MESSAGE below.
    tasks = [task("fast", agent_id, "hello executor", script),
             task("slow", agent_id, "stressed desserts", script, delay=2)]
    code, text = fw.client.typed("ACCEPT", "accept", {
        "offer_ids": [offer["id"]],
        "operations": [{"type": "LAUNCH", "launch": {"task_infos": tasks}}],
        "filters": {"refuse_seconds": 3600}})
    check(code == 202, f"ACCEPT of two tasks on one custom executor ({code} {text})")

    fw.wait_state("fast", "TASK_RUNNING")
    fw.wait_state("slow", "TASK_RUNNING")
    check(True, "both tasks are TASK_RUNNING")
    executor = echo_executor(agent_port)
    check(executor is not None and executor.get("directory"), "/state shows the echo executor")
    check(ra.executor_of(agent_port, "slow")["container"] == executor["container"],
          "the two tasks share one executor")
    sandbox = executor["directory"]
    executor_pids.append(executor["pid"])
    for f in ("echo_executor.py", "stderr"):
        check(os.path.exists(os.path.join(sandbox, f)), f"the sandbox has {f}")

    # A framework message round trip while "slow" still runs.
    code, text = fw.client.typed("MESSAGE", "message", {
        "agent_id": agent_id, "executor_id": {"value": "echo"},
        "data": base64.b64encode(b"ping \x00\xff").decode()})
    check(code == 202, f"scheduler MESSAGE is 202 ({code} {text})")
    fw.pump(lambda: any(e["type"] == "MESSAGE" for e in seen), "the echoed MESSAGE")
    message = next(e for e in seen if e["type"] == "MESSAGE")["message"]
    check(base64.b64decode(message["data"]) == b"ping \x00\xff",
          "the executor's MESSAGE carries the same bytes back")
    check(message["executor_id"]["value"] == "echo" and message["agent_id"] == agent_id,
          "the MESSAGE event names the executor and its agent")

    fast = fw.wait_state("fast", "TASK_FINISHED")
    slow = fw.wait_state("slow", "TASK_FINISHED")
    check(fw.states("fast") == ["TASK_RUNNING", "TASK_FINISHED"] and
          fw.states("slow") == ["TASK_RUNNING", "TASK_FINISHED"],
          f"each task goes RUNNING, FINISHED ({fw.states('fast')}, {fw.states('slow')})")
    check("reversed" in fast.get("message", "") and slow.get("source") == "SOURCE_EXECUTOR",
          f"TASK_FINISHED comes from the executor with its message ({fast.get('message')})")
    check(fast.get("executor_id", {}).get("value") == "echo",
          "the update names the executor")

    # The executor's work, read through the agent's files API.
    for task_id, expected in (("fast", "rotucexe olleh"), ("slow", "stressed desserts"[::-1])):
        data = read_sandbox_file(agent_port, f"{sandbox}/reversed-{task_id}.txt")
        check(data is not None and data.strip() == expected,
              f"/files/read serves {task_id}'s reversed text ({data!r})")

    # Idle (no tasks, all acknowledged) for 3 s, the executor exits: FAILURE for the executor.
    fw.pump(lambda: any(e["type"] == "FAILURE" for e in seen), "the executor's FAILURE")
    failure = next(e for e in seen if e["type"] == "FAILURE")["failure"]
    check(failure.get("executor_id", {}).get("value") == "echo" and
          failure.get("agent_id") == agent_id,
          f"FAILURE names the executor and its agent ({failure})")
    check(failure.get("status") == 0, f"FAILURE carries the exit status 0 ({failure})")
    with open(os.path.join(sandbox, "stderr")) as f:
        log = f.read()
    check("subscribed" in log and "exiting" in log,
          "the executor logged its subscription and its exit")


def failure_of(executor_id):
    return [e["failure"] for e in seen if e["type"] == "FAILURE" and
            e["failure"].get("executor_id", {}).get("value") == executor_id]


def run_kill_restart_shutdown(fw, atoll, master_port, agent_port, work, script, procs,
                              executor_pids):
    """A second executor: KILL of one task; an update sent while the agent is down reaches the
    scheduler after the executor re-subscribes; SHUTDOWN kills the rest and ends it."""
    fw.client.typed("REVIVE", "revive", {"roles": []})  # the first offer's refusal filter
    fw.pump(lambda: fw.offers, "an offer")
    offer = fw.offers.pop(0)
    agent_id = offer["agent_id"]
    tasks = [task("later", agent_id, "later", script, delay=2.5, executor_id="echo-2"),
             task("doomed", agent_id, "doomed", script, delay=600, executor_id="echo-2"),
             task("forever", agent_id, "forever", script, delay=600, executor_id="echo-2")]
    code, text = fw.client.typed("ACCEPT", "accept", {
        "offer_ids": [offer["id"]],
        "operations": [{"type": "LAUNCH", "launch": {"task_infos": tasks}}],
        "filters": {"refuse_seconds": 3600}})
    check(code == 202, f"ACCEPT of three tasks on a second executor ({code} {text})")
    for t in ("later", "doomed", "forever"):
        fw.wait_state(t, "TASK_RUNNING")
    executor = echo_executor(agent_port, "echo-2")
    executor_pids.append(executor["pid"])

    fw.kill("doomed", agent_id["value"])
    status = fw.wait_state("doomed", "TASK_KILLED")
    check(status.get("source") == "SOURCE_EXECUTOR",
          f"KILL makes the executor report TASK_KILLED ({status.get('message')})")

    # kill -9 of the agent while "later" runs; it finishes while the agent is down, so its
    # TASK_FINISHED cannot be delivered; the executor keeps it and resends it when it
    # re-subscribes to the restarted agent.
    procs[1].kill()
    procs[1].wait()
    time.sleep(3.5)
    procs[1] = ra.start_agent(atoll, master_port, agent_port, work + "/agent")
    ra.wait_health(agent_port)
    status = fw.wait_state("later", "TASK_FINISHED")
    check(status.get("source") == "SOURCE_EXECUTOR",
          "the update sent while the agent was down arrives after the executor re-subscribes")
    executor = echo_executor(agent_port, "echo-2")
    check(executor is not None and executor.get("subscribed") and
          executor["pid"] == executor_pids[-1],
          "the restarted agent knows the same executor process, subscribed again")

    code, text = fw.client.typed("SHUTDOWN", "shutdown", {"executor_id": {"value": "echo-2"},
                                                          "agent_id": agent_id})
    check(code == 202, f"scheduler SHUTDOWN is 202 ({code} {text})")
    status = fw.wait_state("forever", "TASK_KILLED")
    check(status.get("source") == "SOURCE_EXECUTOR",
          f"SHUTDOWN makes the executor kill its task ({status.get('message')})")
    fw.pump(lambda: failure_of("echo-2"), "the second executor's FAILURE")
    # The restarted agent did not start this process, so it cannot learn its exit status: the
    # FAILURE says -1 ("unknown"), as Mesos does for executors it recovered. Its log says how
    # it ended.
    check(failure_of("echo-2")[0].get("status") == -1,
          f"FAILURE for the re-attached executor, exit status unknown ({failure_of('echo-2')[0]})")
    with open(os.path.join(executor["directory"], "stderr")) as f:
        log = f.read()
    check("SHUTDOWN" in log and "exiting with status 0" in log,
          "the executor left by itself on SHUTDOWN, with status 0")


if __name__ == "__main__":
    main()
