/*
 * tpl — template compiler and renderer; the syntax and the contracts are in tpl.h.
 *
 * Compilation is one recursive-descent pass per source file over its "{{...}}" tags. It appends
 * to a single flat instruction array per page: text spans (offsets into one text pool), value
 * outputs, conditional and unconditional jumps, and loop/with frames. Partials and layouts are
 * not kept as separate objects: their text is read, compiled in place at the point of use and
 * freed, so a page is one array and rendering never follows a reference to another template.
 *
 * Scopes: the compiler keeps a stack of schemas (root, then one per open #each or #with). A
 * name is looked up innermost first and becomes (frame, derefs, offset, type), where frame is
 * the position of the scope in that stack. The renderer keeps an array of the same shape on
 * its own C stack, so rendering allocates nothing and can run on many threads at once.
 *
 * Layouts: a page whose first tag is {{extends "x"}} is scanned, not compiled: its block
 * bodies are kept as source spans. The layout is then compiled in the page's root scope, and
 * each {{#block name}} of the layout compiles the page's span instead of its own default
 * (which is only scanned for balance), so page blocks see the scope of the layout's slot.
 *
 * Bounds, all compile errors: 1 MiB per source file, 16 scope frames, 64 open blocks,
 * partials nested 8 deep, 8 segments per dotted path, 32 blocks per page, 16M instructions,
 * 64 MiB of text and 16M tags scanned in total per page (inlining multiplies work).
 *
 * Memory: a struct tpl owns three arrays (code, text, derefs) from the mem seam. Compile
 * errors free everything they built. Errors: compile functions return NULL and write
 * "FILE:LINE: reason" to err; tpl_render returns ERR_NOMEM when the output buffer is full.
 */
#include "tpl.h"

#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/mem.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define TPL_MAX_FILE    (1u << 20)
#define TPL_MAX_DEPTH   16
#define TPL_MAX_NEST    64
#define TPL_MAX_PARTIAL 8
#define TPL_MAX_PATH    8
#define TPL_MAX_BLOCKS  32
#define TPL_MAX_CODE    (1u << 24)
#define TPL_MAX_TEXT    (64u << 20)
#define TPL_MAX_WORK    (1u << 24)

enum op {
    OP_TEXT,   /* a: offset in text, b: length */
    OP_HTML,   /* value, HTML-escaped */
    OP_RAW,    /* value as is */
    OP_URL,    /* value percent-encoded */
    OP_KRW,    /* integer value with thousands separators */
    OP_KST,    /* ISO 8601 UTC string value as Korean time for people */
    OP_IF,     /* value; jump to a when false */
    OP_UNLESS, /* value; jump to a when true */
    OP_JMP,    /* jump to a */
    OP_EACH,   /* list value; empty: jump to a; else frame dst = first element */
    OP_NEXT,   /* frame dst: next element and jump to a (the body), or fall through */
    OP_WITH,   /* object value; NULL: jump to a; else frame dst = the object */
};

/* Value types beyond enum tpl_type: the loop position of frame `frame`. */
enum {
    V_INDEX = 16,
    V_NUMBER,
    V_FIRST,
    V_LAST,
};

struct ins {
    uint8_t op;
    uint8_t type;   /* enum tpl_type or V_* of the value */
    uint8_t frame;  /* frame the value's path starts from */
    uint8_t nderef; /* TPL_OBJ pointers followed before the last field */
    uint8_t dst;    /* frame set by OP_EACH, OP_NEXT, OP_WITH */
    uint32_t a;     /* OP_TEXT: text offset; jumps: target */
    uint32_t b;     /* OP_TEXT: length; values: offset of the last field */
    uint32_t path;  /* values: index in derefs of the first pointer offset */
};

struct tpl {
    struct ins *code;
    uint32_t ncode;
    char *text;
    size_t ntext;
    uint32_t *derefs;
    size_t nderefs;
};

struct set_entry {
    char *file;
    struct tpl *t;
};

struct tpl_set {
    struct set_entry *e;
    size_t n;
};

/* ---- compiler state ---- */

enum src_kind {
    K_PAGE,    /* a bound file or tpl_compile_string: may extend a layout */
    K_LAYOUT,  /* a layout: its #block tags are slots */
    K_PARTIAL, /* a partial */
    K_BLOCK,   /* the body of a page's block, compiled in a layout slot */
};

struct src {
    const char *name; /* for messages: "dir/file.html" */
    const char *p, *end;
    int line;
    enum src_kind kind;
};

struct scope {
    const struct tpl_schema *schema;
    bool each;
};

struct page_block {
    struct str name;
    const char *p, *end; /* body, in the page's source */
    int line;            /* line where the body starts */
    int tag_line;        /* line of the {{#block}} tag */
    bool used;           /* the layout has a slot with this name */
};

struct page {
    const char *file;
    struct page_block blocks[TPL_MAX_BLOCKS];
    int n;
};

struct ctx {
    struct tpl *t;
    size_t capcode, captext, capderefs;
    uint32_t barrier; /* first instruction index that text may be merged into */
    bool toobig;
    unsigned long work;
    unsigned includes;
    const char *dir;
    const struct tpl_assets *assets;
    struct buf *err;
    bool failed;
    struct scope scopes[TPL_MAX_DEPTH];
    int nscopes;
    int nest;
    int partials;
    struct page *page; /* blocks that replace the layout's slots, while compiling a layout */
};

enum tok_kind {
    TOK_EOF,
    TOK_TEXT,
    TOK_TAG,
};

struct tok {
    enum tok_kind kind;
    struct str s; /* text, or the trimmed inside of a tag */
    const char *start;
    int line;
};

enum blk {
    B_IF,
    B_UNLESS,
    B_EACH,
    B_WITH,
    B_BLOCK,
};

