/* ratelimit — per-account fixed windows in memcached; see ratelimit.h. */
#include "ratelimit.h"

#include "cache/cache.h"
#include "core/clock.h"
#include "core/err.h"

#include <stdio.h>

bool ratelimit_hit(struct shop_ctx *c, const char *name, int64_t id, int64_t limit,
                   int64_t window_s)
{
    if (limit <= 0 || window_s <= 0 || !c->cache || !cache_enabled(c->cache))
        return false;
    int64_t window = clock_real_s() / window_s;
    char k[96];
    int n = snprintf(k, sizeof k, "st1:rl:%s:%lld:%lld", name, (long long)id, (long long)window);
    if (n <= 0 || (size_t)n >= sizeof k)
        return false;
    struct str key = {k, (size_t)n};
    uint64_t count = 0;
    int rc = cache_incr(c->cache, key, key, 1, &count);
    if (rc == ERR_NOTFOUND) {
        /* the window's first attempt: create the counter (outliving the window a little);
         * another node may have created it meanwhile, then count on it */
        rc = cache_add(c->cache, key, key, STR("1"), window_s + 10);
        if (rc == 0)
            count = 1;
        else if (rc == ERR_EXISTS)
            rc = cache_incr(c->cache, key, key, 1, &count);
    }
    return rc == 0 && count > (uint64_t)limit;
}
