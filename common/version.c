/*
 * The version banner. The release comes from CMake (BOOKRACE_VERSION, the
 * project() version) and the revision from the header cmake/gitrev.cmake
 * regenerates at every build, so the two cannot drift from the build itself.
 */
#include "version.h"

#include "gitrev.h"

#include <stdio.h>
#include <string.h>

#ifndef BOOKRACE_VERSION
#error "BOOKRACE_VERSION must be defined by the build (CMake's project version)"
#endif

const char *br_version(void)
{
    return BOOKRACE_VERSION;
}

const char *br_version_gitrev(void)
{
    return BOOKRACE_GIT_REV[0] ? BOOKRACE_GIT_REV : "unknown";
}

int br_version_line(char *buf, size_t cap, const char *program)
{
    if (program == NULL || strcmp(program, "bookrace") == 0)
        return snprintf(buf, cap, "bookrace %s (git %s)", br_version(), br_version_gitrev());
    return snprintf(buf, cap, "%s (bookrace) %s (git %s)", program, br_version(), br_version_gitrev());
}