static const char *const blk_names[] = {"if", "unless", "each", "with", "block"};

enum tag_kind {
    T_VAR,
    T_RAW,
    T_URL,
    T_KRW,
    T_KST,
    T_OPEN,
    T_CLOSE,
    T_ELSE,
    T_PARTIAL,
    T_EXTENDS,
    T_ASSET,
};

struct tag {
    enum tag_kind kind;
    enum blk blk;
    struct str arg;
    int line;
};

struct open {
    enum blk blk;
    int line;
    uint32_t cond;     /* the OP_IF/OP_UNLESS to patch */
    uint32_t else_jmp; /* the OP_JMP emitted by {{else}} */
    bool has_else;
};

struct val {
    uint8_t type, frame, nderef;
    uint32_t off;
    uint32_t deref[TPL_MAX_PATH];
    const struct tpl_schema *schema;
};

static int parse_body(struct ctx *c, struct src *s, struct open *o);

static int fail(struct ctx *c, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(struct ctx *c, const char *file, int line, const char *fmt, ...)
{
    if (!c->failed && c->err) {
        buf_reset(c->err);
        buf_printf(c->err, "%s:%d: ", file, line);
        va_list ap;
        va_start(ap, fmt);
        buf_vprintf(c->err, fmt, ap);
        va_end(ap);
    }
    c->failed = true;
    return ERR_TEMPLATE;
}

/* Tag text quoted in messages is cut short: it may be anything the fuzzer wrote. */
static int shown(struct str s)
{
    return s.len > 40 ? 40 : (int)s.len;
}

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

static bool all_space(struct str s)
{
    for (size_t i = 0; i < s.len; i++)
        if (!is_space(s.p[i]))
            return false;
    return true;
}

static struct str trim_all(struct str s)
{
    while (s.len && is_space(s.p[0])) {
        s.p++;
        s.len--;
    }
    while (s.len && is_space(s.p[s.len - 1]))
        s.len--;
    return s;
}

static bool is_alpha(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_';
}

static bool is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/* A partial or layout path: [a-z0-9_/-]+, not starting with '/'; so never "..". */
static bool valid_file_name(struct str s)
{
    if (s.len == 0 || s.len > 200 || s.p[0] == '/')
        return false;
    for (size_t i = 0; i < s.len; i++) {
        char ch = s.p[i];
        if (!((ch >= 'a' && ch <= 'z') || is_digit(ch) || ch == '_' || ch == '/' || ch == '-'))
            return false;
    }
    return true;
}

static bool valid_block_name(struct str s)
{
    if (s.len == 0)
        return false;
    for (size_t i = 0; i < s.len; i++)
        if (!(is_alpha(s.p[i]) || is_digit(s.p[i]) || s.p[i] == '-'))
            return false;
    return true;
}

static int count_nl(const char *p, const char *end)
{
    int n = 0;
    while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        n++;
        p++;
    }
    return n;
}

static const char *find2(const char *p, const char *end, char a, char b)
{
    while (p + 1 < end) {
        const char *q = memchr(p, a, (size_t)(end - p - 1));
        if (!q)
            return NULL;
        if (q[1] == b)
            return q;
        p = q + 1;
    }
    return NULL;
}

/* ---- emitting ---- */

static uint32_t emit(struct ctx *c, struct ins in)
{
    struct tpl *t = c->t;
    if (t->ncode >= TPL_MAX_CODE) {
        c->toobig = true;
        return t->ncode - 1;
    }
    if (t->ncode == c->capcode) {
        c->capcode = c->capcode ? c->capcode * 2 : 64;
        t->code = mem_realloc(t->code, c->capcode * sizeof *t->code);
    }
    t->code[t->ncode] = in;
    return t->ncode++;
}

/* label: the index of the next instruction, which a jump will target; text after it must not
 * be merged into the span before it. */
static uint32_t label(struct ctx *c)
{
    c->barrier = c->t->ncode;
    return c->t->ncode;
}

static void emit_text(struct ctx *c, const char *p, size_t n)
{
    struct tpl *t = c->t;
    if (n == 0)
        return;
    if (n > TPL_MAX_TEXT - t->ntext) {
        c->toobig = true;
        return;
    }
    if (t->ntext + n > c->captext) {
        size_t cap = c->captext ? c->captext : 1024;
        while (cap < t->ntext + n)
            cap *= 2;
        t->text = mem_realloc(t->text, cap);
        c->captext = cap;
    }
    memcpy(t->text + t->ntext, p, n);
    struct ins *last = t->ncode > c->barrier ? &t->code[t->ncode - 1] : NULL;
    if (last && last->op == OP_TEXT && last->a + last->b == t->ntext)
        last->b += (uint32_t)n;
    else
        emit(c, (struct ins){.op = OP_TEXT, .a = (uint32_t)t->ntext, .b = (uint32_t)n});
    t->ntext += n;
}

static uint32_t emit_val(struct ctx *c, enum op op, const struct val *v, uint8_t dst)
{
    struct tpl *t = c->t;
    if (t->nderefs + v->nderef > c->capderefs) {
        size_t cap = c->capderefs ? c->capderefs : 32;
        while (cap < t->nderefs + v->nderef)
            cap *= 2;
        t->derefs = mem_realloc(t->derefs, cap * sizeof *t->derefs);
        c->capderefs = cap;
    }
    struct ins in = {
        .op = (uint8_t)op,
        .type = v->type,
        .frame = v->frame,
        .nderef = v->nderef,
        .dst = dst,
        .b = v->off,
        .path = (uint32_t)t->nderefs,
    };
    for (unsigned i = 0; i < v->nderef; i++)
        t->derefs[t->nderefs++] = v->deref[i];
    return emit(c, in);
}

