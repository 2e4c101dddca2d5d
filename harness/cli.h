/*
 * The one command-line parser of every bookrace subcommand (getopt_long, as wrk
 * does): a subcommand lists its options in a table and gets them back one at a
 * time, then its positional arguments. Every subcommand answers --help (and -h)
 * with its usage on stdout and exit 0; an unknown option, a missing value or a
 * value its handler refuses prints the reason and the usage on stderr and is
 * exit 2 (BR_EXIT_USAGE).
 */
#ifndef BR_CLI_H
#define BR_CLI_H

#include <stddef.h>

/* Option ids start here, clear of the letters and of getopt_long's own return values. */
#define BR_CLI_FIRST_ID 256

typedef struct {
    const char *name; /* long name without "--"; NULL ends the table */
    int letter;       /* a short option letter, or 0 */
    int has_value;    /* 1: takes a value ("--out DIR" or "--out=DIR") */
    int id;           /* handed back to the handler: BR_CLI_FIRST_ID or above, distinct */
} br_cli_option;

typedef struct {
    const char *usage;            /* printed for --help and after every error */
    const br_cli_option *options; /* ends with {NULL} */
    size_t min_args, max_args;    /* how many positional arguments it takes */
    const char *args_missing;     /* the message when fewer than min_args are given */
} br_cli_spec;

/*
 * Called once per option in command-line order. Returns 0, or -1 when |value| is
 * not acceptable; it may then put its own reason in |err| (otherwise the parser
 * says "invalid value 'V' for --NAME").
 */
typedef int (*br_cli_handler)(void *arg, int id, const char *value, char *err, size_t errlen);

enum { BR_CLI_OK = 0, BR_CLI_HELP = 1, BR_CLI_ERROR = -1 };

/*
 * Parses argv[1..argc) (argv[0] is the subcommand's name); options and positional
 * arguments may come in any order and "--" ends the options. On BR_CLI_OK the
 * positional arguments are in |args| (pointers into argv; room for max_args) and
 * their number in |nargs|. BR_CLI_HELP: the usage went to stdout (exit 0).
 * BR_CLI_ERROR: the reason and the usage went to stderr (exit 2).
 */
int br_cli_parse(const br_cli_spec *spec, int argc, char **argv, br_cli_handler handler, void *arg,
                 const char **args, size_t *nargs);

/* Prints "bookrace: MESSAGE" and the usage to stderr; returns BR_EXIT_USAGE. */
int br_cli_usage_error(const br_cli_spec *spec, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A whole decimal number in [min, max]. Returns 0, or -1 for anything else. */
int br_cli_long(const char *s, long min, long max, long *out);
/* A duration: "30", "30s", "500ms", "250us" or "2m", in seconds, not negative. Returns 0 or -1. */
int br_cli_duration(const char *s, double *out_s);

#endif
