/* test_handler_rows: arena_messages_rows (server/handler_rows.c) on a
 * PGresult built in memory with libpq's own calls: columns go to the fields
 * of the same name, "agency.code" into the nested message, types converted,
 * NULLs and unknown columns left alone, the head rows skipped. */
#include <string.h>

#include "handler_util.h"
#include "tamnong.pb-c.h"
#include "unit.h"

enum { COLS = 8 };
static const char *const names[COLS] = {"head",     "agency.code",   "agency.name",   "on_time",
                                        "revision", "submission_id", "no_such_field", "status"};

static void make_result(PGresult **out)
{
    PGresult *r = *out = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
    CHECK(r != NULL);
    PGresAttDesc att[COLS];
    memset(att, 0, sizeof att);
    for (int c = 0; c < COLS; c++) {
        att[c].name = (char *)names[c];
        att[c].format = 0;
    }
    CHECK(PQsetResultAttrs(r, COLS, att));
    const char *rows[3][COLS] = {
        {"{\"x\": 1}", NULL, NULL, NULL, NULL, NULL, NULL, NULL},
        {NULL, "X0001", "UBND xã Hữu Lũng", "t", "3", "9007199254740993", "junk", "late"},
        {NULL, NULL, NULL, "f", NULL, "0", NULL, "missing"}};
    for (int i = 0; i < 3; i++)
        for (int c = 0; c < COLS; c++)
            if (rows[i][c])
                CHECK(PQsetvalue(r, i, c, (char *)rows[i][c], (int)strlen(rows[i][c])));
            else
                CHECK(PQsetvalue(r, i, c, NULL, -1));
}

TEST(rows_become_messages)
{
    PGresult *r = NULL;
    make_result(&r);
    if (!r)
        return;
    struct arena a = {0};
    size_t n = 99;
    Tamnong__ReporterStatus **m = (Tamnong__ReporterStatus **)arena_messages_rows(
        &a, &tamnong__reporter_status__descriptor, r, 1, &n);
    CHECK(m != NULL);
    CHECK_EQ_INT((int)n, 2);
    if (m && n == 2) {
        CHECK(m[0]->agency != NULL);
        if (m[0]->agency) {
            CHECK_EQ_STR(m[0]->agency->code, "X0001");
            CHECK_EQ_STR(m[0]->agency->name, "UBND xã Hữu Lũng");
        }
        CHECK(m[0]->on_time);
        CHECK_EQ_INT(m[0]->revision, 3);
        CHECK(m[0]->submission_id == 9007199254740993LL);
        CHECK_EQ_STR(m[0]->status, "late");
        CHECK_EQ_STR(m[0]->kind, ""); /* no column: the default */
        CHECK(m[1]->agency == NULL);  /* its columns NULL: never allocated */
        CHECK(!m[1]->on_time);
        CHECK_EQ_INT(m[1]->revision, 0);
        CHECK_EQ_STR(m[1]->status, "missing");
        /* and it packs as a valid message */
        size_t len = protobuf_c_message_get_packed_size(&m[0]->base);
        CHECK(len > 20);
    }
    arena_free(&a);
    PQclear(r);
}

TEST(head_only_and_empty)
{
    PGresult *r = NULL;
    make_result(&r);
    if (!r)
        return;
    struct arena a = {0};
    size_t n = 99;
    CHECK(arena_messages_rows(&a, &tamnong__reporter_status__descriptor, r, 3, &n) != NULL);
    CHECK_EQ_INT((int)n, 0);
    CHECK(arena_messages_rows(&a, &tamnong__reporter_status__descriptor, r, 7, &n) != NULL);
    CHECK_EQ_INT((int)n, 0);
    arena_free(&a);
    PQclear(r);
}

UNIT_MAIN(T(rows_become_messages), T(head_only_and_empty))
