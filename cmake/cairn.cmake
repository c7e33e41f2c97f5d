# Helpers shared by every folder's CMakeLists.txt.

# cairn_warnings(target): Cairn's warning set on one of our own targets.
function(cairn_warnings target)
  target_compile_options(${target} PRIVATE ${CAIRN_WARNINGS})
endfunction()

# cairn_test(NAME name SOURCES a.cc b.cc [LIBS lib...] [LABELS label...] [TIMEOUT s])
# One GoogleTest (+RapidCheck) executable registered with CTest. Tests live beside their
# subject (ring.cc, ring_test.cc); harnesses spanning modules live under tests/.
function(cairn_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  if(NOT CAIRN_BUILD_TESTS)
    return()
  endif()
  add_executable(${T_NAME} ${T_SOURCES})
  cairn_warnings(${T_NAME})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} GTest::gtest GTest::gmock GTest::gtest_main
                                          rapidcheck rapidcheck_gtest)
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  add_test(NAME ${T_NAME} COMMAND ${T_NAME})
  set_tests_properties(${T_NAME} PROPERTIES TIMEOUT ${T_TIMEOUT} LABELS "${T_LABELS}")
endfunction()
