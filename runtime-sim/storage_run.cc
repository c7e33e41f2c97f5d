#include "runtime-sim/storage_run.h"

#include "absl/strings/str_cat.h"

namespace cairn::sim {

StorageRun::StorageRun(const Scenario& scenario, NodeId first_id)
    : scenario_(scenario), first_id_(first_id) {}

std::vector<NodeSpec> StorageRun::client_specs() const {
  std::vector<NodeSpec> out;
  NodeId id = first_id_;
  for (int i = 1; i <= scenario_.chunks().clients; ++i) {
    out.push_back(NodeSpec{id++, absl::StrCat("s", i), "clients", {"chunk_client"}});
  }
  return out;
}

void StorageRun::add_hooks(Hooks& hooks) { hooks.set<storage::ChunkHistorySink>(this); }

void StorageRun::written(NodeId, const storage::ChunkLayout& layout) {
  ++written_;
  written_bytes_ += layout.chunk.size_bytes();
}

void StorageRun::write_failed(NodeId client, const cas::Digest&, const absl::Status& status) {
  if (write_failures_++ == 0) {
    first_write_failure_ = absl::StrCat("s", client - first_id_ + 1, ": ", status.ToString());
  }
}

void StorageRun::verified(NodeId client, const cas::Digest& digest, const absl::Status& status) {
  if (status.ok()) {
    ++verified_ok_;
    return;
  }
  if (verify_failures_++ == 0) {
    first_failure_ = absl::StrCat("s", client - first_id_ + 1, " read ", digest.format(), ": ",
                                  status.ToString());
  }
}

CheckResult StorageRun::judge_durability() const {
  CheckResult r;
  const uint64_t unverified = written_ - verified_ok_ - verify_failures_;
  r.figures["acknowledged"] = static_cast<double>(written_);
  r.figures["read_back"] = static_cast<double>(verified_ok_);
  r.figures["lost"] = static_cast<double>(verify_failures_);
  r.figures["not_read"] = static_cast<double>(unverified);
  r.figures["write_errors"] = static_cast<double>(write_failures_);
  if (written_ == 0) {
    r.judged = false;
    r.pass = false;
    r.detail = absl::StrCat("no chunk was acknowledged",
                            write_failures_ > 0
                                ? absl::StrCat(" (", write_failures_,
                                               " writes failed; first: ", first_write_failure_, ")")
                                : "");
    return r;
  }
  r.pass = verify_failures_ == 0 && unverified == 0;
  r.detail = absl::StrCat(verified_ok_, " of ", written_, " acknowledged chunks read back intact");
  if (verify_failures_ > 0)
    absl::StrAppend(&r.detail, "; ", verify_failures_, " not: ", first_failure_);
  if (unverified > 0) {
    absl::StrAppend(&r.detail, "; ", unverified, " not read back before the end of the run");
  }
  if (write_failures_ > 0) {
    absl::StrAppend(&r.detail, " (", write_failures_,
                    " writes refused, not acknowledged; first: ", first_write_failure_, ")");
  }
  return r;
}

void StorageRun::add_metrics(std::map<std::string, double>& m) const {
  m["chunks_acknowledged"] = static_cast<double>(written_);
  m["chunk_bytes_acknowledged"] = static_cast<double>(written_bytes_);
  m["chunk_write_errors"] = static_cast<double>(write_failures_);
  m["chunks_read_back"] = static_cast<double>(verified_ok_);
}

}  // namespace cairn::sim
