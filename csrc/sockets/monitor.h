/* Socket monitoring (after libzmq's zmq_socket_monitor): events about a
 * socket's connections are sent, as libzmq's two-frame messages (6 bytes:
 * 16-bit event and 32-bit value in host order; then the endpoint), on a
 * PAIR socket bound to an inproc address the user connects to. Events come
 * from I/O threads, so the monitor socket is written under a mutex; a full
 * monitor pipe drops events rather than stall an I/O thread. */
#ifndef SLI_MONITOR_H
#define SLI_MONITOR_H

#include "socket.h"

enum {
    SLI_EVENT_CONNECTED = 0x0001,
    SLI_EVENT_CONNECT_DELAYED = 0x0002,
    SLI_EVENT_CONNECT_RETRIED = 0x0004,
    SLI_EVENT_LISTENING = 0x0008,
    SLI_EVENT_BIND_FAILED = 0x0010,
    SLI_EVENT_ACCEPTED = 0x0020,
    SLI_EVENT_ACCEPT_FAILED = 0x0040,
    SLI_EVENT_CLOSED = 0x0080,
    SLI_EVENT_CLOSE_FAILED = 0x0100,
    SLI_EVENT_DISCONNECTED = 0x0200,
    SLI_EVENT_MONITOR_STOPPED = 0x0400,
    SLI_EVENT_HANDSHAKE_FAILED_NO_DETAIL = 0x0800,
    SLI_EVENT_HANDSHAKE_SUCCEEDED = 0x1000,
    SLI_EVENT_HANDSHAKE_FAILED_PROTOCOL = 0x2000,
    SLI_EVENT_HANDSHAKE_FAILED_AUTH = 0x4000,
    SLI_EVENT_ALL = 0xffff,
};

/* Starts (addr: an inproc endpoint) or, with addr NULL, stops monitoring. */
int sli_socket_monitor(sli_socket *s, const char *addr, int events);
/* Reports one event; safe from any thread; a no-op when not monitored. */
void sli_socket_event(sli_socket *s, int event, int64_t value, const char *endpoint);
/* The socket is going away: MONITOR_STOPPED, then the monitor closes. */
void sli_socket_monitor_fini(sli_socket *s);

#endif
