/* proto — MySQL/MariaDB wire protocol; see proto.h. */
#include "proto.h"

#include "core/err.h"

#include <assert.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------ reading */

size_t proto_rd_left(const struct proto_rd *r)
{
    return r->bad ? 0 : (size_t)(r->end - r->p);
}

static bool need(struct proto_rd *r, size_t n)
{
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = true;
        return false;
    }
    return true;
}

uint8_t proto_rd_u8(struct proto_rd *r)
{
    if (!need(r, 1))
        return 0;
    return *r->p++;
}

uint16_t proto_rd_u16(struct proto_rd *r)
{
    if (!need(r, 2))
        return 0;
    uint16_t v = (uint16_t)(r->p[0] | r->p[1] << 8);
    r->p += 2;
    return v;
}

uint32_t proto_rd_u24(struct proto_rd *r)
{
    if (!need(r, 3))
        return 0;
    uint32_t v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16;
    r->p += 3;
    return v;
}

uint32_t proto_rd_u32(struct proto_rd *r)
{
    if (!need(r, 4))
        return 0;
    uint32_t v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 |
                 (uint32_t)r->p[3] << 24;
    r->p += 4;
    return v;
}

uint64_t proto_rd_u64(struct proto_rd *r)
{
    uint64_t lo = proto_rd_u32(r);
    uint64_t hi = proto_rd_u32(r);
    return lo | hi << 32;
}

uint64_t proto_rd_lenenc(struct proto_rd *r)
{
    uint8_t c = proto_rd_u8(r);
    if (c < 0xFB)
        return c;
    if (c == 0xFC)
        return proto_rd_u16(r);
    if (c == 0xFD)
        return proto_rd_u24(r);
    if (c == 0xFE)
        return proto_rd_u64(r);
    r->bad = true; /* 0xFB is NULL, 0xFF is not an integer */
    return 0;
}

struct str proto_rd_bytes(struct proto_rd *r, size_t n)
{
    if (!need(r, n))
        return STR_NULL;
    struct str s = {(const char *)r->p, n};
    r->p += n;
    return s;
}

struct str proto_rd_lenenc_str(struct proto_rd *r)
{
    uint64_t n = proto_rd_lenenc(r);
    if (r->bad || n > (uint64_t)(r->end - r->p)) {
        r->bad = true;
        return STR_NULL;
    }
    return proto_rd_bytes(r, (size_t)n);
}

struct str proto_rd_nulstr(struct proto_rd *r)
{
    if (r->bad)
        return STR_NULL;
    const uint8_t *z = memchr(r->p, 0, (size_t)(r->end - r->p));
    if (!z) {
        r->bad = true;
        return STR_NULL;
    }
    struct str s = {(const char *)r->p, (size_t)(z - r->p)};
    r->p = z + 1;
    return s;
}

struct str proto_rd_rest(struct proto_rd *r)
{
    if (r->bad)
        return STR_NULL;
    struct str s = {(const char *)r->p, (size_t)(r->end - r->p)};
    r->p = r->end;
    return s;
}

/* ------------------------------------------------------------------ writing */

void proto_wr_u8(struct buf *b, uint8_t v)
{
    buf_append(b, &v, 1);
}

void proto_wr_u16(struct buf *b, uint16_t v)
{
    uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    buf_append(b, x, 2);
}

void proto_wr_u24(struct buf *b, uint32_t v)
{
    uint8_t x[3] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16)};
    buf_append(b, x, 3);
}

void proto_wr_u32(struct buf *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    buf_append(b, x, 4);
}

void proto_wr_lenenc(struct buf *b, uint64_t v)
{
    if (v < 0xFB) {
        proto_wr_u8(b, (uint8_t)v);
    } else if (v <= 0xFFFF) {
        proto_wr_u8(b, 0xFC);
        proto_wr_u16(b, (uint16_t)v);
    } else if (v <= 0xFFFFFF) {
        proto_wr_u8(b, 0xFD);
        proto_wr_u24(b, (uint32_t)v);
    } else {
        proto_wr_u8(b, 0xFE);
        proto_wr_u32(b, (uint32_t)v);
        proto_wr_u32(b, (uint32_t)(v >> 32));
    }
}

