"""cairn.v1.Transfer and its data plane against a 3-node `cairnd dev --grpc`: tokens from
NegotiateBlobs / GetTransportDetails, blobs up and down over framed TCP and shared memory
(with `cairn-dataplane`, and over TCP with the Python client dataplane.py), every refusal
(a reused or expired token, a token for other blobs, the other direction or another
caller), a digest mismatch, and the progress statistics (a transfer watched while half
done). Blobs moved over the data plane are ByteStream's blobs and the other way round.

Usage: transfer_test.py CAIRND CAIRN_DATAPLANE   (PYTHONPATH holds the generated stubs)
"""
import hashlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

import grpc

from build.bazel.remote.execution.v2 import remote_execution_pb2 as re_pb2
from build.bazel.remote.execution.v2 import remote_execution_pb2_grpc as re_grpc
from cairn.v1 import transfer_pb2 as tr_pb2
from cairn.v1 import transfer_pb2_grpc as tr_grpc
from google.bytestream import bytestream_pb2 as bs_pb2
from google.bytestream import bytestream_pb2_grpc as bs_grpc

import dataplane
from cairn_cluster import DevCluster

CAIRND = None
DATAPLANE = None
CLUSTER = None
MiB = 1 << 20
RNG = random.Random(1313)  # pinned: the same blobs every run
UP, DOWN = tr_pb2.UPLOAD, tr_pb2.DOWNLOAD
TCP, SHM = tr_pb2.FRAMED_TCP, tr_pb2.SHARED_MEMORY


def blob(size):
    return RNG.randbytes(size)


def digest_of(data):
    return re_pb2.Digest(hash=hashlib.sha256(data).hexdigest(), size_bytes=len(data))


