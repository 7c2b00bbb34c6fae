/*
 * proto — the MySQL/MariaDB client/server protocol as stampede-dbproxy speaks it on both sides:
 * packet framing, length-encoded values, the handshake (server greeting, client response,
 * auth switch), mysql_native_password, OK/ERR/EOF, and a tracker that follows any response to
 * its end one wire packet at a time.
 *
 * Framing. A wire packet is a 3-byte little-endian length, a sequence id and a payload of at
 * most PROTO_MAX_CHUNK (0xFFFFFF) bytes. A logical packet longer than that is sent as chunks of
 * exactly 0xFFFFFF bytes followed by one shorter chunk (possibly empty); only the first chunk
 * starts with the packet's type byte. Everything here that inspects a type byte therefore
 * looks at first chunks only (struct proto_resp keeps track of continuations).
 *
 * Capabilities. The proxy negotiates a subset it understands (PROTO_CAPS): no TLS, no
 * compression, no LOCAL INFILE, no DEPRECATE_EOF, no progress reports, no MariaDB extended
 * capabilities (bulk, metadata cache), so every response has the classic shape. The backend
 * side uses the client's negotiated flags, so responses are forwarded byte for byte.
 *
 * Readers (struct proto_rd) never read past their end: a short packet sets `bad` and later reads
 * return zeros, so a parser checks once at the end. Writers append to a struct buf.
 *
 * Memory: parsed strings are slices of the input. Thread safety: none needed (pure functions).
 */
#ifndef STAMPEDE_DBPROXY_PROTO_H
#define STAMPEDE_DBPROXY_PROTO_H

#include "core/buf.h"
#include "core/str.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROTO_HDR       4
#define PROTO_MAX_CHUNK 0xFFFFFFu
#define PROTO_NONCE_LEN 20
#define PROTO_SHA1_LEN  20

/* capability flags */
#define CAP_LONG_PASSWORD      (1u << 0) /* MariaDB: CLIENT_MYSQL (unset = extended caps follow) */
#define CAP_FOUND_ROWS         (1u << 1)
#define CAP_LONG_FLAG          (1u << 2)
#define CAP_CONNECT_WITH_DB    (1u << 3)
#define CAP_NO_SCHEMA          (1u << 4)
#define CAP_COMPRESS           (1u << 5)
#define CAP_ODBC               (1u << 6)
#define CAP_LOCAL_FILES        (1u << 7)
#define CAP_IGNORE_SPACE       (1u << 8)
#define CAP_PROTOCOL_41        (1u << 9)
#define CAP_INTERACTIVE        (1u << 10)
#define CAP_SSL                (1u << 11)
#define CAP_IGNORE_SIGPIPE     (1u << 12)
#define CAP_TRANSACTIONS       (1u << 13)
#define CAP_RESERVED           (1u << 14)
#define CAP_SECURE_CONNECTION  (1u << 15)
#define CAP_MULTI_STATEMENTS   (1u << 16)
#define CAP_MULTI_RESULTS      (1u << 17)
#define CAP_PS_MULTI_RESULTS   (1u << 18)
#define CAP_PLUGIN_AUTH        (1u << 19)
#define CAP_CONNECT_ATTRS      (1u << 20)
#define CAP_PLUGIN_AUTH_LENENC (1u << 21)
#define CAP_EXPIRED_PASSWORDS  (1u << 22)
#define CAP_SESSION_TRACK      (1u << 23)
#define CAP_DEPRECATE_EOF      (1u << 24)

/* what the proxy offers clients (and therefore asks of backends) */
#define PROTO_CAPS                                                                              \
    (CAP_LONG_PASSWORD | CAP_FOUND_ROWS | CAP_LONG_FLAG | CAP_CONNECT_WITH_DB | CAP_NO_SCHEMA | \
     CAP_ODBC | CAP_IGNORE_SPACE | CAP_PROTOCOL_41 | CAP_INTERACTIVE | CAP_IGNORE_SIGPIPE |     \
     CAP_TRANSACTIONS | CAP_RESERVED | CAP_SECURE_CONNECTION | CAP_MULTI_STATEMENTS |           \
     CAP_MULTI_RESULTS | CAP_PS_MULTI_RESULTS | CAP_PLUGIN_AUTH | CAP_CONNECT_ATTRS |           \
     CAP_PLUGIN_AUTH_LENENC | CAP_SESSION_TRACK)
/* what a client must have */
#define PROTO_CAPS_REQUIRED (CAP_PROTOCOL_41 | CAP_SECURE_CONNECTION)

