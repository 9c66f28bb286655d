#!/usr/bin/env python3
"""echo_executor: a custom Mesos executor on the v1 executor HTTP API, in Python's standard
library only. A teaching example: it runs trivial "jobs" so that the protocol is the point.

A framework is a scheduler plus (optionally) an executor. The scheduler decides *where* tasks
run; the executor is the process the agent starts on the machine to *run* them. This one:

  * subscribes to its agent (POST /api/v1/executor, SUBSCRIBE) and reads the agent's events
    from the response, an endless stream of RecordIO records (`<length>\\n<json>`);
  * on LAUNCH, runs the task in a thread: it takes the task's `data` (base64; a line of text)
    or, without data, the task's name, writes it reversed into `reversed-<task id>.txt` in the
    sandbox, sends TASK_RUNNING, waits the task's `delay_seconds` label (0 when absent), and
    sends TASK_FINISHED with a message saying what it did;
  * sends every status change as an UPDATE call with a fresh 16-byte uuid, and keeps it until
    the agent's ACKNOWLEDGED event for that uuid (the agent has recorded it); after a lost
    connection it re-subscribes and hands the agent every update still unacknowledged;
  * on KILL, stops that task (TASK_KILLED); on SHUTDOWN, kills every task and exits;
  * on MESSAGE (framework message from the scheduler), sends the same bytes back as a MESSAGE
    call, so a scheduler can test the round trip;
  * exits by itself once it has no task left and every update is acknowledged, after an idle
    time (ECHO_EXECUTOR_IDLE_SECONDS, default 2 s), so the scheduler sees a FAILURE event for
    the executor (with its exit status 0) and the agent frees its resources.

The agent starts it with the environment of reference/mesos.md §2: MESOS_AGENT_ENDPOINT
(ip:port of the agent), MESOS_FRAMEWORK_ID, MESOS_EXECUTOR_ID, MESOS_SANDBOX (its working
directory), MESOS_CHECKPOINT, MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD, MESOS_RECOVERY_TIMEOUT and
MESOS_SUBSCRIPTION_BACKOFF_MAX. See README.md beside it for an ExecutorInfo that uses it.

Threads: one reads the event stream and puts events on a queue; the main thread handles them
(and decides when to exit); each task runs in a thread of its own. Calls to the agent are
separate short HTTP requests and may be made from any thread.
"""
import base64
import http.client
import json
import os
import queue
import re
import sys
import threading
import time
import uuid

# ---------------------------------------------------------------------------------------------
# Configuration: everything comes from the environment the agent sets.


def log(message):
    """Everything the executor says goes to stderr: the `stderr` file of its sandbox."""
    print(time.strftime("%H:%M:%S"), "echo_executor:", message, file=sys.stderr, flush=True)


def parse_duration(text, default):
    """Mesos writes durations like '5secs', '3000ms', '15mins'; returns seconds."""
    units = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "secs": 1.0, "mins": 60.0, "hrs": 3600.0,
             "days": 86400.0, "weeks": 604800.0}
    match = re.fullmatch(r"\s*([0-9.]+)\s*([a-z]+)\s*", text or "")
    if not match or match.group(2) not in units:
        return default
    return float(match.group(1)) * units[match.group(2)]


AGENT = os.environ.get("MESOS_AGENT_ENDPOINT", "")            # "ip:port"
FRAMEWORK_ID = os.environ.get("MESOS_FRAMEWORK_ID", "")
EXECUTOR_ID = os.environ.get("MESOS_EXECUTOR_ID", "")
SANDBOX = os.environ.get("MESOS_SANDBOX") or os.environ.get("MESOS_DIRECTORY") or os.getcwd()
# With checkpointing the agent may restart under us: we then re-subscribe instead of exiting.
CHECKPOINT = os.environ.get("MESOS_CHECKPOINT") == "1"
RECOVERY_TIMEOUT = parse_duration(os.environ.get("MESOS_RECOVERY_TIMEOUT"), 15 * 60.0)
BACKOFF_MAX = parse_duration(os.environ.get("MESOS_SUBSCRIPTION_BACKOFF_MAX"), 2.0)
SHUTDOWN_GRACE = parse_duration(os.environ.get("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD"), 5.0)
# Not a Mesos variable: set it in ExecutorInfo.command.environment to linger longer (or less).
IDLE_SECONDS = float(os.environ.get("ECHO_EXECUTOR_IDLE_SECONDS", "2"))

