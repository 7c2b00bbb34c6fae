/* near — per-thread near cache, node epoch and synchronous invalidation; see near.h. */
#include "near.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/sec.h"

#include <curl/curl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

/* ---------------------------------------------------------------- node epoch */

/* The node's epoch in one atomic word shared by its processes: it moves in steps of 2 on a
 * bump, and its low bit says whether the node is a member (odd) or not (even): joining or
 * leaving adds 1, so it changes the epoch too, and a reader sees both in one load. */
static _Atomic uint64_t *node_epoch;

void near_node_init(bool member)
{
    if (node_epoch)
        return;
    void *p =
        mmap(NULL, sizeof *node_epoch, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        log_warn("near cache: cannot map the node epoch; running without the near cache");
        return;
    }
    node_epoch = p;
    atomic_store(node_epoch, member ? 1 : 2);
}

bool near_active(void)
{
    return node_epoch != NULL;
}

uint64_t near_epoch(void)
{
    if (!node_epoch)
        return 0;
    uint64_t v = atomic_load_explicit(node_epoch, memory_order_acquire);
    return (v & 1) ? v : 0;
}

void near_bump(void)
{
    if (node_epoch)
        atomic_fetch_add_explicit(node_epoch, 2, memory_order_acq_rel);
}

bool near_set_member(bool on)
{
    if (!node_epoch)
        return false;
    uint64_t v = atomic_load_explicit(node_epoch, memory_order_acquire);
    while (((v & 1) != 0) != on)
        if (atomic_compare_exchange_weak_explicit(node_epoch, &v, v + 1, memory_order_acq_rel,
                                                  memory_order_acquire))
            return true;
    return false;
}

/* ---------------------------------------------------------------- table */

struct near_table {
    struct near_entry e[NEAR_SLOTS];
};

struct near_table *near_table_new(void)
{
    return mem_calloc(1, sizeof(struct near_table));
}

void near_table_free(struct near_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < NEAR_SLOTS; i++)
        mem_free(t->e[i].val);
    mem_free(t);
}

static struct near_entry *slot_of(struct near_table *t, int slot, struct str id)
{
    uint32_t h = 2166136261u; /* FNV-1a over the id, then the region */
    for (size_t i = 0; i < id.len; i++)
        h = (h ^ (unsigned char)id.p[i]) * 16777619u;
    h = (h ^ (uint32_t)slot) * 16777619u;
    return &t->e[h % NEAR_SLOTS];
}

const struct near_entry *near_get(struct near_table *t, int slot, struct str id, uint64_t epoch,
                                  int64_t now_ns)
{
    if (!t || slot <= 0 || id.len == 0 || id.len > NEAR_ID_MAX)
        return NULL;
    const struct near_entry *e = slot_of(t, slot, id);
    if (e->slot != slot || e->id_len != id.len || memcmp(e->id, id.p, id.len) != 0 ||
        e->epoch != epoch || now_ns >= e->expires_ns)
        return NULL;
    return e;
}

void near_put(struct near_table *t, int slot, struct str id, char kind, struct str val,
              uint64_t epoch, int64_t expires_ns)
{
    if (!t || slot <= 0 || id.len == 0 || id.len > NEAR_ID_MAX || val.len > NEAR_VALUE_MAX)
        return;
    struct near_entry *e = slot_of(t, slot, id);
    if (e->val && (kind != 'V' || e->val_len < val.len)) {
        mem_free(e->val);
        e->val = NULL;
    }
    if (kind == 'V' && !e->val)
        e->val = mem_alloc(val.len ? val.len : 1);
    if (kind == 'V' && val.len)
        memcpy(e->val, val.p, val.len);
    e->val_len = kind == 'V' ? val.len : 0;
    e->slot = slot;
    e->kind = kind;
    e->id_len = (uint8_t)id.len;
    memcpy(e->id, id.p, id.len);
    e->epoch = epoch;
    e->expires_ns = expires_ns;
}

/* ---------------------------------------------------------------- signatures */

#define SIGNED_WHAT STR("near-epoch")

struct str near_sign(struct arena *a, struct str secret, int64_t now_s)
{
    struct str mac = sec_hmac_ts_hex(a, secret, now_s, SIGNED_WHAT);
    return str_from_cstr(arena_sprintf(a, "t=%lld,v1=%.*s", (long long)now_s, STR_FMT(mac)));
}

bool near_verify(struct arena *a, struct str secret, struct str header, int64_t now_s)
{
    if (secret.len == 0 || header.len < 6 || header.len > 200 || memcmp(header.p, "t=", 2) != 0)
        return false;
    struct str rest = {header.p + 2, header.len - 2};
    const char *comma = memchr(rest.p, ',', rest.len);
    if (!comma)
        return false;
    struct str ts = {rest.p, (size_t)(comma - rest.p)};
    struct str v = {comma + 1, rest.len - ts.len - 1};
    int64_t t;
    if (!str_to_i64(ts, &t) || t <= 0 || v.len < 3 || memcmp(v.p, "v1=", 3) != 0)
        return false;
    if (t > now_s + NEAR_WINDOW_S || t < now_s - NEAR_WINDOW_S)
        return false;
    struct str want = sec_hmac_ts_hex(a, secret, t, SIGNED_WHAT);
    return sec_equal(want, (struct str){v.p + 3, v.len - 3});
}

/* ---------------------------------------------------------------- publishing */

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
    (void)p;
    (void)arg;
    return size * n;
}

#define PEERS_MAX 64

int near_publish(const char *peers, struct str secret, int64_t timeout_ms)
{
    if (!peers || !*peers)
        return 0;
    struct arena *a = arena_new(4096, 64 * 1024);
    struct str sig = near_sign(a, secret, clock_real_s());
    char hdr[300];
    snprintf(hdr, sizeof hdr, NEAR_SIG_HDR ": %.*s", STR_FMT(sig));
    struct curl_slist *headers = curl_slist_append(NULL, hdr);
    headers = curl_slist_append(headers, "Content-Type: text/plain");
    CURLM *m = curl_multi_init();
    CURL *easy[PEERS_MAX];
    char *urls[PEERS_MAX];
    int n = 0, failed = 0;
    const char *p = peers;
    while (*p && n < PEERS_MAX) {
        size_t len = strcspn(p, ", ");
        if (len) {
            urls[n] = arena_sprintf(a, "%.*s" NEAR_PATH, (int)len, p);
            CURL *h = curl_easy_init();
            if (!h) {
                failed++;
            } else {
                curl_easy_setopt(h, CURLOPT_URL, urls[n]);
                curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
                curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
                curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
                curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
                curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
                curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
                curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
                curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
                curl_multi_add_handle(m, h);
                easy[n++] = h;
            }
        }
        p += len;
        while (*p == ',' || *p == ' ')
            p++;
    }
    int running = n;
    while (running > 0) {
        if (curl_multi_perform(m, &running) != CURLM_OK)
            break;
        if (running && curl_multi_poll(m, NULL, 0, 100, NULL) != CURLM_OK)
            break;
    }
    for (int i = 0; i < n; i++) {
        long status = 0;
        curl_easy_getinfo(easy[i], CURLINFO_RESPONSE_CODE, &status);
        if (status < 200 || status > 299) {
            failed++;
            log_warn("near cache: invalidation not confirmed by %s (status %ld); its near "
                     "entries live until their TTL",
                     urls[i], status);
        }
        curl_multi_remove_handle(m, easy[i]);
        curl_easy_cleanup(easy[i]);
    }
    curl_multi_cleanup(m);
    curl_slist_free_all(headers);
    arena_destroy(a);
    return failed;
}
