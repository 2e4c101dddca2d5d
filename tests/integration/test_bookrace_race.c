/*
 * bookrace against real servers: a 16-actor same-slot race with last-byte
 * release finds the double booking in bookd --fix none and none in A+C; a
 * backend of a different JSON shape (a tiny server in this file) works through
 * its own profile; unreachable targets, interruption and bad scenarios give
 * their exit codes and still leave results.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "http.h"
#include "process.h"

static const char *bookrace_bin(void)
{
    const char *b = getenv("BOOKRACE_BIN");
    return b ? b : "./bookrace";
}

static const char *source_path(const char *rel, char *buf, size_t cap)
{
    const char *root = getenv("BOOKRACE_SOURCE_DIR");
    snprintf(buf, cap, "%s/%s", root ? root : "..", rel);
    return buf;
}

static json_t *load_run(const char *dir)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/run.json", dir);
    json_error_t e;
    json_t *run = json_load_file(path, 0, &e);
    if (run == NULL)
        fail_msg("cannot read %s: %s", path, e.text);
    return run;
}

/* Counts the history's book operations by status in trial 0. */
static void count_book_statuses(json_t *run, int *created, int *conflicts, int *other)
{
    *created = *conflicts = *other = 0;
    json_t *history = json_object_get(json_array_get(json_object_get(run, "trials"), 0), "history");
    size_t i;
    json_t *op;
    json_array_foreach (history, i, op) {
        if (strcmp(json_string_value(json_object_get(op, "op")), "book") != 0)
            continue;
        json_int_t s = json_integer_value(json_object_get(op, "status"));
        if (s == 201 || s == 200)
            (*created)++;
        else if (s == 409 || s == 422)
            (*conflicts)++;
        else
            (*other)++;
    }
}

static int run_bookrace(const char *scenario, const char *target, const char *base_url, const char *out,
                        const char *extra, char *output, size_t cap)
{
    char sc[600], tg[600];
    source_path(scenario, sc, sizeof(sc));
    if (target)
        source_path(target, tg, sizeof(tg));
    const char *argv[16];
    int n = 0;
    argv[n++] = bookrace_bin();
    argv[n++] = "run";
    argv[n++] = sc;
    if (target) {
        argv[n++] = "--target";
        argv[n++] = tg;
    }
    argv[n++] = "--base-url";
    argv[n++] = base_url;
    argv[n++] = "--out";
    argv[n++] = out;
    argv[n++] = "--quiet";
    if (extra)
        argv[n++] = extra;
    argv[n] = NULL;
    return test_run(argv, output, cap);
}

static void start_bookd(test_process *p, char *db, size_t dbcap, const char *fix)
{
    test_temp_path(db, dbcap, ".db");
    const char *args[] = {"--db",      db,  "--fix", fix, "--clock", "virtual:2026-12-01T07:00:00Z",
                          "--threads", "2", NULL};
    test_bookd_start(p, args);
}

static void test_same_slot_race_against_broken_and_fixed(void **state)
{
    (void)state;
    char db[512], url[64], out[512], output[8192];
    test_process p;
    int created, conflicts, other;

    start_bookd(&p, db, sizeof(db), "none");
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", p.port);
    test_temp_path(out, sizeof(out), "-results");
    assert_int_equal(
        run_bookrace("scenarios/same-slot-burst.json", NULL, url, out, NULL, output, sizeof(output)), 1);
    json_t *run = load_run(out);
    assert_string_equal(json_string_value(json_object_get(run, "outcome")), "fail");
    assert_true(json_integer_value(json_object_get(json_object_get(run, "summary"), "violations")) > 0);
    count_book_statuses(run, &created, &conflicts, &other);
    assert_int_equal(created, 16);
    json_t *barrier =
        json_array_get(json_object_get(json_array_get(json_object_get(run, "trials"), 0), "barriers"), 0);
    assert_string_equal(json_string_value(json_object_get(barrier, "release")), "last-byte");
    assert_int_equal(json_integer_value(json_object_get(barrier, "racers")), 16);
    assert_true(json_integer_value(json_object_get(barrier, "skewUs")) >= 0);
    /* The API key never reaches the results. */
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_object_get(run, "target"), "headers"), "Authorization")),
                        "<redacted>");
    json_decref(run);
    /* The same reproduction, expected: the harness proves it can see the bug. */
    test_temp_path(out, sizeof(out), "-results");
    assert_int_equal(run_bookrace("scenarios/same-slot-burst.json", NULL, url, out, "--expect-violation",
                                  output, sizeof(output)),
                     0);
    assert_int_equal(test_process_stop(&p, SIGTERM), 0);
    test_remove_db(db);

    start_bookd(&p, db, sizeof(db), "A+C");
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", p.port);
    test_temp_path(out, sizeof(out), "-results");
    assert_int_equal(
        run_bookrace("scenarios/same-slot-burst.json", NULL, url, out, NULL, output, sizeof(output)), 0);
    run = load_run(out);
    count_book_statuses(run, &created, &conflicts, &other);
    assert_int_equal(created, 1);
    assert_int_equal(conflicts, 15);
    assert_int_equal(other, 0);
    json_t *truth = json_object_get(json_array_get(json_object_get(run, "trials"), 0), "groundTruth");
    assert_true(json_is_true(json_object_get(truth, "checked")));
    assert_int_equal(json_array_size(json_object_get(truth, "bookings")), 1);
    json_decref(run);
    /* bookrace check agrees with the run. */
    char runjson[600];
    snprintf(runjson, sizeof(runjson), "%s/run.json", out);
    const char *check[] = {bookrace_bin(), "check", runjson, NULL};
    assert_int_equal(test_run(check, output, sizeof(output)), 0);
    assert_non_null(strstr(output, "0 of 1 trials show a violation"));
    assert_int_equal(test_process_stop(&p, SIGTERM), 0);
    test_remove_db(db);
}

