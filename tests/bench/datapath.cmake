# Data-path benchmarks (issue 5): erasure codec, digests, chunking, ring. Plain programs
# that print markdown rows, each with a ratio against a baseline run in the same process.
foreach(bench erasure digest cdc ring)
  add_executable(bench_${bench} ${CMAKE_CURRENT_LIST_DIR}/${bench}_bench.cc)
  cairn_warnings(bench_${bench})
  target_link_libraries(bench_${bench} PRIVATE cairn_core PkgConfig::ISAL OpenSSL::Crypto)
endforeach()
