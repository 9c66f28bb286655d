#!/usr/bin/env python3
"""Architecture check (DESIGN.md §2, §3): arrows point down only, third-party types stay at the
edges, and logic code never reads real time or unseeded randomness.

Prints every violation as `file:line: message` and exits 1 if there is any."""
import os
import re
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# folder -> project folders it may include (besides itself).
ALLOWED = {
    "core/base": set(),
    "core/model": {"core/base"},
    "core/api": {"core/base", "core/model"},
    "core/allocator": {"core/base", "core/model"},
    "core/master": {"core/base", "core/model", "core/api", "core/allocator"},
    "core/agent": {"core/base", "core/model", "core/api"},
    "core/executor": {"core/base", "core/model", "core/api"},
    "core/io": {"core/base", "core/model", "core/api", "core/allocator", "core/master", "core/agent",
                "core/executor"},
    "core/cmd": None,  # composition root: anything
    "constraints": {"core/base", "core/model"},
    "healthchecks": {"core/base", "core/model"},
    "marathonlike": {"core/base", "core/model", "core/api", "constraints", "healthchecks"},
}
# Third-party headers and the folders allowed to see them.
EDGES = {
    "boost/": ("core/io",),
    "rapidjson/": ("core/api",),
    "sqlite3.h": ("core/io",),
    "zookeeper": ("core/io",),
    "spdlog/": ("core/io", "core/cmd"),
    "CLI/": ("core/cmd",),
    "yaml-cpp/": ("dsl",),
}
LOGIC = ["core/base", "core/model", "core/api", "core/allocator", "core/master", "core/agent",
         "core/executor", "constraints", "healthchecks", "marathonlike", "dsl", "discovery"]
REAL_TIME = re.compile(r"system_clock::now|steady_clock::now|sleep_for|usleep\(|std::rand\(|random_device")
INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]')


def folder_of(rel):
    for f in sorted(ALLOWED, key=len, reverse=True):
        if rel.startswith(f + "/"):
            return f
    top = rel.split("/")[0]
    return top


def main():
    problems = []
    for dirpath, _, files in os.walk(ROOT):
        rel_dir = os.path.relpath(dirpath, ROOT)
        if rel_dir.startswith(("build", ".git", "tests", "bench", "examples")):
            continue
        for name in files:
            if not name.endswith((".h", ".cc")):
                continue
            rel = os.path.join(rel_dir, name)
            folder = folder_of(rel)
            allowed = ALLOWED.get(folder, set())
            with open(os.path.join(ROOT, rel), encoding="utf-8", errors="replace") as fh:
                for lineno, line in enumerate(fh, 1):
                    m = INCLUDE.match(line)
                    if m:
                        inc = m.group(1)
                        project = inc.split("/")[0] in ("core", "constraints", "healthchecks",
                                                         "marathonlike", "dsl", "discovery", "ui")
                        if project and allowed is not None:
                            target = folder_of(inc)
                            if target != folder and target not in allowed and inc not in allowed:
                                problems.append(f"{rel}:{lineno}: {folder} must not include {inc}")
                        for prefix, owners in EDGES.items():
                            if inc.startswith(prefix) and not folder.startswith(owners):
                                problems.append(f"{rel}:{lineno}: {inc} belongs at the edges "
                                                f"({', '.join(owners)}), not in {folder}")
                    if folder in LOGIC and REAL_TIME.search(line) and not line.lstrip().startswith("//"):
                        problems.append(f"{rel}:{lineno}: real time or unseeded randomness in logic code")
    for p in problems:
        print(p)
    print(f"architecture check: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
