/*
 * audit — the admin audit log (migration 011): who changed what, on which object, and when.
 *
 * audit_write runs in the caller's transaction when there is one, so the change and its row
 * commit together; the admin handlers call it for every change they make. The table is
 * append-only for the application account.
 *
 * Memory: strings in results are in ctx->arena. Thread safety: a shop_ctx per thread.
 */
#ifndef STAMPEDE_SHOP_AUDIT_H
#define STAMPEDE_SHOP_AUDIT_H

#include "shop/shop.h"

#include <stdint.h>

#define AUDIT_DETAIL_MAX 500

/* audit_write: one row; detail is clipped to AUDIT_DETAIL_MAX bytes at a character boundary. */
int audit_write(struct shop_ctx *c, struct str actor, const char *action, struct str target,
                struct str detail);

struct audit_row {
    int64_t id;
    struct str at; /* ISO 8601 UTC */
    struct str actor, action, target, detail;
};

/* audit_list: the latest rows, newest first; target empty for all, else only that object's. */
int audit_list(struct shop_ctx *c, struct str target, int64_t limit, struct audit_row **out,
               size_t *n);

#endif
