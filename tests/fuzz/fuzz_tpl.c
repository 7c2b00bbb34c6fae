/*
 * fuzz_tpl — libFuzzer target for the template compiler and renderer.
 *
 * Each input is compiled with tpl_compile_string against a fixed schema (strings, integers, a
 * bool, a C string, a list of structs with a nested list, a set and a NULL object) and a
 * template directory holding a few partials and layouts, so includes, recursion limits and
 * layout blocks are reached too. When it compiles it is rendered into a capped buffer. Any
 * crash, leak or sanitizer report is a bug; compile errors must leave nothing allocated.
 */
#include "core/str.h"
#include "core/buf.h"
#include "tpl/tpl.h"

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct f_tag {
    struct str label;
};

struct f_obj {
    struct str city;
    int64_t zip;
    const struct f_obj *next;
};

struct f_item {
    struct str name;
    int64_t price;
    bool hot;
    struct tpl_list tags;
};

struct f_root {
    struct str title;
    const char *cstr;
    const char *none;
    int64_t n;
    int count;
    bool flag;
    struct tpl_list items;
    const struct f_obj *obj;
    const struct f_obj *nil;
};

static const struct tpl_field tag_fields[] = {
    TPL_FIELD(struct f_tag, label, TPL_STR),
};
static const struct tpl_schema tag_schema = TPL_SCHEMA(tag, tag_fields);

extern const struct tpl_schema obj_schema;
static const struct tpl_field obj_fields[] = {
    TPL_FIELD(struct f_obj, city, TPL_STR),
    TPL_FIELD(struct f_obj, zip, TPL_I64),
    TPL_NESTED(struct f_obj, next, TPL_OBJ, obj_schema),
};
const struct tpl_schema obj_schema = TPL_SCHEMA(obj, obj_fields);

static const struct tpl_field item_fields[] = {
    TPL_FIELD(struct f_item, name, TPL_STR),
    TPL_FIELD(struct f_item, price, TPL_I64),
    TPL_FIELD(struct f_item, hot, TPL_BOOL),
    TPL_NESTED(struct f_item, tags, TPL_LIST, tag_schema),
};
static const struct tpl_schema item_schema = TPL_SCHEMA(item, item_fields);

static const struct tpl_field root_fields[] = {
    TPL_FIELD(struct f_root, title, TPL_STR),
    TPL_FIELD(struct f_root, cstr, TPL_CSTR),
    TPL_FIELD(struct f_root, none, TPL_CSTR),
    TPL_FIELD(struct f_root, n, TPL_I64),
    TPL_FIELD(struct f_root, count, TPL_INT),
    TPL_FIELD(struct f_root, flag, TPL_BOOL),
    TPL_NESTED(struct f_root, items, TPL_LIST, item_schema),
    TPL_NESTED(struct f_root, obj, TPL_OBJ, obj_schema),
    TPL_NESTED(struct f_root, nil, TPL_OBJ, obj_schema),
};
static const struct tpl_schema root_schema = TPL_SCHEMA(root, root_fields);

static const struct f_tag tags[] = {{STR("<new>")}, {STR("sale & \"hot\"")}};
static const struct f_item items[] = {
    {STR("Air"), 129000, true, {tags, 2, sizeof tags[0]}},
    {STR("Dunk'"), -99000, false, {NULL, 0, sizeof tags[0]}},
    {STR(""), INT64_MIN, true, {tags, 1, sizeof tags[0]}},
};
static const struct f_obj inner = {STR("Busan"), 48000, NULL};
static const struct f_obj outer = {STR("Seoul / 서울"), 4524, &inner};
static const struct f_root root = {
    .title = STR("Drops <&>"),
    .cstr = "c\"str",
    .none = NULL,
    .n = INT64_MAX,
    .count = -7,
    .flag = true,
    .items = {items, 3, sizeof items[0]},
    .obj = &outer,
    .nil = NULL,
};

static char dir[256];

static const char *asset_url(void *ctx, struct str name)
{
    (void)ctx;
    return str_eq_cstr(name, "css/site.css") ? "/s/site.1a2b.css?a=1&b=\"2\"" : NULL;
}

static const struct tpl_assets assets = {asset_url, NULL};

static void put(const char *rel, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    fputs(text, f);
    fclose(f);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void cleanup(void)
{
    nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(dir, sizeof dir, "%s/fuzz_tpl.XXXXXX", tmp);
    if (!mkdtemp(dir))
        abort();
    char sub[300];
    snprintf(sub, sizeof sub, "%s/partials", dir);
    mkdir(sub, 0700);
    snprintf(sub, sizeof sub, "%s/layouts", dir);
    mkdir(sub, 0700);
    put("partials/card.html", "<li>{{name}} {{krw price}}{{#each tags}}{{label}}{{/each}}</li>");
    put("partials/title.html", "<h1>{{title}}</h1>{{#block side}}side{{/block}}");
    put("partials/self.html", "{{> self}}");
    put("partials/bad.html", "{{#if flag}}");
    put("layouts/base.html", "<title>{{#block title}}T{{/block}}</title>{{> title}}"
                             "{{#each items}}{{#block item}}{{name}}{{/block}}{{/each}}"
                             "{{#with obj}}{{#block body}}{{city}}{{/block}}{{/with}}");
    put("layouts/bad.html", "{{#block a}}{{/if}}");
    atexit(cleanup);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct buf err, out;
    buf_init(&err, 4096);
    struct tpl *t = tpl_compile_string("fuzz.html", (struct str){(const char *)data, size},
                                       &root_schema, dir, &assets, &err);
    if (t) {
        buf_init(&out, 1 << 16);
        tpl_render(t, &root, &out);
        if (out.len > out.max)
            abort();
        buf_free(&out);
        tpl_free(t);
    } else if (err.len == 0) {
        abort(); /* a failed compile always explains itself */
    }
    buf_free(&err);
    return 0;
}
