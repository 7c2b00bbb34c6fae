/*
 * tpl — HTML templates compiled once at start-up and bound to C structs (lwan style).
 *
 * Every template file is compiled against a schema: a description of the C struct it renders
 * (field names, types, offsets). Names are resolved at compile time, so an unknown variable,
 * a misspelt section, an unclosed block or a missing partial, layout or asset is a compile
 * error naming file and line, and the process refuses to start. Rendering walks a flat array
 * of instructions, reads fields straight from the struct and appends to the caller's buffer
 * (the response body); it allocates nothing.
 *
 * Syntax (whitespace inside tags is allowed: "{{ name }}" == "{{name}}"):
 *   {{name}}  {{a.b.c}}        value, HTML-escaped (& < > " ' -> entities); safe in text and
 *                              in quoted attribute values
 *   {{raw name}}               value without escaping: the one greppable raw marker
 *   {{url name}}               value percent-encoded for a URL path segment or query value
 *   {{krw name}}               an integer amount in won with separators: 129000 -> "129,000"
 *   {{kst name}}               a string holding an ISO 8601 UTC time ("2026-12-05T22:50:32Z")
 *                              in Korean time for people: "6 Dec 2026, 07:50 KST" (core/clock.h);
 *                              any other string is shown as it is, escaped
 *   {{#if name}} .. {{else}} .. {{/if}}   true when: bool true, integer != 0, string not empty,
 *                              list not empty, object pointer not NULL
 *   {{#unless name}} .. {{/unless}}
 *   {{#each list}} .. {{/each}}   repeats for every element; inside, names resolve first in
 *                              the element, then outwards; {{@index}} (0-based) and
 *                              {{@number}} (1-based) are the position; {{#if @first}} and
 *                              {{#if @last}} test it
 *   {{#with obj}} .. {{/with}}    names resolve in obj first (skipped when obj is NULL)
 *   {{> name}}                 includes templates/partials/name.html, compiled in the current
 *                              scope (so a partial can be used under different schemas)
 *   {{extends "layouts/base"}} must be the first tag: the file defines blocks and is rendered
 *                              through templates/layouts/base.html
 *   {{#block name}} .. {{/block}}  in a page: defines block `name`; in a layout: the place
 *                              where the page's block goes, with this content as its default
 *   {{asset "css/site.css"}}   the fingerprinted URL of a static file (CDN base + manifest
 *                              path), escaped; a name missing from the manifest is an error
 *   {{!-- comment --}}         dropped at compile time
 *
 * Types of fields (enum tpl_type): TPL_STR is a struct str; TPL_CSTR a const char * (NULL
 * renders as empty); TPL_I64 an int64_t; TPL_INT an int; TPL_BOOL a bool; TPL_LIST a struct
 * tpl_list whose items are structs described by `schema`; TPL_OBJ a pointer to a struct
 * described by `schema`.
 *
 * Memory: a tpl_set owns all compiled templates; it is built by the master process before the
 * workers fork and is read-only afterwards. Thread safety: tpl_render may run concurrently
 * on one set.
 */
#ifndef STAMPEDE_TPL_TPL_H
#define STAMPEDE_TPL_TPL_H

#include "core/buf.h"
#include "core/str.h"

#include <stddef.h>

enum tpl_type {
    TPL_STR = 1,
    TPL_CSTR,
    TPL_I64,
    TPL_INT,
    TPL_BOOL,
    TPL_LIST,
    TPL_OBJ,
};

struct tpl_schema;

struct tpl_field {
    const char *name;
    enum tpl_type type;
    size_t offset;
    const struct tpl_schema *schema; /* element or object schema for TPL_LIST and TPL_OBJ */
};

struct tpl_schema {
    const char *name;
    const struct tpl_field *fields;
    size_t nfields;
};

struct tpl_list {
    const void *items; /* array of elements */
    size_t len;
    size_t size; /* sizeof one element */
};

#define TPL_FIELD(type_, member, kind)               \
    {                                                \
#member, kind, offsetof(type_, member), NULL \
    }
#define TPL_NESTED(type_, member, kind, schema_)           \
    {                                                      \
#member, kind, offsetof(type_, member), &(schema_) \
    }
#define TPL_SCHEMA(name_, fields_)                              \
    {                                                           \
#name_, fields_, sizeof(fields_) / sizeof((fields_)[0]) \
    }

/* Asset lookup used by {{asset "..."}}: returns the full URL or NULL if unknown. */
struct tpl_assets {
    const char *(*url)(void *ctx, struct str logical_name);
    void *ctx;
};

/* A page template and the schema of the data it renders. */
struct tpl_binding {
    const char *file; /* relative to the template directory: "home.html" */
    const struct tpl_schema *schema;
};

struct tpl_set;
struct tpl;

/*
 * tpl_set_load: compiles every bound file (and the layouts and partials they use) from dir.
 * Returns NULL with "dir/file.html:LINE: reason" in err on the first error.
 */
struct tpl_set *tpl_set_load(const char *dir, const struct tpl_binding *bindings, size_t n,
                             const struct tpl_assets *assets, struct buf *err);
void tpl_set_free(struct tpl_set *set);

/* tpl_get: the compiled template bound to file, or NULL. */
const struct tpl *tpl_get(const struct tpl_set *set, const char *file);

/*
 * tpl_compile_string: compiles one template from memory (for tests and the fuzzer); `name`
 * is used in error messages; partials and layouts are looked up in dir (may be NULL: none).
 * The returned template is freed with tpl_free.
 */
struct tpl *tpl_compile_string(const char *name, struct str text, const struct tpl_schema *schema,
                               const char *dir, const struct tpl_assets *assets, struct buf *err);
void tpl_free(struct tpl *t);

/*
 * tpl_render: appends the output for data (a pointer to the bound struct) to out. Returns 0,
 * or ERR_NOMEM when out reached its cap (out->overflow is then set).
 */
int tpl_render(const struct tpl *t, const void *data, struct buf *out);

#endif
