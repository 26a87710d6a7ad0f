/* plan_json: turns a parsed plan (planfile.h) into the JSON document that
 * PostgreSQL's plan_import() loads in one statement (deploy/migrations). The
 * server parses and validates the file itself, then hands this JSON over as
 * one parameter: one round trip, one transaction, no SQL built from text. */
#ifndef TAMNONG_PLAN_JSON_H
#define TAMNONG_PLAN_JSON_H

#include <jansson.h>

#include "planfile.h"

/* A new JSON object (json_decref it), or NULL on out-of-memory.
 * plan_code names the plan (e.g. "lang-son"); every period the plan's
 * regimes give is listed explicitly. */
json_t *plan_to_json(const struct plan *plan, const char *plan_code);

#endif
