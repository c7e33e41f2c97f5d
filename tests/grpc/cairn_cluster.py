"""A `cairnd dev` cluster with its gRPC gateway, for the Python tests of issue 13.

Starts the nodes (all in one process, or one process per node so that one can be killed
with SIGKILL), waits until the gateway answers a FindMissingBlobs (which needs a Raft
leader), and stops everything and removes its directory at the end.
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import grpc

from build.bazel.remote.execution.v2 import remote_execution_pb2 as re_pb2
from build.bazel.remote.execution.v2 import remote_execution_pb2_grpc as re_grpc

EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def port_is_free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def free_base_port(nodes):
    """A base port P whose P+i, P+100+i, P+200+i and P+300+i are free for i in 1..nodes,
    below the kernel's ephemeral range (32768 up), where the nodes' own outgoing
    connections could take one of them before the node that owns it binds it."""
    for k in range(50):
        base = 20000 + (os.getpid() * 7919 + k * 997) % 12000
        ports = [base + off + i for off in (0, 100, 200, 300) for i in range(1, nodes + 1)]
        if all(port_is_free(q) for q in ports):
            return base
    raise RuntimeError("no free block of ports for a dev cluster")


class DevCluster:
    def __init__(self, cairnd, nodes=3, separate=False, log_level="warn", extra=()):
        self.cairnd = cairnd
        self.nodes = nodes
        self.dir = tempfile.mkdtemp(prefix="cairn-grpc-")
        self.base = free_base_port(nodes)
        self.procs = {}
        only = range(1, nodes + 1) if separate else [0]
        for n in only:
            args = [cairnd, "dev", "--nodes", str(nodes), "--port", str(self.base),
                    "--data-dir", self.dir + "/data", "--log-level", log_level, "--grpc",
                    *extra]
            if n:
                args += ["--only", str(n)]
            with open(os.path.join(self.dir, "cairnd-%d.log" % n), "wb") as log:
                self.procs[n] = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        self.channels = []

    def grpc_port(self, node=1):
        return self.base + 300 + node

    def target(self, node=1):
        return "127.0.0.1:%d" % self.grpc_port(node)

    def channel(self, node=1, **options):
        ch = grpc.insecure_channel(self.target(node), options=list(options.items()))
        self.channels.append(ch)
        return ch

    def wait_ready(self, node=1, timeout_s=60):
        """Until the gateway of `node` answers FindMissingBlobs (a leader is elected)."""
        cas = re_grpc.ContentAddressableStorageStub(self.channel(node))
        probe = re_pb2.Digest(hash="ab" * 32, size_bytes=1)
        end = time.monotonic() + timeout_s
        last = None
        while time.monotonic() < end:
            try:
                cas.FindMissingBlobs(re_pb2.FindMissingBlobsRequest(blob_digests=[probe]),
                                     timeout=5)
                return
            except grpc.RpcError as e:
                last = e
            for n, p in self.procs.items():
                if p.poll() is not None:
                    raise RuntimeError("cairnd %d exited: %s" % (n, self.log(n)))
            time.sleep(0.2)
        raise RuntimeError("gateway not ready: %s\n%s" % (last, self.log(1 if 1 in self.procs else 0)))

    def kill(self, node):
        """SIGKILL the process of `node` (a separate cluster only)."""
        p = self.procs.pop(node)
        p.send_signal(signal.SIGKILL)
        p.wait()

    def log(self, n):
        with open(os.path.join(self.dir, "cairnd-%d.log" % n), "rb") as f:
            return f.read().decode(errors="replace")[-4000:]

    def close(self):
        for ch in self.channels:
            ch.close()
        for p in self.procs.values():
            p.send_signal(signal.SIGTERM)
        for p in self.procs.values():
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs = {}
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