void proto_wr_bytes(struct buf *b, const void *p, size_t n)
{
    if (n)
        buf_append(b, p, n);
}

void proto_wr_lenenc_str(struct buf *b, struct str s)
{
    proto_wr_lenenc(b, s.len);
    proto_wr_bytes(b, s.p, s.len);
}

void proto_wr_nulstr(struct buf *b, struct str s)
{
    proto_wr_bytes(b, s.p, s.len);
    proto_wr_u8(b, 0);
}

size_t proto_begin(struct buf *b)
{
    size_t at = b->len;
    static const uint8_t zero[PROTO_HDR];
    buf_append(b, zero, PROTO_HDR);
    return at;
}

void proto_end(struct buf *b, size_t start, uint8_t seq)
{
    if (b->overflow)
        return;
    size_t n = b->len - start - PROTO_HDR;
    assert(n < PROTO_MAX_CHUNK);
    uint8_t *h = (uint8_t *)b->p + start;
    h[0] = (uint8_t)n;
    h[1] = (uint8_t)(n >> 8);
    h[2] = (uint8_t)(n >> 16);
    h[3] = seq;
}

void proto_wr_packet(struct buf *b, const void *payload, size_t n, uint8_t *seq)
{
    const uint8_t *p = payload;
    for (;;) {
        size_t chunk = n < PROTO_MAX_CHUNK ? n : PROTO_MAX_CHUNK;
        proto_wr_u24(b, (uint32_t)chunk);
        proto_wr_u8(b, (*seq)++);
        proto_wr_bytes(b, p, chunk);
        p += chunk;
        n -= chunk;
        if (chunk < PROTO_MAX_CHUNK)
            return; /* a full chunk is always followed by another, possibly empty */
    }
}

/* ------------------------------------------------------------------ handshake */

int proto_parse_greeting(const uint8_t *p, size_t n, struct proto_greeting *g)
{
    struct proto_rd r = proto_rd(p, n);
    memset(g, 0, sizeof *g);
    g->protocol = proto_rd_u8(&r);
    if (g->protocol != 10)
        return ERR_INVAL;
    g->version = proto_rd_nulstr(&r);
    g->conn_id = proto_rd_u32(&r);
    struct str part1 = proto_rd_bytes(&r, 8);
    proto_rd_u8(&r); /* filler */
    uint32_t caps = proto_rd_u16(&r);
    g->charset = proto_rd_u8(&r);
    g->status = proto_rd_u16(&r);
    caps |= (uint32_t)proto_rd_u16(&r) << 16;
    g->caps = caps;
    uint8_t auth_len = proto_rd_u8(&r);
    proto_rd_bytes(&r, 6);
    proto_rd_u32(&r); /* MariaDB extended capabilities (unused: we never ask for them) */
    if (r.bad || !(caps & CAP_PROTOCOL_41) || !(caps & CAP_SECURE_CONNECTION))
        return ERR_INVAL;
    memcpy(g->nonce, part1.p, 8);
    size_t len2 = auth_len > 8 ? (size_t)auth_len - 8 : 13;
    if (len2 < 13)
        len2 = 13;
    struct str part2 = proto_rd_bytes(&r, len2);
    if (r.bad)
        return ERR_INVAL;
    /* the second part is NUL-terminated within its length; the nonce is 20 bytes */
    size_t take = part2.len;
    if (take && part2.p[take - 1] == '\0')
        take--;
    if (8 + take > PROTO_NONCE_LEN)
        take = PROTO_NONCE_LEN - 8;
    memcpy(g->nonce + 8, part2.p, take);
    g->nonce_len = 8 + take;
    if (caps & CAP_PLUGIN_AUTH) {
        struct proto_rd save = r;
        g->plugin = proto_rd_nulstr(&r);
        if (r.bad) { /* some servers omit the final NUL */
            r = save;
            g->plugin = proto_rd_rest(&r);
        }
    }
    return 0;
}