/* ---- a backend of another shape ---------------------------------------------------------------------- */

/*
 * A second booking backend with nothing in common with bookd but the idea:
 * integer ids for staff, services and reservations, other routes and field
 * names, 422 for a conflict (with the conflicting reservation in the answer),
 * a travel offset computed from the longitude (bookd's comes from the
 * latitude), and a pretend cache that labels every availability answer
 * "X-Cache: HIT, Age: 180". With |broken| set it skips the overlap check, as
 * the incident's backend did.
 */
typedef struct {
    int listen_fd;
    pthread_mutex_t lock;
    struct {
        int ref, staff, hold, active;
        char from[32], to[32], contact[128];
    } rows[512];
    int count;
    int broken;
} tiny_server;

static tiny_server tiny;

static void tiny_reply(int fd, int status, const char *body, const char *extra_headers)
{
    char head[512];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n%sContent-Length: %zu\r\n\r\n",
                     status, extra_headers ? extra_headers : "", strlen(body));
    if (write(fd, head, (size_t)n) < 0 || write(fd, body, strlen(body)) < 0)
        return;
}

/* An integer that may come as a JSON number or as decimal text. */
static int tiny_int(json_t *v)
{
    return json_is_integer(v)  ? (int)json_integer_value(v)
           : json_is_string(v) ? atoi(json_string_value(v))
                               : 0;
}

static const char *tiny_query(const char *path, const char *key, char *buf, size_t cap)
{
    char pat[32];
    snprintf(pat, sizeof(pat), "%s=", key);
    const char *p = strstr(path, pat);
    if (p == NULL)
        return "";
    p += strlen(pat);
    size_t n = strcspn(p, "&");
    snprintf(buf, cap, "%.*s", (int)(n < cap ? n : cap - 1), p);
    return buf;
}

/* The first active row of |staff| overlapping [from, to), other than row |skip|; -1 for none. Locked. */
static int tiny_taken(int staff, const char *from, const char *to, int skip)
{
    for (int i = 0; i < tiny.count; i++)
        if (i != skip && tiny.rows[i].active && tiny.rows[i].staff == staff &&
            strcmp(tiny.rows[i].from, to) < 0 && strcmp(from, tiny.rows[i].to) < 0)
            return i;
    return -1;
}

static void tiny_availability(int fd, const char *path)
{
    char day[16], lng[32], out[16384];
    tiny_query(path, "day", day, sizeof(day));
    int offset = (int)lround(fabs(atof(tiny_query(path, "lng", lng, sizeof(lng)))) * 100) % 60;
    size_t len = (size_t)snprintf(out, sizeof(out), "{\"data\":{\"openings\":[");
    int first = 1;
    pthread_mutex_lock(&tiny.lock);
    for (int hour = 8; hour <= 16; hour += 2) /* one list never overlaps itself */
        for (int staff = 7; staff <= 8; staff++) {
            char from[32], to[32];
            snprintf(from, sizeof(from), "%sT%02d:%02d:00Z", day, hour, offset);
            snprintf(to, sizeof(to), "%sT%02d:%02d:00Z", day, hour + 2, offset);
            if (tiny_taken(staff, from, to, -1) >= 0)
                continue;
            len += (size_t)snprintf(out + len, sizeof(out) - len,
                                    "%s{\"staff\":{\"id\":%d},\"window\":{\"from\":\"%s\",\"to\":\"%s\"}}",
                                    first ? "" : ",", staff, from, to);
            first = 0;
        }
    pthread_mutex_unlock(&tiny.lock);
    snprintf(out + len, sizeof(out) - len, "]}}");
    tiny_reply(fd, 200, out, "X-Cache: HIT\r\nAge: 180\r\n");
}

