# gRPC gateway benchmark (issue 13): 1 GiB through ByteStream against the native file
# client, iperf3 and memcpy in the same run. Not in CTest.
#   build/tests/bench/grpc_bench [--reps 3] [--mib 1024]
add_executable(grpc_bench ${CMAKE_CURRENT_LIST_DIR}/grpc_bench.cc
                          ${CMAKE_CURRENT_LIST_DIR}/baselines.cc
                          ${PROJECT_SOURCE_DIR}/tests/real/process.cc)
cairn_warnings(grpc_bench)
target_link_libraries(grpc_bench PRIVATE cairn_grpc)
target_compile_definitions(grpc_bench PRIVATE CAIRND_PATH="$<TARGET_FILE:cairnd>"
                                              CAIRN_CLI_PATH="$<TARGET_FILE:cairn>")
add_dependencies(grpc_bench cairnd cairn)
