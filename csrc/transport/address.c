/* Endpoint addresses: see address.h. */
#include "address.h"

#include <stdio.h>

static int parse_port(const char *s, bool bind, uint16_t *port)
{
    if (bind && (strcmp(s, "*") == 0 || strcmp(s, "0") == 0)) {
        *port = 0;
        return 0;
    }
    if (!*s) goto bad;
    unsigned long v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9') goto bad;
        v = v * 10 + (unsigned long)(*p - '0');
        if (v > 65535) goto bad;
    }
    if (v == 0) goto bad;
    *port = (uint16_t)v;
    return 0;
bad:
    errno = EINVAL;
    return -1;
}

static void set_port(sli_address *a, uint16_t port)
{
    if (a->family == AF_INET) ((struct sockaddr_in *)&a->sa)->sin_port = htons(port);
    else ((struct sockaddr_in6 *)&a->sa)->sin6_port = htons(port);
}

static int any_address(bool ipv6, sli_address *out)
{
    memset(out, 0, sizeof *out);
    if (ipv6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&out->sa;
        s6->sin6_family = AF_INET6;
        s6->sin6_addr = in6addr_any;
        out->family = AF_INET6;
        out->len = sizeof *s6;
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&out->sa;
        s4->sin_family = AF_INET;
        s4->sin_addr.s_addr = htonl(INADDR_ANY);
        out->family = AF_INET;
        out->len = sizeof *s4;
    }
    return 0;
}

int sli_tcp_address_resolve(const char *addr, bool bind, bool ipv6, sli_address *out)
{
    const char *colon = strrchr(addr, ':');
    if (!colon || colon == addr) {
        errno = EINVAL;
        return -1;
    }
    uint16_t port;
    if (parse_port(colon + 1, bind, &port) != 0) return -1;
    char host[256];
    size_t hl = (size_t)(colon - addr);
    if (hl >= sizeof host) {
        errno = EINVAL;
        return -1;
    }
    memcpy(host, addr, hl);
    host[hl] = 0;
    bool bracketed = false;
    if (host[0] == '[') {
        if (hl < 3 || host[hl - 1] != ']') {
            errno = EINVAL;
            return -1;
        }
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = 0;
        bracketed = true;
        ipv6 = true;
    }
    if (bind && strcmp(host, "*") == 0) {
        any_address(ipv6, out);
        set_port(out, port);
        return 0;
    }
    /* A numeric address first: no DNS for what needs none. */
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = ipv6 ? AF_UNSPEC : AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST;
    int rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc != 0 && !bracketed) {
        /* For a bind, an interface name ("eth0"). */
        if (bind && sli_net_interface_address(host, ipv6, &out->sa, &out->len) == 0) {
            out->family = out->sa.ss_family;
            set_port(out, port);
            return 0;
        }
        hints.ai_flags = bind ? AI_PASSIVE : 0;
#ifdef AI_ADDRCONFIG
        if (!bind) hints.ai_flags |= AI_ADDRCONFIG;
#endif
        rc = getaddrinfo(host, NULL, &hints, &res);
    }
    if (rc != 0 || !res) {
        if (res) freeaddrinfo(res);
        errno = bind ? ENODEV : EHOSTUNREACH;
        return -1;
    }
    /* Prefer IPv4 when both exist (as libzmq does unless told otherwise). */
    struct addrinfo *pick = res;
    for (struct addrinfo *r = res; r; r = r->ai_next)
        if (r->ai_family == AF_INET) {
            pick = r;
            break;
        }
    memset(out, 0, sizeof *out);
    out->family = pick->ai_family;
    out->len = (socklen_t)pick->ai_addrlen;
    memcpy(&out->sa, pick->ai_addr, pick->ai_addrlen);
    freeaddrinfo(res);
    if (out->family != AF_INET && out->family != AF_INET6) {
        errno = EAFNOSUPPORT;
        return -1;
    }
    set_port(out, port);
    return 0;
}

int sli_ipc_address_resolve(const char *addr, sli_address *out)
{
    size_t n = strlen(addr);
    memset(out, 0, sizeof *out);
    struct sockaddr_un *un = (struct sockaddr_un *)&out->sa;
    if (n == 0 || n >= sizeof un->sun_path) {
        errno = n == 0 ? EINVAL : ENAMETOOLONG;
        return -1;
    }
    un->sun_family = AF_UNIX;
    memcpy(un->sun_path, addr, n);
    out->family = AF_UNIX;
    out->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
    if (addr[0] == '@') {
        if (!sli_net_have_abstract_ipc()) {
            errno = EINVAL;
            return -1;
        }
        un->sun_path[0] = 0; /* abstract namespace: no file, no NUL at the end */
        out->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
    }
    return 0;
}

int sli_address_to_string(const sli_address *a, char *out, size_t cap)
{
    char host[INET6_ADDRSTRLEN];
    int n;
    if (a->family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)&a->sa;
        inet_ntop(AF_INET, &s4->sin_addr, host, sizeof host);
        n = snprintf(out, cap, "tcp://%s:%u", host, (unsigned)ntohs(s4->sin_port));
    } else if (a->family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&a->sa;
        inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
        n = snprintf(out, cap, "tcp://[%s]:%u", host, (unsigned)ntohs(s6->sin6_port));
    } else {
        const struct sockaddr_un *un = (const struct sockaddr_un *)&a->sa;
        if (un->sun_path[0] == 0) {
            size_t plen = (size_t)a->len - offsetof(struct sockaddr_un, sun_path) - 1;
            n = snprintf(out, cap, "ipc://@%.*s", (int)plen, un->sun_path + 1);
        } else {
            n = snprintf(out, cap, "ipc://%s", un->sun_path);
        }
    }
    if (n < 0 || (size_t)n >= cap) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

int sli_address_from_socket(sli_fd_t fd, int family, sli_address *out)
{
    if (family == AF_UNIX) return 0; /* the path is what was asked for */
    memset(out, 0, sizeof *out);
    socklen_t len = sizeof out->sa;
    if (getsockname(fd, (struct sockaddr *)&out->sa, &len) != 0) {
        errno = sli_last_socket_error();
        return -1;
    }
    out->family = family;
    out->len = len;
    return 0;
}