/* POST /v2/reservations (|hold| 0) or /v2/holds (|hold| 1). */
static void tiny_write(int fd, const char *body, int hold)
{
    json_error_t e;
    json_t *in = json_loads(body, 0, &e);
    int staff = tiny_int(json_object_get(in, "staff")), use_hold = tiny_int(json_object_get(in, "hold"));
    const char *from = json_string_value(json_object_get(in, "from"));
    const char *to = json_string_value(json_object_get(in, "to"));
    const char *contact = json_string_value(json_object_get(in, "contact"));
    char out[512];
    if (staff == 0 || !from || !to || (!hold && !contact)) {
        tiny_reply(fd, 400, "{\"problem\":\"bad\"}", NULL);
        json_decref(in);
        return;
    }
    pthread_mutex_lock(&tiny.lock);
    int own = use_hold > 0 && use_hold <= tiny.count && tiny.rows[use_hold - 1].hold ? use_hold - 1 : -1;
    int clash = tiny.broken ? -1 : tiny_taken(staff, from, to, own);
    if (clash >= 0 || tiny.count == 512) {
        snprintf(out, sizeof(out),
                 "{\"problem\":\"taken\",\"conflict\":{\"ref\":%d,\"from\":\"%s\",\"to\":\"%s\"}}",
                 clash >= 0 ? tiny.rows[clash].ref : 0, clash >= 0 ? tiny.rows[clash].from : "",
                 clash >= 0 ? tiny.rows[clash].to : "");
        pthread_mutex_unlock(&tiny.lock);
        tiny_reply(fd, 422, out, NULL);
        json_decref(in);
        return;
    }
    if (own >= 0)
        tiny.rows[own].active = 0;
    int ref = ++tiny.count;
    tiny.rows[ref - 1].ref = ref;
    tiny.rows[ref - 1].staff = staff;
    tiny.rows[ref - 1].hold = hold;
    tiny.rows[ref - 1].active = 1;
    snprintf(tiny.rows[ref - 1].from, 32, "%s", from);
    snprintf(tiny.rows[ref - 1].to, 32, "%s", to);
    snprintf(tiny.rows[ref - 1].contact, 128, "%s", contact ? contact : "");
    pthread_mutex_unlock(&tiny.lock);
    snprintf(out, sizeof(out),
             hold ? "{\"hold\":{\"ref\":%d}}" : "{\"result\":{\"reservation\":{\"ref\":%d}}}", ref);
    tiny_reply(fd, 200, out, NULL);
    json_decref(in);
}

static void tiny_cancel(int fd, int ref)
{
    pthread_mutex_lock(&tiny.lock);
    int ok = ref > 0 && ref <= tiny.count && !tiny.rows[ref - 1].hold && tiny.rows[ref - 1].active;
    if (ok)
        tiny.rows[ref - 1].active = 0;
    pthread_mutex_unlock(&tiny.lock);
    tiny_reply(fd, ok ? 200 : 409, ok ? "{}" : "{\"problem\":\"not active\"}", NULL);
}

static void tiny_list(int fd, const char *path)
{
    char day[16], out[65536];
    tiny_query(path, "day", day, sizeof(day));
    size_t len = (size_t)snprintf(out, sizeof(out), "{\"items\":[");
    int first = 1;
    pthread_mutex_lock(&tiny.lock);
    for (int i = 0; i < tiny.count; i++)
        if (!tiny.rows[i].hold && (day[0] == '\0' || strncmp(tiny.rows[i].from, day, 10) == 0)) {
            len += (size_t)snprintf(out + len, sizeof(out) - len,
                                    "%s{\"ref\":%d,\"staff\":%d,\"from\":\"%s\",\"to\":\"%s\",\"contact\":\"%"
                                    "s\",\"state\":\"%s\"}",
                                    first ? "" : ",", tiny.rows[i].ref, tiny.rows[i].staff, tiny.rows[i].from,
                                    tiny.rows[i].to, tiny.rows[i].contact,
                                    tiny.rows[i].active ? "active" : "cancelled");
            first = 0;
        }
    pthread_mutex_unlock(&tiny.lock);
    snprintf(out + len, sizeof(out) - len, "]}");
    tiny_reply(fd, 200, out, NULL);
}

