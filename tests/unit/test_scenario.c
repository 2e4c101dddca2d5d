#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "scenario.h"

static br_scenario *from_text(const char *text, char *err)
{
    json_error_t e;
    json_t *root = json_loads(text, 0, &e);
    if (root == NULL)
        fail_msg("test JSON does not parse: %s (%s)", e.text, text);
    br_scenario *s = br_scenario_from_json(root, "s.json", err, 600);
    json_decref(root);
    return s;
}

#define HEAD                                                                                                 \
    "{\"name\":\"t\",\"date\":\"2026-12-01\",\"actors\":[{\"name\":\"a\",\"lat\":1,\"lng\":2},{\"name\":"    \
    "\"b\",\"lat\":1,\"lng\":2}],"

/* Whether a file in scenarios/ is a matrix (it lists modes and scenarios; test_matrix loads it). */
static int is_matrix(const char *path)
{
    json_error_t e;
    json_t *root = json_load_file(path, 0, &e);
    if (root == NULL)
        return 0; /* br_scenario_load says why */
    int matrix = json_object_get(root, "modes") != NULL && json_object_get(root, "scenarios") != NULL;
    json_decref(root);
    return matrix;
}

/* Every scenario shipped in scenarios/ loads and is named after its file: a new one is covered the day it
 * lands. */
static void test_shipped_scenarios_load(void **state)
{
    (void)state;
    DIR *dir = opendir(BOOKRACE_SOURCE_DIR "/scenarios");
    assert_non_null(dir);
    struct dirent *d;
    size_t loaded = 0, matrices = 0;
    while ((d = readdir(dir)) != NULL) {
        size_t len = strlen(d->d_name);
        if (len < 6 || strcmp(d->d_name + len - 5, ".json") != 0)
            continue;
        char path[768], err[600];
        snprintf(path, sizeof(path), "%s/scenarios/%s", BOOKRACE_SOURCE_DIR, d->d_name);
        if (is_matrix(path)) {
            matrices++;
            continue;
        }
        br_scenario *s = br_scenario_load(path, err, sizeof(err));
        if (s == NULL)
            fail_msg("%s", err);
        char name[256];
        snprintf(name, sizeof(name), "%.*s", (int)(len - 5), d->d_name);
        assert_string_equal(s->name, name);
        br_scenario_free(s);
        loaded++;
    }
    closedir(dir);
    /* The ten the project shipped with at least, and the matrix: the folder was really read. */
    assert_true(loaded >= 10);
    assert_int_equal(matrices, 1);
}

static void test_full_scenario_fields(void **state)
{
    (void)state;
    char err[600];
    br_scenario *s = from_text(
        HEAD "\"variables\":{\"serviceId\":\"x\"},\"steps\":["
             "{\"do\":\"fetch_slots\",\"save\":\"l\"},"
             "{\"do\":\"pick\",\"actors\":\"a\",\"from\":\"l\",\"choose\":\"nth\",\"n\":2,\"save\":\"s\"},"
             "{\"do\":\"pick\",\"actors\":[\"b\"],\"from\":\"l\",\"choose\":\"overlapping\",\"actor\":\"a\","
             "\"pick\":\"s\","
             "\"save\":\"s\"},"
             "{\"do\":\"hold\",\"slot\":\"s\",\"save\":\"h\"},"
             "{\"do\":\"barrier\",\"release\":\"plain\"},"
             "{\"do\":\"book\",\"slot\":\"s\",\"hold\":\"h\",\"save\":\"bk\"},"
             "{\"do\":\"advance\",\"seconds\":180},"
             "{\"do\":\"cancel\",\"actors\":\"a\",\"booking\":\"bk\"},"
             "{\"do\":\"sleep\",\"seconds\":0.5,\"description\":\"breathe\"}]}",
        err);
    if (s == NULL)
        fail_msg("%s", err);
    assert_int_equal(s->actor_count, 2);
    assert_int_equal(s->step_count, 9);
    assert_int_equal(s->steps[1].rule, BR_PICK_NTH);
    assert_int_equal(s->steps[1].nth, 2);
    assert_int_equal(s->steps[1].actor_count, 1);
    assert_int_equal(s->steps[2].rule, BR_PICK_OVERLAPPING);
    assert_int_equal(s->steps[2].other_actor, 0);
    assert_int_equal(s->steps[5].barrier, 4);
    assert_int_equal(s->steps[4].release, BR_RELEASE_PLAIN);
    assert_int_equal(s->steps[4].release_given, 1);
    assert_int_equal(s->steps[3].barrier, -1);
    assert_true(s->steps[6].seconds == 180);
    assert_string_equal(s->steps[8].description, "breathe");
    br_scenario_free(s);
}