void proto_build_greeting(struct buf *b, struct str version, uint32_t conn_id,
                          const uint8_t nonce[PROTO_NONCE_LEN], uint8_t charset)
{
    size_t at = proto_begin(b);
    proto_wr_u8(b, 10);
    proto_wr_nulstr(b, version);
    proto_wr_u32(b, conn_id);
    proto_wr_bytes(b, nonce, 8);
    proto_wr_u8(b, 0);
    proto_wr_u16(b, (uint16_t)(PROTO_CAPS & 0xFFFF));
    proto_wr_u8(b, charset);
    proto_wr_u16(b, ST_AUTOCOMMIT);
    proto_wr_u16(b, (uint16_t)(PROTO_CAPS >> 16));
    proto_wr_u8(b, PROTO_NONCE_LEN + 1);
    static const uint8_t zero[10];
    proto_wr_bytes(b, zero, 10); /* CAP_LONG_PASSWORD set: no MariaDB extended capabilities */
    proto_wr_bytes(b, nonce + 8, PROTO_NONCE_LEN - 8);
    proto_wr_u8(b, 0);
    proto_wr_nulstr(b, STR("mysql_native_password"));
    proto_end(b, at, 0);
}

int proto_parse_login(const uint8_t *p, size_t n, struct proto_login *l)
{
    struct proto_rd r = proto_rd(p, n);
    memset(l, 0, sizeof *l);
    l->caps = proto_rd_u32(&r);
    if (r.bad || !(l->caps & CAP_PROTOCOL_41))
        return ERR_INVAL;
    l->max_packet = proto_rd_u32(&r);
    l->charset = proto_rd_u8(&r);
    proto_rd_bytes(&r, 23);
    if (r.bad)
        return ERR_INVAL;
    if (proto_rd_left(&r) == 0 && n == 32) {
        l->ssl_request = true;
        return 0;
    }
    l->user = proto_rd_nulstr(&r);
    if (l->caps & CAP_PLUGIN_AUTH_LENENC)
        l->auth = proto_rd_lenenc_str(&r);
    else if (l->caps & CAP_SECURE_CONNECTION)
        l->auth = proto_rd_bytes(&r, proto_rd_u8(&r));
    else
        l->auth = proto_rd_nulstr(&r);
    if (r.bad)
        return ERR_INVAL;
    if ((l->caps & CAP_CONNECT_WITH_DB) && proto_rd_left(&r)) {
        l->db = proto_rd_nulstr(&r);
        if (r.bad)
            return ERR_INVAL;
    }
    if ((l->caps & CAP_PLUGIN_AUTH) && proto_rd_left(&r)) {
        struct proto_rd save = r;
        l->plugin = proto_rd_nulstr(&r);
        if (r.bad) {
            r = save;
            l->plugin = proto_rd_rest(&r);
        }
    }
    if ((l->caps & CAP_CONNECT_ATTRS) && proto_rd_left(&r)) {
        const uint8_t *start = r.p;
        struct str attrs = proto_rd_lenenc_str(&r);
        if (r.bad)
            return ERR_INVAL;
        l->attrs = (struct str){(const char *)start, (size_t)(attrs.p + attrs.len - (char *)start)};
    }
    return 0;
}

void proto_build_login(struct buf *b, const struct proto_login *l, uint8_t seq)
{
    size_t at = proto_begin(b);
    proto_wr_u32(b, l->caps);
    proto_wr_u32(b, l->max_packet);
    proto_wr_u8(b, l->charset);
    static const uint8_t zero[23];
    proto_wr_bytes(b, zero, 23);
    proto_wr_nulstr(b, l->user);
    if (l->caps & CAP_PLUGIN_AUTH_LENENC) {
        proto_wr_lenenc_str(b, l->auth);
    } else {
        proto_wr_u8(b, (uint8_t)l->auth.len);
        proto_wr_bytes(b, l->auth.p, l->auth.len);
    }
    if (l->caps & CAP_CONNECT_WITH_DB)
        proto_wr_nulstr(b, l->db);
    if (l->caps & CAP_PLUGIN_AUTH)
        proto_wr_nulstr(b, l->plugin);
    if (l->caps & CAP_CONNECT_ATTRS) {
        if (l->attrs.len)
            proto_wr_bytes(b, l->attrs.p, l->attrs.len);
        else
            proto_wr_lenenc(b, 0);
    }
    proto_end(b, at, seq);
}

