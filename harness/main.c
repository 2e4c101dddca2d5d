/*
 * bookrace's entry point: fires scripted parallel booking sequences at a
 * backend and checks the outcome. main only dispatches: each subcommand lives
 * in its own cmd_<name>.c (commands.h), parses its own options with cli.c and
 * returns one of the exit codes in exitcode.h. SIGINT and SIGTERM set a flag
 * that run, load and matrix poll, so an interrupted run still writes what it
 * recorded.
 */
#include "alloc.h"
#include "commands.h"
#include "exitcode.h"
#include "version.h"

#include <curl/curl.h>
#include <jansson.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

static atomic_int stop_flag;

static void on_sigint(int sig)
{
    (void)sig;
    atomic_store(&stop_flag, 1);
}

static const char usage[] =
    "usage: bookrace run SCENARIO.json|DIR... [--target TARGET.json] [--base-url URL]... [--out DIR]\n"
    "                    [--repeat N] [--seed N] [--threads N] [--junit FILE] [--expect-violation] "
    "[--quiet]\n"
    "                    [--verify-mongo URI [--mongo-db NAME] [--mongo-collection inspections]]\n"
    "       bookrace check RUN.json|LOAD.json|HISTORY.jsonl.zst [--expect-violation]\n"
    "       bookrace load SCENARIO.json|--url URL [--threads N] [--connections N] [--duration 30s] [--rate "
    "R/s]\n"
    "                     [--warmup 5s] [--out DIR] [--json FILE] (bookrace load --help for all options)\n"
    "       bookrace report RUN.json|load.json|matrix.json|window.json [-o report.html]\n"
    "       bookrace compare BASE NEW | BASE... -- NEW... [--max-regress 10%] [-o compare.html] [--json "
    "FILE]\n"
    "       bookrace merge LOAD.json LOAD.json... -o MERGED.json   (a fleet's segments as one result)\n"
    "       bookrace matrix MATRIX.json [--bookd PATH] [--out DIR] [--threads N] [--scenario NAME] [--mode "
    "NAME]\n"
    "                       [--quiet]\n"
    "       bookrace shrink RUN.json [-o MINIMAL.json] [--trials N] [--min-rate R] [--target TARGET.json]\n"
    "                       (the minimal witness)\n"
    "       bookrace window SCENARIO.json [--target ...] [--sweep barrier|advance] [--max 50ms] [--step "
    "1ms]\n"
    "                       [--trials N] [--delays 0,5ms,60ms]   (the race window: reproduction rate by "
    "delay)\n"
    "       bookrace --help | --version\n"
    "       bookrace COMMAND --help | bookrace help COMMAND   (each command's usage)\n"
    "\n"
    "run     runs the scenario's steps against the target (default scenarios/targets/bookd.json) and checks\n"
    "        that no two acknowledged bookings of one inspector overlap and none is lost; several\n"
    "        scenarios or a folder run as a suite with one results folder and one JUnit file (the CI gate)\n"
    "check   re-runs the oracle on a saved run.json, or on a load's streamed history\n"
    "load    drives sustained traffic (a scenario's mix or one URL) and reports latency, throughput and\n"
    "        the oracle's verdict on every booking it made\n"
    "report  draws a run, load, matrix or window result as one self-contained HTML page\n"
    "compare compares two load results (or runs): a regression gate for releases\n"
    "merge   merges the load results of a fleet's generators into one\n"
    "shrink  turns a run with a violation into the smallest scenario that still reproduces it\n"
    "window  measures how wide the race window is: the reproduction rate, with its 95% interval, at each\n"
    "        delay between the racers (or of an advance step), and the largest delay that still reproduces\n"
    "matrix  runs every scenario against a fresh bookd in every mode and compares each cell with its\n"
    "        expected outcome (the CI gate); bookd is found next to bookrace unless --bookd is given\n"
    "\n"
    "exit codes: 0 the expectation held (no violation; with --expect-violation, at least one reproduced)\n"
    "            1 it did not; 2 bad command line, scenario or profile; 3 the target could not be reached\n"
    "            or answered nonsense; 4 load: a --threshold failed; 5 matrix: a rate expectation undecided\n"
    "            (need more trials); 6 compare: a metric regressed; 130 interrupted (partial results are\n"
    "            still written)\n";

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv, atomic_int *stop);
    int catches_stop; /* SIGINT/SIGTERM set the stop flag instead of killing the process */
} command;

static const command commands[] = {
    {"run", br_cmd_run, 1},       {"check", br_cmd_check, 0},     {"load", br_cmd_load, 1},
    {"report", br_cmd_report, 0}, {"compare", br_cmd_compare, 0}, {"matrix", br_cmd_matrix, 1},
    {"merge", br_cmd_merge, 0},   {"shrink", br_cmd_shrink, 1},   {"window", br_cmd_window, 1},
};

static int usage_error(const char *what, const char *arg)
{
    fprintf(stderr, "bookrace: %s%s\n%s", what, arg, usage);
    return BR_EXIT_USAGE;
}

static void catch_stop_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage_error("a command is required", "");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage, stdout);
        return BR_EXIT_HELD;
    }
    if (strcmp(argv[1], "--version") == 0) {
        char line[128];
        br_version_line(line, sizeof(line), "bookrace");
        printf("%s\nlibcurl %s, jansson %s\n", line, curl_version_info(CURLVERSION_NOW)->version,
               JANSSON_VERSION);
        return BR_EXIT_HELD;
    }
    /* "bookrace help [COMMAND]", as git and cargo take it: the overview, or COMMAND --help. */
    char help_flag[] = "--help", *help_argv[] = {argv[0], argc > 2 ? argv[2] : NULL, help_flag, NULL};
    if (strcmp(argv[1], "help") == 0) {
        if (argc == 2) {
            fputs(usage, stdout);
            return BR_EXIT_HELD;
        }
        if (argc > 3)
            return usage_error("help takes one command, not ", argv[3]);
        argv = help_argv;
        argc = 3;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[1], commands[i].name) != 0)
            continue;
        xalloc_install_json();
        curl_global_init(CURL_GLOBAL_ALL);
        if (commands[i].catches_stop)
            catch_stop_signals();
        int rc = commands[i].run(argc - 1, argv + 1, &stop_flag);
        curl_global_cleanup();
        return rc;
    }
    return usage_error("unknown command ", argv[1]);
}
