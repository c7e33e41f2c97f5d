// cairn-dataplane: moves one blob over the data plane of a gateway's cairn.v1.Transfer
// service, with a token that service handed out (docs/grpc.md).
//
//   cairn-dataplane upload   --address H:P --token T [--client-id C] [--shm] --hash H --size N FILE
//   cairn-dataplane download --address H:P --token T [--client-id C] [--shm] --hash H --size N FILE
//
// Exit status: 0 when the transfer succeeded; 1 with "CODE: message" on stderr (the
// server's status, e.g. PERMISSION_DENIED for a refused token); 2 for bad arguments.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "runtime-real/grpc/data_plane_client.h"
#include "runtime-real/grpc/resource_name.h"
#include "runtime-real/tools/file_blocking_client.h"

int main(int argc, char** argv) {
  using namespace cairn::real;
  using namespace cairn::real::reapi;
  CLI::App app{"cairn-dataplane: one blob over a Cairn gateway's data plane"};
  app.require_subcommand(1);
  std::string address, hash, file;
  int64_t size = -1;
  DataPlaneGrant grant;
  for (auto* sub : {app.add_subcommand("upload", "send FILE as the blob"),
                    app.add_subcommand("download", "write the blob to FILE")}) {
    sub->add_option("--address", address, "the data plane (host:port)")->required();
    sub->add_option("--token", grant.token, "the token from NegotiateBlobs")->required();
    sub->add_option("--client-id", grant.client_id, "the client id given for the token");
    sub->add_flag("--shm", grant.shared_memory, "through shared memory (same host)");
    sub->add_option("--hash", hash, "the blob's SHA-256 (hex)")->required();
    sub->add_option("--size", size, "the blob's size in bytes")->required();
    sub->add_option("FILE", file, "the file to send or write")->required();
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  auto fail = [](const absl::Status& s) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  };
  auto digest = to_digest(hash, size);
  if (!digest.ok()) return fail(digest.status());
  auto client = DataPlaneClient::connect(address);
  if (!client.ok()) return fail(client.status());
  absl::Status s;
  if (app.got_subcommand("upload")) {
    auto source = FileSource::open(file);
    if (!source.ok()) return fail(source.status());
    s = (*client)->upload(grant, *digest, **source);
  } else {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    if (!out) return fail(absl::PermissionDeniedError("cannot write " + file));
    s = (*client)->download(grant, *digest, [&](std::string_view bytes) {
      out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      return out ? absl::OkStatus() : absl::DataLossError("cannot write " + file);
    });
  }
  if (!s.ok()) return fail(s);
  std::printf("%s\n", (*client)->last_transfer_id().c_str());
  return 0;
}
