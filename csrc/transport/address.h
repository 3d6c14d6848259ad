/* Endpoint addresses of the stream transports: parsing what users write
 * (tcp://host:port, a "*" host or port for bind, tcp://[::1]:port, tcp://eth0:port,
 * ipc:///path, ipc://@abstract) into socket addresses, and back into the
 * canonical text that LAST_ENDPOINT reports. */
#ifndef SLI_ADDRESS_H
#define SLI_ADDRESS_H

#include "../platform/net.h"

typedef struct sli_address {
    int family;                      /* AF_INET, AF_INET6 or AF_UNIX */
    struct sockaddr_storage sa;
    socklen_t len;
} sli_address;

/* "host:port" for tcp. For a bind, host may be "*" (any), an IP, or an
 * interface name, and port may be "*" or "0" (ephemeral); for a connect,
 * host may be a DNS name. ipv6 allows IPv6 results (an IPv6 literal always
 * does). Errors: EINVAL (syntax, bad port), ENODEV (no such interface or
 * host: reported as EINVAL text naming it), EAFNOSUPPORT. */
int sli_tcp_address_resolve(const char *addr, bool bind, bool ipv6, sli_address *out);
/* "path" or "@abstract" (Linux) for ipc. EINVAL for an empty or too long path. */
int sli_ipc_address_resolve(const char *addr, sli_address *out);
/* "tcp://1.2.3.4:5", "tcp://[::1]:5", "ipc:///tmp/x", "ipc://@name". */
int sli_address_to_string(const sli_address *a, char *out, size_t cap);
/* The address a bound socket really has (ephemeral port filled in). */
int sli_address_from_socket(sli_fd_t fd, int family, sli_address *out);

#endif
