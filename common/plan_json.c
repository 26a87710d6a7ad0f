/* plan_json: parsed plan -> JSON document for plan_import() (see plan_json.h). */
#include "plan_json.h"

#include <stdio.h>

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *date_or_null(struct plan_date d)
{
    if (d.year == 0)
        return json_null();
    char buf[16];
    snprintf(buf, sizeof buf, "%04d-%02d-%02d", d.year, d.month, d.day);
    return json_string(buf);
}

static json_t *number_or_null(const struct plan_number *n)
{
    return n->set ? json_string(n->text) : json_null();
}

static json_t *list(const struct plan_list *l)
{
    json_t *a = json_array();
    for (size_t i = 0; i < l->n; i++)
        json_array_append_new(a, json_string(l->v[i]));
    return a;
}

static json_t *kinds(unsigned bits)
{
    json_t *a = json_array();
    for (int k = 0; k < PLAN_AGENCY_KIND_COUNT; k++)
        if (bits & (1u << k))
            json_array_append_new(a, json_string(plan_agency_kind_name((enum plan_agency_kind)k)));
    return a;
}

static json_t *deadline_value(const struct plan_task *t)
{
    char buf[16];
    switch (t->deadline_kind) {
    case PLAN_DEADLINE_BY_YEAR:
        snprintf(buf, sizeof buf, "%d", t->deadline_year);
        return json_string(buf);
    case PLAN_DEADLINE_DATE:
        return date_or_null(t->deadline_on);
    default:
        return json_string("");
    }
}

static json_t *periods(const struct plan *p)
{
    json_t *a = json_array();
    for (size_t r = 0; r < p->n_regimes; r++) {
        const struct plan_period_regime *rg = &p->regimes[r];
        for (int y = rg->first_year; y <= rg->last_year; y++) {
            struct plan_date ws, we, dl;
            if (plan_period_for(p, rg, y, &ws, &we, &dl) != 0)
                continue;
            json_array_append_new(a,
                                  json_pack("{s:s, s:i, s:o, s:o, s:o}", "regime", rg->key, "year",
                                            y, "window_start", date_or_null(ws), "window_end",
                                            date_or_null(we), "deadline", date_or_null(dl)));
        }
    }
    return a;
}

json_t *plan_to_json(const struct plan *p, const char *plan_code)
{
    json_t *doc = json_object();
    json_object_set_new(
        doc, "plan",
        json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "code", plan_code, "title",
                  str_or_null(p->meta.title), "province", str_or_null(p->meta.province), "document",
                  str_or_null(p->meta.document_number), "issued", date_or_null(p->meta.issued_on),
                  "standing_agency", str_or_null(p->meta.standing_agency), "note",
                  str_or_null(p->meta.version_note)));

    json_t *a = json_array();
    for (size_t i = 0; i < p->n_agencies; i++) {
        const struct plan_agency *x = &p->agencies[i];
        json_array_append_new(
            a, json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o}", "code", x->code, "kind",
                         plan_agency_kind_name(x->kind), "name", x->name, "short_name",
                         str_or_null(x->short_name), "parent", str_or_null(x->parent), "valid_from",
                         date_or_null(x->valid_from), "valid_to", date_or_null(x->valid_to)));
    }
    json_object_set_new(doc, "agencies", a);

    a = json_array();
    for (size_t i = 0; i < p->n_groups; i++) {
        const struct plan_group *g = &p->groups[i];
        json_array_append_new(a, json_pack("{s:s, s:s, s:o, s:o, s:o}", "code", g->code, "name",
                                           g->name, "kinds", kinds(g->kinds), "members",
                                           list(&g->members), "include", list(&g->include)));
    }
    json_object_set_new(doc, "groups", a);

    a = json_array();
    for (size_t i = 0; i < p->n_reorgs; i++) {
        const struct plan_reorg *r = &p->reorgs[i];
        json_array_append_new(a, json_pack("{s:s, s:s, s:o, s:o, s:o, s:o}", "id", r->id, "kind",
                                           plan_reorg_kind_name(r->kind), "effective",
                                           date_or_null(r->effective), "from", list(&r->from), "to",
                                           list(&r->to), "note", str_or_null(r->note)));
    }
    json_object_set_new(doc, "reorganisations", a);

    a = json_array();
    for (size_t i = 0; i < p->n_regimes; i++) {
        const struct plan_period_regime *r = &p->regimes[i];
        json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "code", r->key, "name",
                                           r->name ? r->name : r->key, "time_zone",
                                           r->time_zone ? r->time_zone : p->meta.time_zone));
    }
    json_object_set_new(doc, "regimes", a);
    json_object_set_new(doc, "periods", periods(p));

    a = json_array();
    for (size_t i = 0; i < p->n_sections; i++) {
        const struct plan_section *s = &p->sections[i];
        json_array_append_new(a, json_pack("{s:s, s:s, s:o}", "code", s->code, "title", s->title,
                                           "parent", str_or_null(s->parent)));
    }
    json_object_set_new(doc, "sections", a);

    a = json_array();
    for (size_t i = 0; i < p->n_tasks; i++) {
        const struct plan_task *t = &p->tasks[i];
        json_t *lead = json_array();
        if (t->lead)
            json_array_append_new(lead, json_string(t->lead));
        json_array_append_new(
            a, json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:o, s:o}", "code", t->code,
                         "section", t->section, "title", t->title, "text", t->text, "lead", lead,
                         "coordinating", list(&t->coordinating), "deadline_kind",
                         plan_deadline_kind_name(t->deadline_kind), "deadline_value",
                         deadline_value(t), "output", str_or_null(t->output)));
    }
    json_object_set_new(doc, "tasks", a);

    a = json_array();
    for (size_t i = 0; i < p->n_indicators; i++) {
        const struct plan_indicator *x = &p->indicators[i];
        json_array_append_new(
            a,
            json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "key", x->key, "name",
                      x->name, "unit", x->unit, "rule", plan_rule_name(x->rule), "numerator",
                      str_or_null(x->numerator), "denominator", str_or_null(x->denominator),
                      "baseline", number_or_null(&x->baseline), "baseline_year",
                      x->baseline_year ? json_integer(x->baseline_year) : json_null(), "task",
                      str_or_null(x->task), "reporters", list(&x->reporters)));
    }
    json_object_set_new(doc, "indicators", a);

    a = json_array();
    for (size_t i = 0; i < p->n_targets; i++) {
        const struct plan_target *t = &p->targets[i];
        json_array_append_new(
            a, json_pack("{s:s, s:i, s:o, s:s, s:o, s:o, s:o, s:b, s:o, s:o}", "indicator",
                         t->indicator, "year", t->year, "qualifier", str_or_null(t->qualifier),
                         "comparator", plan_comparator_name(t->comparator), "value",
                         number_or_null(&t->value), "low", number_or_null(&t->low), "high",
                         number_or_null(&t->high), "strive", t->strive, "wording",
                         str_or_null(t->wording), "per_year_bound",
                         t->comparator == PLAN_CMP_PER_YEAR && t->value.set
                             ? json_string(plan_comparator_name(t->per_year_bound))
                             : json_null()));
    }
    json_object_set_new(doc, "targets", a);
    return doc;
}
