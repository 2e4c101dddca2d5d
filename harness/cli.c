/*
 * The command-line parser shared by every subcommand. It turns a subcommand's
 * option table into getopt_long's long options and short-option string, adds
 * --help and -h, and reports every mistake the same way: "bookrace: REASON"
 * and the subcommand's usage on stderr, exit 2. Before it, run, load and matrix
 * each had a hand-written loop, and `bookrace load --help` answered
 * "--help needs a value".
 */
#include "cli.h"

#include "exitcode.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BR_CLI_MAX_OPTIONS 64
#define HELP_ID (BR_CLI_FIRST_ID - 1)

int br_cli_usage_error(const br_cli_spec *spec, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "bookrace: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n%s", spec->usage);
    return BR_EXIT_USAGE;
}

/* Builds getopt_long's tables from |spec|; |shorts| gets ":" first so a missing value is reported as ':'. */
static size_t build_tables(const br_cli_spec *spec, struct option *longs, char *shorts, size_t shorts_cap)
{
    size_t n = 0, s = 0;
    shorts[s++] = ':';
    shorts[s++] = 'h';
    for (const br_cli_option *o = spec->options; o && o->name && n < BR_CLI_MAX_OPTIONS - 2; o++, n++) {
        longs[n] = (struct option){o->name, o->has_value ? required_argument : no_argument, NULL, o->id};
        if (o->letter && s + 3 < shorts_cap) {
            shorts[s++] = (char)o->letter;
            if (o->has_value)
                shorts[s++] = ':';
        }
    }
    longs[n++] = (struct option){"help", no_argument, NULL, HELP_ID};
    longs[n] = (struct option){NULL, 0, NULL, 0};
    shorts[s] = '\0';
    return n;
}

/* The table entry getopt_long returned |c| for: a long option's id (>= BR_CLI_FIRST_ID) or a letter. */
static const br_cli_option *find_option(const br_cli_spec *spec, int c)
{
    for (const br_cli_option *o = spec->options; o->name; o++)
        if (o->id == c || (c < BR_CLI_FIRST_ID && o->letter == c))
            return o;
    return NULL; /* not reached: getopt_long returns only what the tables hold */
}

/* Reports getopt_long's '?' (unknown option, or a value given to a flag) and ':' (missing value). */
static void report_mistake(const br_cli_spec *spec, int c, char **argv)
{
    const char *where = optind > 0 ? argv[optind - 1] : "?";
    if (c == ':')
        br_cli_usage_error(spec, "%s needs a value", where);
    else if (optopt >= BR_CLI_FIRST_ID)
        br_cli_usage_error(spec, "%s takes no value", where);
    else if (optopt)
        br_cli_usage_error(spec, "unknown option -%c", optopt);
    else
        br_cli_usage_error(spec, "unknown option %s", where);
}

static int parse_options(const br_cli_spec *spec, int argc, char **argv, br_cli_handler handler, void *arg)
{
    struct option longs[BR_CLI_MAX_OPTIONS];
    char shorts[2 * BR_CLI_MAX_OPTIONS + 4];
    build_tables(spec, longs, shorts, sizeof(shorts));
    opterr = 0;
    optind = 0; /* 0, not 1: glibc re-initialises its permutation state for a new argv */
    for (;;) {
        int long_index = -1;
        int c = getopt_long(argc, argv, shorts, longs, &long_index);
        if (c == -1)
            return BR_CLI_OK;
        if (c == 'h' || c == HELP_ID) {
            fputs(spec->usage, stdout);
            return BR_CLI_HELP;
        }
        if (c == '?' || c == ':') {
            report_mistake(spec, c, argv);
            return BR_CLI_ERROR;
        }
        const br_cli_option *o = find_option(spec, c);
        if (o == NULL)
            return BR_CLI_ERROR;
        char err[512] = "";
        if (handler(arg, o->id, o->has_value ? optarg : NULL, err, sizeof(err)) != 0) {
            if (err[0])
                br_cli_usage_error(spec, "%s", err);
            else
                br_cli_usage_error(spec, "invalid value '%s' for --%s", optarg ? optarg : "", o->name);
            return BR_CLI_ERROR;
        }
    }
}

int br_cli_parse(const br_cli_spec *spec, int argc, char **argv, br_cli_handler handler, void *arg,
                 const char **args, size_t *nargs)
{
    *nargs = 0;
    int rc = parse_options(spec, argc, argv, handler, arg);
    if (rc != BR_CLI_OK)
        return rc;
    for (int i = optind; i < argc; i++) {
        if (*nargs == spec->max_args) {
            br_cli_usage_error(spec, "unexpected argument %s", argv[i]);
            return BR_CLI_ERROR;
        }
        args[(*nargs)++] = argv[i];
    }
    if (*nargs < spec->min_args) {
        br_cli_usage_error(spec, "%s", spec->args_missing ? spec->args_missing : "missing arguments");
        return BR_CLI_ERROR;
    }
    return BR_CLI_OK;
}

int br_cli_long(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int br_cli_duration(const char *s, double *out_s)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || !isfinite(v) || v < 0) /* "inf", "nan" and 1e400 are no durations */
        return -1;
    if (strcmp(end, "ms") == 0)
        v /= 1000;
    else if (strcmp(end, "us") == 0)
        v /= 1e6;
    else if (strcmp(end, "m") == 0)
        v *= 60;
    else if (*end != '\0' && strcmp(end, "s") != 0)
        return -1;
    if (!isfinite(v)) /* "1e307m" */
        return -1;
    *out_s = v;
    return 0;
}
