/*
 * `bookrace check RUN.json`: re-runs the oracle on a saved run (results.c reads
 * it back) and says whether the expectation recorded in it, or forced with
 * --expect-violation, held.
 */
#include "cli.h"
#include "commands.h"
#include "exitcode.h"
#include "history_check.h"
#include "results.h"
#include "verdict.h"

#include <stdio.h>

static const char usage[] =
    "usage: bookrace check RUN.json|LOAD.json|HISTORY.jsonl.zst [--expect-violation]\n"
    "\n"
    "Re-runs the oracle and the judge on a saved run.json, or on a load's streamed history (given the\n"
    "load.json, the history next to it is read and its violations compared with the ones load.json\n"
    "recorded). Exit as run would: 0 when the expectation held, 1 when not (or every trial was\n"
    "inconclusive, or a load's violations differ), 3 when the target failed, 2 for a file that cannot\n"
    "be read.\n";

enum { OPT_EXPECT_VIOLATION = BR_CLI_FIRST_ID };

static const br_cli_option options[] = {
    {"expect-violation", 0, 0, OPT_EXPECT_VIOLATION},
    {NULL, 0, 0, 0},
};

static const br_cli_spec spec = {.usage = usage,
                                 .options = options,
                                 .min_args = 1,
                                 .max_args = 1,
                                 .args_missing = "check needs a RUN.json"};

static int on_option(void *arg, int id, const char *value, char *err, size_t errlen)
{
    (void)value;
    (void)err;
    (void)errlen;
    if (id != OPT_EXPECT_VIOLATION)
        return -1;
    *(int *)arg = 1;
    return 0;
}

int br_cmd_check(int argc, char **argv, atomic_int *stop)
{
    (void)stop;
    int force_expect = 0;
    const char *args[1];
    size_t nargs;
    int parsed = br_cli_parse(&spec, argc, argv, on_option, &force_expect, args, &nargs);
    if (parsed != BR_CLI_OK)
        return parsed == BR_CLI_HELP ? BR_EXIT_HELD : BR_EXIT_USAGE;
    char err[1024];
    int is_load = 0;
    long found = br_history_check_file(args[0], stdout, &is_load, err, sizeof(err));
    if (is_load) {
        if (found == -1) {
            fprintf(stderr, "bookrace: %s\n", err);
            return BR_EXIT_USAGE;
        }
        int held = found >= 0 && (force_expect ? found > 0 : found == 0);
        printf("expected %s: %s\n", force_expect ? "a violation" : "none", held ? "pass" : "fail");
        return held ? BR_EXIT_HELD : BR_EXIT_NOT_HELD;
    }
    int expect = 0;
    size_t trials = 0;
    size_t counts[5];
    int with = br_results_check_ex(args[0], stdout, &expect, &trials, counts, err, sizeof(err));
    if (with < 0) {
        fprintf(stderr, "bookrace: %s\n", err);
        return BR_EXIT_USAGE;
    }
    expect |= force_expect;
    /* The same verdict table as run (docs/oracle.md): only an invariant violation reproduces. */
    br_verdict v;
    br_verdict_decide(counts, expect, &v);
    char rate[128];
    printf("%d of %zu trials show a violation; %s; expected %s: %s: %s\n", with, trials,
           br_run_rate_phrase(counts[BR_TRIAL_VIOLATION], br_verdict_conclusive(counts), rate, sizeof(rate)),
           expect ? "a violation" : "none", v.result, v.reason);
    return v.exit_code;
}
