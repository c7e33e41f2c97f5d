# Helpers shared by every folder's CMakeLists.txt.

# cairn_warnings(target): Cairn's warning set on one of our own targets.
function(cairn_warnings target)
  target_compile_options(${target} PRIVATE ${CAIRN_WARNINGS})
endfunction()

# cairn_test(NAME name SOURCES a.cc b.cc [LIBS lib...] [LABELS label...] [TIMEOUT s]
#            [PROPERTIES gtest_filter SEEDS s... CASES n])
# One GoogleTest (+RapidCheck) executable registered with CTest. Tests live beside their
# subject (ring.cc, ring_test.cc); harnesses spanning modules live under tests/.
#
# A CTest verdict never depends on a fresh random seed. Without SEEDS, any RapidCheck
# property in the executable runs on seed ${CAIRN_RC_DEFAULT_SEED} (RapidCheck's default
# 100 cases). With SEEDS, the tests matching PROPERTIES (a --gtest_filter; "*" for all)
# are registered once per seed as `name.seed_S`, with RC_PARAMS="seed=S max_success=n" and
# the label `property` (scripts/soak.sh runs exactly those with random seeds); the other
# tests of the executable are registered as `name` (none with "*", so an executable that
# holds only properties gets no CTest that would run nothing). Reproduce a CTest failure with the
# same RC_PARAMS; a seed that once found a bug stays in its list for good.
set(CAIRN_RC_DEFAULT_SEED 1)
function(cairn_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT;PROPERTIES;CASES" "SOURCES;LIBS;LABELS;SEEDS" ${ARGN})
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
  if(NOT T_SEEDS)
    add_test(NAME ${T_NAME} COMMAND ${T_NAME})
    set_tests_properties(${T_NAME} PROPERTIES TIMEOUT ${T_TIMEOUT} LABELS "${T_LABELS}"
                         ENVIRONMENT "RC_PARAMS=seed=${CAIRN_RC_DEFAULT_SEED}")
    return()
  endif()
  if(NOT T_PROPERTIES OR NOT T_CASES)
    message(FATAL_ERROR "cairn_test(${T_NAME}): SEEDS needs PROPERTIES and CASES")
  endif()
  if(NOT T_PROPERTIES STREQUAL "*")
    add_test(NAME ${T_NAME} COMMAND ${T_NAME} --gtest_filter=-${T_PROPERTIES})
    set_tests_properties(${T_NAME} PROPERTIES TIMEOUT ${T_TIMEOUT} LABELS "${T_LABELS}"
                         ENVIRONMENT "RC_PARAMS=seed=${CAIRN_RC_DEFAULT_SEED}")
  endif()
  foreach(seed IN LISTS T_SEEDS)
    add_test(NAME ${T_NAME}.seed_${seed} COMMAND ${T_NAME} --gtest_filter=${T_PROPERTIES})
    set_tests_properties(${T_NAME}.seed_${seed} PROPERTIES TIMEOUT ${T_TIMEOUT}
                         LABELS "property;${T_LABELS}"
                         ENVIRONMENT "RC_PARAMS=seed=${seed} max_success=${T_CASES}")
  endforeach()
endfunction()

# cairn_proto(target a.proto ...): compile schemas into `target`. Paths are relative to
# the calling folder; generated code lands under the build tree at the same relative path
# from the project root, so core/wire/x.proto is included as "core/wire/x.pb.h".
function(cairn_proto target)
  foreach(proto IN LISTS ARGN)
    get_filename_component(abs ${proto} ABSOLUTE)
    file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR} ${abs})
    string(REGEX REPLACE "\\.proto$" "" stem ${rel})
    set(out_h ${PROJECT_BINARY_DIR}/${stem}.pb.h)
    set(out_cc ${PROJECT_BINARY_DIR}/${stem}.pb.cc)
    add_custom_command(
      OUTPUT ${out_h} ${out_cc}
      COMMAND protobuf::protoc -I${PROJECT_SOURCE_DIR} --cpp_out=${PROJECT_BINARY_DIR} ${abs}
      DEPENDS ${abs} protobuf::protoc
      COMMENT "protoc ${rel}" VERBATIM)
    target_sources(${target} PRIVATE ${out_cc} ${out_h})
    # Generated code is not ours: keep our warning flags off it.
    set_source_files_properties(${out_cc} PROPERTIES COMPILE_OPTIONS "-w")
  endforeach()
endfunction()
