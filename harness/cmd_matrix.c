/*
 * `bookrace matrix MATRIX.json`: the CI gate. Reads the matrix (matrix.c),
 * finds bookd next to bookrace unless --bookd is given, and runs every
 * scenario against a fresh bookd in every mode (br_matrix_run).
 */
#include "bookd_proc.h"
#include "cli.h"
#include "commands.h"
#include "datadir.h"
#include "exitcode.h"
#include "matrix.h"
#include "util.h"

#include <limits.h>
#include <stdio.h>

static const char usage[] =
    "usage: bookrace matrix MATRIX.json [--bookd PATH] [--out DIR] [--threads N] [--scenario NAME] "
    "[--mode NAME]\n"
    "                       [--quiet]\n"
    "\n"
    "Runs every scenario against a fresh bookd in every mode and compares each cell with its expected\n"
    "outcome (the CI gate); bookd is found next to bookrace unless --bookd is given. Each cell states its\n"
    "rate k/n with the 95% Wilson interval; a rate expectation (violation>=SHARE) is judged on the\n"
    "interval, and a cell whose interval straddles SHARE is undecided: need more trials.\n"
    "Exit 0 when every cell is as expected, 1 when one is not, 5 when none failed but one is undecided\n"
    "(raise the row's repeat), 2 for a bad matrix, 130 when interrupted.\n";

enum { OPT_OUT = BR_CLI_FIRST_ID, OPT_BOOKD, OPT_SCENARIO, OPT_MODE, OPT_THREADS, OPT_QUIET };

static const br_cli_option options[] = {
    {"out", 0, 1, OPT_OUT},   {"bookd", 0, 1, OPT_BOOKD},     {"scenario", 0, 1, OPT_SCENARIO},
    {"mode", 0, 1, OPT_MODE}, {"threads", 0, 1, OPT_THREADS}, {"quiet", 0, 0, OPT_QUIET},
    {NULL, 0, 0, 0},
};

static const br_cli_spec spec = {.usage = usage,
                                 .options = options,
                                 .min_args = 1,
                                 .max_args = 1,
                                 .args_missing = "matrix needs a MATRIX.json"};

static int on_option(void *arg, int id, const char *v, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    br_matrix_options *o = arg;
    long threads;
    switch (id) {
    case OPT_OUT:
        o->out_dir = v;
        return 0;
    case OPT_BOOKD:
        o->bookd_bin = v;
        return 0;
    case OPT_SCENARIO:
        o->only_scenario = v;
        return 0;
    case OPT_MODE:
        o->only_mode = v;
        return 0;
    case OPT_THREADS:
        if (br_cli_long(v, 1, 256, &threads) != 0)
            return -1;
        o->harness_threads = (int)threads;
        return 0;
    case OPT_QUIET:
        o->quiet = 1;
        return 0;
    }
    return -1;
}

int br_cmd_matrix(int argc, char **argv, atomic_int *stop)
{
    br_matrix_options opts = {.stop = stop};
    const char *args[1];
    size_t nargs;
    int parsed = br_cli_parse(&spec, argc, argv, on_option, &opts, args, &nargs);
    if (parsed != BR_CLI_OK)
        return parsed == BR_CLI_HELP ? BR_EXIT_HELD : BR_EXIT_USAGE;
    char err[1024], bookd_buf[PATH_MAX + 16], dir_buf[4096], path[PATH_MAX];
    br_matrix *m = br_datadir_scenario(args[0], path, sizeof(path), err, sizeof(err)) == 0
                       ? br_matrix_load(path, err, sizeof(err))
                       : NULL;
    if (m == NULL) {
        fprintf(stderr, "bookrace: %s\n", err);
        return BR_EXIT_USAGE;
    }
    if (opts.bookd_bin == NULL) {
        br_default_bookd_path(bookd_buf, sizeof(bookd_buf));
        opts.bookd_bin = bookd_buf;
    }
    if (opts.out_dir == NULL) {
        br_default_out_dir(dir_buf, sizeof(dir_buf), "matrix");
        opts.out_dir = dir_buf;
    }
    int rc = br_matrix_run(m, &opts);
    br_matrix_free(m);
    return rc;
}