/* ---- lexing ---- */

/* next_tok: the next text run or tag of s; comments are skipped here. */
static int next_tok(struct ctx *c, struct src *s, struct tok *tk)
{
    for (;;) {
        if (++c->work > TPL_MAX_WORK)
            return fail(c, s->name, s->line, "template too large (inlined too much)");
        tk->line = s->line;
        tk->start = s->p;
        if (s->p >= s->end) {
            tk->kind = TOK_EOF;
            return 0;
        }
        const char *open = find2(s->p, s->end, '{', '{');
        if (open != s->p) {
            const char *e = open ? open : s->end;
            tk->kind = TOK_TEXT;
            tk->s = (struct str){s->p, (size_t)(e - s->p)};
            s->line += count_nl(s->p, e);
            s->p = e;
            return 0;
        }
        const char *body = s->p + 2;
        const char *close;
        size_t skip = 2;
        if (body < s->end && body[0] == '!') {
            if (s->end - body >= 3 && body[1] == '-' && body[2] == '-') {
                close = body + 3;
                for (;;) {
                    close = find2(close, s->end, '-', '-');
                    if (!close || (s->end - close >= 4 && close[2] == '}' && close[3] == '}'))
                        break;
                    close++;
                }
                skip = 4;
            } else {
                close = find2(body, s->end, '}', '}');
            }
            if (!close)
                return fail(c, s->name, s->line, "unterminated comment");
            s->line += count_nl(s->p, close + skip);
            s->p = close + skip;
            continue;
        }
        close = find2(body, s->end, '}', '}');
        if (!close)
            return fail(c, s->name, s->line, "unterminated '{{'");
        tk->kind = TOK_TAG;
        tk->s = trim_all((struct str){body, (size_t)(close - body)});
        s->line += count_nl(s->p, close);
        s->p = close + 2;
        return 0;
    }
}

static bool word_is(struct str w, const char *lit)
{
    return str_eq_cstr(w, lit);
}

static int lookup_blk(struct str w, enum blk *out)
{
    for (int i = 0; i < (int)(sizeof blk_names / sizeof blk_names[0]); i++) {
        if (word_is(w, blk_names[i])) {
            *out = (enum blk)i;
            return 0;
        }
    }
    return -1;
}

/* split_word: the first word of s and the trimmed rest. */
static struct str split_word(struct str s, struct str *rest)
{
    size_t i = 0;
    while (i < s.len && !is_space(s.p[i]))
        i++;
    *rest = trim_all((struct str){s.p + i, s.len - i});
    return (struct str){s.p, i};
}

static int parse_quoted(struct ctx *c, const struct src *s, const struct tok *tk, struct str arg,
                        const char *what, struct str *out)
{
    if (arg.len < 2 || arg.p[0] != '"' || arg.p[arg.len - 1] != '"' ||
        memchr(arg.p + 1, '"', arg.len - 2))
        return fail(c, s->name, tk->line, "{{%s}} needs one quoted name: {{%s \"...\"}}", what,
                    what);
    *out = (struct str){arg.p + 1, arg.len - 2};
    return 0;
}

static int parse_tag(struct ctx *c, const struct src *s, const struct tok *tk, struct tag *tg)
{
    struct str in = tk->s, rest, w;
    tg->line = tk->line;
    tg->arg = STR_NULL;
    if (in.len == 0)
        return fail(c, s->name, tk->line, "empty tag '{{}}'");
    switch (in.p[0]) {
    case '#':
        w = split_word((struct str){in.p + 1, in.len - 1}, &rest);
        if (lookup_blk(w, &tg->blk))
            return fail(c, s->name, tk->line, "unknown block tag '{{#%.*s}}'", shown(w), w.p);
        if (rest.len == 0)
            return fail(c, s->name, tk->line, "{{#%s}} needs a name", blk_names[tg->blk]);
        tg->kind = T_OPEN;
        tg->arg = rest;
        return 0;
    case '/':
        w = trim_all((struct str){in.p + 1, in.len - 1});
        if (lookup_blk(w, &tg->blk))
            return fail(c, s->name, tk->line, "unknown closing tag '{{/%.*s}}'", shown(w), w.p);
        tg->kind = T_CLOSE;
        return 0;
    case '>':
        tg->arg = trim_all((struct str){in.p + 1, in.len - 1});
        if (!valid_file_name(tg->arg))
            return fail(c, s->name, tk->line, "bad partial name '%.*s' (want [a-z0-9_/-]+)",
                        shown(tg->arg), tg->arg.p);
        tg->kind = T_PARTIAL;
        return 0;
    default:
        break;
    }
    w = split_word(in, &rest);
    if (rest.len == 0) {
        tg->kind = word_is(w, "else") ? T_ELSE : T_VAR;
        tg->arg = w;
        return 0;
    }
    tg->arg = rest;
    if (word_is(w, "raw"))
        tg->kind = T_RAW;
    else if (word_is(w, "url"))
        tg->kind = T_URL;
    else if (word_is(w, "krw"))
        tg->kind = T_KRW;
    else if (word_is(w, "kst"))
        tg->kind = T_KST;
    else if (word_is(w, "extends"))
        tg->kind = T_EXTENDS;
    else if (word_is(w, "asset"))
        tg->kind = T_ASSET;
    else
        return fail(c, s->name, tk->line, "unknown tag '{{%.*s}}'", shown(in), in.p);
    if (tg->kind == T_EXTENDS || tg->kind == T_ASSET)
        return parse_quoted(c, s, tk, rest, tg->kind == T_EXTENDS ? "extends" : "asset", &tg->arg);
    return 0;
}

/* ---- names ---- */