static void tiny_handle(int fd, const char *method, const char *path, const char *body)
{
    int ref;
    if (strcmp(method, "GET") == 0 && strncmp(path, "/v2/availability", 16) == 0)
        tiny_availability(fd, path);
    else if (strcmp(method, "POST") == 0 && strcmp(path, "/v2/reservations") == 0)
        tiny_write(fd, body, 0);
    else if (strcmp(method, "POST") == 0 && strcmp(path, "/v2/holds") == 0)
        tiny_write(fd, body, 1);
    else if (strcmp(method, "POST") == 0 && sscanf(path, "/v2/reservations/%d/cancel", &ref) == 1)
        tiny_cancel(fd, ref);
    else if (strcmp(method, "GET") == 0 && strncmp(path, "/v2/reservations", 16) == 0)
        tiny_list(fd, path);
    else if (strcmp(path, "/v2/health") == 0 || strcmp(path, "/v2/clock") == 0)
        tiny_reply(fd, 200, "{}", NULL);
    else
        tiny_reply(fd, 404, "{}", NULL);
}

/* One connection: requests in sequence (keep-alive) until the peer closes. */
static void *tiny_connection(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[65536];
    size_t len = 0;
    for (;;) {
        char *end = NULL;
        while ((end = memmem(buf, len, "\r\n\r\n", 4)) == NULL) {
            ssize_t n = read(fd, buf + len, sizeof(buf) - len - 1);
            if (n <= 0)
                goto done;
            len += (size_t)n;
        }
        *end = '\0';
        char method[16], path[1024];
        if (sscanf(buf, "%15s %1023s", method, path) != 2)
            goto done;
        size_t body_len = 0;
        char *cl = strcasestr(buf, "content-length:");
        if (cl)
            body_len = (size_t)atol(cl + 15);
        size_t head_len = (size_t)(end - buf) + 4;
        while (len < head_len + body_len) {
            ssize_t n = read(fd, buf + len, sizeof(buf) - len - 1);
            if (n <= 0)
                goto done;
            len += (size_t)n;
        }
        char body[8192];
        snprintf(body, sizeof(body), "%.*s", (int)body_len, buf + head_len);
        tiny_handle(fd, method, path, body);
        memmove(buf, buf + head_len + body_len, len - head_len - body_len);
        len -= head_len + body_len;
    }
done:
    close(fd);
    return NULL;
}

static void *tiny_accept(void *arg)
{
    (void)arg;
    for (;;) {
        int fd = accept(tiny.listen_fd, NULL, NULL);
        if (fd < 0)
            return NULL;
        pthread_t t;
        pthread_create(&t, NULL, tiny_connection, (void *)(intptr_t)fd);
        pthread_detach(t);
    }
}

/* The second backend's profile, written from docs/targets.md alone: its ids and its travel offsets are its
 * own. */
static const char tiny_profile_json[] =
    "{\"name\":\"tiny\",\"baseUrls\":[\"http://127.0.0.1:1\"],"
    "\"variables\":{\"serviceId\":3,\"inspectorId\":\"7\",\"melinda.lng\":0.26,\"pine.lng\":0.29},"
    "\"recordHeaders\":[\"X-Cache\",\"Age\"],"
    "\"operations\":{"
    "\"fetchSlots\":{\"method\":\"GET\",\"path\":\"/v2/"
    "availability?service=${var.serviceId}&day=${date}&lat=${actor.lat}&lng=${actor.lng}\","
    "\"success\":[200],\"response\":{\"items\":\"/data/openings\",\"inspector\":\"/staff/id\","
    "\"start\":\"/window/from\",\"end\":\"/window/to\"}},"
    "\"book\":{\"method\":\"POST\",\"path\":\"/v2/reservations\",\"body\":{\"service\":\"${var.serviceId}\","
    "\"staff\":\"${slot.inspectorId}\",\"from\":\"${slot.datetime}\",\"to\":\"${slot.endtime}\","
    "\"contact\":\"${actor.email}\",\"hold\":\"${hold.id?}\"},\"success\":[200],\"conflict\":[422],"
    "\"response\":{\"id\":\"/result/reservation/ref\"},"
    "\"conflictEvidence\":{\"id\":\"/conflict/ref\",\"start\":\"/conflict/from\",\"end\":\"/conflict/to\"}},"
    "\"hold\":{\"method\":\"POST\",\"path\":\"/v2/holds\",\"body\":{\"staff\":\"${slot.inspectorId}\","
    "\"from\":\"${slot.datetime}\",\"to\":\"${slot.endtime}\"},\"success\":[200],\"conflict\":[422],"
    "\"response\":{\"id\":\"/hold/ref\"}},"
    "\"cancel\":{\"method\":\"POST\",\"path\":\"/v2/reservations/${booking.id}/cancel\",\"success\":[200],"
    "\"conflict\":[409]},"
    "\"list\":{\"method\":\"GET\",\"path\":\"/v2/reservations?day=${date}\",\"success\":[200],\"response\":{"
    "\"items\":\"/items\",\"id\":\"/ref\",\"inspector\":\"/staff\",\"start\":\"/from\",\"end\":\"/to\","
    "\"status\":\"/state\",\"tag\":\"/contact\"},\"cancelledStatuses\":[\"cancelled\"]},"
    "\"clock\":{\"method\":\"POST\",\"path\":\"/v2/clock\",\"body\":{\"seconds\":\"${seconds}\"},"
    "\"success\":[200]},"
    "\"health\":{\"method\":\"GET\",\"path\":\"/v2/health\",\"success\":[200]}}}";

