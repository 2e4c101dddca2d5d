/*
 * What both programs say for --version: the release (CMake's project version)
 * and the git revision the binary was built from, so a CI log or a bug report
 * names the exact code. The revision is captured at build time by
 * cmake/gitrev.cmake: the short hash ("-dirty" when tracked files had local
 * changes), or "unknown" when built outside a git checkout.
 */
#ifndef BOOKRACE_VERSION_H
#define BOOKRACE_VERSION_H

#include <stddef.h>

/* The release, e.g. "0.1.0". */
const char *br_version(void);
/* The git revision, e.g. "abc1234", "abc1234-dirty" or "unknown". */
const char *br_version_gitrev(void);
/*
 * Writes the one-line version banner for |program| into |buf|, e.g.
 * "bookrace 0.1.0 (git abc1234)" or, for another program of the package,
 * "bookd (bookrace) 0.1.0 (git abc1234)" (the GNU form help2man reads).
 * Returns the length snprintf would have written.
 */
int br_version_line(char *buf, size_t cap, const char *program);

#endif