class Transfer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        ch = CLUSTER.channel(1, **{"grpc.max_receive_message_length": 64 << 20})
        cls.tr = tr_grpc.TransferStub(ch)
        cls.cas = re_grpc.ContentAddressableStorageStub(ch)
        cls.bs = bs_grpc.ByteStreamStub(ch)
        cls.tmp = tempfile.mkdtemp(prefix="cairn-transfer-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def assertCode(self, code, fn, *args):
        with self.assertRaises(grpc.RpcError) as e:
            fn(*args)
        self.assertEqual(e.exception.code(), code, e.exception.details())

    def file_with(self, data):
        path = os.path.join(self.tmp, uuid.uuid4().hex)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def request(self, direction, digests, instance="dp", shm=False, client_id="", ttl_ms=0):
        return tr_pb2.TransportRequest(
            instance_name=instance, direction=direction, blob_digests=digests,
            supported_data_planes=[SHM, TCP] if shm else [TCP], same_host=shm,
            client_id=client_id, ttl_ms=ttl_ms)

    def move(self, verb, details, d, path, shm=False, client_id=None):
        """cairn-dataplane VERB for blob d: (exit code, stdout, stderr)."""
        args = [DATAPLANE, verb, "--address", details.address, "--token", details.token,
                "--hash", d.hash, "--size", str(d.size_bytes), path]
        if client_id:
            args += ["--client-id", client_id]
        if shm:
            args.append("--shm")
        p = subprocess.run(args, capture_output=True, timeout=120)
        return p.returncode, p.stdout.decode().strip(), p.stderr.decode().strip()

    def moved(self, verb, details, d, path, **kw):
        """move() that must succeed; the transfer id."""
        code, out, err = self.move(verb, details, d, path, **kw)
        self.assertEqual(code, 0, err)
        return out

    def refused(self, verb, details, d, path, want, **kw):
        code, _, err = self.move(verb, details, d, path, **kw)
        self.assertEqual(code, 1)
        self.assertTrue(err.startswith(want), err)
        return err

    def missing(self, digests, instance="dp"):
        return list(self.cas.FindMissingBlobs(re_pb2.FindMissingBlobsRequest(
            instance_name=instance, blob_digests=digests)).missing_blob_digests)

    def bytestream_read(self, d, instance="dp"):
        return b"".join(r.data for r in self.bs.Read(bs_pb2.ReadRequest(
            resource_name="%s/blobs/%s/%d" % (instance, d.hash, d.size_bytes))))

    def download(self, d, shm=False, instance="dp"):
        details = self.tr.GetTransportDetails(self.request(DOWN, [d], instance, shm=shm))
        out = os.path.join(self.tmp, uuid.uuid4().hex)
        self.moved("download", details, d, out, shm=shm)
        with open(out, "rb") as f:
            return f.read()

    def round_trip(self, shm):
        small, large = blob(1000), blob(20 * MiB + 7)  # larger than a ring (16 MiB)
        ds, dl = digest_of(small), digest_of(large)
        n = self.tr.NegotiateBlobs(self.request(UP, [ds, dl], shm=shm))
        self.assertEqual(sorted(x.hash for x in n.missing_blob_digests),
                         sorted([ds.hash, dl.hash]))
        t = n.transport
        self.assertEqual(t.data_plane, SHM if shm else TCP)
        self.assertEqual(len(t.token), 32)
        self.assertEqual(t.expires_in_ms, 60000)
        self.assertGreater(t.recommended_concurrency, 0)
        self.assertEqual(len(t.blob_digests), 2)
        for data, d in ((small, ds), (large, dl)):
            self.moved("upload", t, d, self.file_with(data), shm=shm)
        # Stored where ByteStream keeps blobs: nothing left to upload, readable there.
        again = self.tr.NegotiateBlobs(self.request(UP, [ds, dl], shm=shm))
        self.assertEqual(list(again.missing_blob_digests), [])
        self.assertFalse(again.HasField("transport"))
        self.assertEqual(self.missing([ds, dl]), [])
        self.assertEqual(self.bytestream_read(ds), small)
        self.assertEqual(self.bytestream_read(dl), large)
        # Down again over the data plane.
        n = self.tr.NegotiateBlobs(self.request(DOWN, [ds, dl], shm=shm))
        self.assertEqual(list(n.missing_blob_digests), [])
        out = os.path.join(self.tmp, "down")
        for data, d in ((small, ds), (large, dl)):
            self.moved("download", n.transport, d, out, shm=shm)
            with open(out, "rb") as f:
                self.assertEqual(f.read(), data)

    def test_framed_tcp_round_trip(self):
        self.round_trip(shm=False)

    def test_shared_memory_round_trip(self):
        self.round_trip(shm=True)

    def test_the_empty_blob(self):
        d = digest_of(b"")
        n = self.tr.NegotiateBlobs(self.request(UP, [d]))  # always stored
        self.assertEqual(list(n.missing_blob_digests), [])
        self.assertFalse(n.HasField("transport"))
        self.assertEqual(self.download(d), b"")
        self.assertEqual(self.download(d, shm=True), b"")
        t = self.tr.GetTransportDetails(self.request(UP, [d], shm=True))
        self.moved("upload", t, d, self.file_with(b""), shm=True)

    def test_shared_memory_only_when_asked_for(self):
        d = digest_of(blob(10))
        self.assertEqual(self.tr.GetTransportDetails(self.request(UP, [d])).data_plane, TCP)
        req = self.request(UP, [d], shm=True)
        req.same_host = False
        self.assertEqual(self.tr.GetTransportDetails(req).data_plane, TCP)

    def test_bytestream_blob_downloads_over_the_data_plane(self):
        data = blob(3 * MiB + 5)
        d = digest_of(data)
        r = self.bs.Write(iter([bs_pb2.WriteRequest(
            resource_name="dp/uploads/%s/blobs/%s/%d" % (uuid.uuid4(), d.hash, d.size_bytes),
            data=data, finish_write=True)]))
        self.assertEqual(r.committed_size, len(data))
        self.assertEqual(self.download(d), data)
        self.assertEqual(self.download(d, shm=True), data)
        # Instances are apart: the blob is missing for another.
        n = self.tr.NegotiateBlobs(self.request(DOWN, [d], instance="dp-other"))
        self.assertEqual(list(n.missing_blob_digests), [d])
        self.assertFalse(n.HasField("transport"))

    def test_a_token_used_twice_is_refused(self):
        for shm in (False, True):
            data = blob(4096)
            d = digest_of(data)
            t = self.tr.NegotiateBlobs(self.request(UP, [d], shm=shm)).transport
            path = self.file_with(data)
            self.moved("upload", t, d, path, shm=shm)
            self.refused("upload", t, d, path, "PERMISSION_DENIED: the token was used already",
                         shm=shm)
            down = self.tr.NegotiateBlobs(self.request(DOWN, [d], shm=shm)).transport
            out = os.path.join(self.tmp, "twice")
            self.moved("download", down, d, out, shm=shm)
            self.refused("download", down, d, out, "PERMISSION_DENIED: the token was used",
                         shm=shm)

    def test_an_expired_token_is_refused(self):
        data = blob(2048)
        d = digest_of(data)
        t = self.tr.GetTransportDetails(self.request(UP, [d], ttl_ms=1))
        self.assertEqual(t.expires_in_ms, 1)
        time.sleep(0.005)  # past the token's 1 ms
        self.refused("upload", t, d, self.file_with(data), "PERMISSION_DENIED: the token expired")
        self.assertEqual(self.missing([d]), [d])
        # A longer life than the server's is cut to the server's.
        self.assertEqual(self.tr.GetTransportDetails(
            self.request(UP, [d], ttl_ms=10 ** 9)).expires_in_ms, 60000)

    def test_a_token_for_other_blobs_is_refused(self):
        a, b = blob(100), blob(200)
        da, db = digest_of(a), digest_of(b)
        t = self.tr.NegotiateBlobs(self.request(UP, [da])).transport
        self.refused("upload", t, db, self.file_with(b), "PERMISSION_DENIED: the token does not cover")
        self.assertEqual(self.missing([db]), [db])
        # The token is still good for its own blob.
        self.moved("upload", t, da, self.file_with(a))
        # An upload token does not download, a download token does not upload.
        self.refused("download", t, da, os.path.join(self.tmp, "x"),
                     "PERMISSION_DENIED: the token is for uploads")
        down = self.tr.NegotiateBlobs(self.request(DOWN, [da])).transport
        self.refused("upload", down, da, self.file_with(a),
                     "PERMISSION_DENIED: the token is for downloads")

    def test_a_token_is_bound_to_its_caller(self):
        data = blob(300)
        d = digest_of(data)
        t = self.tr.NegotiateBlobs(self.request(UP, [d], client_id="alice")).transport
        path = self.file_with(data)
        self.refused("upload", t, d, path, "PERMISSION_DENIED: the token was issued to another",
                     client_id="bob")
        self.refused("upload", t, d, path, "PERMISSION_DENIED: the token was issued to another")
        self.moved("upload", t, d, path, client_id="alice")

    def test_bytes_not_matching_the_digest_are_not_stored(self):
        for shm in (False, True):
            data = blob(5 * MiB)
            d = digest_of(data)
            t = self.tr.NegotiateBlobs(self.request(UP, [d], shm=shm)).transport
            wrong = bytearray(data)
            wrong[12345] ^= 1
            self.refused("upload", t, d, self.file_with(bytes(wrong)), "INVALID_ARGUMENT:",
                         shm=shm)
            self.assertEqual(self.missing([d]), [d])
            self.assertCode(grpc.StatusCode.NOT_FOUND, lambda: self.bytestream_read(d))

    def test_a_download_of_a_missing_blob(self):
        d = digest_of(blob(64))
        t = self.tr.GetTransportDetails(self.request(DOWN, [d]))
        self.refused("download", t, d, os.path.join(self.tmp, "m"), "NOT_FOUND: no blob")

    def test_bad_requests(self):
        d = digest_of(b"x")
        bad = [
            self.request(UP, []),
            self.request(tr_pb2.DIRECTION_UNSPECIFIED, [d]),
            self.request(UP, [re_pb2.Digest(hash="abc", size_bytes=1)]),
            self.request(UP, [re_pb2.Digest(hash=d.hash, size_bytes=-1)]),
            self.request(UP, [d], instance="bad/blobs"),
            self.request(UP, [d], ttl_ms=-5),
        ]
        for req in bad:
            self.assertCode(grpc.StatusCode.INVALID_ARGUMENT, self.tr.GetTransportDetails, req)
            self.assertCode(grpc.StatusCode.INVALID_ARGUMENT, self.tr.NegotiateBlobs, req)

    def test_progress_and_statistics(self):
        before = self.tr.GetTransferStats(tr_pb2.TransferStatsRequest()).node
        data = blob(2 * MiB)
        d = digest_of(data)
        t = self.tr.NegotiateBlobs(self.request(UP, [d], shm=True)).transport
        up = self.moved("upload", t, d, self.file_with(data), shm=True)
        self.refused("upload", t, d, self.file_with(data), "PERMISSION_DENIED")
        down = self.tr.NegotiateBlobs(self.request(DOWN, [d])).transport
        got = self.moved("download", down, d, os.path.join(self.tmp, "p"))
        stats = self.tr.GetTransferStats(tr_pb2.TransferStatsRequest(transfer_id=up))
        self.assertEqual(len(stats.transfers), 1)
        p = stats.transfers[0]
        self.assertEqual((p.transfer_id, p.direction, p.data_plane), (up, UP, SHM))
        self.assertEqual(p.digest, d)
        self.assertEqual((p.bytes_done, p.bytes_total), (len(data), len(data)))
        self.assertTrue(p.finished)
        self.assertEqual(p.code, 0)
        self.assertEqual(p.time_left_ms, 0)
        if p.elapsed_ms > 0:
            self.assertAlmostEqual(p.bytes_per_second, len(data) * 1000 / p.elapsed_ms,
                                   delta=1)
        p = self.tr.GetTransferStats(tr_pb2.TransferStatsRequest(transfer_id=got)).transfers[0]
        self.assertEqual((p.direction, p.data_plane, p.bytes_done), (DOWN, TCP, len(data)))
        # A failed transfer is listed with its code.
        bad = bytes(len(data))
        t = self.tr.NegotiateBlobs(self.request(UP, [d], instance="dp-bad")).transport
        self.refused("upload", t, d, self.file_with(bad), "INVALID_ARGUMENT")
        latest = self.tr.GetTransferStats(tr_pb2.TransferStatsRequest()).transfers[0]
        self.assertTrue(latest.finished)
        self.assertEqual(latest.code, grpc.StatusCode.INVALID_ARGUMENT.value[0])
        node = self.tr.GetTransferStats(tr_pb2.TransferStatsRequest()).node
        self.assertEqual(node.bytes_uploaded - before.bytes_uploaded, 2 * len(data))
        self.assertEqual(node.bytes_downloaded - before.bytes_downloaded, len(data))
        self.assertEqual(node.transfers_done - before.transfers_done, 2)
        self.assertEqual(node.transfers_failed - before.transfers_failed, 1)
        self.assertEqual(node.tokens_refused - before.tokens_refused, 1)
        self.assertEqual(node.transfers_active, 0)
        self.assertCode(grpc.StatusCode.NOT_FOUND, self.tr.GetTransferStats,
                        tr_pb2.TransferStatsRequest(transfer_id="t999999"))


    def test_the_python_client_and_a_transfer_in_progress(self):
        first, second = blob(256 << 10), blob(1000)
        d1, d2 = digest_of(first), digest_of(second)
        t = self.tr.NegotiateBlobs(self.request(UP, [d1, d2], client_id="py")).transport
        conn = dataplane.Connection(t.address)
        try:
            tid = conn.open(t.token, d1, UP, client_id="py")
            half = 128 << 10
            conn.send(dataplane.DATA, tr_pb2.DataPlaneReply(), first[:half])
            # Until the server has taken the first half (it answers at once; no timing).
            end = time.monotonic() + 30
            while True:
                p = self.tr.GetTransferStats(tr_pb2.TransferStatsRequest(transfer_id=tid))
                if p.transfers[0].bytes_done == half or time.monotonic() > end:
                    break
            p, node = p.transfers[0], p.node
            self.assertEqual((p.bytes_done, p.bytes_total, p.finished), (half, len(first), False))
            self.assertGreaterEqual(node.transfers_active, 1)
            if p.bytes_per_second > 0:
                self.assertGreaterEqual(p.time_left_ms, 0)
            else:
                self.assertEqual(p.time_left_ms, -1)
            watch = self.tr.WatchTransfers(
                tr_pb2.TransferStatsRequest(transfer_id=tid, interval_ms=10))
            seen = [next(watch).transfers[0]]
            self.assertFalse(seen[0].finished)
            conn.send(dataplane.DATA, tr_pb2.DataPlaneReply(), first[half:])
            conn.reply()
            seen += [m.transfers[0] for m in watch]  # ends once the transfer has finished
            self.assertTrue(seen[-1].finished)
            self.assertEqual((seen[-1].code, seen[-1].bytes_done), (0, len(first)))
            done = [x.bytes_done for x in seen]
            self.assertEqual(done, sorted(done))
            # More blobs on the same connection; the token once per blob.
            conn.upload(t.token, d2, second, client_id="py")
            with self.assertRaises(dataplane.Refused) as e:
                conn.upload(t.token, d2, second, client_id="py")
            self.assertEqual(e.exception.code, grpc.StatusCode.PERMISSION_DENIED.value[0])
            down = self.tr.NegotiateBlobs(self.request(DOWN, [d1, d2])).transport
            self.assertEqual(conn.download(down.token, d1), first)
            self.assertEqual(conn.download(down.token, d2), second)
        finally:
            conn.close()
        self.assertEqual(self.bytestream_read(d1), first)
        self.assertCode(grpc.StatusCode.NOT_FOUND, lambda: list(self.tr.WatchTransfers(
            tr_pb2.TransferStatsRequest(transfer_id="t999999"))))
        self.assertCode(grpc.StatusCode.INVALID_ARGUMENT, lambda: list(self.tr.WatchTransfers(
            tr_pb2.TransferStatsRequest(transfer_id=tid, interval_ms=5))))


class ServerTokenLife(unittest.TestCase):
    """A node whose tokens live 1 ms (`--grpc-token-ttl-ms 1`): refused once that passed."""

    def test_tokens_expire_after_the_servers_life(self):
        with DevCluster(CAIRND, nodes=1, extra=["--grpc-token-ttl-ms", "1"]) as c:
            c.wait_ready()
            tr = tr_grpc.TransferStub(c.channel(1))
            data = blob(1000)
            d = digest_of(data)
            t = tr.NegotiateBlobs(tr_pb2.TransportRequest(direction=UP, blob_digests=[d]))
            self.assertEqual(t.transport.expires_in_ms, 1)
            time.sleep(0.005)  # past the token's 1 ms
            path = os.path.join(c.dir, "blob")
            with open(path, "wb") as f:
                f.write(data)
            p = subprocess.run([DATAPLANE, "upload", "--address", t.transport.address,
                                "--token", t.transport.token, "--hash", d.hash,
                                "--size", str(d.size_bytes), path],
                               capture_output=True, timeout=60)
            self.assertEqual(p.returncode, 1)
            self.assertTrue(p.stderr.startswith(b"PERMISSION_DENIED: the token expired"),
                            p.stderr)


if __name__ == "__main__":
    CAIRND = sys.argv.pop(1)
    DATAPLANE = sys.argv.pop(1)
    with DevCluster(CAIRND, nodes=3) as c:
        CLUSTER = c
        c.wait_ready()
        outcome = unittest.main(exit=False, verbosity=2).result
    sys.exit(0 if outcome.wasSuccessful() else 1)
