// Simulated CPU costs of the data path's arithmetic, calibrated from this machine's measured
// speeds (docs/performance.md) on the simulator's reference CPU of 1 Gflop/s. The real
// runtime ignores costs; the simulator charges them through Runtime::compute.
#pragma once

#include <cstdint>

#include "core/runtime/runtime.h"

namespace cairn::storage {

// Reed-Solomon encoding (or reconstruction) of `bytes` of input into `outputs` shards:
// ISA-L's RS(10,4) encodes 17.4 GB/s of input, and the work grows with the outputs.
inline Cost encode_cost(uint64_t bytes, int outputs) {
  constexpr double kBytesPerSecondFor4Outputs = 17.4e9;
  constexpr double kReferenceCpuFlops = 1e9;
  return Cost{static_cast<double>(bytes) * (outputs / 4.0) / kBytesPerSecondFor4Outputs *
              kReferenceCpuFlops};
}

}  // namespace cairn::storage
