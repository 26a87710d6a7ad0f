/* migrate: applies the numbered SQL files of the migrations directory
 * (001_name.sql, 002_...) in order, each in its own transaction, recording
 * them in schema_migrations. Runs at start-up only (blocking libpq is fine
 * there, never on the loop). */
#ifndef TAMNONG_MIGRATE_H
#define TAMNONG_MIGRATE_H

#include <stddef.h>

/* 0, or -1 with err filled. *applied = number of files applied now. */
int migrate_run(const char *conninfo, const char *dir, int *applied, char *err, size_t errlen);

#endif
