"""Every RPC of the gRPC gateway against a 3-node `cairnd dev --grpc`, bad input included.

Usage: reapi_test.py CAIRND   (PYTHONPATH holds the generated stubs; ctest sets it)
"""
import hashlib
import random
import sys
import threading
import time
import unittest
import uuid

import grpc

from build.bazel.remote.execution.v2 import remote_execution_pb2 as re_pb2
from build.bazel.remote.execution.v2 import remote_execution_pb2_grpc as re_grpc
from google.bytestream import bytestream_pb2 as bs_pb2
from google.bytestream import bytestream_pb2_grpc as bs_grpc

from cairn_cluster import DevCluster, EMPTY_SHA256

CAIRND = None
CLUSTER = None
MiB = 1 << 20
RNG = random.Random(13)  # pinned: the same blobs every run


def blob(size):
    return RNG.randbytes(size)


def digest_of(data):
    return re_pb2.Digest(hash=hashlib.sha256(data).hexdigest(), size_bytes=len(data))


def write_name(d, instance=""):
    name = "uploads/%s/blobs/%s/%d" % (uuid.uuid4(), d.hash, d.size_bytes)
    return instance + "/" + name if instance else name


def read_name(d, instance=""):
    name = "blobs/%s/%d" % (d.hash, d.size_bytes)
    return instance + "/" + name if instance else name


def pieces(name, data, start=0, piece=64 << 10, finish=True):
    """WriteRequests carrying data[start:], the last with finish_write."""
    offset = start
    while True:
        chunk = data[offset:offset + piece]
        last = offset + len(chunk) >= len(data)
        yield bs_pb2.WriteRequest(resource_name=name if offset == start else "",
                                  write_offset=offset, data=chunk,
                                  finish_write=last and finish)
        offset += len(chunk)
        if last:
            return


