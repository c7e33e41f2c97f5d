// DataPlaneClient: the client side of the data plane (data_plane.h, data_plane_wire.h). With
// a token from cairn.v1.Transfer it uploads a blob (bytes from a ByteSource) or downloads
// one (bytes handed to a sink in order), over framed TCP or, for a client on the server's
// host, through the shared-memory ring the server offers. Several blobs may go over one
// connection, one after another.
//
// Promises: the server's refusal or outcome is returned as its status (PermissionDenied for
// a refused token, InvalidArgument for bytes that do not match the digest, NotFound, ...);
// a download is checked against its digest before download() returns OK (DataLoss
// otherwise; the sink has seen the bytes by then). Blocking; one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/cas/digest.h"
#include "core/client/file_client.h"
#include "runtime-real/grpc/data_plane_wire.h"

namespace cairn::real::reapi {

struct DataPlaneGrant {
  std::string token;
  std::string client_id;       // as given to the Transfer service (empty: none)
  bool shared_memory = false;  // move the bytes through a ring (same host only)
};

class DataPlaneClient {
 public:
  // Connects to the data plane at `address` (host:port). Unavailable if it cannot.
  static absl::StatusOr<std::unique_ptr<DataPlaneClient>> connect(const std::string& address);
  ~DataPlaneClient();

  absl::Status upload(const DataPlaneGrant& grant, const cas::Digest& digest,
                      client::ByteSource& source);
  // `sink` gets the bytes in order, in pieces.
  absl::Status download(const DataPlaneGrant& grant, const cas::Digest& digest,
                        const std::function<absl::Status(std::string_view)>& sink);
  // The id of the last transfer the server accepted (for GetTransferStats).
  const std::string& last_transfer_id() const { return transfer_id_; }

 private:
  explicit DataPlaneClient(int fd) : fd_(fd), sock_(fd) {}
  // Sends the open frame and reads the server's answer.
  absl::StatusOr<cairn::v1::DataPlaneReply> open(const DataPlaneGrant& grant,
                                                 const cas::Digest& digest,
                                                 cairn::v1::Direction direction);
  // The server's final reply.
  absl::Status outcome();

  int fd_;
  FrameSocket sock_;
  std::string transfer_id_;
};

}  // namespace cairn::real::reapi
