#include "core/client/roles.h"

#include "core/base/assert.h"
#include "core/client/file_workload.h"

namespace cairn::client {

RoleInfo file_client_role() {
  RoleInfo r;
  r.name = "file_client";
  r.summary = "simulated clients putting, reading, listing and moving files (cairn-sim)";
  r.settings = "files";
  r.client_endpoint = true;
  r.peer_types = FileWorkload::types();
  r.make_options = [] { return std::make_unique<FileWorkloadOptions>(); };
  r.install = [](Node& node, const RoleContext& ctx, const RoleOptions* options) {
    const auto* o = dynamic_cast<const FileWorkloadOptions*>(options);
    CAIRN_ASSERT(o != nullptr);
    auto* sink = ctx.hooks.get<FileHistorySink>();
    if (sink == nullptr) return absl::FailedPreconditionError("file_client needs a history sink");
    std::vector<NodeId> meta = ctx.members("meta");
    std::vector<NodeId> coordinators = ctx.members("storage");
    if (meta.empty() || coordinators.empty()) {
      return absl::FailedPreconditionError("file_client needs nodes with roles meta and storage");
    }
    return node.add(std::make_unique<FileWorkload>(ctx.runtime, std::move(meta),
                                                   std::move(coordinators), *o, sink));
  };
  return r;
}

}  // namespace cairn::client
