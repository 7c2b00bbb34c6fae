/*
 * libFuzzer target: the MySQL protocol parsers of stampede-dbproxy (dbproxy/proto.h) — the
 * client's login packet, a server's greeting, OK/ERR packets with session state, GTID
 * positions, and the response tracker fed a stream of wire packets framed from the input.
 * The first byte chooses what the rest is. Any slice a parser returns must lie inside the
 * input; the tracker must end or reject, never read outside a packet.
 */
#include "core/str.h"
#include "dbproxy/gtid.h"
#include "dbproxy/proto.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(struct str s, const uint8_t *p, size_t n)
{
    if (s.len && ((const uint8_t *)s.p < p || (const uint8_t *)s.p + s.len > p + n))
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    switch (mode % 6) {
    case 0: {
        struct proto_login l;
        if (proto_parse_login(p, n, &l) == 0) {
            inside(l.user, p, n);
            inside(l.auth, p, n);
            inside(l.db, p, n);
            inside(l.plugin, p, n);
            inside(l.attrs, p, n);
        }
        break;
    }
    case 1: {
        struct proto_greeting g;
        if (proto_parse_greeting(p, n, &g) == 0) {
            inside(g.version, p, n);
            inside(g.plugin, p, n);
            if (g.nonce_len > PROTO_NONCE_LEN)
                __builtin_trap();
        }
        break;
    }
    case 2: {
        struct proto_ok ok;
        uint32_t caps = (mode & 0x80) ? CAP_SESSION_TRACK : 0;
        if (proto_parse_ok(p, n, caps, &ok) == 0) {
            inside(ok.info, p, n);
            inside(ok.session_state, p, n);
            struct str v;
            if (proto_track_var(ok.session_state, "last_gtid", &v))
                inside(v, p, n);
        }
        struct proto_err e;
        if (proto_parse_err(p, n, &e) == 0)
            inside(e.msg, p, n);
        break;
    }
    case 3: {
        struct gtid_pos g;
        if (gtid_parse((struct str){(const char *)p, n}, &g) == 0) {
            char out[GTID_TEXT_MAX];
            gtid_format(&g, out, sizeof out);
            if (g.n > GTID_DOMAINS || !gtid_reached(&g, &g))
                __builtin_trap();
        }
        break;
    }
    default: {
        /* a response stream: 3-byte lengths (capped by what is left), then payloads */
        static const enum proto_resp_kind kinds[] = {RK_RESULT, RK_PREPARE, RK_FETCH, RK_FIELDS,
                                                     RK_ONE};
        struct proto_resp r;
        proto_resp_init(&r, kinds[(mode >> 3) % 5], (mode & 0x80) ? CAP_SESSION_TRACK : 0,
                        (mode & 0x40) != 0);
        while (n >= 3) {
            size_t len = (size_t)p[0] | (size_t)p[1] << 8;
            p += 3;
            n -= 3;
            if (len > n)
                len = n;
            int rc = proto_resp_feed(&r, p, len);
            p += len;
            n -= len;
            if (rc != 0)
                break;
        }
        if (r.value_set && strlen(r.value) >= sizeof r.value)
            __builtin_trap();
        break;
    }
    }
    return 0;
}