static const struct tpl_field *find_field(const struct tpl_schema *sc, struct str name)
{
    if (!sc)
        return NULL;
    for (size_t i = 0; i < sc->nfields; i++)
        if (str_eq_cstr(name, sc->fields[i].name))
            return &sc->fields[i];
    return NULL;
}

static int resolve_at(struct ctx *c, const struct src *s, int line, struct str path, struct val *v)
{
    static const char *const specials[] = {"@index", "@number", "@first", "@last"};
    memset(v, 0, sizeof *v);
    if (path.len && path.p[0] == '@') {
        for (int k = 0; k < 4; k++) {
            if (!word_is(path, specials[k]))
                continue;
            for (int i = c->nscopes - 1; i >= 0; i--) {
                if (c->scopes[i].each) {
                    v->type = (uint8_t)(V_INDEX + k);
                    v->frame = (uint8_t)i;
                    return 0;
                }
            }
            return fail(c, s->name, line, "'%s' is only valid inside {{#each}}", specials[k]);
        }
        return fail(c, s->name, line, "unknown variable '%.*s'", shown(path), path.p);
    }
    struct str seg[TPL_MAX_PATH];
    int nseg = 0;
    size_t i = 0;
    for (;;) {
        size_t j = i;
        if (j < path.len && is_alpha(path.p[j]))
            while (j < path.len && (is_alpha(path.p[j]) || is_digit(path.p[j])))
                j++;
        if (j == i || (j < path.len && path.p[j] != '.'))
            return fail(c, s->name, line, "bad name '%.*s'", shown(path), path.p);
        if (nseg == TPL_MAX_PATH)
            return fail(c, s->name, line, "name '%.*s' has more than %d parts", shown(path), path.p,
                        TPL_MAX_PATH);
        seg[nseg++] = (struct str){path.p + i, j - i};
        if (j == path.len)
            break;
        i = j + 1;
    }
    const struct tpl_field *f = NULL;
    int frame = c->nscopes - 1;
    for (; frame >= 0; frame--)
        if ((f = find_field(c->scopes[frame].schema, seg[0])) != NULL)
            break;
    if (!f)
        return fail(c, s->name, line, "unknown variable '%.*s'", shown(path), path.p);
    v->frame = (uint8_t)frame;
    for (int k = 1; k < nseg; k++) {
        if (f->type != TPL_OBJ)
            return fail(c, s->name, line, "'%.*s' in '%.*s' is not an object", shown(seg[k - 1]),
                        seg[k - 1].p, shown(path), path.p);
        if (f->offset > UINT32_MAX)
            return fail(c, s->name, line, "struct too large");
        v->deref[v->nderef++] = (uint32_t)f->offset;
        if ((f = find_field(f->schema, seg[k])) == NULL)
            return fail(c, s->name, line, "unknown variable '%.*s'", shown(path), path.p);
    }
    if (f->offset > UINT32_MAX)
        return fail(c, s->name, line, "struct too large");
    v->off = (uint32_t)f->offset;
    v->type = (uint8_t)f->type;
    v->schema = f->schema;
    return 0;
}

/* ---- files ---- */

/* join_path: dir + "/" + mid + name + ext, NUL-terminated, from the mem seam. */
static char *join_path(const char *dir, const char *mid, struct str name, const char *ext)
{
    size_t dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/')
        dl--;
    size_t ml = strlen(mid), el = strlen(ext);
    char *p = mem_alloc(dl + 1 + ml + name.len + el + 1);
    char *q = p;
    memcpy(q, dir, dl);
    q += dl;
    *q++ = '/';
    memcpy(q, mid, ml);
    q += ml;
    if (name.len)
        memcpy(q, name.p, name.len);
    q += name.len;
    memcpy(q, ext, el + 1);
    return p;
}

/* read_file: the whole file (at most TPL_MAX_FILE bytes) into *out; 0 or an errno value,
 * EFBIG when too large. */
static int read_file(const char *path, char **out, size_t *outlen)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno ? errno : ENOENT;
    size_t cap = 4096, len = 0;
    char *p = mem_alloc(cap);
    int rc = 0;
    for (;;) {
        if (len == cap) {
            if (cap > TPL_MAX_FILE) {
                rc = EFBIG;
                break;
            }
            cap *= 2;
            p = mem_realloc(p, cap);
        }
        size_t n = fread(p + len, 1, cap - len, f);
        len += n;
        if (n == 0) {
            if (ferror(f))
                rc = errno ? errno : EIO;
            break;
        }
    }
    fclose(f);
    if (!rc && len > TPL_MAX_FILE)
        rc = EFBIG;
    if (rc) {
        mem_free(p);
        return rc;
    }
    *out = p;
    *outlen = len;
    return 0;
}

static const char *read_error(int rc)
{
    return rc == EFBIG ? "larger than 1 MiB" : strerror(rc);
}

/* ---- compiling ---- */

static int compile_value(struct ctx *c, const struct src *s, const struct tag *tg)
{
    struct val v;
    int rc = resolve_at(c, s, tg->line, tg->arg, &v);
    if (rc)
        return rc;
    if (v.type == TPL_LIST || v.type == TPL_OBJ)
        return fail(c, s->name, tg->line, "'%.*s' is %s, not a value (use {{#%s}})", shown(tg->arg),
                    tg->arg.p, v.type == TPL_LIST ? "a list" : "an object",
                    v.type == TPL_LIST ? "each" : "with");
    enum op op = OP_HTML;
    if (tg->kind == T_RAW)
        op = OP_RAW;
    else if (tg->kind == T_URL)
        op = OP_URL;
    else if (tg->kind == T_KRW)
        op = OP_KRW;
    else if (tg->kind == T_KST)
        op = OP_KST;
    if (op == OP_KRW && v.type != TPL_I64 && v.type != TPL_INT && v.type != V_INDEX &&
        v.type != V_NUMBER)
        return fail(c, s->name, tg->line, "{{krw %.*s}}: not an integer", shown(tg->arg),
                    tg->arg.p);
    if (op == OP_KST && v.type != TPL_STR && v.type != TPL_CSTR)
        return fail(c, s->name, tg->line, "{{kst %.*s}}: not a string", shown(tg->arg), tg->arg.p);
    emit_val(c, op, &v, 0);
    return 0;
}

