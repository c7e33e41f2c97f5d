# Shared by the papers' ctest checks (cmake -P scripts): runs a generator into a fresh
# OUT_DIR and reads one CSV it wrote, checking its header.
#   run_generator_csv(<csv file name> <header regex> <rows var> <generator args>...)
# Sets <rows var> to the CSV's data rows (header removed); fails the test on a non-zero
# exit or an unexpected header.
function(run_generator_csv csv header_regex rows_var)
  file(REMOVE_RECURSE ${OUT_DIR})
  file(MAKE_DIRECTORY ${OUT_DIR})
  execute_process(COMMAND ${GENERATOR} ${ARGN} --out ${OUT_DIR}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "generator failed (${rc}): ${out} ${err}")
  endif()
  file(STRINGS ${OUT_DIR}/${csv} rows)
  list(POP_FRONT rows header)
  if(NOT header MATCHES "${header_regex}")
    message(FATAL_ERROR "unexpected header in ${csv}: ${header}")
  endif()
  set(${rows_var} "${rows}" PARENT_SCOPE)
endfunction()
