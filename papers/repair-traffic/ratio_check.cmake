# ctest repair_traffic_ratios: runs repair_traffic on 500 stripes and checks repair.csv:
# per lost block, RS(10,4) reads 10 blocks and LRC(10,6,5) 5 (XORing Elephants, Table 1:
# repair traffic 10x and 5x that of 3-way replication, which reads 1), transfer equals
# read, and a dead node's repair is spread over more than one survivor.
# Usage: cmake -DGENERATOR=... -DOUT_DIR=... -P ratio_check.cmake
include(${CMAKE_CURRENT_LIST_DIR}/../run_generator.cmake)
run_generator_csv(repair.csv "^scheme,policy,dead,blocks_per_rebuild,lost_blocks,lost_bytes,read_bytes,transfer_bytes" rows --stripes 500)
list(LENGTH rows n)
if(NOT n EQUAL 450)
  message(FATAL_ERROR "repair.csv has ${n} rows, want 3 schemes x 3 policies x 50 nodes")
endif()
set(want_rep 1)
set(want_rs 10)
set(want_lrc 5)
foreach(row IN LISTS rows)
  string(REPLACE "," ";" f "${row}")
  list(GET f 0 scheme)
  list(GET f 4 lost)
  list(GET f 5 lost_bytes)
  list(GET f 6 read_bytes)
  list(GET f 7 transfer_bytes)
  list(GET f 9 sources)
  string(REGEX REPLACE "-.*" "" kind "${scheme}")
  math(EXPR want_read "${lost} * ${want_${kind}} * 67108864")
  math(EXPR want_lost "${lost} * 67108864")
  if(lost LESS 1 OR NOT read_bytes EQUAL want_read OR NOT lost_bytes EQUAL want_lost
     OR NOT transfer_bytes EQUAL read_bytes OR sources LESS 2)
    message(FATAL_ERROR "bad repair row (want ${want_${kind}} blocks read per lost block): ${row}")
  endif()
endforeach()
message(STATUS "repair traffic: ${n} rows, rs 10x and lrc 5x of replication per lost block")
