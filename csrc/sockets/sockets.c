/* The socket type table: one row per type, each defined in its own file. */
#include "socket.h"
#include "../transport/stream.h"

extern const sli_socket_ops sli_pair_ops;
extern const sli_socket_ops sli_push_ops;
extern const sli_socket_ops sli_pull_ops;
extern const sli_socket_ops sli_req_ops;
extern const sli_socket_ops sli_rep_ops;
extern const sli_socket_ops sli_dealer_ops;
extern const sli_socket_ops sli_router_ops;
extern const sli_socket_ops sli_pub_ops;
extern const sli_socket_ops sli_sub_ops;
extern const sli_socket_ops sli_xpub_ops;
extern const sli_socket_ops sli_xsub_ops;

static const sli_socket_ops *const types[SLI_NTYPES] = {
    [SLI_PAIR] = &sli_pair_ops,
    [SLI_PUSH] = &sli_push_ops,
    [SLI_PULL] = &sli_pull_ops,
    [SLI_REQ] = &sli_req_ops,
    [SLI_REP] = &sli_rep_ops,
    [SLI_DEALER] = &sli_dealer_ops,
    [SLI_ROUTER] = &sli_router_ops,
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

const char *sli_socket_type_name(int type)
{
    const sli_socket_ops *ops = sli_socket_type(type);
    return ops ? ops->name : "";
}

int sli_socket_type_from_name(const unsigned char *name, size_t len)
{
    for (int t = 0; t < SLI_NTYPES; t++) {
        const sli_socket_ops *ops = types[t];
        if (ops && strlen(ops->name) == len && memcmp(ops->name, name, len) == 0) return t;
    }
    return -1;
}
