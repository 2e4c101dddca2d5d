/*
 * bookd's entry point: parse the command line (options.c), then run the
 * server (server.c) until SIGINT or SIGTERM. Exit codes: 0 after a signal,
 * 1 when the server could not start, 2 for a bad command line.
 */
#include "alloc.h"
#include "options.h"
#include "server.h"
#include "version.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    bookd_options options;
    char err[512];
    xalloc_install_json();
    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        char line[128];
        br_version_line(line, sizeof(line), "bookd");
        puts(line);
        return 0;
    }
    switch (bookd_options_parse(argc, argv, &options, err, sizeof(err))) {
    case BOOKD_OPTIONS_HELP:
        fputs(bookd_usage, stdout);
        return 0;
    case BOOKD_OPTIONS_ERROR:
        fprintf(stderr, "bookd: %s\n%s", err, bookd_usage);
        return 2;
    default:
        return bookd_server_run(&options);
    }
}
