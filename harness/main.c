/* bookrace: fires scripted parallel booking sequences at a backend and checks the outcome. */
#include "race.h"
#include "jsonload.h"
#include "load.h"
#include "report.h"
#include "matrix.h"
#include "results.h"
#include "scenario.h"
#include "bookd_proc.h"
#include "target.h"

#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef BOOKRACE_VERSION
#define BOOKRACE_VERSION "0.0.0"
#endif

enum { EXIT_HELD = 0, EXIT_NOT_HELD = 1, EXIT_USAGE = 2, EXIT_TARGET = 3, EXIT_INTERRUPTED = 130 };

static atomic_int stop_flag;

static void on_sigint(int sig)
{
    (void)sig;
    atomic_store(&stop_flag, 1);
}

static const char usage[] =
    "usage: bookrace run SCENARIO.json [--target TARGET.json] [--base-url URL]... [--out DIR]\n"
    "                    [--repeat N] [--seed N] [--threads N] [--junit FILE] [--expect-violation] "
    "[--quiet]\n"
    "                    [--verify-mongo URI [--mongo-db NAME] [--mongo-collection inspections]]\n"
    "       bookrace check RUN.json [--expect-violation]\n"
    "       bookrace load SCENARIO.json|--url URL [--threads N] [--connections N] [--duration 30s] [--rate "
    "R/s]\n"
    "                     [--warmup 5s] [--out DIR] [--json FILE] (bookrace load --help for all options)\n"
    "       bookrace report RUN.json|load.json [-o report.html]\n"
    "       bookrace compare BASE.json NEW.json [--max-regress 10%] [-o compare.html]\n"
    "       bookrace matrix MATRIX.json [--bookd PATH] [--out DIR] [--threads N] [--scenario NAME] [--mode "
    "NAME]\n"
    "                       [--quiet]\n"
    "       bookrace --help | --version\n"
    "\n"
    "run     runs the scenario's steps against the target (default scenarios/targets/bookd.json) and checks\n"
    "        that no two acknowledged bookings of one inspector overlap and none is lost\n"
    "check   re-runs the oracle on a saved run.json\n"
    "matrix  runs every scenario against a fresh bookd in every mode and compares each cell with its\n"
    "        expected outcome (the CI gate); bookd is found next to bookrace unless --bookd is given\n"
    "\n"
    "exit codes: 0 the expectation held (no violation; with --expect-violation, at least one reproduced)\n"
    "            1 it did not; 2 bad command line, scenario or profile; 3 the target could not be reached\n"
    "            or answered nonsense; 130 interrupted (partial results are still written)\n";

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "bookrace: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n%s", usage);
    return EXIT_USAGE;
}

static int parse_int(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static void default_out_dir(char *buf, size_t cap, const char *scenario)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char stamp[32];
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
    snprintf(buf, cap, "results/%s-%s", stamp, scenario);
    struct stat st;
    for (int i = 2; stat(buf, &st) == 0 && i < 1000; i++)
        snprintf(buf, cap, "results/%s-%s-%d", stamp, scenario, i);
}

