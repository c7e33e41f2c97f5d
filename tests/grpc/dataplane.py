"""A pure-Python client of the gateway's framed TCP data plane (docs/grpc.md), for teaching
and for tests that need to stop half-way through a transfer. Frames are Cairn's
(core/wire/frame.h): a 32-byte little-endian header whose CRC32C covers the header's first
28 bytes, the protobuf header and the payload. Slow (the CRC is computed in Python): meant
for small blobs; `cairn-dataplane` and runtime-real/grpc/data_plane_client.h are the fast way.
"""
import hashlib
import socket
import struct

from cairn.v1 import transfer_pb2 as tr_pb2

MAGIC, VERSION = 0x4E524143, 1
OPEN, REPLY, DATA = 0xFD01, 0xFD02, 0xFD03


def _table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        t.append(c)
    return t


_TABLE = _table()


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = _TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


class Refused(Exception):
    """The server's status: .code (google.rpc.Code) and .message."""

    def __init__(self, reply):
        super().__init__("%d: %s" % (reply.code, reply.message))
        self.code, self.message = reply.code, reply.message


class Connection:
    def __init__(self, address):
        host, port = address.rsplit(":", 1)
        self.sock = socket.create_connection((host.strip("[]"), int(port)))
        self.sequence = 0

    def close(self):
        self.sock.close()

    def send(self, kind, header, payload=b""):
        h = header.SerializeToString()
        head = struct.pack("<IBBHIIIQ", MAGIC, VERSION, 0, kind, len(h), len(payload),
                           self.sequence, 0)
        crc = crc32c(payload, crc32c(h, crc32c(head)))
        self.sequence += 1
        self.sock.sendall(head + struct.pack("<I", crc) + h + payload)

    def _exactly(self, n):
        out = b""
        while len(out) < n:
            got = self.sock.recv(n - len(out))
            if not got:
                raise ConnectionError("the data plane closed the connection")
            out += got
        return out

    def receive(self):
        """The next frame: (type, protobuf header bytes, payload)."""
        head = self._exactly(32)
        magic, _, _, kind, hlen, plen, _, _, crc = struct.unpack("<IBBHIIIQI", head)
        if magic != MAGIC:
            raise ConnectionError("not a Cairn frame")
        h, payload = self._exactly(hlen), self._exactly(plen)
        if crc32c(payload, crc32c(h, crc32c(head[:28]))) != crc:
            raise ConnectionError("CRC mismatch")
        return kind, h, payload

    def reply(self):
        kind, h, _ = self.receive()
        if kind != REPLY:
            raise ConnectionError("expected a DataPlaneReply")
        r = tr_pb2.DataPlaneReply.FromString(h)
        if r.code != 0:
            raise Refused(r)
        return r

    def open(self, token, digest, direction, client_id=""):
        """Presents the token for one blob; the transfer id once the server accepts."""
        self.send(OPEN, tr_pb2.DataPlaneOpen(token=token, client_id=client_id, digest=digest,
                                             direction=direction))
        return self.reply().transfer_id

    def upload(self, token, digest, data, client_id="", piece=64 << 10):
        tid = self.open(token, digest, tr_pb2.UPLOAD, client_id)
        for at in range(0, len(data), piece):
            self.send(DATA, tr_pb2.DataPlaneReply(), data[at:at + piece])
        self.reply()
        return tid

    def download(self, token, digest, client_id=""):
        self.open(token, digest, tr_pb2.DOWNLOAD, client_id)
        out = b""
        while True:
            kind, h, payload = self.receive()
            if kind == REPLY:
                r = tr_pb2.DataPlaneReply.FromString(h)
                if r.code != 0:
                    raise Refused(r)
                break
            out += payload
        if hashlib.sha256(out).hexdigest() != digest.hash or len(out) != digest.size_bytes:
            raise ConnectionError("the bytes do not match the digest")
        return out
