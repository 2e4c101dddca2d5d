/*
 * The option parser every subcommand shares (cli.h): options and arguments in
 * any order, --opt=value and --opt value, short letters, "--", --help and -h
 * on stdout, and every mistake reported on stderr with the usage (exit 2 for
 * the caller). Also the number and duration readers the handlers use.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "exitcode.h"

enum { OPT_OUT = BR_CLI_FIRST_ID, OPT_QUIET, OPT_REPEAT };

static const br_cli_option options[] = {
    {"out", 'o', 1, OPT_OUT}, {"quiet", 'q', 0, OPT_QUIET}, {"repeat", 0, 1, OPT_REPEAT}, {NULL, 0, 0, 0}};
static const br_cli_spec spec = {.usage = "usage: bookrace thing [options] FILE [FILE]\n",
                                 .options = options,
                                 .min_args = 1,
                                 .max_args = 2,
                                 .args_missing = "thing needs a FILE"};

/* What the handler saw, in order. */
typedef struct {
    char seen[512];
    long repeat;
} opts;

static int handler(void *arg, int id, const char *value, char *err, size_t errlen)
{
    opts *o = arg;
    char item[128];
    switch (id) {
    case OPT_OUT:
        snprintf(item, sizeof(item), "out=%s;", value);
        break;
    case OPT_QUIET:
        snprintf(item, sizeof(item), "quiet%s;", value ? "(value!)" : "");
        break;
    case OPT_REPEAT:
        if (br_cli_long(value, 1, 100, &o->repeat) != 0) {
            if (strcmp(value, "explain") == 0)
                snprintf(err, errlen, "--repeat wants a count from 1 to 100");
            return -1;
        }
        snprintf(item, sizeof(item), "repeat=%ld;", o->repeat);
        break;
    default:
        fail_msg("unexpected option id %d", id);
    }
    strncat(o->seen, item, sizeof(o->seen) - strlen(o->seen) - 1);
    return 0;
}

/* The parse's result, and what it wrote to stdout and stderr. */
typedef struct {
    int rc;
    const char *args[2];
    size_t nargs;
    opts o;
    char out[1024], err[1024];
} parsed;

static void read_back(FILE *f, char *buf, size_t cap)
{
    fflush(f);
    rewind(f);
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
}

/* Parses a NULL-terminated argument list (argv[0] first), capturing stdout and stderr. */
static void parse(parsed *p, char **argv)
{
    memset(p, 0, sizeof(*p));
    int argc = 0;
    while (argv[argc])
        argc++;
    FILE *out = tmpfile(), *err = tmpfile();
    assert_non_null(out);
    assert_non_null(err);
    fflush(stdout);
    fflush(stderr);
    int saved_out = dup(1), saved_err = dup(2);
    dup2(fileno(out), 1);
    dup2(fileno(err), 2);
    p->rc = br_cli_parse(&spec, argc, argv, handler, &p->o, p->args, &p->nargs);
    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, 1);
    dup2(saved_err, 2);
    close(saved_out);
    close(saved_err);
    read_back(out, p->out, sizeof(p->out));
    read_back(err, p->err, sizeof(p->err));
}

static void test_options_and_arguments_in_any_order(void **state)
{
    (void)state;
    parsed p;
    char *argv[] = {"thing", "a.json", "--out", "DIR", "-q", "--repeat=7", "b.json", NULL};
    parse(&p, argv);
    assert_int_equal(p.rc, BR_CLI_OK);
    assert_string_equal(p.o.seen, "out=DIR;quiet;repeat=7;");
    assert_int_equal(p.nargs, 2);
    assert_string_equal(p.args[0], "a.json");
    assert_string_equal(p.args[1], "b.json");
    assert_string_equal(p.err, "");
    assert_string_equal(p.out, "");
}

static void test_short_letters_and_attached_values(void **state)
{
    (void)state;
    parsed p;
    char *argv[] = {"thing", "-oX", "-q", "f", NULL};
    parse(&p, argv);
    assert_int_equal(p.rc, BR_CLI_OK);
    assert_string_equal(p.o.seen, "out=X;quiet;");
    assert_int_equal(p.nargs, 1);
}

static void test_double_dash_ends_the_options(void **state)
{
    (void)state;
    parsed p;
    char *argv[] = {"thing", "-q", "--", "--out", NULL};
    parse(&p, argv);
    assert_int_equal(p.rc, BR_CLI_OK);
    assert_string_equal(p.o.seen, "quiet;");
    assert_int_equal(p.nargs, 1);
    assert_string_equal(p.args[0], "--out");
}

/* --help answers with the usage on stdout, even where an option taking a value could swallow it. */
static void test_help_goes_to_stdout(void **state)
{
    (void)state;
    parsed p;
    char *help[] = {"thing", "--help", NULL};
    parse(&p, help);
    assert_int_equal(p.rc, BR_CLI_HELP);
    assert_string_equal(p.out, spec.usage);
    assert_string_equal(p.err, "");
    char *h[] = {"thing", "f", "-h", NULL};
    parse(&p, h);
    assert_int_equal(p.rc, BR_CLI_HELP);
    assert_string_equal(p.out, spec.usage);
}

