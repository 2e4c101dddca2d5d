/*
 * A suite: `bookrace run` over several scenario files or a folder of them,
 * the one-line CI gate (`bookrace run scenarios/ --target mine.json`). Each
 * scenario runs with its own expectation ("expect": "violation" or "clean" in
 * the file; clean by default), all against the same target, and the run
 * leaves one results folder:
 *   OUT/<scenario>/         run.json, junit.xml, summary.txt, report.html (as a single run writes)
 *   OUT/junit.xml           every scenario's test suite in one file: a test case per scenario and trial
 *   OUT/suite.json          schema "bookrace.suite/1": each scenario's file, expectation, outcome, exit code
 *   OUT/summary.txt         one line per scenario, then the suite's verdict
 *   OUT/index.html          the scenarios with links to their reports
 * Folders are read one level deep, in name order; what is not a scenario (a
 * matrix, a target profile, a sub-folder such as scenarios/targets/, a file
 * that is not .json) is listed as skipped with the reason, never run and
 * never silently dropped. A file named on the command line must be a
 * scenario, and a .json file that does not parse is an error (file:line:col),
 * not a skip: a broken scenario must fail the gate, not vanish from it.
 * The exit code follows the single-run table (br_suite_exit_code).
 * This module holds the pure parts (classification, collection, the exit
 * code, the merged JUnit); the loop that runs the scenarios is br_suite_run.
 */
#ifndef BR_SUITE_H
#define BR_SUITE_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#define BR_SUITE_SCHEMA "bookrace.suite/1"

typedef struct {
    char *path;        /* the file (or folder, when skipped) */
    char *skip_reason; /* NULL for a scenario to run; why it is not one otherwise */
} br_suite_entry;

typedef struct {
    br_suite_entry *items;
    size_t count;
} br_suite_list;

/* NULL when |doc| is a scenario (an object with a "steps" list); otherwise what it is instead. */
const char *br_suite_classify(json_t *doc);

/*
 * Expands the command line's paths (each already resolved) into |out|: a
 * file is one entry and must be a scenario; a folder adds its entries in name
 * order, hidden ones left out. Returns 0, or -1 with the reason in |err| (a
 * path that cannot be read, a named file that is not a scenario, a .json that
 * does not parse, no scenario at all). The caller frees |out| with
 * br_suite_list_free in both cases.
 */
int br_suite_collect(const char *const *paths, size_t n, br_suite_list *out, char *err, size_t errlen);
void br_suite_list_free(br_suite_list *list);
/* The entries that are scenarios. */
size_t br_suite_scenario_count(const br_suite_list *list);

/*
 * The suite's exit code from each scenario's outcome ("pass", "fail",
 * "inconclusive", "target-error", "scenario-error", "interrupted"), in the
 * single-run table's order of precedence: interrupted 130, a scenario that
 * could not run 2, a definite failure 1 (a violation found, or an expected one
 * not reproduced: the finding outranks another scenario's unreachable
 * target), a target error 3, an inconclusive scenario 1, otherwise 0.
 * No outcomes at all is 1: a gate that ran nothing has shown nothing.
 */
int br_suite_exit_code(const char *const *outcomes, size_t n);

/*
 * Writes one JUnit document holding every <testsuite> of the per-scenario
 * JUnit documents |docs| (as junit.xml files hold them), in order. Returns the
 * number of test suites copied, or -1 when a document holds none.
 */
int br_suite_junit_merge(const char *const *docs, size_t n, FILE *out);

#endif