static int compile_asset(struct ctx *c, const struct src *s, const struct tag *tg)
{
    const char *url = NULL;
    if (c->assets && c->assets->url)
        url = c->assets->url(c->assets->ctx, tg->arg);
    if (!url)
        return fail(c, s->name, tg->line, "unknown asset '%.*s'", shown(tg->arg), tg->arg.p);
    struct buf b;
    buf_init(&b, TPL_MAX_FILE);
    buf_append_html(&b, str_from_cstr(url));
    if (b.overflow) {
        buf_free(&b);
        return fail(c, s->name, tg->line, "asset URL too long");
    }
    emit_text(c, b.p, b.len);
    buf_free(&b);
    return 0;
}

static int include_partial(struct ctx *c, const struct src *s, const struct tag *tg)
{
    if (!c->dir)
        return fail(c, s->name, tg->line, "partial '%.*s' not found (no template directory)",
                    shown(tg->arg), tg->arg.p);
    if (c->partials >= TPL_MAX_PARTIAL)
        return fail(c, s->name, tg->line, "partials nested deeper than %d (recursive {{> %.*s}}?)",
                    TPL_MAX_PARTIAL, shown(tg->arg), tg->arg.p);
    if (++c->includes > 100000)
        return fail(c, s->name, tg->line, "too many partial includes");
    char *path = join_path(c->dir, "partials/", tg->arg, ".html");
    char *text;
    size_t len;
    int rc = read_file(path, &text, &len);
    if (rc) {
        rc = fail(c, s->name, tg->line, "partial '%.*s' not found: %s: %s", shown(tg->arg),
                  tg->arg.p, path, read_error(rc));
        mem_free(path);
        return rc;
    }
    struct src ps = {path, text, text + len, 1, K_PARTIAL};
    c->partials++;
    rc = parse_body(c, &ps, NULL);
    c->partials--;
    mem_free(text);
    mem_free(path);
    return rc;
}

static struct page_block *find_page_block(struct page *pg, struct str name)
{
    if (!pg)
        return NULL;
    for (int i = 0; i < pg->n; i++)
        if (str_eq(pg->blocks[i].name, name))
            return &pg->blocks[i];
    return NULL;
}

/*
 * skip_block: moves s past the {{/block}} that closes a {{#block}} whose tag was on open_line,
 * checking that the tags in between balance; *close is where that closing tag starts. In a
 * page (in_page) a nested {{#block}} is an error; in a layout it marks the page's block of
 * that name as having a slot.
 */
static int skip_block(struct ctx *c, struct src *s, int open_line, bool in_page, const char **close)
{
    enum blk stack[TPL_MAX_NEST];
    int lines[TPL_MAX_NEST];
    int n = 0;
    for (;;) {
        struct tok tk;
        struct tag tg;
        int rc = next_tok(c, s, &tk);
        if (rc)
            return rc;
        if (tk.kind == TOK_EOF)
            return fail(c, s->name, open_line, "unclosed {{#block}}");
        if (tk.kind == TOK_TEXT)
            continue;
        if ((rc = parse_tag(c, s, &tk, &tg)) != 0)
            return rc;
        if (tg.kind == T_OPEN) {
            if (tg.blk == B_BLOCK) {
                if (in_page)
                    return fail(c, s->name, tg.line, "{{#block}} inside a page's block");
                struct page_block *pb = find_page_block(c->page, tg.arg);
                if (pb)
                    pb->used = true;
            }
            if (n == TPL_MAX_NEST)
                return fail(c, s->name, tg.line, "blocks nested deeper than %d", TPL_MAX_NEST);
            lines[n] = tg.line;
            stack[n++] = tg.blk;
        } else if (tg.kind == T_CLOSE) {
            enum blk want = n ? stack[n - 1] : B_BLOCK;
            if (tg.blk != want)
                return fail(c, s->name, tg.line, "{{/%s}} closes {{#%s}} opened at line %d",
                            blk_names[tg.blk], blk_names[want], n ? lines[n - 1] : open_line);
            if (n == 0) {
                *close = tk.start;
                return 0;
            }
            n--;
        }
    }
}

static int compile_slot(struct ctx *c, struct src *s, const struct tag *tg)
{
    if (!valid_block_name(tg->arg))
        return fail(c, s->name, tg->line, "bad block name '%.*s'", shown(tg->arg), tg->arg.p);
    struct page_block *pb = find_page_block(c->page, tg->arg);
    if (!pb) {
        struct open o = {.blk = B_BLOCK, .line = tg->line};
        return parse_body(c, s, &o);
    }
    pb->used = true;
    const char *close;
    int rc = skip_block(c, s, tg->line, false, &close);
    if (rc)
        return rc;
    struct page *saved = c->page;
    struct src bs = {saved->file, pb->p, pb->end, pb->line, K_BLOCK};
    c->page = NULL; /* a slot inside the page's own block is just its default */
    rc = parse_body(c, &bs, NULL);
    c->page = saved;
    return rc;
}