/* server status flags */
#define ST_IN_TRANS              0x0001
#define ST_AUTOCOMMIT            0x0002
#define ST_MORE_RESULTS          0x0008
#define ST_NO_GOOD_INDEX         0x0010
#define ST_NO_INDEX              0x0020
#define ST_CURSOR_EXISTS         0x0040
#define ST_LAST_ROW_SENT         0x0080
#define ST_DB_DROPPED            0x0100
#define ST_NO_BACKSLASH          0x0200
#define ST_METADATA_CHANGED      0x0400
#define ST_QUERY_SLOW            0x0800
#define ST_PS_OUT_PARAMS         0x1000
#define ST_IN_TRANS_READONLY     0x2000
#define ST_SESSION_STATE_CHANGED 0x4000

/* commands */
enum proto_cmd {
    CMD_SLEEP = 0x00,
    CMD_QUIT = 0x01,
    CMD_INIT_DB = 0x02,
    CMD_QUERY = 0x03,
    CMD_FIELD_LIST = 0x04,
    CMD_CREATE_DB = 0x05,
    CMD_DROP_DB = 0x06,
    CMD_REFRESH = 0x07,
    CMD_SHUTDOWN = 0x08,
    CMD_STATISTICS = 0x09,
    CMD_PROCESS_INFO = 0x0a,
    CMD_CONNECT = 0x0b,
    CMD_PROCESS_KILL = 0x0c,
    CMD_DEBUG = 0x0d,
    CMD_PING = 0x0e,
    CMD_TIME = 0x0f,
    CMD_DELAYED_INSERT = 0x10,
    CMD_CHANGE_USER = 0x11,
    CMD_BINLOG_DUMP = 0x12,
    CMD_TABLE_DUMP = 0x13,
    CMD_CONNECT_OUT = 0x14,
    CMD_REGISTER_SLAVE = 0x15,
    CMD_STMT_PREPARE = 0x16,
    CMD_STMT_EXECUTE = 0x17,
    CMD_STMT_SEND_LONG_DATA = 0x18,
    CMD_STMT_CLOSE = 0x19,
    CMD_STMT_RESET = 0x1a,
    CMD_SET_OPTION = 0x1b,
    CMD_STMT_FETCH = 0x1c,
    CMD_DAEMON = 0x1d,
    CMD_BINLOG_DUMP_GTID = 0x1e,
    CMD_RESET_CONNECTION = 0x1f,
    CMD_STMT_BULK_EXECUTE = 0xfa,
};

/* error numbers the proxy sends itself (MariaDB's, so clients handle them as usual) */
#define PROTO_ER_ACCESS_DENIED        1045 /* 28000 */
#define PROTO_ER_DBACCESS_DENIED      1044
#define PROTO_ER_UNKNOWN_COM          1047 /* 08S01 */
#define PROTO_ER_NET_PACKET_TOO_LARGE 1153 /* 08S01 */
#define PROTO_ER_OUT_OF_RESOURCES     1041
#define PROTO_ER_CON_COUNT            1040
#define PROTO_ER_HANDSHAKE            1043 /* 08S01 bad handshake */
#define PROTO_ER_NOT_SUPPORTED        1235 /* 42000 */
#define PROTO_ER_READ_ONLY            1290 /* HY000 --read-only */
#define PROTO_ER_UNKNOWN_STMT_HANDLER 1243 /* HY000 */
#define PROTO_ER_CONNECTION_KILLED    1927 /* 70100: no server can take this session or read */

/* ------------------------------------------------------------------ reading */

struct proto_rd {
    const uint8_t *p, *end;
    bool bad;
};

static inline struct proto_rd proto_rd(const void *p, size_t n)
{
    static const uint8_t empty[1];
    if (!p) /* an empty slice may carry a NULL pointer */
        return (struct proto_rd){empty, empty, false};
    return (struct proto_rd){(const uint8_t *)p, (const uint8_t *)p + n, false};
}
size_t proto_rd_left(const struct proto_rd *r);
uint8_t proto_rd_u8(struct proto_rd *r);
uint16_t proto_rd_u16(struct proto_rd *r);
uint32_t proto_rd_u24(struct proto_rd *r);
uint32_t proto_rd_u32(struct proto_rd *r);
uint64_t proto_rd_u64(struct proto_rd *r);
/* proto_rd_lenenc: a length-encoded integer; 0xFB (NULL) and 0xFF are bad. */
uint64_t proto_rd_lenenc(struct proto_rd *r);
struct str proto_rd_bytes(struct proto_rd *r, size_t n);
struct str proto_rd_lenenc_str(struct proto_rd *r);
/* proto_rd_nulstr: up to a NUL (consumed); a missing NUL is bad. */
struct str proto_rd_nulstr(struct proto_rd *r);
/* proto_rd_rest: everything left. */
struct str proto_rd_rest(struct proto_rd *r);