/* single-packet is a release of its own; a barrier that names none leaves the choice to the target. */
static void test_single_packet_release(void **state)
{
    (void)state;
    char err[600];
    br_scenario *s =
        from_text(HEAD "\"steps\":[{\"do\":\"fetch_slots\",\"save\":\"l\"},"
                       "{\"do\":\"pick\",\"from\":\"l\",\"save\":\"s\"},"
                       "{\"do\":\"barrier\",\"release\":\"single-packet\"},{\"do\":\"book\",\"slot\":\"s\"},"
                       "{\"do\":\"barrier\"},{\"do\":\"book\",\"slot\":\"s\"}]}",
                  err);
    if (s == NULL)
        fail_msg("%s", err);
    assert_int_equal(s->steps[2].release, BR_RELEASE_SINGLE_PACKET);
    assert_int_equal(s->steps[2].release_given, 1);
    assert_int_equal(s->steps[4].release, BR_RELEASE_LAST_BYTE);
    assert_int_equal(s->steps[4].release_given, 0);
    assert_string_equal(br_release_name(BR_RELEASE_SINGLE_PACKET), "single-packet");
    br_scenario_free(s);
}

static void test_actor_generator(void **state)
{
    (void)state;
    char err[600];
    br_scenario *s =
        from_text("{\"name\":\"g\",\"date\":\"2026-12-01\",\"actors\":{\"count\":3,\"namePrefix\":\"cust\","
                  "\"address\":\"%d Pine Thicket\",\"lat\":30,\"lng\":0,\"latStep\":0.0001},"
                  "\"steps\":[{\"do\":\"fetch_slots\",\"save\":\"l\"}]}",
                  err);
    if (s == NULL)
        fail_msg("%s", err);
    assert_int_equal(s->actor_count, 3);
    assert_string_equal(s->actors[2].name, "cust2");
    assert_string_equal(s->actors[2].address, "3 Pine Thicket");
    assert_true(s->actors[2].lat > 30.00019 && s->actors[2].lat < 30.00021);
    br_scenario_free(s);
}

static void test_errors_name_the_step(void **state)
{
    (void)state;
    struct {
        const char *json, *mentions;
    } cases[] = {
        {HEAD "\"steps\":[{\"do\":\"bok\"}]}", "steps[0]: unknown step kind 'bok'"},
        {HEAD "\"steps\":[{\"save\":\"x\"}]}", "(missing \"do\")"},
        {HEAD "\"steps\":[{\"do\":\"fetch_slots\",\"actors\":\"zed\",\"save\":\"l\"}]}", "unknown actor zed"},
        {HEAD "\"steps\":[{\"do\":\"pick\",\"from\":\"l\",\"save\":\"s\"}]}",
         "steps[0] (pick): actor a picks from 'l', a list it never fetched"},
        {HEAD "\"steps\":[{\"do\":\"fetch_slots\",\"actors\":\"a\",\"save\":\"l\"},{\"do\":\"pick\",\"from\":"
              "\"l\","
              "\"save\":\"s\"}]}",
         "actor b picks from 'l'"},
        {HEAD "\"steps\":[{\"do\":\"book\",\"slot\":\"s\"}]}",
         "steps[0] (book): actor a uses slot 's', which it never picked"},
        {HEAD "\"steps\":[{\"do\":\"cancel\",\"booking\":\"b\"}]}",
         "cancels booking 'b', which it never made"},
        {HEAD "\"steps\":[{\"do\":\"barrier\"}]}",
         "steps[0] (barrier) must be followed by a step that sends requests"},
        {HEAD "\"steps\":[{\"do\":\"barrier\"},{\"do\":\"fetch_slots\",\"actors\":\"a\",\"save\":\"l\"}]}",
         "names actor b, but steps[1] does not include it"},
        {HEAD "\"steps\":[{\"do\":\"fetch_slots\",\"save\":\"l\",\"extra\":1}]}", "unknown key 'extra'"},
        {HEAD "\"steps\":[{\"do\":\"fetch_slots\",\"save\":\"l\"},{\"do\":\"pick\",\"actors\":\"b\",\"from\":"
              "\"l\","
              "\"choose\":\"same-as\",\"actor\":\"a\",\"save\":\"s\"}]}",
         "actor a has not picked 's' before this step"},
        {HEAD "\"steps\":[{\"do\":\"fetch_slots\",\"save\":\"l\"},{\"do\":\"pick\",\"from\":\"l\",\"choose\":"
              "\"best\","
              "\"save\":\"s\"}]}",
         "choose must be"},
        {HEAD "\"steps\":[{\"do\":\"advance\",\"seconds\":-1}]}", "'seconds' must be a number"},
        {HEAD
         "\"steps\":[{\"do\":\"barrier\",\"release\":\"fast\"},{\"do\":\"fetch_slots\",\"save\":\"l\"}]}",
         "release must be"},
        {HEAD "\"steps\":[]}", "steps must be a non-empty array"},
        {"{\"name\":\"t\",\"date\":\"2026-13-01\",\"actors\":[{\"name\":\"a\",\"lat\":1,\"lng\":2}],"
         "\"steps\":[]}",
         "date '2026-13-01': expected YYYY-MM-DD, today, tomorrow, +Nd"},
        {"{\"name\":\"t\",\"date\":\"2026-12-01\",\"actors\":[{\"name\":\"a\",\"lat\":91,\"lng\":2}],"
         "\"steps\":[]}",
         "actors[0] needs lat"},
        {"{\"name\":\"t\",\"date\":\"2026-12-01\",\"actors\":[{\"name\":\"a\",\"lat\":1,\"lng\":2},{\"name\":"
         "\"a\","
         "\"lat\":1,\"lng\":2}],\"steps\":[]}",
         "actor name 'a' is used twice"},
        {"{\"name\":\"bad name\",\"date\":\"2026-12-01\",\"actors\":[],\"steps\":[]}", "name must be"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[600] = "";
        br_scenario *s = from_text(cases[i].json, err);
        if (s != NULL)
            fail_msg("case %zu loaded", i);
        if (strstr(err, cases[i].mentions) == NULL || strncmp(err, "s.json: ", 8) != 0)
            fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i].mentions);
    }
}

