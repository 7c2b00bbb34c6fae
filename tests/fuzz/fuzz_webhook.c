/* libFuzzer target: webhook verification and parsing (gateway_verify_event): the signature
 * header and the body come from the input, split at the first newline. Half the inputs are
 * signed correctly, so the JSON parsing behind the signature check is reached too. */
#include "core/arena.h"
#include "core/err.h"
#include "core/sec.h"
#include "shop/gateway.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct arena *a;
    static struct gateway *g;
    if (!a) {
        sec_init();
        a = arena_new(64 * 1024, 64 << 20);
        struct gateway_opts o = {"http://127.0.0.1:1",
                                 "http://127.0.0.1:1/checkout",
                                 "sk_fuzz",
                                 "ck_fuzz",
                                 "whsec_fuzz_secret",
                                 100,
                                 100};
        g = gateway_psp_new(&o);
    }
    const char *p = (const char *)data;
    const char *nl = memchr(p, '\n', size);
    struct str header = {p, nl ? (size_t)(nl - p) : size};
    struct str body = nl ? (struct str){nl + 1, size - header.len - 1} : STR("");
    struct gateway_event ev;
    int rc = gateway_verify_event(g, a, header, body, 1900000000, 300, &ev);
    if (size && (data[0] & 1)) {
        struct str hex = sec_hmac_ts_hex(a, STR("whsec_fuzz_secret"), 1900000000, body);
        struct str signed_h = str_from_cstr(arena_sprintf(a, "t=1900000000,v1=%.*s", STR_FMT(hex)));
        rc = gateway_verify_event(g, a, signed_h, body, 1900000000, 300, &ev);
        if (rc == ERR_UNAUTH)
            __builtin_trap(); /* a correct signature must always pass the signature check */
    }
    if (rc == 0 && (ev.id.len == 0 || ev.id.len > 64 || ev.payment_key.len == 0))
        __builtin_trap();
    arena_reset(a);
    return 0;
}