void proto_build_auth_switch(struct buf *b, uint8_t seq, const uint8_t nonce[PROTO_NONCE_LEN])
{
    size_t at = proto_begin(b);
    proto_wr_u8(b, 0xFE);
    proto_wr_nulstr(b, STR("mysql_native_password"));
    proto_wr_bytes(b, nonce, PROTO_NONCE_LEN);
    proto_wr_u8(b, 0);
    proto_end(b, at, seq);
}

void proto_sha1(uint8_t out[PROTO_SHA1_LEN], const void *p, size_t n)
{
    unsigned len = 0;
    if (!EVP_Digest(p, n, out, &len, EVP_sha1(), NULL) || len != PROTO_SHA1_LEN)
        memset(out, 0, PROTO_SHA1_LEN); /* cannot happen with a working libcrypto */
}

/* mix = SHA1(nonce || h2) */
static void native_mix(uint8_t mix[PROTO_SHA1_LEN], const uint8_t *nonce, size_t nonce_len,
                       const uint8_t h2[PROTO_SHA1_LEN])
{
    uint8_t in[64 + PROTO_SHA1_LEN];
    if (nonce_len > 64)
        nonce_len = 64;
    memcpy(in, nonce, nonce_len);
    memcpy(in + nonce_len, h2, PROTO_SHA1_LEN);
    proto_sha1(mix, in, nonce_len + PROTO_SHA1_LEN);
}

void proto_native_token(uint8_t out[PROTO_SHA1_LEN], const uint8_t sha1pw[PROTO_SHA1_LEN],
                        const uint8_t *nonce, size_t nonce_len)
{
    uint8_t h2[PROTO_SHA1_LEN], mix[PROTO_SHA1_LEN];
    proto_sha1(h2, sha1pw, PROTO_SHA1_LEN);
    native_mix(mix, nonce, nonce_len, h2);
    for (size_t i = 0; i < PROTO_SHA1_LEN; i++)
        out[i] = sha1pw[i] ^ mix[i];
}

bool proto_native_verify(const uint8_t h2[PROTO_SHA1_LEN], const uint8_t *nonce, size_t nonce_len,
                         struct str token, uint8_t sha1pw_out[PROTO_SHA1_LEN])
{
    if (token.len != PROTO_SHA1_LEN)
        return false;
    uint8_t mix[PROTO_SHA1_LEN], cand[PROTO_SHA1_LEN], check[PROTO_SHA1_LEN];
    native_mix(mix, nonce, nonce_len, h2);
    for (size_t i = 0; i < PROTO_SHA1_LEN; i++)
        cand[i] = (uint8_t)token.p[i] ^ mix[i];
    proto_sha1(check, cand, PROTO_SHA1_LEN);
    unsigned diff = 0;
    for (size_t i = 0; i < PROTO_SHA1_LEN; i++)
        diff |= check[i] ^ h2[i];
    if (diff)
        return false;
    memcpy(sha1pw_out, cand, PROTO_SHA1_LEN);
    return true;
}

/* ------------------------------------------------------------------ OK, ERR */

int proto_parse_ok(const uint8_t *p, size_t n, uint32_t caps, struct proto_ok *ok)
{
    struct proto_rd r = proto_rd(p, n);
    memset(ok, 0, sizeof *ok);
    uint8_t h = proto_rd_u8(&r);
    if (h != 0x00 && h != 0xFE)
        return ERR_INVAL;
    ok->affected = proto_rd_lenenc(&r);
    ok->insert_id = proto_rd_lenenc(&r);
    ok->status = proto_rd_u16(&r);
    ok->warnings = proto_rd_u16(&r);
    if (r.bad)
        return ERR_INVAL;
    if (caps & CAP_SESSION_TRACK) {
        if (proto_rd_left(&r))
            ok->info = proto_rd_lenenc_str(&r);
        if ((ok->status & ST_SESSION_STATE_CHANGED) && proto_rd_left(&r))
            ok->session_state = proto_rd_lenenc_str(&r);
    } else {
        ok->info = proto_rd_rest(&r);
    }
    return r.bad ? ERR_INVAL : 0;
}

