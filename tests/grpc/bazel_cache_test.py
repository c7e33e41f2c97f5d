"""Bazel uses a `cairnd dev --grpc` cluster as its remote cache (issue 13's acceptance).

A genrule workspace whose actions write outputs under and over 4 MiB is built, cleaned and
built again: the second build must take every action from the remote cache. Then the same
with a fresh instance name and one node killed with SIGKILL between the two builds.
Bazel runs offline: its output roots are under the test's directory, the user's rc is ignored,
and nothing it needs for genrules is fetched (docs/grpc.md).

Usage: bazel_cache_test.py CAIRND WORKSPACE_DIR [BAZEL]
"""
import os
import re
import shutil
import stat
import subprocess
import sys

from cairn_cluster import DevCluster

GENRULES = 3  # actions of the workspace (//:small, //:big, //:both)
SIZES = {"small.txt": 41, "big.bin": 6291456, "both.bin": 6291456 + 2 * 41}
# Offline: Debian's system rc (/etc/bazel/bazelrc) must stay, as it names the install
# base under /usr/share/bazel; the user's rc is ignored; the output root (server, caches)
# is the test's own, and an idle server ends by itself should the test be killed.
STARTUP = ["--nohome_rc", "--max_idle_secs=120"]


def bazel(b, root, workspace, *args):
    cmd = [b] + STARTUP + ["--output_user_root=" + root] + list(args)
    p = subprocess.run(cmd, cwd=workspace, capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise AssertionError("%s failed (%d):\n%s" % (" ".join(cmd), p.returncode, p.stderr))
    return p.stderr


def processes(log):
    """{kind: count} from bazel's "INFO: N processes: 1 internal, 3 remote cache hit." line."""
    m = re.search(r"INFO: (\d+) process(?:es)?: ([^\n]*?)\.?\n", log)
    assert m, "no processes line in:\n" + log
    kinds = {}
    for part in m.group(2).split(","):
        n, kind = part.strip().split(" ", 1)
        kinds[kind] = int(n)
    assert sum(kinds.values()) == int(m.group(1)), m.group(0)
    return kinds


def check_outputs(workspace):
    out = os.path.join(workspace, "bazel-bin")
    for name, size in SIZES.items():
        got = os.path.getsize(os.path.join(out, name))
        assert got == size, "%s holds %d bytes, not %d" % (name, got, size)


def build_clean_build(b, root, workspace, port, instance, between=None):
    """Build, clean, (between()), build; the second build must hit the cache for every
    action. A fresh Bazel server per round: a server remembers which blobs it uploaded
    and skips them later, even for another instance name."""
    flags = ["--remote_cache=grpc://127.0.0.1:%d" % port, "--remote_instance_name=" + instance,
             "--remote_timeout=60", "--nosandbox_debug"]
    first = processes(bazel(b, root, workspace, "build", "//:all", *flags))
    assert first.get("remote cache hit", 0) == 0, first
    check_outputs(workspace)
    bazel(b, root, workspace, "clean")
    if between:
        between()
    log = bazel(b, root, workspace, "build", "//:all", *flags)
    second = processes(log)
    hits = second.get("remote cache hit", 0)
    ran = {k: v for k, v in second.items() if k not in ("internal", "remote cache hit")}
    assert hits == GENRULES and not ran, "second build: %s\n%s" % (second, log)
    check_outputs(workspace)
    print("%s: first build %s; after clean %s" % (instance, first, second))


def shutdown(b, root, workspace):
    if os.path.isdir(root):
        subprocess.run([b] + STARTUP + ["--output_user_root=" + root, "shutdown"],
                       cwd=workspace, capture_output=True, timeout=120)


def remove_tree(path):
    # Bazel leaves read-only directories in its output root.
    for d, dirs, _ in os.walk(path):
        for x in dirs:
            p = os.path.join(d, x)
            if not os.path.islink(p):
                os.chmod(p, stat.S_IRWXU)
    shutil.rmtree(path, ignore_errors=True)


def main():
    cairnd, source = sys.argv[1], sys.argv[2]
    b = sys.argv[3] if len(sys.argv) > 3 else shutil.which("bazel") or "/usr/bin/bazel"
    with DevCluster(cairnd, nodes=3, separate=True) as c:
        workspace = os.path.join(c.dir, "workspace")
        roots = [os.path.join(c.dir, "bazel-root-%d" % i) for i in (1, 2)]
        shutil.copytree(source, workspace)
        try:
            c.wait_ready(node=1)
            port = c.grpc_port(1)
            build_clean_build(b, roots[0], workspace, port, "bazel/all-up")
            shutdown(b, roots[0], workspace)
            build_clean_build(b, roots[1], workspace, port, "bazel/one-killed",
                              between=lambda: c.kill(3))
        finally:
            for root in roots:
                shutdown(b, root, workspace)
                remove_tree(root)
    print("ok")


if __name__ == "__main__":
    main()