/* Starts the tiny server once; returns its URL. */
static const char *tiny_url(void)
{
    static char url[64];
    if (url[0])
        return url;
    pthread_mutex_init(&tiny.lock, NULL);
    tiny.listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof(addr);
    assert_int_equal(bind(tiny.listen_fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    assert_int_equal(listen(tiny.listen_fd, 64), 0);
    getsockname(tiny.listen_fd, (struct sockaddr *)&addr, &alen);
    pthread_t acceptor;
    pthread_create(&acceptor, NULL, tiny_accept, NULL);
    pthread_detach(acceptor);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", ntohs(addr.sin_port));
    return url;
}

static void tiny_reset(int broken)
{
    pthread_mutex_lock(&tiny.lock);
    tiny.count = 0;
    tiny.broken = broken;
    pthread_mutex_unlock(&tiny.lock);
}

/* The tiny profile, with the actor coordinates or without them. */
static void tiny_profile(char *path, size_t cap, int with_coordinates)
{
    json_error_t e;
    json_t *prof = json_loads(tiny_profile_json, 0, &e);
    assert_non_null(prof);
    if (!with_coordinates) {
        json_object_del(json_object_get(prof, "variables"), "melinda.lng");
        json_object_del(json_object_get(prof, "variables"), "pine.lng");
    }
    test_temp_path(path, cap, "-tiny.json");
    assert_int_equal(json_dump_file(prof, path, 0), 0);
    json_decref(prof);
}

/* Runs a stock scenario, unmodified, against the tiny backend. */
static int tiny_run(const char *scenario, const char *profile, const char *out, int quiet, const char *extra1,
                    const char *extra2, char *output, size_t cap)
{
    char sc[600];
    const char *argv[16] = {bookrace_bin(), "run",   source_path(scenario, sc, sizeof(sc)),
                            "--target",     profile, "--base-url",
                            tiny_url(),     "--out", out};
    int n = 9;
    if (quiet)
        argv[n++] = "--quiet";
    if (extra1)
        argv[n++] = extra1;
    if (extra2)
        argv[n++] = extra2;
    argv[n] = NULL;
    return test_run(argv, output, cap);
}

static void test_another_json_shape_through_its_own_profile(void **state)
{
    (void)state;
    char profile[512], out[512], output[8192];
    tiny_profile(profile, sizeof(profile), 1);
    tiny_reset(0);
    test_temp_path(out, sizeof(out), "-results");
    int rc = tiny_run("scenarios/same-slot-burst.json", profile, out, 1, NULL, NULL, output, sizeof(output));
    if (rc != 0)
        fail_msg("bookrace exited %d: %s", rc, output);
    json_t *run = load_run(out);
    int created, conflicts, other;
    count_book_statuses(run, &created, &conflicts, &other);
    assert_int_equal(created, 1);
    assert_int_equal(conflicts, 15);
    /* The integer id the tiny server returns was read through the profile's pointer. */
    json_t *truth = json_object_get(json_array_get(json_object_get(run, "trials"), 0), "groundTruth");
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(json_object_get(truth, "bookings"), 0), "id")), "1");
    assert_true(json_is_true(json_object_get(json_array_get(json_object_get(truth, "bookings"), 0), "ours")));
    /* The profile's integer ids won over the scenario's bookd names, and run.json says where each came from.
     */
    assert_int_equal(json_integer_value(json_object_get(json_object_get(run, "variables"), "serviceId")), 3);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(run, "variableSources"), "inspectorId")),
        "profile");
    json_decref(run);
    remove(profile);
}