static int compile_block(struct ctx *c, struct src *s, const struct tag *tg)
{
    if (tg->blk == B_BLOCK)
        return compile_slot(c, s, tg);
    struct val v;
    int rc = resolve_at(c, s, tg->line, tg->arg, &v);
    if (rc)
        return rc;
    struct open o = {.blk = tg->blk, .line = tg->line};
    if (tg->blk == B_IF || tg->blk == B_UNLESS) {
        o.cond = emit_val(c, tg->blk == B_IF ? OP_IF : OP_UNLESS, &v, 0);
        if ((rc = parse_body(c, s, &o)) != 0)
            return rc;
        uint32_t end = label(c);
        c->t->code[o.has_else ? o.else_jmp : o.cond].a = end;
        return 0;
    }
    if (tg->blk == B_EACH && v.type != TPL_LIST)
        return fail(c, s->name, tg->line, "{{#each %.*s}}: not a list", shown(tg->arg), tg->arg.p);
    if (tg->blk == B_WITH && v.type != TPL_OBJ)
        return fail(c, s->name, tg->line, "{{#with %.*s}}: not an object", shown(tg->arg),
                    tg->arg.p);
    if (c->nscopes == TPL_MAX_DEPTH)
        return fail(c, s->name, tg->line, "{{#each}}/{{#with}} nested deeper than %d",
                    TPL_MAX_DEPTH - 1);
    uint8_t dst = (uint8_t)c->nscopes;
    uint32_t start = emit_val(c, tg->blk == B_EACH ? OP_EACH : OP_WITH, &v, dst);
    uint32_t body = label(c);
    c->scopes[c->nscopes++] = (struct scope){v.schema, tg->blk == B_EACH};
    rc = parse_body(c, s, &o);
    c->nscopes--;
    if (rc)
        return rc;
    if (tg->blk == B_EACH)
        emit(c, (struct ins){.op = OP_NEXT, .dst = dst, .a = body});
    c->t->code[start].a = label(c);
    return 0;
}

/* parse_body: compiles tags until the close of o (or the end of s when o is NULL). */
static int parse_body(struct ctx *c, struct src *s, struct open *o)
{
    if (++c->nest > TPL_MAX_NEST)
        return fail(c, s->name, o ? o->line : s->line, "blocks nested deeper than %d",
                    TPL_MAX_NEST);
    int rc = 0;
    for (;;) {
        struct tok tk;
        struct tag tg;
        if ((rc = next_tok(c, s, &tk)) != 0)
            break;
        if (c->toobig) {
            rc = fail(c, s->name, tk.line, "template too large");
            break;
        }
        if (tk.kind == TOK_EOF) {
            if (o)
                rc = fail(c, s->name, o->line, "unclosed {{#%s}}", blk_names[o->blk]);
            break;
        }
        if (tk.kind == TOK_TEXT) {
            emit_text(c, tk.s.p, tk.s.len);
            continue;
        }
        if ((rc = parse_tag(c, s, &tk, &tg)) != 0)
            break;
        switch (tg.kind) {
        case T_VAR:
        case T_RAW:
        case T_URL:
        case T_KRW:
        case T_KST:
            rc = compile_value(c, s, &tg);
            break;
        case T_OPEN:
            rc = compile_block(c, s, &tg);
            break;
        case T_CLOSE:
            if (!o)
                rc = fail(c, s->name, tg.line, "{{/%s}} without {{#%s}}", blk_names[tg.blk],
                          blk_names[tg.blk]);
            else if (tg.blk != o->blk)
                rc = fail(c, s->name, tg.line, "{{/%s}} closes {{#%s}} opened at line %d",
                          blk_names[tg.blk], blk_names[o->blk], o->line);
            c->nest--;
            return rc;
        case T_ELSE:
            if (!o || (o->blk != B_IF && o->blk != B_UNLESS)) {
                rc = fail(c, s->name, tg.line, "{{else}} outside {{#if}} or {{#unless}}");
            } else if (o->has_else) {
                rc = fail(c, s->name, tg.line, "second {{else}} in {{#%s}} opened at line %d",
                          blk_names[o->blk], o->line);
            } else {
                o->has_else = true;
                o->else_jmp = emit(c, (struct ins){.op = OP_JMP});
                c->t->code[o->cond].a = label(c);
            }
            break;
        case T_PARTIAL:
            rc = include_partial(c, s, &tg);
            break;
        case T_EXTENDS:
            rc = fail(c, s->name, tg.line,
                      s->kind == K_PAGE ? "{{extends}} must be the first tag"
                                        : "{{extends}} is only allowed at the start of a page");
            break;
        case T_ASSET:
            rc = compile_asset(c, s, &tg);
            break;
        }
        if (rc)
            break;
    }
    c->nest--;
    return rc;
}

