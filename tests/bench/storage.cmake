# Storage data-path benchmark: cairnd storage nodes (1 node rep(1); 5 nodes RS(3,2) and
# rep(3)) put and read chunks through ChunkBlockingClient, against fio on the same file
# system in the same run. Not in CTest.
#   build/tests/bench/storage_bench --dir build/bench-storage
add_executable(storage_bench ${CMAKE_CURRENT_LIST_DIR}/storage_bench.cc
                             ${PROJECT_SOURCE_DIR}/tests/real/meta_cluster.cc
                             ${PROJECT_SOURCE_DIR}/tests/real/process.cc)
cairn_warnings(storage_bench)
target_link_libraries(storage_bench PRIVATE cairn_real CLI11::CLI11)
target_compile_definitions(storage_bench PRIVATE CAIRND_PATH="$<TARGET_FILE:cairnd>")
add_dependencies(storage_bench cairnd)
