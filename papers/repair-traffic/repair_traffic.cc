// Repair traffic after losing one node (Sathiamoorthy et al., "XORing Elephants", VLDB 2013):
// bytes read and moved to rebuild a dead node's shards under 3-way replication, RS(10,4)
// and, as the paper's reference point, the locally repairable code LRC(10,6,5), with
// stripes placed by Cairn's placement policies on a 50-node cluster.
//
// How many shards one rebuild reads is measured, not assumed: for rep(3) and rs(10,4) we
// hand cairn::erasure::rebuild_shards() the first j surviving shards of a real stripe for
// j = 1, 2, ... until it rebuilds the lost shard byte for byte. Cairn has no LRC codec, so
// LRC reads are counted from the code's structure: a lost block is rebuilt from the other
// five blocks of its local group (X1-X5 + S1, X6-X10 + S2, P1-P4 + S1 + S2 for S3 = S1 + S2).
//
// Usage: repair_traffic --out DIR [--stripes N]. Writes DIR/repair.csv (one row per scheme,
// policy and dead node) and prints the averages. Deterministic.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/erasure/codec.h"
#include "core/erasure/stripe.h"
#include "core/placement/copyset.h"
#include "core/placement/rendezvous.h"
#include "core/placement/ring.h"

namespace {

using namespace cairn::placement;
using cairn::erasure::Codec;

constexpr int kNodes = 50;
constexpr uint64_t kBlockBytes = 64ull << 20;  // one shard: an HDFS block of 64 MiB

struct Scheme {
  std::string name;
  int shards = 0;                        // per stripe
  int data = 0;                          // data blocks per stripe (user bytes = data * block)
  int reads = 0;                         // blocks one rebuild reads (measured or counted)
  std::vector<std::vector<int>> groups;  // LRC: each shard's repair group; empty: first `reads`
};

// Smallest number of surviving shards from which Cairn's repair rebuilds shard 0 exactly.
int measured_reads(const Codec& codec) {
  std::vector<uint8_t> chunk(static_cast<size_t>(codec.data_shards()) * 256);
  for (size_t i = 0; i < chunk.size(); ++i) chunk[i] = static_cast<uint8_t>(i * 131 + 7);
  const auto stripe = cairn::erasure::encode_stripe(codec, chunk);
  for (int j = 1; j < codec.total_shards(); ++j) {
    std::vector<cairn::erasure::Shard> received(stripe.shards.begin() + 1,
                                                stripe.shards.begin() + 1 + j);
    const int wanted[] = {0};
    auto rebuilt = cairn::erasure::rebuild_shards(codec, stripe.layout, received, wanted);
    if (rebuilt.ok()) {
      CAIRN_ASSERT(rebuilt->size() == 1 && (*rebuilt)[0].bytes == stripe.shards[0].bytes);
      return j;
    }
    CAIRN_ASSERT(rebuilt.status().code() == absl::StatusCode::kDataLoss);
  }
  CAIRN_ASSERT(false);
  return -1;
}

std::vector<Scheme> schemes() {
  Scheme rep{"rep-3", 3, 1, measured_reads(**cairn::erasure::make_replication(3)), {}};
  Scheme rs{"rs-10-4", 14, 10, measured_reads(**cairn::erasure::make_reed_solomon(10, 4)), {}};
  // Xorbas LRC: 0-9 data X1..X10, 10-13 RS parities P1..P4, 14 = S1, 15 = S2.
  const std::vector<int> g1 = {0, 1, 2, 3, 4, 14}, g2 = {5, 6, 7, 8, 9, 15},
                         g3 = {10, 11, 12, 13, 14, 15};
  Scheme lrc{"lrc-10-6-5", 16, 10, 5, {}};
  for (int s = 0; s < 16; ++s) {
    const auto& g = s < 5 || s == 14 ? g1 : s < 10 || s == 15 ? g2 : g3;
    std::vector<int> others;
    for (int x : g) {
      if (x != s) others.push_back(x);
    }
    lrc.groups.push_back(others);
  }
  return {rep, rs, lrc};
}

Membership cluster() {
  Membership m{1, {}};
  for (int i = 0; i < kNodes; ++i) {
    m.nodes.push_back({static_cast<NodeId>(i + 1), absl::StrCat("z", i % 5),
                       absl::StrCat("r", (i / 5) % 2), 1.0});
  }
  return m;
}

std::unique_ptr<PlacementPolicy> policy(const std::string& name, const Membership& m, int shards) {
  if (name == "ring") return std::make_unique<Ring>(*Ring::build(m, {}));
  if (name == "rendezvous") return std::make_unique<Rendezvous>(*Rendezvous::build(m));
  // Two permutations: each node shares stripes with at most 2 (R - 1) + (R - 1) others.
  const CopysetOptions options{shards, 2 * (shards - 1), 12};
  return std::make_unique<CopysetPlacement>(*CopysetPlacement::build(m, options));
}

struct Repair {
  uint64_t lost = 0, read = 0;           // blocks
  std::map<NodeId, uint64_t> by_source;  // blocks read from each survivor
  std::set<NodeId> destinations;
};

// Kills `dead` and counts what rebuilding its shards reads, and from where.
Repair repair(const Scheme& scheme, const std::vector<std::vector<NodeId>>& layouts, NodeId dead) {
  Repair r;
  for (const auto& nodes : layouts) {
    for (int s = 0; s < scheme.shards; ++s) {
      if (nodes[static_cast<size_t>(s)] != dead) continue;
      ++r.lost;
      std::vector<int> sources = scheme.groups.empty() ? std::vector<int>{} : scheme.groups[s];
      // RS and replication read the first `reads` surviving shards in index order.
      for (int t = 0; scheme.groups.empty() && static_cast<int>(sources.size()) < scheme.reads;
           ++t) {
        if (t != s) sources.push_back(t);
      }
      for (int t : sources) {
        CAIRN_ASSERT(nodes[static_cast<size_t>(t)] != dead);
        ++r.by_source[nodes[static_cast<size_t>(t)]];
        ++r.read;
      }
    }
  }
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  std::string out_dir;
  int stripes = 5000;  // RS and LRC stripes; replication stores the same bytes in 10x chunks
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--out" && i + 1 < argc)
      out_dir = argv[++i];
    else if (arg == "--stripes" && i + 1 < argc)
      stripes = std::max(1, std::atoi(argv[++i]));
    else {
      std::fprintf(stderr, "usage: %s --out DIR [--stripes N]\n", argv[0]);
      return 2;
    }
  }
  if (out_dir.empty()) {
    std::fprintf(stderr, "repair_traffic: --out DIR is required\n");
    return 2;
  }
  std::ofstream csv(out_dir + "/repair.csv");
  if (!csv) {
    std::fprintf(stderr, "repair_traffic: cannot write %s/repair.csv\n", out_dir.c_str());
    return 1;
  }
  csv << "scheme,policy,dead,blocks_per_rebuild,lost_blocks,lost_bytes,read_bytes,"
         "transfer_bytes,read_per_lost,source_nodes,max_source_share,destination_nodes\n";
  const Membership before = cluster();
  for (const Scheme& scheme : schemes()) {
    const int keys = stripes * 10 / scheme.data;  // the same user bytes for every scheme
    for (const std::string name : {"ring", "rendezvous", "copyset"}) {
      const auto placed = policy(name, before, scheme.shards);
      std::vector<std::vector<NodeId>> layouts;
      std::vector<uint64_t> key_list;
      for (int k = 0; k < keys; ++k) {
        key_list.push_back(mix64(static_cast<uint64_t>(k) + 99));
        layouts.push_back(*placed->place(key_list.back(), scheme.shards));
      }
      double read_sum = 0, lost_sum = 0, sources_sum = 0, share_max = 0, dest_sum = 0;
      for (const Node& victim : before.nodes) {
        Repair r = repair(scheme, layouts, victim.id);
        // Where the rebuilt shards go: the placement of the next epoch without the dead
        // node (copysets are configuration, amended by the operator: not modelled here).
        if (name != "copyset") {
          Membership after = before;
          after.epoch = 2;
          std::erase_if(after.nodes, [&](const Node& n) { return n.id == victim.id; });
          const auto moved =
              *moved_shards(*placed, *policy(name, after, scheme.shards), key_list, scheme.shards);
          for (const ShardMove& m : moved) {
            if (m.from == victim.id) r.destinations.insert(m.to);
          }
        }
        uint64_t busiest = 0;
        for (const auto& [node, blocks] : r.by_source) busiest = std::max(busiest, blocks);
        const double share = r.read == 0 ? 0 : static_cast<double>(busiest) / r.read;
        csv << scheme.name << "," << name << "," << victim.id << "," << scheme.reads << ","
            << r.lost << "," << r.lost * kBlockBytes << "," << r.read * kBlockBytes << ","
            << r.read * kBlockBytes << "," << (r.lost ? double(r.read) / r.lost : 0) << ","
            << r.by_source.size() << "," << share << "," << r.destinations.size() << "\n";
        read_sum += r.read, lost_sum += r.lost, sources_sum += r.by_source.size();
        share_max = std::max(share_max, share), dest_sum += r.destinations.size();
      }
      std::printf(
          "%-12s %-10s reads/rebuild %2d  lost %7.0f GiB  read %8.0f GiB  (x%.2f)  "
          "sources %4.1f  busiest %.3f  destinations %4.1f\n",
          scheme.name.c_str(), name.c_str(), scheme.reads, lost_sum / kNodes / 16,
          read_sum / kNodes / 16, read_sum / lost_sum, sources_sum / kNodes, share_max,
          dest_sum / kNodes);
    }
  }
  return 0;
}
