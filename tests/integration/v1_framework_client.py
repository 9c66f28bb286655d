#!/usr/bin/env python3
"""A v1 framework written from reference/mesos.md alone, in Python's standard library, driving a
real `atoll master` process over HTTP: subscribe, offers, decline with a filter, accept/launch on
simulated agents, updates and acknowledgements, reconcile, kill, revive, teardown, and the error
codes of bad calls. It shares no code with Atoll's own codecs, so a bug mirrored on both sides of
our C++ JSON would still be caught here.

Usage: v1_framework_client.py PATH/TO/atoll
"""
import base64
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

DEADLINE = time.monotonic() + 60


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)
    print("ok:", msg)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stream:
    """The SUBSCRIBE response: a chunked body of RecordIO records."""

    def __init__(self, port, body):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        self.conn.request("POST", "/api/v1/scheduler", body=json.dumps(body),
                          headers={"Content-Type": "application/json",
                                   "Accept": "application/json"})
        self.resp = self.conn.getresponse()
        self.status = self.resp.status
        self.stream_id = self.resp.getheader("Mesos-Stream-Id")
        self.chunked = self.resp.getheader("Transfer-Encoding")

    def next_event(self):
        digits = b""
        while True:
            c = self.resp.read(1)
            if not c:
                return None
            if c == b"\n":
                break
            if not c.isdigit():
                fail(f"RecordIO length has a non-digit: {digits + c!r}")
            digits += c
        payload = self.resp.read(int(digits))
        if b"\n" in payload:
            fail("a newline inside a RecordIO record")
        return json.loads(payload)

    def wait_for(self, predicate, what):
        while time.monotonic() < DEADLINE:
            event = self.next_event()
            if event is None:
                fail(f"stream ended while waiting for {what}")
            if predicate(event):
                return event
        fail(f"timed out waiting for {what}")


class Client:
    def __init__(self, port):
        self.port = port
        self.framework_id = None
        self.stream_id = None

    def call(self, body, headers=None, content_type="application/json", with_stream_id=True):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        h = {"Content-Type": content_type} if content_type else {}
        if self.stream_id and with_stream_id:
            h["Mesos-Stream-Id"] = self.stream_id
        h.update(headers or {})
        conn.request("POST", "/api/v1/scheduler", body=json.dumps(body) if isinstance(body, dict) else body,
                     headers=h)
        resp = conn.getresponse()
        text = resp.read().decode()
        conn.close()
        return resp.status, text

    def typed(self, type_, key=None, payload=None):
        body = {"type": type_, "framework_id": {"value": self.framework_id}}
        if key:
            body[key] = payload
        return self.call(body)


def bad_flags(atoll):
    """Bad flags are refused with a message and a non-zero exit, before anything starts."""
    for args, needle in ((["--port", "70000"], "70000"),
                         (["--allocation-interval", "0"], "--allocation-interval"),
                         (["--weights", "web=-1"], "--weights"),
                         (["--roles", "bad role"], "role")):
        r = subprocess.run([atoll, "master", "--work-dir", tempfile.mkdtemp()] + args,
                           capture_output=True, text=True, timeout=10)
        check(r.returncode != 0 and needle in (r.stdout + r.stderr),
              f"atoll master {' '.join(args)} is refused")


