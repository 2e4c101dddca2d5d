#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "matrix.h"

static void test_shipped_matrix_loads(void **state)
{
    (void)state;
    char err[800];
    br_matrix *m = br_matrix_load(BOOKRACE_SOURCE_DIR "/scenarios/matrix.json", err, sizeof(err));
    if (m == NULL)
        fail_msg("%s", err);
    assert_int_equal(m->mode_count, 6);
    assert_string_equal(m->modes[0].name, "none");
    assert_string_equal(m->modes[0].slot_cache, "ttl:300");
    assert_int_equal(m->modes[2].race_window_us, 2000);
    assert_true(m->row_count >= 7);
    /* The incident replay: the index-only fix does not catch it, the transactional check does. */
    assert_string_equal(m->rows[0].label, "incident-stale-replay");
    assert_int_equal(m->rows[0].expect[1].violation, 1);
    assert_int_equal(m->rows[0].expect[3].violation, 0);
    br_matrix_free(m);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static void test_matrix_errors(void **state)
{
    (void)state;
    struct {
        const char *json, *mentions;
    } cases[] = {
        {"{\"name\":\"m\",\"target\":\"t.json\",\"modes\":[{\"name\":\"none\",\"fix\":\"none\"}],"
         "\"scenarios\":[{\"file\":"
         "\"" BOOKRACE_SOURCE_DIR "/scenarios/cancel-rebook.json\",\"expect\":{}}]}",
         "gives nothing for mode 'none'"},
        {"{\"name\":\"m\",\"target\":\"t.json\",\"modes\":[{\"name\":\"none\",\"fix\":\"none\"}],"
         "\"scenarios\":[{\"file\":"
         "\"" BOOKRACE_SOURCE_DIR
         "/scenarios/cancel-rebook.json\",\"expect\":{\"none\":\"clean\",\"X\":\"clean\"}}]}",
         "names mode 'X'"},
        {"{\"name\":\"m\",\"target\":\"t.json\",\"modes\":[{\"name\":\"none\",\"fix\":\"none\"}],"
         "\"scenarios\":[{\"file\":"
         "\"" BOOKRACE_SOURCE_DIR "/scenarios/cancel-rebook.json\",\"expect\":{\"none\":\"violation>=2\"}}]}",
         "expect.none must be"},
        {"{\"name\":\"m\",\"target\":\"t.json\",\"modes\":[{\"name\":\"none\",\"fix\":\"none\"}],"
         "\"scenarios\":[{\"file\":"
         "\"missing.json\",\"expect\":{\"none\":\"clean\"}}]}",
         "missing.json"},
        {"{\"name\":\"m\",\"target\":\"t.json\",\"modes\":[],\"scenarios\":[]}",
         "modes must be a non-empty array"},
        {"{\"name\":\"m\",\"target\":\"t.json\",\"modes\":[{\"name\":\"a\",\"fix\":\"A\"},{\"name\":\"a\","
         "\"fix\":\"C\"}],"
         "\"scenarios\":[]}",
         "used twice"},
        {"{\"name\":\"m\",\"target\":\"t.json\",\"cells\":1}", "unknown key 'cells'"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[800] = "";
        write_text("matrix-test.json", cases[i].json);
        br_matrix *m = br_matrix_load("matrix-test.json", err, sizeof(err));
        if (m != NULL)
            fail_msg("case %zu loaded", i);
        if (strstr(err, cases[i].mentions) == NULL)
            fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i].mentions);
    }
    remove("matrix-test.json");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_matrix_loads),
        cmocka_unit_test(test_matrix_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
