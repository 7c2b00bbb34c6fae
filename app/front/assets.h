/*
 * assets — the static-asset manifest: logical path -> fingerprinted URL.
 *
 * The build copies static/ with a content hash in every file name and writes manifest.txt
 * ("css/site.css css/site.3f2a1b9c0d12.css" per line). Pages refer to assets by logical
 * path; this module turns them into base_url + "/" + fingerprinted path, where base_url is
 * "/static" locally or a CDN origin in production. Because a changed file gets a new name,
 * every asset URL can be cached forever ("immutable").
 *
 * Memory: process-lifetime, built before workers fork. Thread safety: read-only after load.
 */
#ifndef STAMPEDE_FRONT_ASSETS_H
#define STAMPEDE_FRONT_ASSETS_H

#include "core/buf.h"
#include "core/str.h"
#include "tpl/tpl.h"

struct assets;

/* assets_load: reads the manifest; NULL with a reason in err. */
struct assets *assets_load(const char *manifest_path, const char *base_url, struct buf *err);
void assets_free(struct assets *a);
/* assets_url: the full URL of a logical path, or NULL when it is not in the manifest. */
const char *assets_url(const struct assets *a, struct str logical);
size_t assets_count(const struct assets *a);
/* assets_tpl: the lookup in the shape the template compiler wants. */
struct tpl_assets assets_tpl(struct assets *a);

#endif