def main():
    atoll = sys.argv[1]
    bad_flags(atoll)
    port = free_port()
    work = tempfile.mkdtemp(prefix="atoll-v1-")
    # Port and work dir come from ATOLL_* variables: every flag can be set that way.
    env = dict(os.environ, ATOLL_PORT=str(port), ATOLL_WORK_DIR=work)
    master = subprocess.Popen(
        [atoll, "master", "--simulated-agents", "2",
         "--simulated-agent-resources", "cpus:2;mem:1024;ports:[31000-31009]",
         "--simulated-running-delay", "0.05", "--seed", "11"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    try:
        run(port)
    finally:
        master.send_signal(signal.SIGTERM)
        try:
            code = master.wait(timeout=10)
        except subprocess.TimeoutExpired:
            master.kill()
            fail("the master did not stop on SIGTERM")
        out = master.stdout.read().decode()
        if code != 0:
            print(out)
            fail(f"the master exited with {code}")
    check(True, "the master stopped cleanly on SIGTERM")
    print("1 passed, 0 failed")


def run(port):
    while time.monotonic() < DEADLINE:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                break
        except OSError:
            time.sleep(0.05)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", "/version")
    version = json.loads(conn.getresponse().read())
    check(version["version"] == "1.11.0", "GET /version answers like Mesos 1.11")

    info = {"user": "root", "name": "py-v1", "failover_timeout": 60.0,
            "capabilities": [{"type": "MULTI_ROLE"}, {"type": "PARTITION_AWARE"}],
            "roles": ["*"]}
    stream = Stream(port, {"type": "SUBSCRIBE", "subscribe": {"framework_info": info}})
    check(stream.status == 200, "SUBSCRIBE answers 200")
    check(stream.chunked == "chunked", "the event stream is chunked")
    check(stream.stream_id and len(stream.stream_id) == 36, "Mesos-Stream-Id is a UUID")
    first = stream.next_event()
    check(first["type"] == "SUBSCRIBED", "the first event is SUBSCRIBED")
    check(first["subscribed"]["heartbeat_interval_seconds"] == 15.0, "heartbeat interval is 15 s")
    client = Client(port)
    client.framework_id = first["subscribed"]["framework_id"]["value"]
    client.stream_id = stream.stream_id

    offers_event = stream.wait_for(lambda e: e["type"] == "OFFERS", "OFFERS")
    offers = offers_event["offers"]["offers"]
    check(len(offers) == 2, "one offer per simulated agent")
    resources = {r["name"]: r for r in offers[0]["resources"]}
    check(resources["cpus"]["scalar"]["value"] == 2.0 and resources["cpus"]["role"] == "*",
          "unreserved scalars carry role '*' and {value}")
    check(resources["ports"]["ranges"]["range"] == [{"begin": 31000, "end": 31009}],
          "ports are RANGES")

    # Bad calls.
    status, _ = client.call({"type": "REVIVE", "framework_id": {"value": client.framework_id}},
                            with_stream_id=False)
    check(status == 400, "a call without a stream id is 400")
    status, _ = client.call({"type": "REVIVE", "framework_id": {"value": client.framework_id}},
                            headers={"Mesos-Stream-Id": "0b1f6c64-7e3a-4c2e-9d55-3f1c2b8a9e10"})
    check(status == 400, "a call with another stream's id is 400")
    status, _ = client.call({"type": "DANCE", "framework_id": {"value": client.framework_id}})
    check(status == 400, "an unknown call type is 400")
    status, _ = client.call("{oops")
    check(status == 400, "malformed JSON is 400")
    status, _ = client.call({"type": "REVIVE"}, content_type="text/plain")
    check(status == 415, "a non-JSON content type is 415")

    # Decline the first agent for an hour; launch two tasks on the second.
    declined, used = offers[0], offers[1]
    status, _ = client.typed("DECLINE", "decline", {"offer_ids": [declined["id"]],
                                                     "filters": {"refuse_seconds": 3600.0}})
    check(status == 202, "DECLINE is 202")
    tasks = []
    for i, port_number in enumerate((31000, 31001)):
        tasks.append({
            "name": f"py-{i}", "task_id": {"value": f"py-{i}"}, "agent_id": used["agent_id"],
            "resources": [
                {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.5}, "role": "*",
                 "allocation_info": {"role": "*"}},
                {"name": "mem", "type": "SCALAR", "scalar": {"value": 64.0}, "role": "*",
                 "allocation_info": {"role": "*"}},
                {"name": "ports", "type": "RANGES", "role": "*", "allocation_info": {"role": "*"},
                 "ranges": {"range": [{"begin": port_number, "end": port_number}]}}],
            "command": {"shell": True, "value": "sleep 1000"}})
    status, _ = client.typed("ACCEPT", "accept", {
        "offer_ids": [used["id"]],
        "operations": [{"type": "LAUNCH", "launch": {"task_infos": tasks}}],
        "filters": {"refuse_seconds": 1.0}})
    check(status == 202, "ACCEPT with LAUNCH is 202")

    running = set()
    while len(running) < 2:
        e = stream.wait_for(lambda e: e["type"] == "UPDATE", "task updates")
        s = e["update"]["status"]
        check(len(base64.b64decode(s["uuid"])) == 16, f"{s['task_id']['value']} {s['state']} carries a 16-byte uuid")
        st, _ = client.typed("ACKNOWLEDGE", "acknowledge", {
            "agent_id": s["agent_id"], "task_id": s["task_id"], "uuid": s["uuid"]})
        check(st == 202, "ACKNOWLEDGE is 202")
        if s["state"] == "TASK_RUNNING":
            running.add(s["task_id"]["value"])

    status, _ = client.typed("RECONCILE", "reconcile", {"tasks": [
        {"task_id": {"value": "py-0"}, "agent_id": used["agent_id"]},
        {"task_id": {"value": "ghost"}, "agent_id": used["agent_id"]}]})
    check(status == 202, "RECONCILE is 202")
    answers = {}
    while len(answers) < 2:
        e = stream.wait_for(lambda e: e["type"] == "UPDATE", "reconciliation answers")
        s = e["update"]["status"]
        answers[s["task_id"]["value"]] = s
    check(answers["py-0"]["state"] == "TASK_RUNNING" and
          answers["py-0"]["reason"] == "REASON_RECONCILIATION" and "uuid" not in answers["py-0"],
          "explicit reconciliation answers the latest state, without uuid")
    check(answers["ghost"]["state"] == "TASK_GONE", "an unknown task on a live agent is TASK_GONE")

    status, _ = client.typed("KILL", "kill", {"task_id": {"value": "py-1"}, "agent_id": used["agent_id"]})
    check(status == 202, "KILL is 202")
    e = stream.wait_for(lambda e: e["type"] == "UPDATE" and e["update"]["status"]["task_id"]["value"] == "py-1",
                        "TASK_KILLED")
    check(e["update"]["status"]["state"] == "TASK_KILLED", "the killed task reports TASK_KILLED")
    s = e["update"]["status"]
    client.typed("ACKNOWLEDGE", "acknowledge", {"agent_id": s["agent_id"], "task_id": s["task_id"],
                                                 "uuid": s["uuid"]})

    status, _ = client.typed("REVIVE", "revive", {"roles": []})
    check(status == 202, "REVIVE is 202")
    e = stream.wait_for(lambda e: e["type"] == "OFFERS" and any(
        o["agent_id"] == declined["agent_id"] for o in e["offers"]["offers"]), "a re-offer after REVIVE")
    check(True, "REVIVE clears the decline filter")

    status, _ = client.typed("TEARDOWN")
    check(status == 202, "TEARDOWN is 202")
    while stream.next_event() is not None:
        pass
    check(True, "the stream ends after TEARDOWN")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", "/master/state")
    state = json.loads(conn.getresponse().read())
    check(state["frameworks"] == [] and len(state["completed_frameworks"]) == 1,
          "the torn-down framework is completed")


if __name__ == "__main__":
    main()
