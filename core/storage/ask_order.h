// The order in which a read and a rebuild ask a chunk's shards when they need more of
// them: shards on nodes the failure detector holds up first, then the others, each group
// in index order. A node held down is asked only when the live ones cannot make up the
// number, so nothing waits out a dead node's call timeout while another shard would do.
#pragma once

namespace cairn::storage {

// Calls ask(i) for shards i in [0, n) for which idle(i) holds, in that order, until `have`
// reaches `need` (each call counts one). Returns the new `have`.
template <typename Idle, typename Up, typename Ask>
int ask_up_first(int n, int need, int have, Idle idle, Up up, Ask ask) {
  for (int pass = 0; pass < 2 && have < need; ++pass) {
    for (int i = 0; i < n && have < need; ++i) {
      if (!idle(i) || (pass == 0) != up(i)) continue;
      ++have;
      ask(i);
    }
  }
  return have;
}

}  // namespace cairn::storage