static int cmd_run(int argc, char **argv)
{
    const char *scenario_path = NULL, *target_path = NULL, *out_dir = NULL, *junit_path = NULL;
    const char *verify_uri = NULL, *mongo_db = NULL, *mongo_collection = NULL;
    char **base_urls = calloc((size_t)argc + 1, sizeof(char *));
    size_t base_url_count = 0;
    long repeat = 1, seed = 1, threads = 0;
    int expect_violation = 0, quiet = 0, rc;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--expect-violation") == 0) {
            expect_violation = 1;
        } else if (strcmp(a, "--quiet") == 0) {
            quiet = 1;
        } else if (a[0] == '-' && a[1] == '-') {
            if (v == NULL) {
                free(base_urls);
                return usage_error("%s needs a value", a);
            }
            i++;
            if (strcmp(a, "--target") == 0)
                target_path = v;
            else if (strcmp(a, "--base-url") == 0)
                base_urls[base_url_count++] = (char *)v;
            else if (strcmp(a, "--out") == 0)
                out_dir = v;
            else if (strcmp(a, "--junit") == 0)
                junit_path = v;
            else if (strcmp(a, "--verify-mongo") == 0)
                verify_uri = v;
            else if (strcmp(a, "--mongo-db") == 0)
                mongo_db = v;
            else if (strcmp(a, "--mongo-collection") == 0)
                mongo_collection = v;
            else if (strcmp(a, "--repeat") == 0    ? parse_int(v, 1, 100000, &repeat) != 0
                     : strcmp(a, "--seed") == 0    ? parse_int(v, 0, LONG_MAX, &seed) != 0
                     : strcmp(a, "--threads") == 0 ? parse_int(v, 1, 256, &threads) != 0
                                                   : (free(base_urls), 1)) {
                if (strcmp(a, "--repeat") && strcmp(a, "--seed") && strcmp(a, "--threads"))
                    return usage_error("unknown option %s", a);
                free(base_urls);
                return usage_error("invalid value for %s", a);
            }
        } else if (scenario_path == NULL) {
            scenario_path = a;
        } else {
            free(base_urls);
            return usage_error("unexpected argument %s", a);
        }
    }
    if (scenario_path == NULL) {
        free(base_urls);
        return usage_error("%s", "run needs a SCENARIO.json");
    }
    char err[1024], target_buf[PATH_MAX + 64];
    if (target_path == NULL)
        target_path = br_default_target_path(target_buf, sizeof(target_buf));
    br_scenario *sc = br_scenario_load(scenario_path, err, sizeof(err));
    if (sc == NULL) {
        fprintf(stderr, "bookrace: %s\n", err);
        free(base_urls);
        return EXIT_USAGE;
    }
    br_target *tg = br_target_load(target_path, err, sizeof(err));
    if (tg == NULL || (base_url_count && br_target_set_base_urls(tg, base_urls, base_url_count) != 0)) {
        if (tg != NULL)
            snprintf(err, sizeof(err), "--base-url must be an http:// or https:// URL");
        fprintf(stderr, "bookrace: %s\n", err);
        br_scenario_free(sc);
        br_target_free(tg);
        free(base_urls);
        return EXIT_USAGE;
    }
    free(base_urls);
    if ((mongo_db || mongo_collection) && verify_uri == NULL) {
        br_scenario_free(sc);
        br_target_free(tg);
        return usage_error("%s", "--mongo-db and --mongo-collection go with --verify-mongo");
    }
    br_mongo_verify verify;
    memset(&verify, 0, sizeof(verify));
    if (verify_uri != NULL) {
        if (strncmp(verify_uri, "mongodb://", 10) != 0 && strncmp(verify_uri, "mongodb+srv://", 14) != 0) {
            br_scenario_free(sc);
            br_target_free(tg);
            return usage_error("--verify-mongo needs a mongodb:// URI, not %s", verify_uri);
        }
        br_mongo_verify_from_json(&verify, tg->mongo, target_path, err, sizeof(err)); /* validated at load */
        verify.uri = strdup(verify_uri);
        verify.db = strdup(mongo_db ? mongo_db : "bookd");
        verify.collection = strdup(mongo_collection ? mongo_collection : "inspections");
    }

    br_run_config cfg = {.scenario = sc,
                         .target = tg,
                         .repeat = (int)repeat,
                         .seed = (uint64_t)seed,
                         .quiet = quiet,
                         .stop = &stop_flag,
                         .verify_mongo = verify_uri ? &verify : NULL};
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    cfg.threads = threads ? (int)threads
                          : (int)((size_t)(cpus < 1 ? 1 : cpus) < sc->actor_count ? (cpus < 1 ? 1 : cpus)
                                                                                  : (long)sc->actor_count);
    uint32_t rnd = 0;
    if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
        rnd = (uint32_t)time(NULL) ^ (uint32_t)getpid();
    snprintf(cfg.run_id, sizeof(cfg.run_id), "%08x", rnd);

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    br_run_result result;
    int status = br_run(&cfg, &result);
    br_run_meta meta = {
        .scenario_file = scenario_path, .target_file = target_path, .expect_violation = expect_violation};
    size_t with = br_run_trials_with_violations(&result);
    if (status == BR_RUN_EINTERRUPTED) {
        rc = EXIT_INTERRUPTED;
        meta.outcome = "interrupted";
    } else if (status == BR_RUN_ETARGET) {
        rc = EXIT_TARGET;
        meta.outcome = "target-error";
    } else if (status == BR_RUN_EINTERNAL) {
        rc = EXIT_USAGE;
        meta.outcome = "scenario-error";
    } else if (result.trial_count > 0 && br_run_trials_inconclusive(&result) == result.trial_count &&
               with == 0) {
        /* Nothing raced in any trial: neither "no violation" nor "reproduced" has been shown. */
        rc = EXIT_NOT_HELD;
        meta.outcome = "inconclusive";
    } else {
        int held = expect_violation ? with > 0 : with == 0;
        rc = held ? EXIT_HELD : EXIT_NOT_HELD;
        meta.outcome = held ? "pass" : "fail";
    }
    meta.exit_code = rc;

    char dir_buf[4096];
    if (out_dir == NULL) {
        default_out_dir(dir_buf, sizeof(dir_buf), sc->name);
        out_dir = dir_buf;
    }
    if (br_results_write(out_dir, &cfg, &result, &meta, err, sizeof(err)) != 0) {
        fprintf(stderr, "bookrace: %s\n", err);
        if (rc == EXIT_HELD)
            rc = EXIT_NOT_HELD;
    }
    if (junit_path != NULL) {
        /* --junit FILE: a copy of junit.xml where CI expects it. */
        char src[4200];
        snprintf(src, sizeof(src), "%s/junit.xml", out_dir);
        FILE *in = fopen(src, "rb");
        char *data = NULL;
        size_t len = 0;
        if (in) {
            fseek(in, 0, SEEK_END);
            len = (size_t)ftell(in);
            fseek(in, 0, SEEK_SET);
            data = malloc(len + 1);
            if (fread(data, 1, len, in) != len)
                len = 0;
            fclose(in);
        }
        if (data == NULL || br_write_path_atomic(junit_path, data, len) != 0) {
            fprintf(stderr, "bookrace: cannot write %s\n", junit_path);
            if (rc == EXIT_HELD)
                rc = EXIT_NOT_HELD;
        }
        free(data);
    }
    if (quiet) {
        printf("%s: %zu/%zu trials reproduced a violation; %s (exit %d)\n", sc->name, with,
               result.trial_count, meta.outcome, rc);
    } else {
        br_results_summary(stdout, &cfg, &result, &meta);
        printf("results: %s\n", out_dir);
    }
    br_run_result_free(&result);
    br_mongo_verify_free(&verify);
    br_scenario_free(sc);
    br_target_free(tg);
    return rc;
}