/* proto_hdr_len / proto_hdr_seq: the header of the wire packet at p (4 bytes readable). */
static inline uint32_t proto_hdr_len(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
}
static inline uint8_t proto_hdr_seq(const uint8_t *p)
{
    return p[3];
}

/* ------------------------------------------------------------------ writing */

void proto_wr_u8(struct buf *b, uint8_t v);
void proto_wr_u16(struct buf *b, uint16_t v);
void proto_wr_u24(struct buf *b, uint32_t v);
void proto_wr_u32(struct buf *b, uint32_t v);
void proto_wr_lenenc(struct buf *b, uint64_t v);
void proto_wr_bytes(struct buf *b, const void *p, size_t n);
void proto_wr_lenenc_str(struct buf *b, struct str s);
void proto_wr_nulstr(struct buf *b, struct str s);

/* proto_begin: reserves a header and returns its offset; proto_end writes length and seq.
 * Payloads built this way are small (< 16 MiB): proto_end asserts it. */
size_t proto_begin(struct buf *b);
void proto_end(struct buf *b, size_t start, uint8_t seq);

/*
 * proto_wr_packet: payload as one logical packet starting at sequence id *seq (advanced past
 * the last chunk), split into 0xFFFFFF chunks with the empty terminator when needed.
 */
void proto_wr_packet(struct buf *b, const void *payload, size_t n, uint8_t *seq);

/* ------------------------------------------------------------------ handshake */

struct proto_greeting {
    uint8_t protocol;   /* 10 */
    struct str version; /* server version */
    uint32_t conn_id;
    uint8_t nonce[PROTO_NONCE_LEN + 1];
    size_t nonce_len;
    uint32_t caps;
    uint8_t charset;
    uint16_t status;
    struct str plugin;
};

/* proto_parse_greeting: a server's Initial Handshake v10. 0, or ERR_INVAL. */
int proto_parse_greeting(const uint8_t *p, size_t n, struct proto_greeting *g);
/* proto_build_greeting: the proxy's own greeting (mysql_native_password, PROTO_CAPS). */
void proto_build_greeting(struct buf *b, struct str version, uint32_t conn_id,
                          const uint8_t nonce[PROTO_NONCE_LEN], uint8_t charset);

struct proto_login {
    uint32_t caps;
    uint32_t max_packet;
    uint8_t charset;
    struct str user;
    struct str auth;   /* the auth response */
    struct str db;     /* empty: none */
    struct str plugin; /* empty: none given */
    struct str attrs;  /* raw connect attributes (lenenc-prefixed block), empty if none */
    bool ssl_request;  /* the 32-byte SSL request (refused: no TLS here) */
};

/* proto_parse_login: a client's HandshakeResponse41. 0, or ERR_INVAL (also for protocol 320). */
int proto_parse_login(const uint8_t *p, size_t n, struct proto_login *l);
/* proto_build_login: the proxy logging in to a backend as l->user (seq 1). */
void proto_build_login(struct buf *b, const struct proto_login *l, uint8_t seq);

/* proto_build_auth_switch: AuthSwitchRequest to mysql_native_password with nonce. */
void proto_build_auth_switch(struct buf *b, uint8_t seq, const uint8_t nonce[PROTO_NONCE_LEN]);

/*
 * mysql_native_password. The server stores H2 = SHA1(SHA1(password)); the client sends
 * token = SHA1(password) XOR SHA1(nonce || H2). proto_native_verify recovers SHA1(password)
 * from a token (which is what lets the proxy log in to each backend with that backend's own
 * nonce, as MaxScale does) and checks it against H2. An empty password is an empty token.
 */
void proto_sha1(uint8_t out[PROTO_SHA1_LEN], const void *p, size_t n);
void proto_native_token(uint8_t out[PROTO_SHA1_LEN], const uint8_t sha1pw[PROTO_SHA1_LEN],
                        const uint8_t *nonce, size_t nonce_len);
bool proto_native_verify(const uint8_t h2[PROTO_SHA1_LEN], const uint8_t *nonce, size_t nonce_len,
                         struct str token, uint8_t sha1pw_out[PROTO_SHA1_LEN]);

/* ------------------------------------------------------------------ OK, ERR, EOF */

struct proto_ok {
    uint64_t affected;
    uint64_t insert_id;
    uint16_t status;
    uint16_t warnings;
    struct str info;
    struct str session_state; /* with CAP_SESSION_TRACK and ST_SESSION_STATE_CHANGED */
};