/* Every stock scenario, unmodified, against the second backend: its profile and a --var are all it takes. */
static void test_stock_scenarios_on_the_second_backend(void **state)
{
    (void)state;
    static const char *const stock[] = {
        "scenarios/incident-stale-replay.json", "scenarios/stale-cache-same-slot.json",
        "scenarios/same-slot-burst.json",       "scenarios/same-slot-burst-plain.json",
        "scenarios/overlap-burst.json",         "scenarios/hold-race.json",
        "scenarios/cancel-rebook.json",         "scenarios/multi-pod-stale-cache.json"};
    char profile[512], out[512], output[8192];
    tiny_profile(profile, sizeof(profile), 1);
    for (size_t i = 0; i < sizeof(stock) / sizeof(stock[0]); i++) {
        tiny_reset(0);
        test_temp_path(out, sizeof(out), "-tiny-stock");
        int rc = tiny_run(stock[i], profile, out, 1, "--var", "inspectorId=8", output, sizeof(output));
        if (rc != 0)
            fail_msg("%s against the fixed second backend: exit %d: %s", stock[i], rc, output);
        json_t *run = load_run(out);
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(run, "variables"), "inspectorId")), "8");
        json_decref(run);
    }
    /* The broken build of the same backend: the incident reproduces, and the summary shows the list's cache.
     */
    tiny_reset(1);
    test_temp_path(out, sizeof(out), "-tiny-broken");
    int rc = tiny_run(stock[0], profile, out, 0, "--expect-violation", NULL, output, sizeof(output));
    if (rc != 0 ||
        strstr(output, "pine booked 10:29 (acknowledged) from a list served X-Cache: HIT, Age: 180") == NULL)
        fail_msg("exit %d: %s", rc, output);
    assert_non_null(strstr(output, "DOUBLE BOOKING inspector 7: 10:26-12:26"));
    json_t *run = load_run(out);
    json_t *history = json_object_get(json_array_get(json_object_get(run, "trials"), 0), "history");
    json_t *last = json_array_get(history, json_array_size(history) - 2); /* pine's book, before the list */
    assert_string_equal(json_string_value(json_object_get(last, "actorName")), "pine");
    json_t *list = json_array_get(history, (size_t)json_integer_value(json_object_get(last, "fromList")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(list, "headers"), "Age")), "180");
    json_decref(run);
    remove(profile);
    /* Without the backend's coordinates both customers' lists offer the same starts: no overlapping pick. */
    tiny_profile(profile, sizeof(profile), 0);
    tiny_reset(1);
    rc = tiny_run(stock[0], profile, out, 1, "--expect-violation", NULL, output, sizeof(output));
    assert_int_equal(rc, 1);
    remove(profile);
}

/* Expanded secret header values never reach results: not in run.json, junit.xml or summary.txt. */
static void test_secrets_stay_out_of_results(void **state)
{
    (void)state;
    char db[512], url[64], out[512], output[8192], profile[512], src[600];
    test_process p;
    start_bookd(&p, db, sizeof(db), "A+C");
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", p.port);
    test_temp_path(profile, sizeof(profile), "-secret-profile.json");
    /* The shipped profile plus a secret header fed from the environment. */
    json_error_t e;
    json_t *prof = json_load_file(source_path("scenarios/targets/bookd.json", src, sizeof(src)), 0, &e);
    json_object_set_new(json_object_get(prof, "headers"), "X-Api-Secret", json_string("${BR_TEST_SECRET}"));
    json_object_set_new(prof, "secretHeaders", json_pack("[s]", "X-Api-Secret"));
    json_dump_file(prof, profile, 0);
    json_decref(prof);
    setenv("BR_TEST_SECRET", "s3cr3t-v4lue-never-written", 1);
    setenv("BOOKRACE_API_KEY", "acme-key", 1);
    test_temp_path(out, sizeof(out), "-results");
    char sc[600];
    const char *argv[] = {bookrace_bin(),
                          "run",
                          source_path("scenarios/same-slot-burst.json", sc, sizeof(sc)),
                          "--target",
                          profile,
                          "--base-url",
                          url,
                          "--out",
                          out,
                          NULL};
    assert_int_equal(test_run(argv, output, sizeof(output)), 0);
    assert_null(strstr(output, "s3cr3t"));
    const char *files[] = {"run.json", "junit.xml", "summary.txt"};
    for (int i = 0; i < 3; i++) {
        char path[700];
        snprintf(path, sizeof(path), "%s/%s", out, files[i]);
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        static char content[4 << 20];
        size_t n = fread(content, 1, sizeof(content) - 1, f);
        content[n] = '\0';
        fclose(f);
        if (strstr(content, "s3cr3t") != NULL || strstr(content, "Bearer acme-key") != NULL)
            fail_msg("%s holds a secret header value", files[i]);
    }
    unsetenv("BR_TEST_SECRET");
    remove(profile);
    assert_int_equal(test_process_stop(&p, SIGTERM), 0);
    test_remove_db(db);
}