static int cmd_check(int argc, char **argv)
{
    const char *path = NULL;
    int force_expect = 0;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--expect-violation") == 0)
            force_expect = 1;
        else if (path == NULL && argv[i][0] != '-')
            path = argv[i];
        else
            return usage_error("unexpected argument %s", argv[i]);
    }
    if (path == NULL)
        return usage_error("%s", "check needs a RUN.json");
    char err[1024];
    int expect = 0;
    size_t trials = 0;
    int with = br_results_check(path, stdout, &expect, &trials, err, sizeof(err));
    if (with < 0) {
        fprintf(stderr, "bookrace: %s\n", err);
        return EXIT_USAGE;
    }
    expect |= force_expect;
    int held = expect ? with > 0 : with == 0;
    printf("%d of %zu trials show a violation; expected %s: %s\n", with, trials,
           expect ? "a violation" : "none", held ? "pass" : "fail");
    return held ? EXIT_HELD : EXIT_NOT_HELD;
}

static json_t *load_json_or_complain(const char *path)
{
    char err[1024];
    json_t *doc = br_json_load_file(path, err, sizeof(err));
    if (doc == NULL)
        fprintf(stderr, "bookrace: %s\n", err);
    return doc;
}

/* Writes |fill|'s output to |path| atomically. */
static int write_via(const char *path, int (*fill)(FILE *f, void *arg), void *arg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    int rc = fill(f, arg);
    fclose(f);
    if (rc == 0 && br_write_path_atomic(path, buf, len) != 0) {
        fprintf(stderr, "bookrace: cannot write %s: %s\n", path, strerror(errno));
        rc = -1;
    }
    free(buf);
    return rc;
}

static int fill_report(FILE *f, void *arg)
{
    char err[256];
    if (br_report_html(arg, f, err, sizeof(err)) != 0) {
        fprintf(stderr, "bookrace: %s\n", err);
        return -1;
    }
    return 0;
}

static int cmd_report(int argc, char **argv)
{
    const char *path = NULL, *out = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (path == NULL && argv[i][0] != '-')
            path = argv[i];
        else
            return usage_error("unexpected argument %s", argv[i]);
    }
    if (path == NULL)
        return usage_error("%s", "report needs a RUN.json or load.json");
    json_t *doc = load_json_or_complain(path);
    if (doc == NULL)
        return EXIT_USAGE;
    char out_buf[4200];
    if (out == NULL) {
        snprintf(out_buf, sizeof(out_buf), "%s", path);
        char *slash = strrchr(out_buf, '/');
        snprintf(slash ? slash + 1 : out_buf, sizeof(out_buf) - (size_t)(slash ? slash + 1 - out_buf : 0),
                 "report.html");
        out = out_buf;
    }
    int rc = write_via(out, fill_report, doc);
    json_decref(doc);
    if (rc == 0)
        printf("report: %s\n", out);
    return rc == 0 ? 0 : EXIT_USAGE;
}