/* compile_page: the rest of a page after {{extends}}: block definitions, then its layout. */
static int compile_page(struct ctx *c, struct src *s, const struct tag *ext)
{
    struct page pg = {.file = s->name};
    if (!valid_file_name(ext->arg))
        return fail(c, s->name, ext->line, "bad layout name '%.*s' (want [a-z0-9_/-]+)",
                    shown(ext->arg), ext->arg.p);
    int rc;
    for (;;) {
        struct tok tk;
        struct tag tg;
        if ((rc = next_tok(c, s, &tk)) != 0)
            return rc;
        if (tk.kind == TOK_EOF)
            break;
        if (tk.kind == TOK_TEXT) {
            if (!all_space(tk.s))
                return fail(c, s->name, tk.line + count_nl(tk.s.p, trim_all(tk.s).p),
                            "text outside {{#block}} in a page that extends a layout");
            continue;
        }
        if ((rc = parse_tag(c, s, &tk, &tg)) != 0)
            return rc;
        if (tg.kind == T_EXTENDS)
            return fail(c, s->name, tg.line, "second {{extends}}");
        if (tg.kind != T_OPEN || tg.blk != B_BLOCK)
            return fail(c, s->name, tg.line, "only {{#block}} definitions may follow {{extends}}");
        if (!valid_block_name(tg.arg))
            return fail(c, s->name, tg.line, "bad block name '%.*s'", shown(tg.arg), tg.arg.p);
        if (find_page_block(&pg, tg.arg))
            return fail(c, s->name, tg.line, "block '%.*s' defined twice", shown(tg.arg), tg.arg.p);
        if (pg.n == TPL_MAX_BLOCKS)
            return fail(c, s->name, tg.line, "more than %d blocks", TPL_MAX_BLOCKS);
        struct page_block *pb = &pg.blocks[pg.n++];
        *pb = (struct page_block){.name = tg.arg, .p = s->p, .line = s->line, .tag_line = tg.line};
        if ((rc = skip_block(c, s, tg.line, true, &pb->end)) != 0)
            return rc;
    }
    if (!c->dir)
        return fail(c, s->name, ext->line, "layout '%.*s' not found (no template directory)",
                    shown(ext->arg), ext->arg.p);
    char *path = join_path(c->dir, "", ext->arg, ".html");
    char *text;
    size_t len;
    if ((rc = read_file(path, &text, &len)) != 0) {
        rc = fail(c, s->name, ext->line, "layout '%.*s' not found: %s: %s", shown(ext->arg),
                  ext->arg.p, path, read_error(rc));
        mem_free(path);
        return rc;
    }
    struct src ls = {path, text, text + len, 1, K_LAYOUT};
    c->page = &pg;
    rc = parse_body(c, &ls, NULL);
    c->page = NULL;
    for (int i = 0; !rc && i < pg.n; i++)
        if (!pg.blocks[i].used)
            rc = fail(c, s->name, pg.blocks[i].tag_line, "block '%.*s' is not in layout %s",
                      shown(pg.blocks[i].name), pg.blocks[i].name.p, path);
    mem_free(text);
    mem_free(path);
    return rc;
}

/* compile_top: a page; whitespace and comments may precede {{extends}}. */
static int compile_top(struct ctx *c, struct src *s)
{
    struct src save = *s;
    for (;;) {
        struct tok tk;
        struct tag tg;
        int rc = next_tok(c, s, &tk);
        if (rc)
            return rc;
        if (tk.kind == TOK_TEXT && all_space(tk.s))
            continue;
        if (tk.kind == TOK_TAG) {
            if ((rc = parse_tag(c, s, &tk, &tg)) != 0)
                return rc;
            if (tg.kind == T_EXTENDS)
                return compile_page(c, s, &tg);
        }
        break;
    }
    *s = save;
    return parse_body(c, s, NULL);
}

static void free_tpl(struct tpl *t)
{
    if (!t)
        return;
    mem_free(t->code);
    mem_free(t->text);
    mem_free(t->derefs);
    mem_free(t);
}

static const struct tpl_schema empty_schema = {"empty", NULL, 0};

static struct tpl *compile(const char *name, struct str text, const struct tpl_schema *schema,
                           const char *dir, const struct tpl_assets *assets, struct buf *err)
{
    struct ctx c = {
        .t = mem_calloc(1, sizeof(struct tpl)),
        .dir = dir,
        .assets = assets,
        .err = err,
        .nscopes = 1,
    };
    c.scopes[0] = (struct scope){schema ? schema : &empty_schema, false};
    if (!text.p)
        text = STR("");
    struct src s = {name, text.p, text.p + text.len, 1, K_PAGE};
    if (compile_top(&c, &s) != 0 || c.toobig) {
        if (!c.failed)
            fail(&c, name, s.line, "template too large");
        free_tpl(c.t);
        return NULL;
    }
    struct tpl *t = c.t;
    if (t->ncode)
        t->code = mem_realloc(t->code, t->ncode * sizeof *t->code);
    return t;
}

struct tpl *tpl_compile_string(const char *name, struct str text, const struct tpl_schema *schema,
                               const char *dir, const struct tpl_assets *assets, struct buf *err)
{
    return compile(name ? name : "template", text, schema, dir, assets, err);
}

void tpl_free(struct tpl *t)
{
    free_tpl(t);
}

struct tpl_set *tpl_set_load(const char *dir, const struct tpl_binding *bindings, size_t n,
                             const struct tpl_assets *assets, struct buf *err)
{
    struct tpl_set *set = mem_calloc(1, sizeof *set);
    set->e = mem_calloc(n ? n : 1, sizeof *set->e);
    for (size_t i = 0; i < n; i++) {
        char *path = join_path(dir, "", str_from_cstr(bindings[i].file), "");
        char *text;
        size_t len;
        int rc = read_file(path, &text, &len);
        if (rc) {
            if (err) {
                buf_reset(err);
                buf_printf(err, "%s:1: cannot read template: %s", path, read_error(rc));
            }
            mem_free(path);
            tpl_set_free(set);
            return NULL;
        }
        struct tpl *t =
            compile(path, (struct str){text, len}, bindings[i].schema, dir, assets, err);
        mem_free(text);
        mem_free(path);
        if (!t) {
            tpl_set_free(set);
            return NULL;
        }
        set->e[set->n].file = mem_strdup(bindings[i].file);
        set->e[set->n].t = t;
        set->n++;
    }
    return set;
}

void tpl_set_free(struct tpl_set *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->n; i++) {
        mem_free(set->e[i].file);
        free_tpl(set->e[i].t);
    }
    mem_free(set->e);
    mem_free(set);
}

const struct tpl *tpl_get(const struct tpl_set *set, const char *file)
{
    for (size_t i = 0; i < set->n; i++)
        if (strcmp(set->e[i].file, file) == 0)
            return set->e[i].t;
    return NULL;
}

/* ---- rendering ---- */

struct frame {
    const char *base; /* the struct names resolve in */
    const char *items;
    size_t len, size, idx;
};

