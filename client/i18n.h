/* i18n: gettext for every message a person reads. _() translates now; N_()
 * marks a string for extraction (xgettext --keyword=_ --keyword=N_) and is
 * translated later with _(). Strings in headers are not extracted: keep
 * messages in .c files. */
#ifndef TAMNONG_CLIENT_I18N_H
#define TAMNONG_CLIENT_I18N_H

#include <libintl.h>

#define _(s)  gettext(s)
#define N_(s) (s)

/* setlocale(LC_ALL, "") and bind the "tamnong" text domain to
 * $TAMNONG_LOCALEDIR when set, else to LOCALEDIR (build/locale by default). */
void i18n_init(void);

#endif
