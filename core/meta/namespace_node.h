// One node of the namespace tree (core/meta/namespace_tree.h): a directory with its
// entries by name, or a file with its kept versions. Private to namespace_tree*.cc.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>

#include "core/meta/namespace.pb.h"
#include "core/meta/namespace_tree.h"

namespace cairn::meta {

struct NamespaceTree::Node {
  bool dir = false;
  int64_t mtime_ms = 0;                                   // directories: last change
  std::map<std::string, std::unique_ptr<Node>> children;  // directories, byte-wise name order
  std::deque<wire::Manifest> versions;                    // files: oldest first, never empty

  static std::unique_ptr<Node> directory(int64_t now_ms) {
    auto n = std::make_unique<Node>();
    n->dir = true;
    n->mtime_ms = now_ms;
    return n;
  }
};

}  // namespace cairn::meta