# ---------------------------------------------------------------------------------------------
# Talking to the agent.


def call(body):
    """POSTs one executor Call to the agent; returns (HTTP status, body text).

    Every call names the executor and its framework at the top level; the agent answers
    202 Accepted (queued) or 400 with the reason."""
    body = dict(body, executor_id={"value": EXECUTOR_ID}, framework_id={"value": FRAMEWORK_ID})
    host, port = AGENT.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request("POST", "/api/v1/executor", body=json.dumps(body),
                     headers={"Content-Type": "application/json",
                              "Accept": "application/json"})
        resp = conn.getresponse()
        return resp.status, resp.read().decode(errors="replace")
    finally:
        conn.close()


def read_record(resp):
    """Reads one RecordIO record: decimal length, '\\n', then exactly that many bytes of JSON.

    HTTP chunks and records are independent; http.client undoes the chunking for us."""
    digits = b""
    while True:
        c = resp.read(1)
        if not c:
            return None  # the agent closed the stream
        if c == b"\n":
            break
        digits += c
    payload = resp.read(int(digits))
    if len(payload) < int(digits):
        return None
    return json.loads(payload)


def subscribe(unacknowledged_tasks, unacknowledged_updates):
    """Opens the event stream. Returns (the HTTP response to read records from, None) or
    (None, why it failed)."""
    host, port = AGENT.rsplit(":", 1)
    # No timeout: the agent may be quiet for a long time (it heartbeats rarely).
    conn = http.client.HTTPConnection(host, int(port))
    body = {"type": "SUBSCRIBE",
            "executor_id": {"value": EXECUTOR_ID}, "framework_id": {"value": FRAMEWORK_ID},
            "subscribe": {"unacknowledged_tasks": unacknowledged_tasks,
                          "unacknowledged_updates": unacknowledged_updates}}
    try:
        conn.request("POST", "/api/v1/executor", body=json.dumps(body),
                     headers={"Content-Type": "application/json",
                              "Accept": "application/json"})
        resp = conn.getresponse()
    except OSError as e:
        return None, str(e)
    if resp.status != 200:
        return None, f"SUBSCRIBE answered {resp.status}: {resp.read().decode(errors='replace')}"
    return resp, None


def read_events(resp, events):
    """The reader thread: every event of one subscription goes on the queue; None at the end."""
    try:
        while True:
            event = read_record(resp)
            events.put(event)
            if event is None:
                return
    except (OSError, ValueError, http.client.HTTPException) as e:
        log(f"the event stream broke: {e}")
        events.put(None)


# ---------------------------------------------------------------------------------------------
# The executor's state: its tasks and the updates the agent has not acknowledged yet.


