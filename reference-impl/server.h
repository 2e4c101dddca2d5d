/*
 * The HTTP server: N threads, each one h2o event loop with its own listening
 * socket (SO_REUSEPORT: the kernel spreads connections), its own SQLite
 * connection and its own bookd_api. Threads share only read-only
 * configuration, the clock, the slot cache and the metrics.
 */
#ifndef BOOKD_SERVER_H
#define BOOKD_SERVER_H

#include "options.h"

/*
 * Runs until SIGINT or SIGTERM, then finishes the requests in flight, closes
 * the database and returns 0; returns 1 when start-up fails (the reason is on
 * stderr). Prints "bookd listening on HOST:PORT ..." on stdout once ready.
 */
int bookd_server_run(const bookd_options *options);

#endif
