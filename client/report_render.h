/* report_render: the consolidated report written from a report_model, one
 * renderer per format, each to a stream. All return 0, or -1 when the
 * stream reports a write error. The texts are Vietnamese (report_words.h);
 * every text that comes from users (agency names, report texts) is escaped
 * for the format. */
#ifndef TAMNONG_CLIENT_REPORT_RENDER_H
#define TAMNONG_CLIENT_REPORT_RENDER_H

#include <stdio.h>

#include "report_model.h"

/* One self-contained HTML file: inline CSS (A4 print rules, a Times
 * compatible font), inline SVG charts, no external resource. */
int report_render_html(const struct report_model *m, FILE *f);
/* Markdown (CommonMark tables). */
int report_render_md(const struct report_model *m, FILE *f);
/* CSV for spreadsheets: UTF-8 with a BOM, RFC 4180 quoting and CRLF, one
 * labelled block per table separated by an empty line. */
int report_render_csv(const struct report_model *m, FILE *f);

/* Shared by the HTML renderer and its SVG charts (report_svg.c). */
/* s with & < > " ' as character references. */
void report_html_escape(FILE *f, const char *s);
/* The SVG bar of one target of an indicator: baseline, current value and
 * target on one scale, coloured by the target's status, with text labels.
 * Nothing when the numbers do not allow a scale. */
void report_svg_target_bar(FILE *f, const Tamnong__IndicatorProgress *ip,
                           const Tamnong__TargetCheck *tc);
/* The grid of reporters × status (timeliness and review), in coloured
 * cells that also carry their label; split in blocks that fit a page. */
void report_svg_status_grid(FILE *f, const Tamnong__PeriodStatusResponse *st);

#endif
