/*
 * The streamed history: what threads write comes back record for record
 * (zstd and plain, chunks from several threads interleaved), and every kind
 * of damage (cut short, no end record, a lost chunk, a bad field, an
 * overlong line) is an error that names the file and line, never a silent
 * shorter history.
 */
#include "history.h"

#include "iso8601.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include <cmocka.h>

static const char *header =
    "{\"runId\":\"r1\",\"ops\":[\"fetch_slots\",\"book\"],\"actors\":[\"melinda\",\"x\"]}";

static void tmp_path(char *buf, size_t cap, const char *ext)
{
    snprintf(buf, cap, "test_history-%d%s", (int)getpid(), ext);
}

static br_history_record booking(int i)
{
    br_history_record r = {.type = i % 3 == 0   ? BR_HREC_OK
                                   : i % 3 == 1 ? BR_HREC_FAIL
                                                : BR_HREC_INFO,
                           .op = 1,
                           .actor = i % 2,
                           .conn = i % 7,
                           .invoke_us = i * 10,
                           .t_us = i * 10 + 5,
                           .status = i % 3 == 0   ? 201
                                     : i % 3 == 1 ? 409
                                                  : 0,
                           .start_us = INT64_C(1796117160000000) + i * INT64_C(60000000),
                           .end_us = INT64_C(1796124360000000) + i * INT64_C(60000000)};
    snprintf(r.inspector, sizeof(r.inspector), "insp\"%d\\", i % 5);
    if (r.type == BR_HREC_OK)
        snprintf(r.id, sizeof(r.id), "id-%d\n", i);
    return r;
}

typedef struct {
    br_history_writer *w;
    int thread, count;
} job;

/* Thread t writes records t, t+4, ...: fetches and bookings mixed. */
static void *writer_thread(void *arg)
{
    job *j = arg;
    for (int i = j->thread; i < j->count; i += 4) {
        br_history_record r = booking(i);
        if (i % 2) {
            memset(&r, 0, sizeof(r));
            r.type = BR_HREC_OK;
            r.op = 0;
            r.actor = 1;
            r.status = 200;
            r.invoke_us = i * 10;
            r.t_us = i * 10 + 5;
        }
        br_history_append(j->w, j->thread, &r);
    }
    return NULL;
}

static void round_trip(int compress)
{
    char path[128], err[512];
    tmp_path(path, sizeof(path), compress ? ".jsonl.zst" : ".jsonl");
    enum { N = 40000 }; /* several chunks per thread */
    br_history_writer *w = br_history_open(path, 4, header, compress, err, sizeof(err));
    assert_non_null(w);
    pthread_t th[4];
    job jobs[4];
    for (int t = 0; t < 4; t++) {
        jobs[t] = (job){w, t, N};
        pthread_create(&th[t], NULL, writer_thread, &jobs[t]);
    }
    for (int t = 0; t < 4; t++)
        pthread_join(th[t], NULL);
    br_history_record truth = booking(3);
    truth.type = BR_HREC_TRUTH;
    truth.active = 1;
    truth.ours = 1;
    br_history_append(w, 0, &truth);
    br_history_stats st;
    assert_int_equal(br_history_close(w, 1, "read", &st, err, sizeof(err)), 0);
    assert_int_equal(st.records, N);
    assert_true(access(path, F_OK) == 0);
    if (compress)
        assert_true(st.bytes_written * 4 < st.bytes_raw);
    else
        assert_int_equal(st.bytes_written, st.bytes_raw);

    br_history_reader *r = br_history_reader_open(path, err, sizeof(err));
    assert_non_null(r);
    static unsigned char seen[N];
    memset(seen, 0, sizeof(seen));
    br_history_record got;
    int rc, truths = 0, ends = 0;
    size_t n = 0;
    while ((rc = br_history_next(r, &got, err, sizeof(err))) == 1) {
        if (got.type == BR_HREC_TRUTH) {
            truths++;
            assert_string_equal(got.inspector, truth.inspector);
            assert_int_equal(got.start_us, truth.start_us);
            assert_true(got.active);
            assert_int_equal(got.ours, 1);
            continue;
        }
        if (got.type == BR_HREC_END) {
            ends++;
            assert_int_equal(got.records, N);
            assert_true(got.truth_checked);
            assert_string_equal(got.note, "read");
            continue;
        }
        int i = (int)(got.invoke_us / 10);
        assert_true(i >= 0 && i < N);
        assert_false(seen[i]);
        seen[i] = 1;
        n++;
        assert_int_equal(got.t_us, i * 10 + 5);
        if (i % 2 == 0) {
            br_history_record want = booking(i);
            assert_int_equal(got.type, want.type);
            assert_int_equal(got.op, 1);
            assert_int_equal(got.actor, want.actor);
            assert_int_equal(got.conn, want.conn);
            assert_int_equal(got.status, want.status);
            assert_string_equal(got.inspector, want.inspector);
            assert_string_equal(got.id, want.id);
            assert_int_equal(got.start_us, want.start_us);
            assert_int_equal(got.end_us, want.end_us);
        } else {
            assert_int_equal(got.op, 0);
            assert_string_equal(got.inspector, "");
        }
    }
    if (rc < 0)
        fail_msg("%s", err);
    assert_int_equal(n, N);
    assert_int_equal(truths, 1);
    assert_int_equal(ends, 1);
    assert_string_equal(br_history_op_name(r, 1), "book");
    assert_string_equal(br_history_actor_name(r, 0), "melinda");
    assert_string_equal(br_history_run_id(r), "r1");
    br_history_reader_close(r);
    unlink(path);
}

static void test_round_trip_zstd(void **state)
{
    (void)state;
    round_trip(1);
}

static void test_round_trip_plain(void **state)
{
    (void)state;
    round_trip(0);
}

