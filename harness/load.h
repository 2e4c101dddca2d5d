/* bookrace load: a weighted mix of a scenario's operations (or plain GETs of one URL) at full speed or a
 * fixed rate. */
#ifndef BR_LOAD_H
#define BR_LOAD_H

#include <stdatomic.h>

/* Runs the load subcommand (argv as given to bookrace); returns the exit code. */
int br_load_main(int argc, char **argv, atomic_int *stop);

#endif
