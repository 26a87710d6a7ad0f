/* housekeeping: what tamnongd clears by itself, once shortly after start and
 * then every hour: uploads abandoned for a week (housekeeping() in
 * deploy/migrations/015_housekeeping.sql). One statement through the pool,
 * never blocking the loop; a failure is logged and tried again next time. */
#ifndef TAMNONG_HOUSEKEEPING_H
#define TAMNONG_HOUSEKEEPING_H

#include "server.h"

/* Start the timer. 0 or a negative libuv error. */
int housekeeping_start(struct server *srv);
/* Stop it (drain); a run in flight is answered by the pool. */
void housekeeping_stop(void);

#endif
