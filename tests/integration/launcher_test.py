#!/usr/bin/env python3
"""The example framework examples/frameworks/launcher on real agents: `atoll up` (a master and
three local agents), then `launcher --tasks 3 ... --then-kill`. The launcher must exit 0, its
three tasks must really have run (each left a `proof` file in its sandbox under the work dir),
no `sleep 1000` of theirs may be left once it has killed them, and the framework's user is the
user running the launcher (not $USER), as Mesos's C++ driver fills FrameworkInfo.user.

Usage: launcher_test.py PATH/TO/atoll PATH/TO/launcher
"""
import glob
import os
import pwd
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import real_agent_test as ra  # noqa: E402
import v1_framework_client as v1  # noqa: E402

v1.DEADLINE = time.monotonic() + 90
check, fail = v1.check, v1.fail


def task_processes(work):
    """Pids of `sleep 1000` processes whose working directory is a sandbox under `work`."""
    pids = []
    for proc in glob.glob("/proc/[0-9]*"):
        try:
            with open(proc + "/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
            cwd = os.readlink(proc + "/cwd")
            with open(proc + "/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue  # gone meanwhile, or not ours to look at
        if argv[:2] == [b"sleep", b"1000"] and cwd.startswith(work + "/") and state != "Z":
            pids.append(int(proc.rsplit("/", 1)[1]))
    return pids


def main():
    atoll, launcher = sys.argv[1], sys.argv[2]
    port = v1.free_port()
    work = os.path.realpath(tempfile.mkdtemp(prefix="atoll-launcher-"))
    os.chmod(work, 0o755)  # tasks running as another user must reach their sandbox
    up = subprocess.Popen([atoll, "up", "--work-dir", work, "--master-port", str(port),
                           "--http-port", str(v1.free_port())],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        ra.wait_health(port)
        run(launcher, port, work)
    finally:
        if up.poll() is None:
            up.send_signal(signal.SIGTERM)
            try:
                up.wait(timeout=10)
            except subprocess.TimeoutExpired:
                up.kill()
                up.wait()
        out = up.stdout.read().decode(errors="replace")
        if os.environ.get("ATOLL_TEST_VERBOSE"):
            print(out)
        ra.cleanup(work)
        for pid in task_processes(work):  # only if a check above failed
            os.kill(pid, signal.SIGKILL)
    print("1 passed, 0 failed")


def run(launcher, port, work):
    # $USER names someone else: the launcher must not believe it.
    env = dict(os.environ, USER="no-such-user-atoll")
    result = subprocess.run(
        [launcher, "--master", f"127.0.0.1:{port}", "--tasks", "3", "--cpus", "0.1",
         "--mem", "32", "--command", "echo ran > proof; sleep 1000", "--then-kill",
         "--timeout", "60"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, timeout=80)
    output = result.stdout.decode(errors="replace")
    if result.returncode != 0:
        print(output)
    check(result.returncode == 0, f"the launcher exits 0 ({result.returncode})")
    check("all 3 task(s) are running" in output and "all 3 task(s) are killed" in output,
          "the launcher saw its 3 tasks run, then killed them")

    proofs = sorted(glob.glob(work + "/agent-*/slaves/*/frameworks/*/executors/launcher-*/runs/"
                                     "latest/proof"))
    check(len(proofs) == 3, f"each task left its proof in its sandbox ({len(proofs)} found)")
    for proof in proofs:
        with open(proof) as f:
            check(f.read() == "ran\n", f"{proof.split('/executors/')[1]} says 'ran'")

    # TASK_KILLED means the process is gone; allow the reaping a moment.
    deadline = time.monotonic() + 2
    while task_processes(work) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = task_processes(work)
    check(not left, f"no `sleep 1000` of the tasks is left after --then-kill ({left})")

    _, state = ra.get_json(port, "/master/state")
    frameworks = state["frameworks"] + state.get("completed_frameworks", [])
    users = [f.get("user") for f in frameworks if f.get("name") == "launcher"]
    me = pwd.getpwuid(os.getuid()).pw_name
    check(users == [me], f"FrameworkInfo.user is the current user {me!r}, not $USER ({users})")


if __name__ == "__main__":
    main()