void proto_build_ok(struct buf *b, uint8_t seq, uint32_t caps, uint64_t affected,
                    uint64_t insert_id, uint16_t status, uint16_t warnings)
{
    (void)caps; /* an empty info is the same bytes with or without session tracking */
    size_t at = proto_begin(b);
    proto_wr_u8(b, 0x00);
    proto_wr_lenenc(b, affected);
    proto_wr_lenenc(b, insert_id);
    proto_wr_u16(b, (uint16_t)(status & ~ST_SESSION_STATE_CHANGED));
    proto_wr_u16(b, warnings);
    proto_end(b, at, seq);
}

void proto_rewrite_ok_plain(struct buf *b, uint8_t seq, const struct proto_ok *ok)
{
    size_t at = proto_begin(b);
    proto_wr_u8(b, 0x00);
    proto_wr_lenenc(b, ok->affected);
    proto_wr_lenenc(b, ok->insert_id);
    proto_wr_u16(b, (uint16_t)(ok->status & ~ST_SESSION_STATE_CHANGED));
    proto_wr_u16(b, ok->warnings);
    proto_wr_bytes(b, ok->info.p, ok->info.len);
    proto_end(b, at, seq);
}

int proto_parse_err(const uint8_t *p, size_t n, struct proto_err *e)
{
    struct proto_rd r = proto_rd(p, n);
    memset(e, 0, sizeof *e);
    if (proto_rd_u8(&r) != 0xFF)
        return ERR_INVAL;
    e->code = proto_rd_u16(&r);
    if (r.bad)
        return ERR_INVAL;
    if (proto_rd_left(&r) >= 6 && r.p[0] == '#') {
        proto_rd_u8(&r);
        struct str st = proto_rd_bytes(&r, 5);
        memcpy(e->state, st.p, 5);
    } else {
        memcpy(e->state, "HY000", 5);
    }
    e->msg = proto_rd_rest(&r);
    return 0;
}

void proto_build_err(struct buf *b, uint8_t seq, uint16_t code, const char *state, const char *fmt,
                     ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (m < 0)
        m = 0;
    if ((size_t)m >= sizeof msg)
        m = sizeof msg - 1;
    size_t at = proto_begin(b);
    proto_wr_u8(b, 0xFF);
    proto_wr_u16(b, code);
    proto_wr_u8(b, '#');
    proto_wr_bytes(b, state, 5);
    proto_wr_bytes(b, msg, (size_t)m);
    proto_end(b, at, seq);
}

bool proto_track_var(struct str state, const char *name, struct str *value)
{
    struct proto_rd r = proto_rd(state.p, state.len);
    bool found = false;
    while (proto_rd_left(&r)) {
        uint8_t type = proto_rd_u8(&r);
        struct str data = proto_rd_lenenc_str(&r);
        if (r.bad)
            break;
        if (type != 0) /* SESSION_TRACK_SYSTEM_VARIABLES */
            continue;
        struct proto_rd d = proto_rd(data.p, data.len);
        struct str k = proto_rd_lenenc_str(&d);
        struct str v = proto_rd_lenenc_str(&d);
        if (!d.bad && str_case_eq_cstr(k, name)) {
            *value = v;
            found = true;
        }
    }
    return found;
}

/* ------------------------------------------------------------------ responses */

void proto_resp_init(struct proto_resp *r, enum proto_resp_kind kind, uint32_t caps, bool binary)
{
    memset(r, 0, sizeof *r);
    r->kind = kind;
    r->caps = caps;
    r->binary = binary;
    switch (kind) {
    case RK_FETCH:
        r->state = RS_ROWS;
        break;
    case RK_FIELDS:
        r->state = RS_FIELDS;
        break;
    default:
        r->state = RS_FIRST;
        break;
    }
}

