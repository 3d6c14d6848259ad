/* The socket type table: one row per type, each defined in its own file. */
#include "socket.h"

extern const sli_socket_ops sli_pair_ops;
extern const sli_socket_ops sli_push_ops;
extern const sli_socket_ops sli_pull_ops;
extern const sli_socket_ops sli_pub_ops;
extern const sli_socket_ops sli_sub_ops;
extern const sli_socket_ops sli_xpub_ops;
extern const sli_socket_ops sli_xsub_ops;

static const sli_socket_ops *const types[SLI_NTYPES] = {
    [SLI_PAIR] = &sli_pair_ops,
    [SLI_PUSH] = &sli_push_ops,
    [SLI_PULL] = &sli_pull_ops,
    [SLI_PUB] = &sli_pub_ops,
    [SLI_SUB] = &sli_sub_ops,
    [SLI_XPUB] = &sli_xpub_ops,
    [SLI_XSUB] = &sli_xsub_ops,
};

const sli_socket_ops *sli_socket_type(int type)
{
    if (type < 0 || type >= SLI_NTYPES) return NULL;
    return types[type];
}
