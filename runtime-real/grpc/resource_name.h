// Names of the Remote Execution API as the gRPC gateway reads them: instance names,
// digests given as (hex hash, size), ByteStream resource names, and where each instance's
// blobs and action results live in Cairn's namespace.
//
// Promises: every parser accepts exactly the published forms and refuses anything else with
// InvalidArgument naming the fault; an accepted instance name maps to one namespace
// directory and no two names map to the same one.
//   read:   [{instance}/]blobs/{hash}/{size}[/{anything}]
//   write:  [{instance}/]uploads/{uuid}/blobs/{hash}/{size}[/{anything}]
// An instance name is empty or '/'-separated segments of [A-Za-z0-9_-][A-Za-z0-9._-]*,
// none of them a word the API reserves (blobs, uploads, actions, actionResults,
// operations, capabilities, compressed-blobs).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/cas/digest.h"

namespace cairn::real::reapi {

// The directory of an instance's state: "/.reapi" for "", "/.reapi/a/b" for "a/b".
absl::StatusOr<std::string> instance_dir(std::string_view instance);

// Where a blob (by digest) and an action's result (by the Action's digest) are stored.
std::string blob_path(const std::string& dir, const cas::Digest& digest);
std::string action_path(const std::string& dir, const cas::Digest& action);
// Their parent directories.
std::string blob_dir(const std::string& dir);
std::string action_dir(const std::string& dir);

// A digest from the API's parts: 64 lowercase hex digits and a size >= 0.
absl::StatusOr<cas::Digest> to_digest(std::string_view hash, int64_t size_bytes);
// The hash's hex text, as the API writes it.
std::string hex_hash(const cas::Digest& digest);

struct BlobName {
  std::string instance;
  cas::Digest digest;
};
absl::StatusOr<BlobName> parse_read_name(std::string_view resource);

struct UploadName {
  std::string instance;
  std::string uuid;
  cas::Digest digest;
};
absl::StatusOr<UploadName> parse_write_name(std::string_view resource);

}  // namespace cairn::real::reapi
