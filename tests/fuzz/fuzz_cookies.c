/* libFuzzer target: the Cookie header parser (http_parse_cookies). */
#include "core/arena.h"
#include "http/parse.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct arena *a;
    if (!a)
        a = arena_new(64 * 1024, 64 << 20);
    struct http_kvs kv;
    http_parse_cookies(a, (struct str){(const char *)data, size}, 32, &kv);
    if (kv.n > 32)
        __builtin_trap();
    for (size_t i = 0; i < kv.n; i++) {
        const struct str n = kv.v[i].name, v = kv.v[i].value;
        /* slices must point inside the input */
        if (n.len == 0 || n.p < (const char *)data || n.p + n.len > (const char *)data + size ||
            (v.len && (v.p < (const char *)data || v.p + v.len > (const char *)data + size)))
            __builtin_trap();
    }
    arena_reset(a);
    return 0;
}