bool proto_resp_kind_of(uint8_t cmd, enum proto_resp_kind *kind)
{
    switch (cmd) {
    case CMD_QUIT:
    case CMD_STMT_CLOSE:
    case CMD_STMT_SEND_LONG_DATA:
        return false;
    case CMD_QUERY:
    case CMD_STMT_EXECUTE:
    case CMD_STMT_BULK_EXECUTE:
        *kind = RK_RESULT;
        return true;
    case CMD_STMT_PREPARE:
        *kind = RK_PREPARE;
        return true;
    case CMD_STMT_FETCH:
        *kind = RK_FETCH;
        return true;
    case CMD_FIELD_LIST:
        *kind = RK_FIELDS;
        return true;
    default:
        *kind = RK_ONE;
        return true;
    }
}

static void take_ok(struct proto_resp *r, const uint8_t *p, size_t n)
{
    struct proto_ok ok;
    if (proto_parse_ok(p, n, r->caps, &ok) != 0)
        return;
    r->status = ok.status;
    r->has_status = true;
    r->affected = ok.affected;
    r->insert_id = ok.insert_id;
    r->state_len = 0;
    if (ok.session_state.len) {
        size_t c =
            ok.session_state.len < sizeof r->state_buf ? ok.session_state.len : sizeof r->state_buf;
        memcpy(r->state_buf, ok.session_state.p, c); /* c > 0 here */
        r->state_len = c;
    }
}

static void take_err(struct proto_resp *r, const uint8_t *p, size_t n)
{
    struct proto_err e;
    r->is_err = true;
    if (proto_parse_err(p, n, &e) != 0)
        return;
    r->err_code = e.code;
    memcpy(r->err_state, e.state, 6);
    size_t c = e.msg.len < sizeof r->err_msg - 1 ? e.msg.len : sizeof r->err_msg - 1;
    if (c)
        memcpy(r->err_msg, e.msg.p, c);
    r->err_msg[c] = '\0';
}

static void take_eof(struct proto_resp *r, const uint8_t *p, size_t n)
{
    struct proto_rd rd = proto_rd(p, n);
    proto_rd_u8(&rd);
    if (proto_rd_left(&rd) >= 4) {
        proto_rd_u16(&rd); /* warnings */
        r->status = proto_rd_u16(&rd);
        r->has_status = true;
    }
}

/* end_of_result: after a final OK/EOF; more results follow if the server said so. */
static int end_of_result(struct proto_resp *r)
{
    if (r->status & ST_MORE_RESULTS) {
        r->state = RS_FIRST;
        return 0;
    }
    r->state = RS_DONE;
    return 1;
}

static void take_value(struct proto_resp *r, const uint8_t *p, size_t n)
{
    if (r->value_set || r->binary)
        return;
    r->value_set = true;
    if (n && p[0] == 0xFB) {
        r->value_null = true;
        return;
    }
    struct proto_rd rd = proto_rd(p, n);
    struct str v = proto_rd_lenenc_str(&rd);
    size_t c = v.len < sizeof r->value - 1 ? v.len : sizeof r->value - 1;
    if (c)
        memcpy(r->value, v.p, c);
    r->value[c] = '\0';
}

