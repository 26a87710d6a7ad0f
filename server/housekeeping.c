/* housekeeping: see housekeeping.h. */
#include "housekeeping.h"

#include <jansson.h>
#include <stdbool.h>

#include "db.h"
#include "log.h"
#include "sql.h"
#include "tamnong.pb-c.h"

#define FIRST_RUN_MS 1000
#define EVERY_MS     (60 * 60 * 1000)

static uv_timer_t timer;
static bool timer_on;
static bool running; /* one statement at a time */

static void done(void *data, int status, const PGresult *res, const char *errmsg)
{
    (void)data;
    running = false;
    if (status != TAMNONG__STATUS__OK) {
        log_debug("housekeeping: not done this time: %s", errmsg ? errmsg : "no database");
        return;
    }
    json_t *r = PQntuples(res) == 1 ? json_loads(PQgetvalue(res, 0, 0), 0, NULL) : NULL;
    json_int_t uploads = json_integer_value(json_object_get(r, "abandoned_uploads"));
    json_int_t chunks = json_integer_value(json_object_get(r, "chunks"));
    if (uploads > 0)
        log_info("housekeeping: removed %lld upload(s) abandoned for 7 days (%lld chunk(s))",
                 (long long)uploads, (long long)chunks);
    else
        log_debug("housekeeping: nothing to remove");
    json_decref(r);
}

static void on_timer(uv_timer_t *t)
{
    struct server *srv = t->data;
    if (running || !srv->db)
        return;
    running = true;
    db_query(srv->db, NULL, SQL_HOUSEKEEPING, 0, NULL, done, NULL);
}

int housekeeping_start(struct server *srv)
{
    int rc = uv_timer_init(srv->loop, &timer);
    if (rc < 0)
        return rc;
    timer.data = srv;
    if ((rc = uv_timer_start(&timer, on_timer, FIRST_RUN_MS, EVERY_MS)) < 0)
        return rc;
    timer_on = true;
    return 0;
}

void housekeeping_stop(void)
{
    if (timer_on) {
        uv_timer_stop(&timer);
        uv_close((uv_handle_t *)&timer, NULL);
        timer_on = false;
    }
}
