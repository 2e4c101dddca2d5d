/*
 * The HTTP/2 transport's text parsers: the URL splitter (base URLs from
 * profiles and --base-url) and the "Name: value" header converter (profile
 * headers). Input: a URL up to the first newline, then header lines.
 *
 * Besides ASan and UBSan, it aborts when a promise of h2race.h breaks: a split
 * URL with an empty host or port, an authority not ending in ":port", a path
 * that starts with neither '/' nor '?', a header name that is not lowercase
 * or holds a control character, or a value with surrounding blanks.
 */
#include "h2race.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_url(const char *url)
{
    br_h2_url u;
    char err[256];
    if (br_h2_split_url(url, &u, err, sizeof(err)) != 0) {
        if (err[0] == '\0')
            abort();
        return;
    }
    size_t alen = strlen(u.authority), plen = strlen(u.port);
    if (u.host[0] == '\0' || plen == 0 || alen <= plen || u.authority[alen - plen - 1] != ':' ||
        strcmp(u.authority + alen - plen, u.port) != 0)
        abort();
    if (u.path != NULL && u.path[0] != '/' && u.path[0] != '?')
        abort();
}

static void check_header(const char *line)
{
    char name[128];
    const char *value;
    size_t vlen;
    int rc = br_h2_header_from_line(line, name, sizeof(name), &value, &vlen);
    if (rc < 0)
        return;
    for (const char *p = name; *p; p++)
        if (*p <= ' ' || *p >= 127 || isupper((unsigned char)*p))
            abort();
    if (rc == 1 && (vlen == 0 || value[0] == ' ' || value[0] == '\t' || value[vlen - 1] == ' '))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    char *line = text, *next;
    int first = 1;
    while (line) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (first)
            check_url(line);
        else
            check_header(line);
        first = 0;
        line = next;
    }
    free(text);
    return 0;
}
