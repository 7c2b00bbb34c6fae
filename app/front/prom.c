/* prom — Prometheus range queries for the admin dashboard; see prom.h. */
#include "front/prom.h"

#include "front/fetch.h"

#include "core/buf.h"
#include "core/err.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROM_MAX_SERIES 8
#define PROM_MAX_BODY   (4 << 20)

static struct str labels(struct arena *a, const cJSON *metric)
{
    struct buf b;
    buf_init(&b, 4096);
    const cJSON *kv;
    cJSON_ArrayForEach(kv, metric)
    {
        if (!cJSON_IsString(kv) || strcmp(kv->string, "__name__") == 0)
            continue;
        buf_printf(&b, "%s%s=%s", b.len ? ", " : "", kv->string, kv->valuestring);
    }
    struct str s = arena_str_dup(a, buf_str(&b));
    buf_free(&b);
    return s;
}

int prom_range(struct arena *a, const char *base_url, const char *query, int64_t start, int64_t end,
               int64_t step, struct prom_series **series, size_t *n)
{
    *series = NULL;
    *n = 0;
    if (!base_url || !*base_url)
        return ERR_UNAVAILABLE;
    struct buf url;
    buf_init(&url, 8192);
    buf_printf(&url, "%s/api/v1/query_range?query=", base_url);
    buf_append_urlenc(&url, str_from_cstr(query));
    buf_printf(&url, "&start=%lld&end=%lld&step=%lld", (long long)start, (long long)end,
               (long long)step);
    struct buf body;
    buf_init(&body, PROM_MAX_BODY);
    int got = url.overflow ? ERR_UNAVAILABLE : fetch_get(buf_cstr(&url), 2000, &body);
    buf_free(&url);
    int rc = ERR_UNAVAILABLE;
    cJSON *j = got == 0 ? cJSON_ParseWithLength(body.p, body.len) : NULL;
    const cJSON *result = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "data"), "result");
    if (cJSON_IsArray(result)) {
        size_t count = (size_t)cJSON_GetArraySize(result);
        if (count > PROM_MAX_SERIES)
            count = PROM_MAX_SERIES;
        struct prom_series *out = arena_calloc(a, count + 1, sizeof *out);
        size_t k = 0;
        const cJSON *s;
        cJSON_ArrayForEach(s, result)
        {
            if (k == count)
                break;
            const cJSON *values = cJSON_GetObjectItem(s, "values");
            size_t m = cJSON_IsArray(values) ? (size_t)cJSON_GetArraySize(values) : 0;
            out[k].label = labels(a, cJSON_GetObjectItem(s, "metric"));
            out[k].t = arena_calloc(a, m + 1, sizeof *out[k].t);
            out[k].v = arena_calloc(a, m + 1, sizeof *out[k].v);
            const cJSON *pt;
            cJSON_ArrayForEach(pt, values)
            {
                const cJSON *t = cJSON_GetArrayItem(pt, 0), *v = cJSON_GetArrayItem(pt, 1);
                if (!cJSON_IsNumber(t) || !cJSON_IsString(v))
                    continue;
                char *endp;
                double d = strtod(v->valuestring, &endp);
                if (endp == v->valuestring || d != d) /* not a number, or NaN */
                    continue;
                out[k].t[out[k].n] = t->valuedouble;
                out[k].v[out[k].n] = d;
                out[k].n++;
            }
            k++;
        }
        *series = out;
        *n = k;
        rc = 0;
    }
    cJSON_Delete(j);
    buf_free(&body);
    return rc;
}