class Reapi(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        ch = CLUSTER.channel()
        cls.cas = re_grpc.ContentAddressableStorageStub(ch)
        cls.ac = re_grpc.ActionCacheStub(ch)
        cls.caps = re_grpc.CapabilitiesStub(ch)
        cls.bs = bs_grpc.ByteStreamStub(ch)

    def missing(self, digests, instance=""):
        r = self.cas.FindMissingBlobs(
            re_pb2.FindMissingBlobsRequest(instance_name=instance, blob_digests=digests))
        return [(d.hash, d.size_bytes) for d in r.missing_blob_digests]

    def read(self, d, offset=0, limit=0, instance=""):
        return b"".join(r.data for r in self.bs.Read(bs_pb2.ReadRequest(
            resource_name=read_name(d, instance), read_offset=offset, read_limit=limit)))

    def committed(self, query):
        """The upload's committed size; 0 while the server has not opened it yet."""
        try:
            return self.bs.QueryWriteStatus(query).committed_size
        except grpc.RpcError as e:
            self.assertEqual(e.code(), grpc.StatusCode.NOT_FOUND, e.details())
            return 0

    def assertCode(self, code, fn, *args, **kwargs):
        with self.assertRaises(grpc.RpcError) as e:
            r = fn(*args, **kwargs)
            if hasattr(r, "__iter__") and not isinstance(r, (bytes, list)):
                list(r)
        self.assertEqual(e.exception.code(), code, e.exception.details())
        return e.exception.details()

    def test_capabilities(self):
        c = self.caps.GetCapabilities(re_pb2.GetCapabilitiesRequest(instance_name="ci"))
        cache = c.cache_capabilities
        self.assertEqual(list(cache.digest_functions), [re_pb2.DigestFunction.SHA256])
        self.assertTrue(cache.action_cache_update_capabilities.update_enabled)
        self.assertEqual(cache.max_batch_total_size_bytes, 4 * MiB)
        self.assertEqual((c.low_api_version.major, c.high_api_version.major), (2, 2))
        self.assertFalse(c.execution_capabilities.exec_enabled)

    def test_batch_update_find_read(self):
        small, mid = blob(100), blob(100 << 10)
        ds = [digest_of(small), digest_of(mid)]
        self.assertEqual(len(self.missing(ds, "batch")), 2)
        r = self.cas.BatchUpdateBlobs(re_pb2.BatchUpdateBlobsRequest(
            instance_name="batch",
            requests=[re_pb2.BatchUpdateBlobsRequest.Request(digest=d, data=b)
                      for d, b in zip(ds, [small, mid])]))
        self.assertEqual([x.status.code for x in r.responses], [0, 0])
        self.assertEqual(self.missing(ds, "batch"), [])
        self.assertEqual(len(self.missing(ds, "other")), 2)  # instances are apart
        got = self.cas.BatchReadBlobs(re_pb2.BatchReadBlobsRequest(
            instance_name="batch", digests=ds + [digest_of(b"never stored")]))
        self.assertEqual([x.data for x in got.responses[:2]], [small, mid])
        self.assertEqual(got.responses[2].status.code, grpc.StatusCode.NOT_FOUND.value[0])
        self.assertEqual(self.read(ds[1], instance="batch"), mid)

    def test_batch_blob_not_matching_its_digest_is_refused(self):
        data = blob(1000)
        lie = digest_of(data[:-1] + b"x")
        r = self.cas.BatchUpdateBlobs(re_pb2.BatchUpdateBlobsRequest(requests=[
            re_pb2.BatchUpdateBlobsRequest.Request(digest=lie, data=data)]))
        self.assertEqual(r.responses[0].status.code, grpc.StatusCode.INVALID_ARGUMENT.value[0])
        self.assertIn("nothing was stored", r.responses[0].status.message)
        self.assertEqual(len(self.missing([lie, digest_of(data)])), 2)

    def test_bytestream_large_blob_with_offsets(self):
        data = blob(6 * MiB + 123)  # over 4 MiB: several chunks of the store's ...
        d = digest_of(data)
        self.assertEqual(len(self.missing([d])), 1)
        r = self.bs.Write(pieces(write_name(d), data))
        self.assertEqual(r.committed_size, len(data))
        self.assertEqual(self.missing([d]), [])
        self.assertEqual(self.read(d), data)
        self.assertEqual(self.read(d, offset=5 * MiB, limit=1000), data[5 * MiB:5 * MiB + 1000])
        self.assertEqual(self.read(d, offset=len(data) - 10), data[-10:])
        self.assertEqual(self.read(d, offset=len(data)), b"")
        self.assertCode(grpc.StatusCode.OUT_OF_RANGE, self.read, d, offset=len(data) + 1)
        self.assertCode(grpc.StatusCode.OUT_OF_RANGE, self.read, d, offset=-1)
        self.assertCode(grpc.StatusCode.INVALID_ARGUMENT, self.read, d, limit=-1)
        # A second upload of stored bytes is acknowledged whole.
        self.assertEqual(self.bs.Write(pieces(write_name(d), data)).committed_size, len(data))

    def test_bytestream_missing_and_empty_blobs(self):
        self.assertCode(grpc.StatusCode.NOT_FOUND, self.read, digest_of(b"absent blob"))
        empty = re_pb2.Digest(hash=EMPTY_SHA256, size_bytes=0)
        self.assertEqual(self.read(empty), b"")
        self.assertEqual(self.missing([empty]), [])
        self.assertEqual(self.bs.Write(pieces(write_name(empty), b"")).committed_size, 0)

    def test_bytestream_blob_not_matching_its_digest_is_refused(self):
        data = blob(300 << 10)
        lie = digest_of(blob(300 << 10))
        name = write_name(lie)
        details = self.assertCode(grpc.StatusCode.INVALID_ARGUMENT, self.bs.Write,
                                  pieces(name, data))
        self.assertIn("nothing was stored", details)
        self.assertEqual(len(self.missing([lie, digest_of(data)])), 2)
        self.assertCode(grpc.StatusCode.NOT_FOUND, self.bs.QueryWriteStatus,
                        bs_pb2.QueryWriteStatusRequest(resource_name=name))
        # More bytes than the digest says: refused at once.
        small = digest_of(b"abc")
        self.assertCode(grpc.StatusCode.INVALID_ARGUMENT, self.bs.Write,
                        pieces(write_name(small), b"abcd"))
        self.assertEqual(len(self.missing([small])), 1)

    def test_resumed_upload_after_a_dropped_connection(self):
        data = blob(3 * MiB)
        d = digest_of(data)
        name = write_name(d, "resume")
        half = len(data) // 2
        gate = threading.Event()

        def first_half():
            yield from pieces(name, data[:half], finish=False)
            gate.wait(60)  # the stream stays open until the connection is dropped

        dropped = CLUSTER.channel()
        call = bs_grpc.ByteStreamStub(dropped).Write.future(first_half())
        query = bs_pb2.QueryWriteStatusRequest(resource_name=name)
        end = time.monotonic() + 30
        while self.committed(query) < half:  # until the server holds the first half
            self.assertLess(time.monotonic(), end, "the first half never arrived")
            time.sleep(0.05)
        dropped.close()  # the connection goes away mid-upload
        gate.set()
        self.assertRaises(Exception, call.result)
        status = self.bs.QueryWriteStatus(query)
        self.assertEqual((status.committed_size, status.complete), (half, False))
        for attempt in range(100):  # the server may still be ending the first stream
            try:
                r = self.bs.Write(pieces(name, data, start=status.committed_size))
                break
            except grpc.RpcError as e:
                self.assertEqual(e.code(), grpc.StatusCode.ABORTED, e.details())
                time.sleep(0.05)
        self.assertEqual(r.committed_size, len(data))
        status = self.bs.QueryWriteStatus(query)
        self.assertEqual((status.committed_size, status.complete), (len(data), True))
        self.assertEqual(self.read(d, instance="resume"), data)

    def test_requests_over_the_limits(self):
        data = blob(5 * MiB)
        big = re_pb2.BatchUpdateBlobsRequest(requests=[
            re_pb2.BatchUpdateBlobsRequest.Request(digest=digest_of(data), data=data)])
        self.assertCode(grpc.StatusCode.RESOURCE_EXHAUSTED, self.cas.BatchUpdateBlobs, big)
        self.assertEqual(len(self.missing([digest_of(data)])), 1)
        # Under the message limit but over the batch limit the capabilities announce.
        over = blob(4 * MiB + 1)
        self.assertCode(grpc.StatusCode.INVALID_ARGUMENT, self.cas.BatchUpdateBlobs,
                        re_pb2.BatchUpdateBlobsRequest(requests=[
                            re_pb2.BatchUpdateBlobsRequest.Request(digest=digest_of(over),
                                                                   data=over)]))
        self.assertCode(grpc.StatusCode.INVALID_ARGUMENT, self.cas.BatchReadBlobs,
                        re_pb2.BatchReadBlobsRequest(digests=[digest_of(over)]))
        self.assertEqual(len(self.missing([digest_of(over)])), 1)

    def test_malformed_names(self):
        d = digest_of(b"x")
        for bad in ["nonsense", "blobs/%s" % d.hash, "blobs/%s/-1" % d.hash,
                    "blobs/%s/1" % d.hash.upper(), "a/../b/blobs/%s/1" % d.hash,
                    "compressed-blobs/zstd/%s/1" % d.hash]:
            self.assertCode(grpc.StatusCode.INVALID_ARGUMENT, self.bs.Read,
                            bs_pb2.ReadRequest(resource_name=bad))
        for bad in ["uploads/u/%s/1" % d.hash, "blobs/%s/1" % d.hash, "uploads/u/blobs/zz/1"]:
            self.assertCode(grpc.StatusCode.INVALID_ARGUMENT, self.bs.Write,
                            iter([bs_pb2.WriteRequest(resource_name=bad, data=b"x",
                                                      finish_write=True)]))
            self.assertCode(grpc.StatusCode.INVALID_ARGUMENT, self.bs.QueryWriteStatus,
                            bs_pb2.QueryWriteStatusRequest(resource_name=bad))
        self.assertCode(grpc.StatusCode.INVALID_ARGUMENT, self.cas.FindMissingBlobs,
                        re_pb2.FindMissingBlobsRequest(
                            blob_digests=[re_pb2.Digest(hash="xyz", size_bytes=1)]))
        self.assertCode(grpc.StatusCode.INVALID_ARGUMENT, self.caps.GetCapabilities,
                        re_pb2.GetCapabilitiesRequest(instance_name="blobs"))
        self.assertCode(grpc.StatusCode.INVALID_ARGUMENT, self.ac.GetActionResult,
                        re_pb2.GetActionResultRequest(instance_name="a/.ac", action_digest=d))

    def test_action_cache(self):
        action = digest_of(b"an action")
        get = re_pb2.GetActionResultRequest(instance_name="ac", action_digest=action)
        self.assertCode(grpc.StatusCode.NOT_FOUND, self.ac.GetActionResult, get)
        result = re_pb2.ActionResult(
            exit_code=3, stdout_raw=b"hello\n",
            output_files=[re_pb2.OutputFile(path="out/a", digest=digest_of(b"a"),
                                            is_executable=True)])
        r = self.ac.UpdateActionResult(re_pb2.UpdateActionResultRequest(
            instance_name="ac", action_digest=action, action_result=result))
        self.assertEqual(r, result)
        # Not served while an output it names is not stored.
        self.assertCode(grpc.StatusCode.NOT_FOUND, self.ac.GetActionResult, get)
        self.cas.BatchUpdateBlobs(re_pb2.BatchUpdateBlobsRequest(instance_name="ac", requests=[
            re_pb2.BatchUpdateBlobsRequest.Request(digest=digest_of(b"a"), data=b"a")]))
        self.assertEqual(self.ac.GetActionResult(get), result)
        self.assertCode(grpc.StatusCode.NOT_FOUND, self.ac.GetActionResult,
                        re_pb2.GetActionResultRequest(instance_name="ac2", action_digest=action))
        empty = digest_of(b"an action with an all-default result")
        self.ac.UpdateActionResult(re_pb2.UpdateActionResultRequest(action_digest=empty))
        self.assertEqual(self.ac.GetActionResult(
            re_pb2.GetActionResultRequest(action_digest=empty)), re_pb2.ActionResult())


if __name__ == "__main__":
    CAIRND = sys.argv.pop(1)
    with DevCluster(CAIRND, nodes=3) as c:
        CLUSTER = c
        c.wait_ready()
        outcome = unittest.main(exit=False, verbosity=2).result
    sys.exit(0 if outcome.wasSuccessful() else 1)
