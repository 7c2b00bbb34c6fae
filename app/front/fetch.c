/* fetch — a bounded HTTP GET; see fetch.h. */
#include "front/fetch.h"

#include "core/buf.h"
#include "core/err.h"

#include <curl/curl.h>

static size_t collect(char *data, size_t size, size_t n, void *arg)
{
    struct buf *b = arg;
    size_t add = size * n;
    if (b->len + add > b->max)
        return 0; /* too large: curl stops with a write error */
    buf_append(b, data, add);
    return add;
}

int fetch_get(const char *url, int64_t timeout_ms, struct buf *out)
{
    if (!url || !*url)
        return ERR_UNAVAILABLE;
    CURL *h = curl_easy_init();
    if (!h)
        return ERR_UNAVAILABLE;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 500 ? (long)timeout_ms : 500L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    long status = 0;
    CURLcode cc = curl_easy_perform(h);
    if (cc == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    return cc == CURLE_OK && status == 200 ? 0 : ERR_UNAVAILABLE;
}
