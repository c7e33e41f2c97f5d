# Transport benchmarks (issue 3): TCP and shared-memory throughput and small-frame rates,
# each printed as a ratio against a baseline measured in the same run. Not in CTest.
#   build-real/tests/bench/transport_bench
add_executable(transport_bench ${CMAKE_CURRENT_LIST_DIR}/transport_bench.cc
                               ${PROJECT_SOURCE_DIR}/tests/real/process.cc)
cairn_warnings(transport_bench)
target_link_libraries(transport_bench PRIVATE cairn_real)

# Tests of the shared-memory ring and its loop-driven ends (wrap-around, back-pressure, slow
# consumer, bad frames, dead peer) and of the frame decoder's buffer reuse. Registered here
# because runtime-real/CMakeLists.txt belongs to another change; it can move there as is.
cairn_test(NAME shm_ring_test SOURCES ${PROJECT_SOURCE_DIR}/runtime-real/shm_ring_test.cc
                                      ${PROJECT_SOURCE_DIR}/tests/real/process.cc
           LIBS cairn_real TIMEOUT 120)
