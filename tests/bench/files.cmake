# File-store benchmark (scripts/bench_files.sh): its etcd baseline, closed-loop puts through
# etcd v3's JSON gateway (no gRPC needed). Not in CTest.
add_executable(etcd_http_bench ${CMAKE_CURRENT_LIST_DIR}/etcd_http_bench.cc)
cairn_warnings(etcd_http_bench)
target_link_libraries(etcd_http_bench PRIVATE absl::strings CLI11::CLI11)
