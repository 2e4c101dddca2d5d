# `cpack -G DEB` in the build folder: a Debian package of what cmake/install.cmake installs, under /usr.
# The runtime Depends are derived, never typed: CPACK_DEBIAN_PACKAGE_SHLIBDEPS runs dpkg-shlibdeps
# (package dpkg-dev) over the binaries, so a new library or a distribution's soname bump shows up in
# the package by itself. tests/install/test_deb.sh builds, installs, runs and removes it.
set(CPACK_PACKAGE_NAME bookrace)
set(CPACK_PACKAGE_VENDOR "bookrace")
set(CPACK_PACKAGE_CONTACT "bookrace maintainers <maintainers@bookrace.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "race harness for booking backends, and a reference booking server")
set(CPACK_PACKAGE_DESCRIPTION
    "bookrace fires scripted parallel booking sequences at any HTTP backend described by a target\nprofile, records the history and proves or disproves that no two acknowledged bookings of one\ninspector overlap and none is lost. bookd is the reference booking server, with the fixes and\nthe broken modes that reproduce the double-booking incident.")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_GENERATOR DEB)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS OFF)
set(CPACK_STRIP_FILES ON)
include(CPack)
