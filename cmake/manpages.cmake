# Manual pages, generated at build time from the texts users already read (one source of truth):
#   bookrace(1)  help2man over `bookrace --help`, `--version` and every subcommand's --help
#                (cmake/help2man-include.sh), with cmake/bookrace.h2m's prose and FILES
#   bookd(8)     help2man over `bookd --help` and `--version`, with cmake/bookd.h2m
#   bookrace-scenario(5), bookrace-target(5)   go-md2man over docs/scenarios.md and docs/targets.md
#                (cmake/md2man.sh)
# into <build>/man/, installed under share/man/, and checked by the manpages test (groff -ww and
# man --warnings, tests/install/test_manpages.sh). Needs help2man and go-md2man (scripts/deps); without
# them the pages are left out with a message, or it is an error when -DBOOKRACE_MANPAGES=ON was asked.
find_program(HELP2MAN_EXECUTABLE help2man)
find_program(GO_MD2MAN_EXECUTABLE go-md2man)
set(_man_default OFF)
# The fuzz build exists to fuzz; its instrumented programs need not write manual pages.
if(HELP2MAN_EXECUTABLE AND GO_MD2MAN_EXECUTABLE AND NOT BOOKRACE_FUZZ)
  set(_man_default ON)
endif()
option(BOOKRACE_MANPAGES "Generate and install the manual pages (needs help2man, go-md2man)" ${_man_default})
if(NOT BOOKRACE_MANPAGES)
  message(STATUS "bookrace: manual pages off (help2man and go-md2man: scripts/deps)")
  return()
endif()
if(NOT HELP2MAN_EXECUTABLE OR NOT GO_MD2MAN_EXECUTABLE)
  message(FATAL_ERROR "BOOKRACE_MANPAGES=ON needs help2man and go-md2man (Debian: help2man go-md2man)")
endif()

set(BOOKRACE_MAN_DIR ${CMAKE_BINARY_DIR}/man)
file(MAKE_DIRECTORY ${BOOKRACE_MAN_DIR})
set(_man_pages)

add_custom_command(
  OUTPUT ${BOOKRACE_MAN_DIR}/bookrace.1
  COMMAND ${PROJECT_SOURCE_DIR}/cmake/help2man-include.sh $<TARGET_FILE:bookrace> ${BOOKRACE_MAN_DIR}/bookrace.h2m
          ${PROJECT_SOURCE_DIR}/cmake/bookrace.h2m
  COMMAND ${HELP2MAN_EXECUTABLE} --no-info --section=1 "--name=race harness for booking backends"
          --include=${BOOKRACE_MAN_DIR}/bookrace.h2m --output=${BOOKRACE_MAN_DIR}/bookrace.1 $<TARGET_FILE:bookrace>
  DEPENDS bookrace ${PROJECT_SOURCE_DIR}/cmake/help2man-include.sh ${PROJECT_SOURCE_DIR}/cmake/bookrace.h2m
  COMMENT "Generating bookrace.1" VERBATIM)
list(APPEND _man_pages ${BOOKRACE_MAN_DIR}/bookrace.1)
install(FILES ${BOOKRACE_MAN_DIR}/bookrace.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

if(BOOKRACE_BOOKD)
  add_custom_command(
    OUTPUT ${BOOKRACE_MAN_DIR}/bookd.8
    COMMAND ${PROJECT_SOURCE_DIR}/cmake/help2man-include.sh $<TARGET_FILE:bookd> ${BOOKRACE_MAN_DIR}/bookd.h2m
            ${PROJECT_SOURCE_DIR}/cmake/bookd.h2m
    COMMAND ${HELP2MAN_EXECUTABLE} --no-info --section=8 "--name=reference booking server for bookrace"
            --include=${BOOKRACE_MAN_DIR}/bookd.h2m --output=${BOOKRACE_MAN_DIR}/bookd.8 $<TARGET_FILE:bookd>
    DEPENDS bookd ${PROJECT_SOURCE_DIR}/cmake/bookd.h2m ${PROJECT_SOURCE_DIR}/cmake/help2man-include.sh
    COMMENT "Generating bookd.8" VERBATIM)
  list(APPEND _man_pages ${BOOKRACE_MAN_DIR}/bookd.8)
  install(FILES ${BOOKRACE_MAN_DIR}/bookd.8 DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
endif()

foreach(_fmt "scenario;scenarios.md;the race scenario format" "target;targets.md;the target profile format")
  list(GET _fmt 0 _name)
  list(GET _fmt 1 _doc)
  list(GET _fmt 2 _desc)
  add_custom_command(
    OUTPUT ${BOOKRACE_MAN_DIR}/bookrace-${_name}.5
    COMMAND ${PROJECT_SOURCE_DIR}/cmake/md2man.sh ${PROJECT_SOURCE_DIR}/docs/${_doc}
            ${BOOKRACE_MAN_DIR}/bookrace-${_name}.5 bookrace-${_name} ${_desc} ${PROJECT_VERSION}
    DEPENDS ${PROJECT_SOURCE_DIR}/docs/${_doc} ${PROJECT_SOURCE_DIR}/cmake/md2man.sh
    COMMENT "Generating bookrace-${_name}.5" VERBATIM)
  list(APPEND _man_pages ${BOOKRACE_MAN_DIR}/bookrace-${_name}.5)
  install(FILES ${BOOKRACE_MAN_DIR}/bookrace-${_name}.5 DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
endforeach()
add_custom_target(manpages ALL DEPENDS ${_man_pages})
