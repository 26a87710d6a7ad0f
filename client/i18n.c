/* i18n: locale and message catalogue set-up for the client (see i18n.h). */
#include "i18n.h"

#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef LOCALEDIR
#define LOCALEDIR "/usr/local/share/locale"
#endif

/* The catalogue of an installed binary: PREFIX/bin/tamnong finds
 * PREFIX/share/locale, wherever `make install` put it. Written into buf; NULL
 * when there is no such directory with our catalogue (then the build tree's
 * LOCALEDIR serves, as when running from build/). */
static const char *installed_localedir(char *buf, size_t size)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return NULL;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return NULL;
    *slash = '\0';
    char probe[PATH_MAX + 64];
    if (snprintf(buf, size, "%s/../share/locale", exe) >= (int)size ||
        snprintf(probe, sizeof probe, "%s/vi/LC_MESSAGES/tamnong.mo", buf) >= (int)sizeof probe ||
        access(probe, R_OK) != 0)
        return NULL;
    return buf;
}

void i18n_init(void)
{
    char installed[PATH_MAX];
    setlocale(LC_ALL, "");
    const char *dir = getenv("TAMNONG_LOCALEDIR");
    if (!dir || !*dir)
        dir = installed_localedir(installed, sizeof installed);
    if (!dir)
        dir = LOCALEDIR;
    bindtextdomain("tamnong", dir);
    textdomain("tamnong");
}
