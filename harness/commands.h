/*
 * bookrace's subcommands, one file each (cmd_<name>.c). Each takes the
 * command line from its own name on (argv[0] is "run", "load", ...), parses it
 * with br_cli_parse and returns a BR_EXIT_* code. |stop| is set by SIGINT or
 * SIGTERM for the commands that catch them (run, load, matrix).
 */
#ifndef BR_COMMANDS_H
#define BR_COMMANDS_H

#include <stdatomic.h>

int br_cmd_run(int argc, char **argv, atomic_int *stop);
int br_cmd_check(int argc, char **argv, atomic_int *stop);
int br_cmd_load(int argc, char **argv, atomic_int *stop);
int br_cmd_report(int argc, char **argv, atomic_int *stop);
int br_cmd_compare(int argc, char **argv, atomic_int *stop);
int br_cmd_matrix(int argc, char **argv, atomic_int *stop);
/* cmd_merge.c: the load results of a fleet's segments as one (merge.h). */
int br_cmd_merge(int argc, char **argv, atomic_int *stop);
/* cmd_shrink.c: a run with a violation down to its minimal witness scenario (shrink.h). */
int br_cmd_shrink(int argc, char **argv, atomic_int *stop);
/* cmd_window.c: the width of a race window, swept over a barrier's stagger or an advance (window.h). */
int br_cmd_window(int argc, char **argv, atomic_int *stop);

#endif