/* A response the profile's pointer does not fit: exit 3, the step and pointer named, the history kept. */
static void test_pointer_that_does_not_resolve_exits_3(void **state)
{
    (void)state;
    char db[512], url[64], out[512], output[8192], profile[512], src[600], sc[600];
    test_process p;
    start_bookd(&p, db, sizeof(db), "A+C");
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", p.port);
    test_temp_path(profile, sizeof(profile), "-wrong-pointer.json");
    json_error_t e;
    json_t *prof = json_load_file(source_path("scenarios/targets/bookd.json", src, sizeof(src)), 0, &e);
    json_object_set_new(
        json_object_get(json_object_get(json_object_get(prof, "operations"), "book"), "response"), "id",
        json_string("/booking/id"));
    json_dump_file(prof, profile, 0);
    json_decref(prof);
    test_temp_path(out, sizeof(out), "-results");
    const char *argv[] = {bookrace_bin(),
                          "run",
                          source_path("scenarios/incident-stale-replay.json", sc, sizeof(sc)),
                          "--target",
                          profile,
                          "--base-url",
                          url,
                          "--out",
                          out,
                          NULL};
    assert_int_equal(test_run(argv, output, sizeof(output)), 3);
    assert_non_null(strstr(output, "steps[3] (book): pointer /booking/id does not resolve"));
    json_t *run = load_run(out);
    assert_string_equal(json_string_value(json_object_get(run, "outcome")), "target-error");
    /* The fetches and the booking that answered nonsense are in the history. */
    assert_true(
        json_array_size(json_object_get(json_array_get(json_object_get(run, "trials"), 0), "history")) >= 3);
    json_decref(run);
    remove(profile);
    assert_int_equal(test_process_stop(&p, SIGTERM), 0);
    test_remove_db(db);
}

static void test_unreachable_target_exits_3_with_results(void **state)
{
    (void)state;
    char out[512], output[8192];
    test_temp_path(out, sizeof(out), "-results");
    assert_int_equal(run_bookrace("scenarios/same-slot-burst.json", NULL, "http://127.0.0.1:1", out, NULL,
                                  output, sizeof(output)),
                     3);
    json_t *run = load_run(out);
    assert_string_equal(json_string_value(json_object_get(run, "outcome")), "target-error");
    /* The health pre-check names what the target answered: nothing, a refused connection. */
    assert_non_null(strstr(json_string_value(json_object_get(run, "error")), "Couldn't connect"));
    json_decref(run);
}

static void test_bad_scenario_exits_2(void **state)
{
    (void)state;
    char path[512], output[8192];
    test_temp_path(path, sizeof(path), "-bad.json");
    FILE *f = fopen(path, "w");
    fputs("{\"name\":\"bad\",\"date\":\"2026-12-01\",\"actors\":[{\"name\":\"a\",\"lat\":0,\"lng\":0}],"
          "\"steps\":[{\"do\":\"book\",\"slot\":\"s\"}]}",
          f);
    fclose(f);
    const char *argv[] = {bookrace_bin(), "run", path, "--base-url", "http://127.0.0.1:1", NULL};
    assert_int_equal(test_run(argv, output, sizeof(output)), 2);
    assert_non_null(strstr(output, "steps[0] (book): actor a uses slot 's', which it never picked"));
    remove(path);
    const char *usage[] = {bookrace_bin(), "run", NULL};
    assert_int_equal(test_run(usage, output, sizeof(output)), 2);
    const char *unknown[] = {bookrace_bin(), "race", NULL};
    assert_int_equal(test_run(unknown, output, sizeof(output)), 2);
}