static int cmd_compare(int argc, char **argv)
{
    const char *paths[2] = {NULL, NULL}, *html_path = NULL;
    double max_pct = 10;
    int n = 0;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
            html_path = argv[++i];
        } else if (strcmp(argv[i], "--max-regress") == 0 && i + 1 < argc) {
            char *end;
            max_pct = strtod(argv[++i], &end);
            if (end == argv[i] || (*end && strcmp(end, "%") != 0) || max_pct < 0)
                return usage_error("invalid --max-regress %s (e.g. 10%)", argv[i]);
        } else if (n < 2 && argv[i][0] != '-') {
            paths[n++] = argv[i];
        } else {
            return usage_error("unexpected argument %s", argv[i]);
        }
    }
    if (n != 2)
        return usage_error("%s", "compare needs BASE.json and NEW.json");
    json_t *base = load_json_or_complain(paths[0]), *next = base ? load_json_or_complain(paths[1]) : NULL;
    if (next == NULL) {
        json_decref(base);
        return EXIT_USAGE;
    }
    char err[512];
    br_compare_result res;
    FILE *html = NULL;
    char *html_buf = NULL;
    size_t html_len = 0;
    if (html_path)
        html = open_memstream(&html_buf, &html_len);
    int rc = br_compare(base, next, max_pct, stdout, html, &res, err, sizeof(err));
    if (html)
        fclose(html);
    if (rc != 0) {
        fprintf(stderr, "bookrace: %s\n", err);
        rc = EXIT_USAGE;
    } else {
        if (html_path && br_write_path_atomic(html_path, html_buf, html_len) != 0)
            fprintf(stderr, "bookrace: cannot write %s: %s\n", html_path, strerror(errno));
        printf("%d metrics regressed past %.1f%%%s\n", res.regressions, max_pct,
               res.verdict_worse ? "; the oracle verdict got worse" : "");
        rc = res.regressions || res.verdict_worse ? EXIT_NOT_HELD : EXIT_HELD;
    }
    free(html_buf);
    json_decref(base);
    json_decref(next);
    return rc;
}

static int cmd_matrix(int argc, char **argv)
{
    const char *path = NULL, *out_dir = NULL, *bookd = NULL, *only_scenario = NULL, *only_mode = NULL;
    long threads = 0;
    int quiet = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--quiet") == 0) {
            quiet = 1;
            continue;
        }
        if (a[0] != '-') {
            if (path != NULL)
                return usage_error("unexpected argument %s", a);
            path = a;
            continue;
        }
        if (v == NULL)
            return usage_error("%s needs a value", a);
        i++;
        if (strcmp(a, "--out") == 0)
            out_dir = v;
        else if (strcmp(a, "--bookd") == 0)
            bookd = v;
        else if (strcmp(a, "--scenario") == 0)
            only_scenario = v;
        else if (strcmp(a, "--mode") == 0)
            only_mode = v;
        else if (strcmp(a, "--threads") == 0) {
            if (parse_int(v, 1, 256, &threads) != 0)
                return usage_error("invalid value for %s", a);
        } else
            return usage_error("unknown option %s", a);
    }
    if (path == NULL)
        return usage_error("%s", "matrix needs a MATRIX.json");
    char err[1024], bookd_buf[PATH_MAX + 16], dir_buf[4096];
    br_matrix *m = br_matrix_load(path, err, sizeof(err));
    if (m == NULL) {
        fprintf(stderr, "bookrace: %s\n", err);
        return EXIT_USAGE;
    }
    if (bookd == NULL) {
        br_default_bookd_path(bookd_buf, sizeof(bookd_buf));
        bookd = bookd_buf;
    }
    if (out_dir == NULL) {
        default_out_dir(dir_buf, sizeof(dir_buf), "matrix");
        out_dir = dir_buf;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    br_matrix_options opts = {.bookd_bin = bookd,
                              .out_dir = out_dir,
                              .harness_threads = (int)threads,
                              .quiet = quiet,
                              .stop = &stop_flag,
                              .only_scenario = only_scenario,
                              .only_mode = only_mode};
    int rc = br_matrix_run(m, &opts);
    br_matrix_free(m);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage_error("%s", "a command is required");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("bookrace %s (libcurl %s)\n", BOOKRACE_VERSION, curl_version_info(CURLVERSION_NOW)->version);
        return 0;
    }
    curl_global_init(CURL_GLOBAL_ALL);
    int rc;
    if (strcmp(argv[1], "run") == 0)
        rc = cmd_run(argc, argv);
    else if (strcmp(argv[1], "check") == 0)
        rc = cmd_check(argc, argv);
    else if (strcmp(argv[1], "matrix") == 0)
        rc = cmd_matrix(argc, argv);
    else if (strcmp(argv[1], "report") == 0)
        rc = cmd_report(argc, argv);
    else if (strcmp(argv[1], "compare") == 0)
        rc = cmd_compare(argc, argv);
    else if (strcmp(argv[1], "load") == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_sigint;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        rc = br_load_main(argc, argv, &stop_flag);
    } else
        rc = usage_error("unknown command %s", argv[1]);
    curl_global_cleanup();
    return rc;
}
