# Raft metadata group benchmark (issue 4): a 3-node cairnd meta group vs a 3-member etcd
# cluster (Debian's etcd-server) on loopback, fsync on, same load. Not in CTest.
#   build/tests/bench/raft_bench --seconds 5 --clients 1,64 --connections 8
# etcd is driven through its v3 gRPC API: without gRPC (libgrpc++-dev) the bench still
# builds and measures Cairn only; without /usr/bin/etcd it says it skipped etcd.
add_executable(raft_bench ${CMAKE_CURRENT_LIST_DIR}/raft_bench.cc
                          ${CMAKE_CURRENT_LIST_DIR}/raft_bench_etcd.cc
                          ${PROJECT_SOURCE_DIR}/tests/real/meta_cluster.cc
                          ${PROJECT_SOURCE_DIR}/tests/real/process.cc)
cairn_warnings(raft_bench)
target_link_libraries(raft_bench PRIVATE cairn_real CLI11::CLI11)
target_compile_definitions(raft_bench PRIVATE CAIRND_PATH="$<TARGET_FILE:cairnd>")
add_dependencies(raft_bench cairnd)
find_package(gRPC CONFIG QUIET)
if(gRPC_FOUND)
  set(_etcd_out ${PROJECT_BINARY_DIR}/tests/bench)
  set(_etcd_gen ${_etcd_out}/etcd_kv.pb.cc ${_etcd_out}/etcd_kv.pb.h
                ${_etcd_out}/etcd_kv.grpc.pb.cc ${_etcd_out}/etcd_kv.grpc.pb.h)
  add_custom_command(
    OUTPUT ${_etcd_gen}
    COMMAND protobuf::protoc -I${CMAKE_CURRENT_LIST_DIR} --cpp_out=${_etcd_out}
            --grpc_out=${_etcd_out}
            --plugin=protoc-gen-grpc=$<TARGET_FILE:gRPC::grpc_cpp_plugin>
            ${CMAKE_CURRENT_LIST_DIR}/etcd_kv.proto
    DEPENDS ${CMAKE_CURRENT_LIST_DIR}/etcd_kv.proto protobuf::protoc
    COMMENT "protoc (grpc) tests/bench/etcd_kv.proto" VERBATIM)
  target_sources(raft_bench PRIVATE ${_etcd_gen})
  set_source_files_properties(${_etcd_gen} PROPERTIES COMPILE_OPTIONS "-w")
  target_include_directories(raft_bench SYSTEM PRIVATE ${_etcd_out})
  target_compile_definitions(raft_bench PRIVATE CAIRN_BENCH_GRPC=1)
  target_link_libraries(raft_bench PRIVATE gRPC::grpc++)
else()
  message(STATUS "raft_bench: gRPC not found, the etcd comparison is left out")
endif()