/* SIGINT while a real-time wait runs: exit 130, and the partial history is written. */
static void test_interrupt_writes_partial_results(void **state)
{
    (void)state;
    char db[512], url[64], out[512], sc[512], profile[600];
    test_process p;
    start_bookd(&p, db, sizeof(db), "A+C");
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", p.port);
    test_temp_path(sc, sizeof(sc), "-wait.json");
    FILE *f = fopen(sc, "w");
    fputs("{\"name\":\"wait\",\"date\":\"2026-12-01\",\"variables\":{\"serviceId\":\"full-inspection\"},"
          "\"actors\":[{\"name\":\"a\",\"lat\":30,\"lng\":0}],"
          "\"steps\":[{\"do\":\"fetch_slots\",\"save\":\"l\"},{\"do\":\"sleep\",\"seconds\":60}]}",
          f);
    fclose(f);
    test_temp_path(out, sizeof(out), "-results");
    const char *argv[] = {bookrace_bin(),
                          "run",
                          sc,
                          "--target",
                          source_path("scenarios/targets/bookd.json", profile, sizeof(profile)),
                          "--base-url",
                          url,
                          "--out",
                          out,
                          NULL};
    /* Start it with stderr on a pipe and wait for the wait to begin. */
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], STDERR_FILENO);
        dup2(open("/dev/null", O_WRONLY), STDOUT_FILENO);
        close(fds[0]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    char line[512];
    size_t len = 0;
    while (len + 1 < sizeof(line)) {
        struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
        assert_int_equal(poll(&pfd, 1, 10000), 1);
        ssize_t n = read(fds[0], line + len, sizeof(line) - len - 1);
        assert_true(n > 0);
        len += (size_t)n;
        line[len] = '\0';
        if (strstr(line, "waiting"))
            break;
    }
    kill(pid, SIGINT);
    int status;
    waitpid(pid, &status, 0);
    close(fds[0]);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 130);
    json_t *run = load_run(out);
    assert_string_equal(json_string_value(json_object_get(run, "outcome")), "interrupted");
    /* The health check, the day's bookings and the one fetch before the wait: nothing after it. */
    json_t *history = json_object_get(json_array_get(json_object_get(run, "trials"), 0), "history");
    size_t i, fetches = 0;
    json_t *op;
    json_array_foreach (history, i, op)
        fetches += strcmp(json_string_value(json_object_get(op, "op")), "fetch_slots") == 0;
    assert_int_equal(fetches, 1);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(history, json_array_size(history) - 1), "op")),
        "fetch_slots");
    json_decref(run);
    remove(sc);
    assert_int_equal(test_process_stop(&p, SIGTERM), 0);
    test_remove_db(db);
}

/*
 * 64 racers all acknowledged for one slot (--fix none has no overlap check) are C(64,2) = 2016 double
 * bookings: run.json lists the first 1000 of the kind and counts every one in the trial's violationCount;
 * summary.txt said "run.json has them all" and the report "1000 violations".
 */
static void test_listing_limit_counts_every_violation(void **state)
{
    (void)state;
    test_process p;
    char db[512], sc[600], scenario[512], out[512], output[16384], url[64];
    start_bookd(&p, db, sizeof(db), "none");
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", p.port);
    json_error_t e;
    json_t *doc = json_load_file(source_path("scenarios/same-slot-burst.json", sc, sizeof(sc)), 0, &e);
    assert_non_null(doc);
    json_object_set_new(json_object_get(doc, "actors"), "count", json_integer(64));
    test_temp_path(scenario, sizeof(scenario), "-burst64.json");
    assert_int_equal(json_dump_file(doc, scenario, 0), 0);
    json_decref(doc);
    test_temp_path(out, sizeof(out), "-burst64");
    const char *argv[] = {bookrace_bin(), "run", scenario, "--base-url", url, "--out", out, "--quiet", NULL};
    int rc = test_run(argv, output, sizeof(output));
    if (rc != 1)
        fail_msg("a 64-racer burst against --fix none: exit %d: %s", rc, output);
    json_t *run = load_run(out), *trial = json_array_get(json_object_get(run, "trials"), 0);
    json_int_t count = json_integer_value(json_object_get(trial, "violationCount"));
    size_t listed = json_array_size(json_object_get(trial, "violations"));
    if (count < 2016 || listed >= (size_t)count)
        fail_msg("violationCount %lld, %zu listed", (long long)count, listed);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(run, "summary"), "violations")),
                     count);
    json_decref(run);
    char summary[600], *text;
    snprintf(summary, sizeof(summary), "%s/summary.txt", out);
    FILE *f = fopen(summary, "r");
    assert_non_null(f);
    text = calloc(1, 1 << 20);
    assert_true(fread(text, 1, (1 << 20) - 1, f) > 0);
    fclose(f);
    assert_non_null(strstr(text, "at most 1000 of each kind per trial"));
    assert_null(strstr(text, "has them all"));
    free(text);
    assert_int_equal(test_process_stop(&p, SIGTERM), 0);
    test_remove_db(db);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_slot_race_against_broken_and_fixed),
        cmocka_unit_test(test_another_json_shape_through_its_own_profile),
        cmocka_unit_test(test_stock_scenarios_on_the_second_backend),
        cmocka_unit_test(test_secrets_stay_out_of_results),
        cmocka_unit_test(test_pointer_that_does_not_resolve_exits_3),
        cmocka_unit_test(test_unreachable_target_exits_3_with_results),
        cmocka_unit_test(test_bad_scenario_exits_2),
        cmocka_unit_test(test_interrupt_writes_partial_results),
        cmocka_unit_test(test_listing_limit_counts_every_violation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
