/*
 * The exit codes of every bookrace subcommand, named once. CI pipelines branch
 * on them, so they are part of the interface (README "exit codes"): a number
 * changes only with a major version.
 */
#ifndef BR_EXITCODE_H
#define BR_EXITCODE_H

enum {
    BR_EXIT_HELD = 0, /* the expectation held: no violation (or, with --expect-violation, one reproduced) */
    BR_EXIT_NOT_HELD = 1,  /* it did not; also a result that could not be written */
    BR_EXIT_USAGE = 2,     /* bad command line, scenario, profile or input file */
    BR_EXIT_TARGET = 3,    /* the target could not be reached or answered nonsense */
    BR_EXIT_THRESHOLD = 4, /* load: a --threshold failed (and the oracle found nothing) */
    BR_EXIT_UNDECIDED =
        5, /* matrix: no cell failed, but a rate expectation could not be decided: more trials */
    BR_EXIT_REGRESSION = 6, /* compare: a metric's 95% interval is wholly worse than --max-regress */
    BR_EXIT_INTERRUPTED =
        130 /* SIGINT or SIGTERM (128 + 2, as a shell reports it); partial results are written */
};

#endif