static void assert_error(char **argv, const char *reason)
{
    parsed p;
    parse(&p, argv);
    assert_int_equal(p.rc, BR_CLI_ERROR);
    if (strstr(p.err, reason) == NULL)
        fail_msg("expected \"%s\" in: %s", reason, p.err);
    assert_non_null(strstr(p.err, "bookrace: "));
    assert_non_null(strstr(p.err, spec.usage));
    assert_string_equal(p.out, "");
}

static void test_mistakes_are_said_with_the_usage(void **state)
{
    (void)state;
    assert_error((char *[]){"thing", "f", "--out", NULL}, "--out needs a value");
    assert_error((char *[]){"thing", "f", "--nope", NULL}, "unknown option --nope");
    assert_error((char *[]){"thing", "f", "-z", NULL}, "unknown option -z");
    assert_error((char *[]){"thing", "f", "--quiet=yes", NULL}, "--quiet=yes takes no value");
    assert_error((char *[]){"thing", NULL}, "thing needs a FILE");
    assert_error((char *[]){"thing", "a", "b", "c", NULL}, "unexpected argument c");
    /* A handler's refusal: its own reason when it gives one, the parser's otherwise. */
    assert_error((char *[]){"thing", "f", "--repeat", "0", NULL}, "invalid value '0' for --repeat");
    assert_error((char *[]){"thing", "f", "--repeat", "explain", NULL},
                 "--repeat wants a count from 1 to 100");
}

/* A second parse starts afresh (getopt's state is reset), as a suite running several commands needs. */
static void test_parses_twice_in_one_process(void **state)
{
    (void)state;
    parsed p;
    char *first[] = {"thing", "x", "--out", "A", "y", NULL};
    parse(&p, first);
    assert_int_equal(p.rc, BR_CLI_OK);
    char *second[] = {"thing", "--out", "B", "z", NULL};
    parse(&p, second);
    assert_int_equal(p.rc, BR_CLI_OK);
    assert_string_equal(p.o.seen, "out=B;");
    assert_int_equal(p.nargs, 1);
    assert_string_equal(p.args[0], "z");
}

static void test_usage_error_returns_the_usage_exit_code(void **state)
{
    (void)state;
    FILE *err = tmpfile();
    fflush(stderr);
    int saved = dup(2);
    dup2(fileno(err), 2);
    int rc = br_cli_usage_error(&spec, "bad %s %d", "thing", 3);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    char text[512];
    read_back(err, text, sizeof(text));
    assert_int_equal(rc, BR_EXIT_USAGE);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(text, "bookrace: bad thing 3\n"));
    assert_non_null(strstr(text, spec.usage));
}

static void test_whole_numbers(void **state)
{
    (void)state;
    long v = -1;
    assert_int_equal(br_cli_long("42", 1, 100, &v), 0);
    assert_int_equal(v, 42);
    assert_int_equal(br_cli_long("1", 1, 100, &v), 0);
    assert_int_equal(br_cli_long("100", 1, 100, &v), 0);
    assert_int_equal(v, 100);
    v = 7;
    assert_int_equal(br_cli_long("0", 1, 100, &v), -1);
    assert_int_equal(br_cli_long("101", 1, 100, &v), -1);
    assert_int_equal(br_cli_long("", 1, 100, &v), -1);
    assert_int_equal(br_cli_long("4x", 1, 100, &v), -1);
    assert_int_equal(br_cli_long("4.5", 1, 100, &v), -1);
    assert_int_equal(br_cli_long("99999999999999999999999", 1, 100, &v), -1);
    assert_int_equal(v, 7); /* untouched by a refusal */
    assert_int_equal(br_cli_long("-3", -5, 5, &v), 0);
    assert_int_equal(v, -3);
}

static void test_durations(void **state)
{
    (void)state;
    double s = -1;
    assert_int_equal(br_cli_duration("30", &s), 0);
    assert_true(s == 30);
    assert_int_equal(br_cli_duration("30s", &s), 0);
    assert_true(s == 30);
    assert_int_equal(br_cli_duration("500ms", &s), 0);
    assert_true(s == 0.5);
    assert_int_equal(br_cli_duration("2m", &s), 0);
    assert_true(s == 120);
    assert_int_equal(br_cli_duration("0", &s), 0);
    assert_true(s == 0);
    s = 9;
    assert_int_equal(br_cli_duration("-1", &s), -1);
    assert_int_equal(br_cli_duration("", &s), -1);
    assert_int_equal(br_cli_duration("s", &s), -1);
    assert_int_equal(br_cli_duration("3h", &s), -1);
    assert_int_equal(br_cli_duration("3 s", &s), -1);
    /* Not a duration a run can have. */
    assert_int_equal(br_cli_duration("inf", &s), -1);
    assert_int_equal(br_cli_duration("nan", &s), -1);
    assert_int_equal(br_cli_duration("1e400", &s), -1);
    assert_true(s == 9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options_and_arguments_in_any_order),
        cmocka_unit_test(test_short_letters_and_attached_values),
        cmocka_unit_test(test_double_dash_ends_the_options),
        cmocka_unit_test(test_help_goes_to_stdout),
        cmocka_unit_test(test_mistakes_are_said_with_the_usage),
        cmocka_unit_test(test_parses_twice_in_one_process),
        cmocka_unit_test(test_usage_error_returns_the_usage_exit_code),
        cmocka_unit_test(test_whole_numbers),
        cmocka_unit_test(test_durations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
