add_executable(bench_sim ${CMAKE_CURRENT_LIST_DIR}/sim_bench.cc)
cairn_warnings(bench_sim)
target_link_libraries(bench_sim PRIVATE cairn_sim)
