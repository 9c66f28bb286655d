#!/usr/bin/env python3
"""Marathon placement constraints with real tasks on `atoll up`'s agents.

`atoll up --agents 3` with per-agent attributes (--agent-attributes): agent-0 rack:r1
disk_type:ssd, agent-1 rack:r1 disk_type:hdd, agent-2 rack:r2 disk_type:ssd. Each scenario
creates an app over /v2, checks where its tasks run (and, when an instance cannot be placed,
what /v2/queue says about it), then deletes it:

1. hostname UNIQUE with 4 instances: 3 run on distinct agents; the 4th waits in /v2/queue with
   the constraint that declined its offers, `unplaceable` and (embed=lastUnusedOffers) the
   offers it could not use.
2. rack GROUP_BY 2 with 4 instances: 2 per rack.
3. rack MAX_PER 1 with 3 instances: one per rack, the 3rd waits in the queue.
4. disk_type LIKE ssd: only on the ssd agents.
5. An unknown operator and a bad regular expression answer 422.
Before them: too many --agent-attributes, or an unparsable one, stop `atoll up` with exit 2.

Usage: constraints_test.py PATH/TO/atoll
"""
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import real_agent_test as ra  # noqa: E402
import scheduler_test as st  # noqa: E402
import v1_framework_client as v1  # noqa: E402

v1.DEADLINE = time.monotonic() + 240
check = v1.check
request, get, wait_until = st.request, st.get, st.wait_until

ATTRIBUTES = ["rack:r1;disk_type:ssd", "rack:r1;disk_type:hdd", "rack:r2;disk_type:ssd"]
RACK = {f"agent-{i}": a.split(";")[0].split(":")[1] for i, a in enumerate(ATTRIBUTES)}
DISK = {f"agent-{i}": a.split(";")[1].split(":")[1] for i, a in enumerate(ATTRIBUTES)}
RESOURCES = {"cmd": "exec sleep 3600", "cpus": 0.01, "mem": 16}