int proto_resp_feed(struct proto_resp *r, const uint8_t *p, size_t n)
{
    if (r->state == RS_DONE)
        return ERR_INVAL;
    bool first_chunk = !r->cont;
    r->cont = n == PROTO_MAX_CHUNK;
    if (!first_chunk)
        return 0; /* the rest of a long row or definition */
    if (n == 0)
        return ERR_INVAL; /* only a long packet's last chunk may be empty */
    if (r->cont && r->state != RS_ROWS && r->state != RS_COLS && r->state != RS_PCOLS &&
        r->state != RS_PARAMS && r->state != RS_FIELDS && r->kind != RK_ONE)
        return ERR_INVAL; /* only rows and definitions can be this long */
    switch (r->state) {
    case RS_FIRST:
        if (n == 0)
            return ERR_INVAL;
        if (r->kind == RK_ONE) {
            if (p[0] == 0xFF)
                take_err(r, p, n);
            else if (p[0] == 0x00)
                take_ok(r, p, n);
            else if (proto_is_eof(p, n))
                take_eof(r, p, n);
            if (r->cont) /* a long string (CMD_STATISTICS): wait for its end */
                return 0;
            r->state = RS_DONE;
            return 1;
        }
        if (p[0] == 0xFF) {
            take_err(r, p, n);
            r->state = RS_DONE;
            return 1;
        }
        if (r->kind == RK_PREPARE) {
            if (p[0] != 0x00 || n < 12)
                return ERR_INVAL;
            struct proto_rd rd = proto_rd(p + 1, n - 1);
            r->stmt_id = proto_rd_u32(&rd);
            r->pcols = proto_rd_u16(&rd);
            r->nparams = proto_rd_u16(&rd);
            if (r->nparams) {
                r->state = RS_PARAMS;
                r->left = r->nparams;
            } else if (r->pcols) {
                r->state = RS_PCOLS;
                r->left = r->pcols;
            } else {
                r->state = RS_DONE;
                return 1;
            }
            return 0;
        }
        if (p[0] == 0x00) {
            take_ok(r, p, n);
            return end_of_result(r);
        }
        if (p[0] == 0xFB)
            return ERR_INVAL; /* LOCAL INFILE: never offered */
        {
            struct proto_rd rd = proto_rd(p, n);
            uint64_t cols = proto_rd_lenenc(&rd);
            if (rd.bad || cols == 0 || proto_rd_left(&rd) > 1)
                return ERR_INVAL; /* (MariaDB may add a metadata-follows byte; never asked) */
            r->ncols = cols;
            r->left = cols;
            r->state = RS_COLS;
            r->had_result = true;
        }
        return 0;
    case RS_COLS:
        if (p[0] == 0xFF && n < 0xFFFF) {
            take_err(r, p, n);
            r->state = RS_DONE;
            return 1;
        }
        if (--r->left == 0)
            r->state = RS_COLS_EOF;
        return 0;
    case RS_COLS_EOF:
        if (!proto_is_eof(p, n))
            return ERR_INVAL;
        take_eof(r, p, n);
        if (r->status & ST_CURSOR_EXISTS) {
            /* a cursor was opened: rows come with CMD_STMT_FETCH */
            r->state = RS_DONE;
            return 1;
        }
        r->state = RS_ROWS;
        return 0;
    case RS_ROWS:
        if (proto_is_eof(p, n)) {
            take_eof(r, p, n);
            return end_of_result(r);
        }
        if (p[0] == 0xFF) {
            take_err(r, p, n);
            r->state = RS_DONE;
            return 1;
        }
        take_value(r, p, n);
        r->rows++;
        return 0;
    case RS_PARAMS:
        if (--r->left == 0)
            r->state = RS_PARAMS_EOF;
        return 0;
    case RS_PARAMS_EOF:
        if (!proto_is_eof(p, n))
            return ERR_INVAL;
        if (r->pcols) {
            r->state = RS_PCOLS;
            r->left = r->pcols;
            return 0;
        }
        r->state = RS_DONE;
        return 1;
    case RS_PCOLS:
        if (--r->left == 0)
            r->state = RS_PCOLS_EOF;
        return 0;
    case RS_PCOLS_EOF:
        if (!proto_is_eof(p, n))
            return ERR_INVAL;
        r->state = RS_DONE;
        return 1;
    case RS_FIELDS:
        if (proto_is_eof(p, n)) {
            take_eof(r, p, n);
            r->state = RS_DONE;
            return 1;
        }
        if (p[0] == 0xFF) {
            take_err(r, p, n);
            r->state = RS_DONE;
            return 1;
        }
        return 0;
    case RS_DONE:
        break;
    }
    return ERR_INVAL;
}
