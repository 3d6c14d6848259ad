/* A tiny harness for the C-level tests: checks that report and fail, and
 * the loop-thread attach path written once, exactly as Python's LoopThread
 * does it, so C tests (and the Windows build under Wine) drive the core the
 * way the bindings do. */
#ifndef SL_TEST_HARNESS_H
#define SL_TEST_HARNESS_H

#include "serverlink.h"
#include "platform/platform.h"
#include "platform/thread.h"
#include "platform/clock.h"

#include <stdio.h>

#define CHECK(x) \
    do { \
        if (!(x)) { \
            fprintf(stderr, "CHECK failed: %s at %s:%d (errno %d)\n", #x, __FILE__, __LINE__, errno); \
            exit(1); \
        } \
    } while (0)

/* What every test program's main() does first: stdout unbuffered (a crash
 * still shows what passed before it) and, on Windows, Winsock started. */
static inline void test_main_init(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
#ifdef _WIN32
    WSADATA wsa;
    CHECK(WSAStartup(MAKEWORD(2, 2), &wsa) == 0);
#endif
}

typedef struct test_loop {
    sl_loop *loop;
    sl_handle *handle;   /* fd mode */
    bool iocp;
    sli_thread thread;
} test_loop;

static void test_loop_main(void *arg)
{
    test_loop *t = arg;
    sl_poller *p = sl_loop_poller(t->loop);
    sl_handler *h = sl_loop_mailbox_handler(t->loop);
    sl_loop_run(t->loop);
    /* detach mirrors attach, in the loop's own thread */
    if (t->iocp) {
        CHECK(sl_poller_adjust_mailbox_load(p, -1) == 0);
        CHECK(sl_poller_clear_mailbox_handler(p, h) == 0);
    } else {
        CHECK(sl_poller_rm_fd(p, t->handle) == 0);
    }
}

/* Attach the loop's mailbox to its poller and start its thread. */
static void test_loop_start(test_loop *t, sl_loop *loop)
{
    t->loop = loop;
    sl_poller *p = sl_loop_poller(loop);
    sl_signaler *sig = sl_loop_signaler(loop);
    sl_handler *h = sl_loop_mailbox_handler(loop);
    void *port = sl_poller_port(p);
    t->iocp = port != NULL;
    if (t->iocp) {
        CHECK(sl_signaler_set_iocp(sig, port, (uintptr_t)h) == 0);
        CHECK(sl_poller_set_mailbox_handler(p, h) == 0);
        CHECK(sl_poller_adjust_mailbox_load(p, 1) == 0);
    } else {
        t->handle = sl_poller_add_fd(p, sl_signaler_fd(sig), h);
        CHECK(t->handle != NULL);
        CHECK(sl_poller_set_pollin(p, t->handle) == 0);
    }
    CHECK(sli_thread_start(&t->thread, test_loop_main, t) == 0);
}

/* A context with a reaper and n I/O threads, as Python's Context makes it. */
typedef struct test_ctx {
    sl_ctx *ctx;
    test_loop reaper;
    test_loop io[4];
    int nio;
} test_ctx;

static void test_ctx_start(test_ctx *c, int nio, const char *poller)
{
    c->ctx = sl_ctx_new();
    CHECK(c->ctx != NULL);
    sl_loop *r = sl_ctx_add_loop(c->ctx, SL_LOOP_REAPER, poller);
    CHECK(r != NULL);
    test_loop_start(&c->reaper, r);
    c->nio = nio;
    for (int i = 0; i < nio; i++) {
        sl_loop *l = sl_ctx_add_loop(c->ctx, SL_LOOP_IO, poller);
        CHECK(l != NULL);
        test_loop_start(&c->io[i], l);
    }
}

static void test_ctx_term(test_ctx *c)
{
    CHECK(sl_ctx_term_start(c->ctx) == 0);
    while (sl_ctx_term_wait(c->ctx, -1) != 0) CHECK(errno == EINTR);
    for (int i = 0; i < c->nio; i++) CHECK(sl_loop_stop(c->io[i].loop) == 0);
    for (int i = 0; i < c->nio; i++) sli_thread_join(c->io[i].thread);
    sli_thread_join(c->reaper.thread);
    CHECK(sl_loop_load(c->reaper.loop) == 0);
    CHECK(!sl_loop_running(c->reaper.loop));
    for (int i = 0; i < c->nio; i++) {
        CHECK(sl_loop_load(c->io[i].loop) == 0);
        CHECK(!sl_loop_running(c->io[i].loop));
    }
    sl_ctx_destroy(c->ctx);
}

#endif
