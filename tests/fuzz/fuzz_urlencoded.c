/* libFuzzer target: query strings and urlencoded forms (http_parse_urlencoded). */
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
    const char *why = NULL;
    if (http_parse_urlencoded(a, (struct str){(const char *)data, size}, 64, &kv, &why) == 0) {
        for (size_t i = 0; i < kv.n; i++) {
            /* every decoded pair must be valid UTF-8 and within the input's size */
            if (!str_utf8_valid(kv.v[i].name) || !str_utf8_valid(kv.v[i].value) ||
                kv.v[i].name.len > size || kv.v[i].value.len > size)
                __builtin_trap();
        }
    } else if (!why) {
        __builtin_trap(); /* every failure explains itself */
    }
    arena_reset(a);
    return 0;
}
