# What `cmake --install build [--prefix P]` puts where (GNU layout, so a distribution's prefix works):
#   P/bin/bookrace, P/bin/bookd
#   P/share/bookrace/scenarios/*.json and scenarios/targets/*.json: the stock scenarios and target
#     profiles, in the same layout as the source tree so one relative path (scenarios/targets/bookd.json,
#     a matrix's "targets/bookd.json") means the same thing in both; harness/datadir.h finds them
#   P/share/doc/bookrace/: README.md, docs/*.md, the CI examples (docs/ci/)
#   P/share/man/man1/bookrace.1, man8/bookd.8, man5/bookrace-scenario.5, man5/bookrace-target.5
#   P/share/bash-completion/completions/bookrace
# Included from the top-level CMakeLists.txt after the targets exist.
install(TARGETS bookrace RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(BOOKRACE_BOOKD)
  install(TARGETS bookd RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/scenarios/ DESTINATION ${CMAKE_INSTALL_DATADIR}/bookrace/scenarios
        FILES_MATCHING PATTERN "*.json")
file(GLOB _bookrace_docs ${PROJECT_SOURCE_DIR}/docs/*.md)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${_bookrace_docs} DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ci/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/ci FILES_MATCHING PATTERN "*.yml")
# bash-completion loads a command's completion from a file named after the command: one script, two names.
foreach(_cmd bookrace bookd)
  install(FILES ${PROJECT_SOURCE_DIR}/completion/bookrace.bash
          DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME ${_cmd})
endforeach()