/* Reads |text| to the end; returns the reader's result and leaves the message in |err|. */
static int read_all(const char *text, size_t len, char *err, size_t errlen)
{
    br_history_reader *r = br_history_reader_mem(text, len, "h.jsonl");
    br_history_record rec;
    int rc;
    while ((rc = br_history_next(r, &rec, err, errlen)) == 1)
        ;
    br_history_reader_close(r);
    return rc;
}

#define HDR "{\"schema\":\"bookrace.history/1\",\"ops\":[\"book\"],\"actors\":[\"a\"]}\n"
#define REC                                                                                                  \
    "{\"type\":\"ok\",\"op\":\"book\",\"actor\":0,\"conn\":1,\"invokeUs\":1,\"tUs\":2,\"status\":201}\n"

static void expect_error(const char *text, const char *fragment)
{
    char err[512] = "";
    assert_int_equal(read_all(text, strlen(text), err, sizeof(err)), -1);
    if (strstr(err, fragment) == NULL)
        fail_msg("error \"%s\" does not mention \"%s\"", err, fragment);
}

static void test_damage(void **state)
{
    (void)state;
    char err[512];
    const char *good = HDR REC "{\"type\":\"end\",\"records\":1}\n";
    assert_int_equal(read_all(good, strlen(good), err, sizeof(err)), 0);
    expect_error("", "h.jsonl:1: empty");
    expect_error(HDR REC, "h.jsonl:3: no end record");
    expect_error(HDR "{\"type\":\"ok\",\"op\":\"book\"", "h.jsonl:2: the last line has no newline");
    expect_error(HDR REC "{\"type\":\"end\",\"records\":2}\n", "h.jsonl:3: the end record counts 2");
    expect_error(HDR REC "{\"type\":\"end\",\"records\":1}\n" REC, "h.jsonl:4: a record after the end");
    expect_error(HDR "{\"type\":\"ok\",\"op\":\"book\",\"actor\":1}\n", "h.jsonl:2: \"actor\"");
    expect_error(HDR "{\"type\":\"ok\",\"op\":\"cancel\"}\n", "h.jsonl:2: \"op\"");
    expect_error(HDR "{\"type\":\"maybe\"}\n", "h.jsonl:2: \"type\"");
    expect_error(HDR "{\"type\":\"ok\",\"op\":\"book\",\"start\":\"2026-12-01\"}\n", "h.jsonl:2: \"start\"");
    expect_error(HDR
                 "{\"type\":\"ok\",\"op\":\"book\",\"inspector\":\"m\",\"start\":\"2026-12-01T10:00:00Z\","
                 "\"end\":\"2026-12-01T09:00:00Z\"}\n",
                 "before");
    expect_error(HDR "{\"type\":\"ok\",\n", "h.jsonl:2:");
    expect_error(HDR "[1]\n", "h.jsonl:2: a record must be a JSON object");
    expect_error("{\"schema\":\"bookrace.load/1\"}\n", "h.jsonl:1: not a bookrace history");
    expect_error("{\"schema\":\"bookrace.history/1\",\"ops\":[]}\n", "\"ops\"");
    /* A line past the limit is refused without reading it whole. */
    size_t big = BR_HISTORY_MAX_LINE + 100;
    char *longline = malloc(big + sizeof(HDR));
    memcpy(longline, HDR, sizeof(HDR) - 1);
    memset(longline + sizeof(HDR) - 1, ' ', big);
    longline[sizeof(HDR) - 1 + big - 1] = '\0';
    expect_error(longline, "h.jsonl:2: a line longer than");
    free(longline);
}

/* A compressed file cut inside a frame, and one that lost a chunk, are errors. */
static void test_compressed_damage(void **state)
{
    (void)state;
    char path[128], err[512];
    tmp_path(path, sizeof(path), "-cut.jsonl.zst");
    br_history_writer *w = br_history_open(path, 2, header, 1, err, sizeof(err));
    assert_non_null(w);
    for (int i = 0; i < 20000; i++) {
        br_history_record r = booking(i);
        br_history_append(w, i % 2, &r);
    }
    assert_int_equal(br_history_close(w, 0, "", NULL, err, sizeof(err)), 0);
    FILE *f = fopen(path, "rb");
    static char data[8 << 20];
    size_t len = fread(data, 1, sizeof(data), f);
    fclose(f);
    unlink(path);
    assert_int_equal(read_all(data, len, err, sizeof(err)), 0);
    assert_int_equal(read_all(data, len - 7, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "cut short"));
    /* Drop the second frame (the first chunk of records after the header frame). */
    size_t f1 = ZSTD_findFrameCompressedSize(data, len);
    size_t f2 = ZSTD_findFrameCompressedSize(data + f1, len - f1);
    assert_false(ZSTD_isError(f1) || ZSTD_isError(f2));
    assert_true(f1 + f2 < len);
    memmove(data + f1, data + f1 + f2, len - f1 - f2);
    assert_int_equal(read_all(data, len - f2, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "the end record counts 20000"));
}

static void test_bad_header_to_writer(void **state)
{
    (void)state;
    char err[256];
    assert_null(br_history_open("x.jsonl", 1, "{\"ops\":[]}", 0, err, sizeof(err)));
    assert_null(br_history_open("x.jsonl", 1, "not json", 0, err, sizeof(err)));
    assert_null(br_history_open("/nonexistent/dir/x.jsonl", 1, header, 0, err, sizeof(err)));
    assert_non_null(strstr(err, "/nonexistent/dir/x.jsonl.part"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_zstd),
        cmocka_unit_test(test_round_trip_plain),
        cmocka_unit_test(test_damage),
        cmocka_unit_test(test_compressed_damage),
        cmocka_unit_test(test_bad_header_to_writer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