class Executor:
    def __init__(self):
        self.lock = threading.Lock()
        self.tasks = {}       # task id -> TaskInfo, for tasks not yet in a terminal state
        self.kills = {}       # task id -> threading.Event set when the task must stop
        self.unacked = {}     # base64 uuid -> Update body {"status": ...}, in sending order
        self.acked_tasks = set()  # task ids with at least one acknowledged update
        self.idle_since = time.monotonic()

    # -- status updates --------------------------------------------------------------------

    def update(self, task_id, state, message=None):
        """Sends a TaskStatus for one task. It stays in self.unacked until ACKNOWLEDGED."""
        status = {
            "task_id": {"value": task_id},
            "state": state,
            "source": "SOURCE_EXECUTOR",
            "executor_id": {"value": EXECUTOR_ID},
            # A fresh random 16-byte uuid per update, base64 like every `bytes` field. The
            # agent and the scheduler acknowledge this exact uuid.
            "uuid": base64.b64encode(uuid.uuid4().bytes).decode(),
            "timestamp": time.time(),
        }
        if message:
            status["message"] = message
        with self.lock:
            self.unacked[status["uuid"]] = {"status": status}
            if state in TERMINAL:
                self.tasks.pop(task_id, None)
                self.kills.pop(task_id, None)
        log(f"{task_id}: {state}" + (f" ({message})" if message else ""))
        try:
            code, text = call({"type": "UPDATE", "update": {"status": status}})
            if code != 202:
                log(f"UPDATE of {task_id} answered {code}: {text}")
        except OSError as e:
            # Kept in self.unacked: the next SUBSCRIBE hands it to the agent again.
            log(f"UPDATE of {task_id} not delivered ({e}); it is resent on re-subscription")

    def acknowledged(self, event):
        """ACKNOWLEDGED {task_id, uuid}: the agent has the update; we may forget it."""
        with self.lock:
            self.unacked.pop(event["uuid"], None)
            self.acked_tasks.add(event["task_id"]["value"])

    # -- tasks -----------------------------------------------------------------------------

    def launch(self, task):
        task_id = task["task_id"]["value"]
        with self.lock:
            if task_id in self.tasks:
                log(f"{task_id}: launched twice; ignoring the second LAUNCH")
                return
            self.tasks[task_id] = task
            self.kills[task_id] = kill = threading.Event()
        threading.Thread(target=self.run_task, args=(task, kill), daemon=True).start()

    def run_task(self, task, kill):
        """The "job": reverse a line of text into a file, report RUNNING, wait, report done."""
        task_id = task["task_id"]["value"]
        try:
            text = base64.b64decode(task["data"]).decode() if "data" in task else task["name"]
            # Task ids may hold characters a file name should not: keep it simple and safe.
            name = "reversed-" + re.sub(r"[^A-Za-z0-9_.-]", "_", task_id) + ".txt"
            with open(os.path.join(SANDBOX, name), "w") as f:
                f.write(text.strip()[::-1] + "\n")
            delay = 0.0
            for label in task.get("labels", {}).get("labels", []):
                if label.get("key") == "delay_seconds":
                    delay = float(label.get("value", "0"))
        except (OSError, ValueError, KeyError) as e:
            self.update(task_id, "TASK_FAILED", f"the job failed: {e}")
            return
        self.update(task_id, "TASK_RUNNING")
        # Event.wait returns True as soon as the task is killed, else False after `delay`.
        if kill.wait(delay):
            self.update(task_id, "TASK_KILLED", "killed before it finished")
        else:
            self.update(task_id, "TASK_FINISHED",
                        f"wrote {len(text.strip())} reversed characters to {name}")

    def kill(self, task_id):
        with self.lock:
            kill = self.kills.get(task_id)
        if kill is None:
            # Unknown or already over: its terminal update says so (or already said so).
            log(f"KILL of {task_id}, which is not running here; ignored")
            return
        kill.set()

    def kill_all(self):
        with self.lock:
            kills = list(self.kills.values())
        for kill in kills:
            kill.set()

    # -- re-subscription and exit ----------------------------------------------------------

    def unacknowledged(self):
        """What a re-SUBSCRIBE carries: tasks the agent never acknowledged an update of, and
        every update it has not acknowledged."""
        with self.lock:
            tasks = [t for tid, t in self.tasks.items() if tid not in self.acked_tasks]
            return tasks, list(self.unacked.values())

    def idle_for(self):
        """Seconds since the executor last had a task or an unacknowledged update (0 = busy)."""
        with self.lock:
            if self.tasks or self.unacked:
                self.idle_since = time.monotonic()
                return 0.0
            return time.monotonic() - self.idle_since


TERMINAL = {"TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_ERROR", "TASK_LOST",
            "TASK_DROPPED", "TASK_GONE"}

# ---------------------------------------------------------------------------------------------
# The main loop.


