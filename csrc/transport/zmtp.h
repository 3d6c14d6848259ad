/* ZMTP 3.1 on the wire (RFC 37, rfc.zeromq.org/spec/37): the greeting, the
 * frame decoder and encoder, and the commands of the NULL mechanism and of
 * the connection (READY, ERROR, SUBSCRIBE, CANCEL, PING, PONG).
 *
 * Pure functions over bytes, no I/O: the engine feeds what it reads and
 * writes what these produce, and a fuzz target can drive the decoder alone.
 * The decoder is incremental and hands out the buffer to read into next, so
 * a large frame is read straight into its message (no copy) while small
 * frames are decoded from one batched read. Every length a peer announces
 * is checked before it is trusted: a frame larger than MAXMSGSIZE, or than
 * a signed 64-bit size, is an error; memory for a large frame grows with the
 * bytes that actually arrive, so a peer cannot make us reserve gigabytes by
 * announcing them. */
#ifndef SLI_ZMTP_H
#define SLI_ZMTP_H

#include "../core/msg.h"

#define SLI_ZMTP_GREETING_SIZE 64
#define SLI_ZMTP_SIGNATURE_SIZE 10

/* Frame flags on the wire. */
#define SLI_ZMTP_MORE 0x01
#define SLI_ZMTP_LONG 0x02
#define SLI_ZMTP_COMMAND 0x04

typedef struct sli_zmtp_greeting {
    int major, minor;
    char mechanism[21];
    bool as_server;
} sli_zmtp_greeting;

/* Our greeting: ZMTP 3.1, the given mechanism. */
void sli_zmtp_greeting_build(unsigned char out[SLI_ZMTP_GREETING_SIZE], const char *mechanism,
                             bool as_server);
/* Checks the first `len` bytes received (len <= 64): 0 while they can still
 * be a ZMTP 3.x greeting, -1 (EPROTO) as soon as they cannot. With all 64
 * bytes, fills *g. ZMTP 1.0/2.0 and anything else are refused. */
int sli_zmtp_greeting_check(const unsigned char *buf, size_t len, sli_zmtp_greeting *g);

/* ---- decoder ----------------------------------------------------------- */

#define SLI_ZMTP_BIG_FRAME (16u * 1024u * 1024u) /* above this, grow as bytes arrive */
/* The largest command frame taken, whatever MAXMSGSIZE says: READY with its
 * metadata, ERROR, PING and PONG are far smaller. Only SUBSCRIBE/CANCEL to a
 * publisher may carry more (a topic), and only MAXMSGSIZE bounds those. */
#define SLI_ZMTP_MAX_COMMAND (64u * 1024u)

typedef struct sli_zmtp_decoder {
    int state;
    unsigned char hdr[9];
    size_t hdr_have, hdr_need;
    uint8_t flags;               /* wire flags of the frame being read */
    uint64_t size;               /* its announced body size */
    uint64_t have;               /* body bytes received so far */
    int64_t maxmsgsize;          /* -1: no limit (still bounded by memory actually used) */
    bool commands_only;          /* a data frame is refused at its header */
    uint64_t max_command;        /* a larger command is refused at its header (0: none) */
    sli_msg msg;                 /* the frame being filled */
    unsigned char *big;          /* growing buffer of a frame above SLI_ZMTP_BIG_FRAME */
    size_t big_cap;
    /* Not owned: when the data given to sli_zmtp_decode lies inside this
     * block, a frame above SLI_MSG_INLINE_MAX whose body is wholly there
     * becomes a slice of the block (no allocation, no copy). NULL: copied. */
    sli_msg_content *block;
} sli_zmtp_decoder;

/* A decoder starts with commands_only and max_command SLI_ZMTP_MAX_COMMAND:
 * what a handshake may carry. */
void sli_zmtp_decoder_init(sli_zmtp_decoder *d, int64_t maxmsgsize);
void sli_zmtp_decoder_fini(sli_zmtp_decoder *d);
/* What the next frames may be, judged at each frame's header so that
 * nothing unacceptable is buffered: with commands_only a data frame is
 * EPROTO; a command above max_command (0: no limit but MAXMSGSIZE) is
 * EPROTO. Takes effect from the next frame header. */
void sli_zmtp_decoder_set_limits(sli_zmtp_decoder *d, bool commands_only, uint64_t max_command);

/* Decodes from data[0..len): returns 1 with a complete frame in *out (flags
 * SLI_MSG_MORE / SLI_MSG_COMMAND set; the caller owns it), 0 when all of
 * data was consumed and more is needed, or -1 with errno EMSGSIZE (above
 * MAXMSGSIZE) / EPROTO (malformed or not acceptable now) / ENOMEM.
 * *consumed says how much of data was used. After -1 the decoder is
 * spent: only fini may follow. */
int sli_zmtp_decode(sli_zmtp_decoder *d, const unsigned char *data, size_t len, size_t *consumed,
                    sli_msg *out);

/* Where the engine should read next when in the body of a frame larger
 * than `threshold` bytes: straight into the message. Returns the space
 * (and *buf) or 0 when the engine should read into its own batch buffer. */
size_t sli_zmtp_decoder_direct_buffer(sli_zmtp_decoder *d, size_t threshold, unsigned char **buf);
/* Tells the decoder n bytes were read into the direct buffer; returns 1
 * when that completed the frame (moved to *out), else 0. */
int sli_zmtp_decoder_direct_done(sli_zmtp_decoder *d, size_t n, sli_msg *out);

/* ---- encoder ----------------------------------------------------------- */

/* Writes the frame header for a body of `size` bytes; returns 2 or 9. */
size_t sli_zmtp_encode_header(unsigned char out[9], uint8_t wire_flags, uint64_t size);

/* ---- commands ---------------------------------------------------------- */

/* A command frame's name and body (pointers into the message). */
typedef struct sli_zmtp_command {
    const unsigned char *name;
    size_t name_len;
    const unsigned char *body;
    size_t body_len;
} sli_zmtp_command;

/* Splits a command frame; -1 (EPROTO) if it is malformed. */
int sli_zmtp_command_parse(const unsigned char *data, size_t size, sli_zmtp_command *c);
bool sli_zmtp_command_is(const sli_zmtp_command *c, const char *name);

/* READY with Socket-Type and, when id_len > 0, Identity. Returns the body
 * length written to out (cap must be >= 300). */
size_t sli_zmtp_ready_build(unsigned char *out, size_t cap, const char *socket_type,
                            const unsigned char *id, size_t id_len);

/* Walks a READY/metadata property list; -1 (EPROTO) if malformed. For each
 * property, fn(arg, name, name_len, value, value_len); fn returning -1 stops
 * with that error. */
typedef int (*sli_zmtp_property_fn)(void *arg, const unsigned char *name, size_t name_len,
                                    const unsigned char *value, size_t value_len);
int sli_zmtp_properties_parse(const unsigned char *data, size_t size, sli_zmtp_property_fn fn,
                              void *arg);

/* A whole command frame (header included) for name + body; returns its size. */
size_t sli_zmtp_command_build(unsigned char *out, size_t cap, const char *name,
                              const unsigned char *body, size_t body_len);

#endif
