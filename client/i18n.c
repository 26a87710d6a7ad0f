/* i18n: locale and message catalogue set-up for the client (see i18n.h). */
#include "i18n.h"

#include <locale.h>
#include <stdlib.h>

#ifndef LOCALEDIR
#define LOCALEDIR "/usr/local/share/locale"
#endif

void i18n_init(void)
{
    setlocale(LC_ALL, "");
    const char *dir = getenv("TAMNONG_LOCALEDIR");
    if (!dir || !*dir)
        dir = LOCALEDIR;
    bindtextdomain("tamnong", dir);
    textdomain("tamnong");
}
