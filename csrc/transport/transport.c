/* The transport table: see transport.h. */
#include "transport.h"

static const sli_transport *const transports[] = {
    &sli_inproc_transport,
    &sli_tcp_transport,
    &sli_ipc_transport,
    NULL,
};

const sli_transport *sli_transport_find(const char *uri, const char **addr)
{
    const char *sep = uri ? strstr(uri, "://") : NULL;
    if (!sep || sep == uri) {
        errno = EINVAL;
        return NULL;
    }
    size_t n = (size_t)(sep - uri);
    for (int i = 0; transports[i]; i++) {
        if (strlen(transports[i]->scheme) == n && memcmp(transports[i]->scheme, uri, n) == 0) {
            *addr = sep + 3;
            return transports[i];
        }
    }
    errno = EPROTONOSUPPORT;
    return NULL;
}