/* proto_parse_ok: payload starting with 0x00 (or 0xFE as an OK). 0 or ERR_INVAL. */
int proto_parse_ok(const uint8_t *p, size_t n, uint32_t caps, struct proto_ok *ok);
void proto_build_ok(struct buf *b, uint8_t seq, uint32_t caps, uint64_t affected,
                    uint64_t insert_id, uint16_t status, uint16_t warnings);

struct proto_err {
    uint16_t code;
    char state[6];
    struct str msg;
};
/* proto_parse_err: payload starting with 0xFF. 0 or ERR_INVAL. */
int proto_parse_err(const uint8_t *p, size_t n, struct proto_err *e);
void proto_build_err(struct buf *b, uint8_t seq, uint16_t code, const char *state, const char *fmt,
                     ...) __attribute__((format(printf, 5, 6)));

/* proto_is_eof: an EOF packet (0xFE and shorter than 9 bytes, first chunk). */
static inline bool proto_is_eof(const uint8_t *p, size_t n)
{
    return n > 0 && n < 9 && p[0] == 0xFE;
}

/* proto_rewrite_ok_plain: an OK payload parsed with CAP_SESSION_TRACK, re-encoded for a client
 * without it (info as the rest of the packet, no session state). */
void proto_rewrite_ok_plain(struct buf *b, uint8_t seq, const struct proto_ok *ok);

/*
 * proto_track_var: in an OK packet's session state changes, the value of system variable name
 * (SESSION_TRACK_SYSTEM_VARIABLES entries); the last one wins. true if found.
 */
bool proto_track_var(struct str state, const char *name, struct str *value);

/* ------------------------------------------------------------------ responses */

enum proto_resp_state {
    RS_FIRST,    /* the first packet of a result */
    RS_COLS,     /* column definitions */
    RS_COLS_EOF, /* the EOF after them */
    RS_ROWS,     /* rows until EOF or ERR */
    RS_PARAMS,   /* prepare: parameter definitions */
    RS_PARAMS_EOF,
    RS_PCOLS, /* prepare: column definitions */
    RS_PCOLS_EOF,
    RS_FIELDS, /* CMD_FIELD_LIST: definitions until EOF */
    RS_DONE,
};

enum proto_resp_kind {
    RK_RESULT,  /* CMD_QUERY, CMD_STMT_EXECUTE, CMD_STMT_BULK_EXECUTE: results */
    RK_PREPARE, /* CMD_STMT_PREPARE */
    RK_FETCH,   /* CMD_STMT_FETCH: rows then EOF */
    RK_FIELDS,  /* CMD_FIELD_LIST */
    RK_ONE,     /* one packet, whatever it is (OK/ERR/EOF/string) */
};

/*
 * A response tracker: fed every wire packet of one response in order, it says when the
 * response is complete and remembers what the proxy needs from it: the final status flags,
 * the last OK (or ERR), a prepare's statement id and counts, and the first column of the first
 * row of a text result (for the proxy's own one-value queries).
 */
struct proto_resp {
    enum proto_resp_kind kind;
    enum proto_resp_state state;
    uint32_t caps;
    bool cont;       /* the next wire packet continues the current logical packet */
    uint64_t left;   /* definitions left in this state */
    uint64_t ncols;  /* of the current result */
    bool binary;     /* rows of a prepared statement */
    bool is_err;     /* the response ended with (or contains) an ERR */
    bool had_result; /* a result set was seen */
    uint16_t status; /* from the last OK/EOF */
    bool has_status; /* an OK or EOF was seen (a prepare's answer has none) */
    uint16_t err_code;
    char err_state[6];
    char err_msg[160];
    uint64_t affected, insert_id;
    uint8_t state_buf[256]; /* session state of the last OK (copied, possibly truncated) */
    size_t state_len;
    uint32_t stmt_id;        /* prepare */
    uint16_t nparams, pcols; /* prepare */
    char value[128];         /* first column of the first text row, NUL-terminated */
    bool value_set, value_null;
    uint64_t rows;
};

void proto_resp_init(struct proto_resp *r, enum proto_resp_kind kind, uint32_t caps, bool binary);
/* proto_resp_kind_of: the response kind of a command byte; false if it has no response
 * (CMD_QUIT, CMD_STMT_CLOSE, CMD_STMT_SEND_LONG_DATA). */
bool proto_resp_kind_of(uint8_t cmd, enum proto_resp_kind *kind);
/*
 * proto_resp_feed: one wire packet (payload p of n bytes; n == PROTO_MAX_CHUNK means another
 * chunk follows). Returns 1 when the response is complete, 0 when more packets are due, or
 * ERR_INVAL when the packet cannot belong to this response (a protocol error: drop the
 * connection).
 */
int proto_resp_feed(struct proto_resp *r, const uint8_t *p, size_t n);

#endif