/* A relative day is resolved at load against today (UTC) and its spelling kept for run.json. */
static void test_relative_date(void **state)
{
    (void)state;
    char err[512], want[11];
    json_error_t e;
    json_t *doc = json_loads("{\"name\":\"t\",\"date\":\"+14d\",\"actors\":[{\"name\":\"a\",\"lat\":1,"
                             "\"lng\":2}],\"steps\":[{\"do\":\"fetch_slots\",\"save\":\"l\"}]}",
                             0, &e);
    br_scenario *s = br_scenario_from_json(doc, "rel.json", err, sizeof(err));
    if (s == NULL)
        fail_msg("%s", err);
    assert_string_equal(s->date_spec, "+14d");
    assert_int_equal(br_scenario_resolve_day("+14d", want, err, sizeof(err)), 0);
    assert_string_equal(s->date, want);
    br_scenario_free(s);
    json_decref(doc);
    assert_int_equal(br_scenario_resolve_day("2026-12-01", want, err, sizeof(err)), 0);
    assert_string_equal(want, "2026-12-01");
    assert_int_equal(br_scenario_resolve_day("someday", want, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "next-weekday"));
}

/* "expect": clean by default, "violation" when asked, anything else refused with the file named. */
static void test_expectation(void **state)
{
    (void)state;
    char err[600];
    const char *cases[] = {"", "\"expect\":\"clean\",", "\"expect\":\"violation\","};
    for (int i = 0; i < 3; i++) {
        char text[1024];
        snprintf(text, sizeof(text), HEAD "%s\"steps\":[{\"do\":\"fetch_slots\",\"save\":\"l\"}]}", cases[i]);
        br_scenario *s = from_text(text, err);
        if (s == NULL)
            fail_msg("%s", err);
        assert_int_equal(s->expect_violation, i == 2);
        br_scenario_free(s);
    }
    const char *bad[] = {"\"expect\":\"violations\",", "\"expect\":true,", "\"expect\":null,"};
    for (int i = 0; i < 3; i++) {
        char text[1024];
        snprintf(text, sizeof(text), HEAD "%s\"steps\":[{\"do\":\"fetch_slots\",\"save\":\"l\"}]}", bad[i]);
        assert_null(from_text(text, err));
        assert_string_equal(err, "s.json: expect must be \"clean\" or \"violation\"");
    }
}

static void test_malformed_file_names_line_and_column(void **state)
{
    (void)state;
    char err[600];
    FILE *f = fopen("bad-scenario.json", "w");
    fputs("{\n  \"name\": \"t\",\n  \"steps\": [\n    {\"do\": \"book\" \"slot\": \"s\"}\n  ]\n}\n", f);
    fclose(f);
    assert_null(br_scenario_load("bad-scenario.json", err, sizeof(err)));
    assert_non_null(strstr(err, "bad-scenario.json:4:"));
    remove("bad-scenario.json");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_scenarios_load),
        cmocka_unit_test(test_full_scenario_fields),
        cmocka_unit_test(test_single_packet_release),
        cmocka_unit_test(test_actor_generator),
        cmocka_unit_test(test_errors_name_the_step),
        cmocka_unit_test(test_relative_date),
        cmocka_unit_test(test_expectation),
        cmocka_unit_test(test_malformed_file_names_line_and_column),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
