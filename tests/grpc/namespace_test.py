"""cairn.v1.Namespace over gRPC against a 3-node `cairnd dev --grpc`: put (streamed, with
conditions), get (ranges, versions), stat, ls, versions, rm, mv, and their errors.

Usage: namespace_test.py CAIRND   (PYTHONPATH holds the generated stubs; ctest sets it)
"""
import random
import sys
import unittest

import grpc

from cairn.v1 import namespace_pb2 as ns
from cairn.v1 import namespace_pb2_grpc as ns_grpc

from cairn_cluster import DevCluster

CLUSTER = None
RNG = random.Random(31)  # pinned


def put_requests(path, data, piece=1 << 20, **first):
    yield ns.PutRequest(path=path, data=data[:piece], **first)
    for at in range(piece, len(data), piece):
        yield ns.PutRequest(data=data[at:at + piece])


class Namespace(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ns = ns_grpc.NamespaceStub(CLUSTER.channel())

    def get(self, path, **kw):
        return b"".join(r.data for r in self.ns.Get(ns.GetRequest(path=path, **kw)))

    def code(self, fn, *args):
        with self.assertRaises(grpc.RpcError) as e:
            r = fn(*args)
            if hasattr(r, "__iter__"):
                list(r)
        return e.exception.code()

    def test_put_get_stat_versions(self):
        big = RNG.randbytes(9 << 20)  # over a gRPC message: streamed both ways
        e1 = self.ns.Put(put_requests("/big.bin", big))
        self.assertEqual((e1.size_bytes, e1.is_directory), (len(big), False))
        self.assertEqual(self.get("/big.bin"), big)
        self.assertEqual(self.get("/big.bin", offset=5 << 20, length=100), big[5 << 20:(5 << 20) + 100])
        e2 = self.ns.Put(put_requests("/big.bin", b"second"))
        self.assertGreater(e2.version, e1.version)
        self.assertEqual(self.get("/big.bin"), b"second")
        self.assertEqual(self.get("/big.bin", version=e1.version)[:10], big[:10])
        st = self.ns.Stat(ns.PathRequest(path="/big.bin"))
        self.assertEqual((st.size_bytes, st.version), (6, e2.version))
        vs = self.ns.Versions(ns.PathRequest(path="/big.bin")).versions
        self.assertEqual([v.version for v in vs], [e2.version, e1.version])
        self.assertEqual(self.code(self.ns.Get, ns.GetRequest(path="/big.bin", offset=7)),
                         grpc.StatusCode.OUT_OF_RANGE)

    def test_conditions_ls_mv_rm(self):
        e = self.ns.Put(put_requests("/a.txt", b"a", if_absent=True))
        self.assertEqual(self.code(self.ns.Put, put_requests("/a.txt", b"b", if_absent=True)),
                         grpc.StatusCode.ALREADY_EXISTS)
        self.assertEqual(self.code(self.ns.Put, put_requests("/a.txt", b"c",
                                                             if_version=e.version + 1000)),
                         grpc.StatusCode.FAILED_PRECONDITION)
        self.assertEqual(self.get("/a.txt"), b"a")  # refused puts changed nothing
        self.ns.Move(ns.MoveRequest(**{"from": "/a.txt", "to": "/b.txt"}))
        names = [x.name for x in self.ns.List(ns.ListRequest(path="/")).entries]
        self.assertIn("b.txt", names)
        self.assertNotIn("a.txt", names)
        self.ns.Remove(ns.PathRequest(path="/b.txt"))
        self.assertEqual(self.code(self.ns.Stat, ns.PathRequest(path="/b.txt")),
                         grpc.StatusCode.NOT_FOUND)

    def test_bad_input(self):
        self.assertEqual(self.code(self.ns.Stat, ns.PathRequest(path="relative")),
                         grpc.StatusCode.INVALID_ARGUMENT)
        self.assertEqual(self.code(self.ns.Put, iter([ns.PutRequest(data=b"x")])),
                         grpc.StatusCode.INVALID_ARGUMENT)
        self.assertEqual(self.code(self.ns.Put, put_requests("/no/such/dir/f", b"x")),
                         grpc.StatusCode.NOT_FOUND)
        self.assertEqual(self.code(self.ns.Get, ns.GetRequest(path="/missing")),
                         grpc.StatusCode.NOT_FOUND)


if __name__ == "__main__":
    cairnd = sys.argv.pop(1)
    with DevCluster(cairnd, nodes=3) as c:
        CLUSTER = c
        c.wait_ready()
        outcome = unittest.main(exit=False, verbosity=2).result
    sys.exit(0 if outcome.wasSuccessful() else 1)