def bad_flags(atoll):
    def up(*extra):
        work = tempfile.mkdtemp(prefix="atoll-constraints-flags-")
        try:
            p = subprocess.run([atoll, "up", "--work-dir", work, "--master-port",
                                str(v1.free_port()), "--http-port", str(v1.free_port()), *extra],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
        finally:
            ra.cleanup(work)
        return p.returncode, p.stdout.decode(errors="replace")

    code, out = up("--agents", "1", "--agent-attributes", "rack:r1", "--agent-attributes",
                   "rack:r2")
    check(code == 2 and "--agent-attributes given 2 times" in out,
          f"more --agent-attributes than agents: exit 2 ({code} {out.strip()})")
    code, out = up("--agents", "2", "--agent-attributes", "rack:r1", "--agent-attributes", "rack")
    check(code == 2 and "--agent-attributes of agent-1:" in out,
          f"an unparsable --agent-attributes names its agent: exit 2 ({code} {out.strip()})")


def tasks(port, app_id):
    status, body = get(port, f"/v2/apps{app_id}/tasks")
    return body["tasks"] if status == 200 else None


def running_hosts(port, app_id, n):
    """The hosts of the app's tasks once exactly n tasks exist and all are TASK_RUNNING."""
    ts = tasks(port, app_id)
    if ts is None or len(ts) != n or any(t["state"] != "TASK_RUNNING" for t in ts):
        return None
    return sorted(t["host"] for t in ts)


def queue_item(port, app_id, query=""):
    status, body = get(port, f"/v2/queue{query}")
    if status != 200:
        return None
    items = [q for q in body["queue"] if q["app"]["id"] == app_id]
    return items[0] if items else None


def unfulfilled(item, constraint):
    """The item's unfulfilledConstraints entry for `constraint`, once it declined offers."""
    summary = item["processedOffersSummary"]
    launch = [s for s in summary["rejectSummaryLaunchAttempt"]
              if s["reason"] == "UnfulfilledConstraint"]
    entries = [c for c in summary["unfulfilledConstraints"] if c["constraint"] == constraint]
    if item["count"] != 1 or not launch or launch[0]["declined"] <= 0 or len(entries) != 1:
        return None
    return entries[0] if entries[0]["declined"] > 0 and entries[0].get("lastReason") else None


def create(port, body):
    body = dict(RESOURCES, **body)
    st.create_app(port, body, str(body["constraints"]))


def delete(port, app_id):
    st.delete_app(port, app_id, lambda: queue_item(port, app_id) is None)


def unique(port):
    create(port, {"id": "/unique", "instances": 4, "constraints": [["hostname", "UNIQUE"]]})
    hosts = wait_until(lambda: running_hosts(port, "/unique", 3), "3 running tasks of /unique")
    check(hosts == ["agent-0", "agent-1", "agent-2"], f"UNIQUE: one task per agent ({hosts})")

    def explained():
        item = queue_item(port, "/unique")
        if item is None or "unplaceable" not in item:
            return None
        return item if unfulfilled(item, ["hostname", "UNIQUE"]) else None
    item = wait_until(explained, "/v2/queue explaining the 4th instance of /unique", 60)
    entry = unfulfilled(item, ["hostname", "UNIQUE"])
    check(entry["lastReason"].startswith("UNIQUE hostname: ") and
          entry["lastReason"].endswith(" already runs 1 instance"),
          f"the queue names the constraint that declined the offers ({entry})")
    unplaceable = item["unplaceable"]
    check(unplaceable["knownAgents"] == 3 and
          unplaceable["message"].startswith("No known agent can take another instance"),
          f"and says no known agent can take it ({unplaceable})")

    def with_offers():
        item = queue_item(port, "/unique", "?embed=lastUnusedOffers")
        return item["lastUnusedOffers"] if item and item.get("lastUnusedOffers") else None
    offers = wait_until(with_offers, "lastUnusedOffers of /unique", 60)
    for unused in offers:
        offer = unused["offer"]
        check(all(k in offer for k in ("id", "agentId", "hostname", "resources", "attributes")) and
              "timestamp" in unused, f"an unused offer of {offer.get('hostname')} has its fields")
        check(unused["reason"] == ["UnfulfilledConstraint"] and
              unused["constraintReason"].startswith("UNIQUE hostname: "),
              f"declined for the constraint ({unused['reason']}, {unused['constraintReason']})")
        check(all("name" in r and "role" in r and ("scalar" in r or "ranges" in r or "set" in r)
                  for r in offer["resources"]) and
              {r["name"] for r in offer["resources"]} >= {"cpus", "mem"},
              f"with its resources ({sorted(r['name'] for r in offer['resources'])})")
        rack = [a for a in offer["attributes"] if a["name"] == "rack"]
        check(rack == [{"name": "rack", "text": RACK[offer["hostname"]]}],
              f"and its agent's attributes ({offer['attributes']})")
    check(running_hosts(port, "/unique", 3) == hosts, "the 4th instance is never launched")
    delete(port, "/unique")


def group_by(port):
    create(port, {"id": "/grouped", "instances": 4, "constraints": [["rack", "GROUP_BY", "2"]]})
    hosts = wait_until(lambda: running_hosts(port, "/grouped", 4), "4 running tasks of /grouped")
    racks = sorted(RACK[h] for h in hosts)
    check(racks == ["r1", "r1", "r2", "r2"], f"GROUP_BY rack: 2 per rack ({hosts})")
    delete(port, "/grouped")


def max_per(port):
    create(port, {"id": "/maxper", "instances": 3, "constraints": [["rack", "MAX_PER", "1"]]})
    hosts = wait_until(lambda: running_hosts(port, "/maxper", 2), "2 running tasks of /maxper")
    check(sorted(RACK[h] for h in hosts) == ["r1", "r2"], f"MAX_PER rack 1: one per rack "
          f"({hosts})")

    def explained():
        item = queue_item(port, "/maxper")
        return unfulfilled(item, ["rack", "MAX_PER", "1"]) if item else None
    entry = wait_until(explained, "/v2/queue explaining the 3rd instance of /maxper", 60)
    check(True, f"the 3rd instance waits in the queue for the constraint ({entry})")
    check(running_hosts(port, "/maxper", 2) == hosts, "and is never launched")
    delete(port, "/maxper")


def like(port):
    create(port, {"id": "/ssd", "instances": 2, "constraints": [["disk_type", "LIKE", "ssd"]]})
    hosts = wait_until(lambda: running_hosts(port, "/ssd", 2), "2 running tasks of /ssd")
    check(all(DISK[h] == "ssd" for h in hosts), f"LIKE disk_type ssd: only on ssd agents "
          f"({hosts}, agent-1 is hdd)")
    delete(port, "/ssd")


def invalid(port):
    def refused(constraints, message):
        body = dict(RESOURCES, id="/invalid", instances=1, constraints=constraints)
        status, _, answer = request(port, "POST", "/v2/apps", body)
        details = answer.get("details", []) if isinstance(answer, dict) else []
        ok = status == 422 and answer.get("message") == "Object is not valid" and any(
            d.get("path") == "/constraints(0)" and message in d.get("errors", []) for d in details)
        check(ok, f"{constraints} answers 422 at /constraints(0): {message} ({status} {answer})")
    refused([["hostname", "SOMETIMES"]], "operator must be one of the following UNIQUE, CLUSTER, "
            "GROUP_BY, LIKE, MAX_PER, UNLIKE or IS")
    refused([["rack", "LIKE", "(["]], "'([' is not a valid regular expression")
    check(get(port, "/v2/apps/invalid")[0] == 404, "and neither app is created")


def main():
    atoll = sys.argv[1]
    started = time.monotonic()
    bad_flags(atoll)
    extra = []
    for a in ATTRIBUTES:
        extra += ["--agent-attributes", a]
    with st.atoll_up(atoll, 3, "atoll-constraints-", extra) as up:
        unique(up.http_port)
        group_by(up.http_port)
        max_per(up.http_port)
        like(up.http_port)
        invalid(up.http_port)
        up.stop()
    print(f"6 passed, 0 failed ({time.monotonic() - started:.1f} s)")


if __name__ == "__main__":
    main()
