# Transport benchmarks (issue 3): TCP and shared-memory throughput and small-frame rates,
# each printed as a ratio against a baseline measured in the same run. Not in CTest.
#   build-real/tests/bench/transport_bench
add_executable(transport_bench ${CMAKE_CURRENT_LIST_DIR}/transport_bench.cc
                               ${CMAKE_CURRENT_LIST_DIR}/transport_peer.cc
                               ${CMAKE_CURRENT_LIST_DIR}/baselines.cc
                               ${PROJECT_SOURCE_DIR}/tests/real/process.cc)
cairn_warnings(transport_bench)
target_link_libraries(transport_bench PRIVATE cairn_real)