/* field: address of the value's last field, or NULL when an object on the path is NULL. */
static inline const char *field(const struct tpl *t, const struct ins *in, const struct frame *fr)
{
    const char *p = fr[in->frame].base;
    if (!p)
        return NULL;
    for (unsigned i = 0; i < in->nderef; i++) {
        memcpy(&p, p + t->derefs[in->path + i], sizeof p);
        if (!p)
            return NULL;
    }
    return p + in->b;
}

static bool truthy(const struct tpl *t, const struct ins *in, const struct frame *fr)
{
    const struct frame *f = &fr[in->frame];
    switch (in->type) {
    case V_INDEX:
        return f->idx != 0;
    case V_NUMBER:
        return true;
    case V_FIRST:
        return f->idx == 0;
    case V_LAST:
        return f->idx + 1 == f->len;
    default:
        break;
    }
    const char *p = field(t, in, fr);
    if (!p)
        return false;
    switch (in->type) {
    case TPL_STR:
        return ((const struct str *)(const void *)p)->len != 0;
    case TPL_CSTR: {
        const char *s = *(const char *const *)(const void *)p;
        return s && *s;
    }
    case TPL_I64:
        return *(const int64_t *)(const void *)p != 0;
    case TPL_INT:
        return *(const int *)(const void *)p != 0;
    case TPL_BOOL:
        return *(const bool *)(const void *)p;
    case TPL_LIST:
        return ((const struct tpl_list *)(const void *)p)->len != 0;
    case TPL_OBJ: {
        const void *obj;
        memcpy(&obj, p, sizeof obj);
        return obj != NULL;
    }
    default:
        return false;
    }
}

static void output(const struct tpl *t, const struct ins *in, const struct frame *fr,
                   struct buf *out)
{
    const struct frame *f = &fr[in->frame];
    struct str s;
    int64_t v;
    switch (in->type) {
    case V_INDEX:
        v = (int64_t)f->idx;
        goto integer;
    case V_NUMBER:
        v = (int64_t)f->idx + 1;
        goto integer;
    case V_FIRST:
        s = f->idx == 0 ? STR("true") : STR("false");
        goto string;
    case V_LAST:
        s = f->idx + 1 == f->len ? STR("true") : STR("false");
        goto string;
    default:
        break;
    }
    const char *p = field(t, in, fr);
    if (!p)
        return;
    switch (in->type) {
    case TPL_STR:
        s = *(const struct str *)(const void *)p;
        goto string;
    case TPL_CSTR: {
        const char *cs = *(const char *const *)(const void *)p;
        s = cs ? str_from_cstr(cs) : STR("");
        goto string;
    }
    case TPL_I64:
        v = *(const int64_t *)(const void *)p;
        goto integer;
    case TPL_INT:
        v = *(const int *)(const void *)p;
        goto integer;
    case TPL_BOOL:
        s = *(const bool *)(const void *)p ? STR("true") : STR("false");
        goto string;
    default:
        return;
    }
integer:
    if (in->op == OP_KRW)
        buf_append_krw(out, v);
    else
        buf_append_i64(out, v);
    return;
string:
    if (in->op == OP_KST) {
        /* a time for people; anything that is not an ISO UTC time is shown as it is */
        char kst[CLOCK_KST_MAX];
        int64_t secs;
        if (clock_parse_iso8601(s, &secs))
            s = (struct str){kst, clock_kst(secs, kst, sizeof kst)};
        buf_append_html(out, s);
    } else if (in->op == OP_HTML)
        buf_append_html(out, s);
    else if (in->op == OP_URL)
        buf_append_urlenc(out, s);
    else
        buf_append(out, s.p, s.len);
}

int tpl_render(const struct tpl *t, const void *data, struct buf *out)
{
    struct frame fr[TPL_MAX_DEPTH];
    fr[0].base = data;
    const struct ins *code = t->code;
    const char *text = t->text;
    uint32_t pc = 0, n = t->ncode;
    while (pc < n && !out->overflow) {
        const struct ins *in = &code[pc++];
        switch ((enum op)in->op) {
        case OP_TEXT:
            /* the hot path: straight copy when it fits (reserve() keeps a byte for NUL) */
            if (in->b < out->cap - out->len && in->b <= out->max - out->len) {
                memcpy(out->p + out->len, text + in->a, in->b);
                out->len += in->b;
            } else {
                buf_append(out, text + in->a, in->b);
            }
            break;
        case OP_HTML:
        case OP_RAW:
        case OP_URL:
        case OP_KRW:
        case OP_KST:
            output(t, in, fr, out);
            break;
        case OP_IF:
            if (!truthy(t, in, fr))
                pc = in->a;
            break;
        case OP_UNLESS:
            if (truthy(t, in, fr))
                pc = in->a;
            break;
        case OP_JMP:
            pc = in->a;
            break;
        case OP_EACH: {
            const char *p = field(t, in, fr);
            const struct tpl_list *l = (const struct tpl_list *)(const void *)p;
            if (!l || l->len == 0 || !l->items) {
                pc = in->a;
                break;
            }
            struct frame *f = &fr[in->dst];
            f->items = l->items;
            f->len = l->len;
            f->size = l->size;
            f->idx = 0;
            f->base = f->items;
            break;
        }
        case OP_NEXT: {
            struct frame *f = &fr[in->dst];
            if (++f->idx < f->len) {
                f->base = f->items + f->idx * f->size;
                pc = in->a;
            }
            break;
        }
        case OP_WITH: {
            const char *p = field(t, in, fr);
            const char *obj = NULL;
            if (p)
                memcpy(&obj, p, sizeof obj);
            if (!obj) {
                pc = in->a;
                break;
            }
            fr[in->dst].base = obj;
            break;
        }
        }
    }
    return out->overflow ? ERR_NOMEM : 0;
}