def handle(executor, event):
    """Handles one event from the agent. Returns False when the executor must exit."""
    kind = event.get("type")
    if kind == "SUBSCRIBED":
        sub = event["subscribed"]
        log(f"subscribed: executor {sub['executor_info']['executor_id']['value']} of framework "
            f"{sub['framework_info'].get('name', '?')} on agent "
            f"{sub['agent_info'].get('hostname', '?')}, sandbox {SANDBOX}")
    elif kind == "LAUNCH":
        executor.launch(event["launch"]["task"])
    elif kind == "LAUNCH_GROUP":
        for task in event["launch_group"]["task_group"].get("tasks", []):
            executor.launch(task)
    elif kind == "KILL":
        executor.kill(event["kill"]["task_id"]["value"])
    elif kind == "ACKNOWLEDGED":
        executor.acknowledged(event["acknowledged"])
    elif kind == "MESSAGE":
        # A framework message from the scheduler: bytes (base64 on the wire), best effort.
        # Sending the same base64 string back returns exactly the same bytes.
        data = event["message"]["data"]
        log(f"message from the scheduler: {base64.b64decode(data)!r}; echoing it back")
        try:
            code, text = call({"type": "MESSAGE", "message": {"data": data}})
            if code != 202:
                log(f"MESSAGE answered {code}: {text}")
        except OSError as e:
            log(f"MESSAGE not delivered: {e}")
    elif kind == "SHUTDOWN":
        log("SHUTDOWN: killing every task, then exiting")
        executor.kill_all()
        return False
    elif kind == "ERROR":
        log(f"error from the agent: {event['error'].get('message')}")
    elif kind == "HEARTBEAT":
        pass
    else:
        log(f"ignoring an event of type {kind}")
    return True


def connect(executor, events, first):
    """Subscribes (re-subscribes after a lost stream) and starts the reader thread.

    The first subscription must work at once. Later ones, when the framework checkpoints,
    are retried with a capped exponential backoff for up to MESOS_RECOVERY_TIMEOUT: the agent
    may be restarting and will know us again from its checkpoint."""
    deadline = time.monotonic() + (0 if first or not CHECKPOINT else RECOVERY_TIMEOUT)
    backoff = 0.1
    attempts = 0
    while True:
        tasks, updates = executor.unacknowledged()
        resp, why = subscribe(tasks, updates)
        if resp is not None:
            if updates:
                log(f"subscribed again, handing the agent {len(updates)} unacknowledged "
                    f"update(s)")
            threading.Thread(target=read_events, args=(resp, events), daemon=True).start()
            return True
        if attempts == 0:
            log(f"cannot subscribe: {why}" + ("" if first or not CHECKPOINT else
                                              "; retrying while the agent recovers"))
        attempts += 1
        if time.monotonic() >= deadline:
            log(f"giving up after {attempts} attempt(s): {why}")
            return False
        time.sleep(backoff)
        backoff = min(backoff * 2, BACKOFF_MAX)


def wait_for_acks(executor, events, seconds):
    """After SHUTDOWN: give the terminal updates a moment to be sent and acknowledged (the
    acknowledgements still arrive as events, so keep reading them)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with executor.lock:
            if not executor.tasks and not executor.unacked:
                return
        try:
            event = events.get(timeout=0.05)
        except queue.Empty:
            continue
        if event is None:
            return  # the agent is gone (or has closed the stream): nothing more will come
        if event.get("type") == "ACKNOWLEDGED":
            executor.acknowledged(event["acknowledged"])


def main():
    if not (AGENT and FRAMEWORK_ID and EXECUTOR_ID):
        log("MESOS_AGENT_ENDPOINT, MESOS_FRAMEWORK_ID and MESOS_EXECUTOR_ID must be set: "
            "this program is started by a Mesos (or Atoll) agent")
        return 2
    executor = Executor()
    events = queue.Queue()
    if not connect(executor, events, first=True):
        return 1
    while True:
        try:
            event = events.get(timeout=0.1)
        except queue.Empty:
            # Nothing to do: exit once idle long enough (no task, nothing unacknowledged).
            if executor.idle_for() >= IDLE_SECONDS:
                log(f"no task left and every update acknowledged for {IDLE_SECONDS:g}s; exiting")
                return 0
            continue
        if event is None:
            log("the agent closed the event stream")
            if not CHECKPOINT or not connect(executor, events, first=False):
                # Without checkpointing the agent cannot know us after a restart: give up.
                executor.kill_all()
                return 1
            continue
        if not handle(executor, event):
            # SHUTDOWN: the tasks' threads send TASK_KILLED; wait (part of) the grace period.
            wait_for_acks(executor, events, max(0.5, SHUTDOWN_GRACE - 1.0))
            return 0


if __name__ == "__main__":
    code = main()
    log(f"exiting with status {code}")
    sys.exit(code)
