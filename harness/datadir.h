/*
 * Where bookrace finds its data (the stock scenarios and target profiles) when
 * a path is not given or not found as given: in the current folder, in a
 * source or build tree it runs from, in the prefix it was installed to, or
 * where $BOOKRACE_DATADIR points. The lookup order, first match wins:
 *
 *   1. $BOOKRACE_DATADIR                  an explicit choice beats every guess
 *   2. the current folder                 a team's own scenarios/ next to its pipeline
 *   3. <folder of the executable>/..      build/bookrace inside a source tree
 *   4. <folder of the executable>/../share/bookrace   any installed prefix, relocated or not
 *   5. the datadir configured at build time (e.g. /usr/local/share/bookrace)
 *   6. the source tree it was built from, only while it runs from that build tree
 *
 * Place 6 never applies to an installed binary, so an installed bookrace
 * cannot quietly read a source tree that happens to still exist. A miss
 * names every path tried, so "file not found" says where to put it.
 * Pure core (br_datadir_resolve_in, inputs passed in) for the unit tests; the
 * br_datadir_resolve wrapper fills the inputs from the running process.
 */
#ifndef BR_DATADIR_H
#define BR_DATADIR_H

#include <stddef.h>

enum { BR_DATADIR_MAX_PLACES = 6 };

typedef struct {
    const char *env_datadir; /* $BOOKRACE_DATADIR; NULL or "" when unset */
    const char *exe_dir;     /* folder of the running executable; NULL when unknown */
    const char *configured;  /* the install datadir baked in at build time; NULL for none */
    const char *build_dir;   /* the build tree the binary was built in; NULL for none */
    const char *source_dir;  /* the source tree, consulted only when exe_dir is build_dir */
} br_datadir_inputs;

/*
 * The data folders in lookup order, duplicates removed; the current folder is
 * ".". Writes at most |max| pointers into |out| (they point into |in| or into
 * |storage|, |max| * |each| bytes) and returns how many.
 */
size_t br_datadir_places(const br_datadir_inputs *in, const char **out, size_t max, char *storage,
                         size_t each);

/*
 * Finds a data file. |given| is returned as is (copied to |out|) when it is
 * absolute or exists relative to the current folder. Otherwise each place P
 * is tried with P/|given|, then, for a bare file name, P/|subdir|/|given|
 * when |subdir| is not NULL (so "bookd.json" finds scenarios/targets/bookd.json). Returns 0 with the
 * path in |out|, or -1 with "cannot find X; looked in A, B, ..." in |err|.
 */
int br_datadir_resolve_in(const br_datadir_inputs *in, const char *given, const char *subdir, char *out,
                          size_t cap, char *err, size_t errlen);

/* The same, with the running process's inputs (environment, /proc/self/exe, build configuration). */
int br_datadir_resolve(const char *given, const char *subdir, char *out, size_t cap, char *err,
                       size_t errlen);

/* Fills |in| for the running process; |exe_buf| (|cap| bytes) receives the executable's folder. */
void br_datadir_inputs_current(br_datadir_inputs *in, char *exe_buf, size_t cap);

/* The default target profile's path relative to a data folder. */
#define BR_DEFAULT_TARGET "scenarios/targets/bookd.json"

/* A scenario, matrix or folder of scenarios named on the command line (bare names also under scenarios/). */
int br_datadir_scenario(const char *given, char *out, size_t cap, char *err, size_t errlen);

/* A target profile: |given|, or the default one when NULL (bare names also under scenarios/targets/). */
int br_datadir_target(const char *given, char *out, size_t cap, char *err, size_t errlen);

#endif
