/* Unit tests for app/tpl/tpl: syntax, scopes, partials, layouts, compile errors, rendering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/buf.h"
#include "core/mem.h"
#include "core/str.h"
#include "tpl/tpl.h"
#include "front/views.h"
#include "web/views.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- a small schema with every field type ---- */

struct t_tag {
    struct str label;
};

struct t_addr {
    struct str city;
};

struct t_user {
    struct str name;
    const char *email;
    const struct t_addr *addr;
};

struct t_item {
    struct str name;
    int64_t price;
    bool hot;
    struct tpl_list tags; /* of struct t_tag */
};

struct t_root {
    struct str title;
    struct str q;
    const char *cstr;
    int64_t n;
    int count;
    bool flag;
    struct tpl_list items; /* of struct t_item */
    const struct t_user *user;
    struct str empty;
};

static const struct tpl_field tag_fields[] = {
    TPL_FIELD(struct t_tag, label, TPL_STR),
};
static const struct tpl_schema tag_schema = TPL_SCHEMA(tag, tag_fields);

static const struct tpl_field addr_fields[] = {
    TPL_FIELD(struct t_addr, city, TPL_STR),
};
static const struct tpl_schema addr_schema = TPL_SCHEMA(addr, addr_fields);

static const struct tpl_field user_fields[] = {
    TPL_FIELD(struct t_user, name, TPL_STR),
    TPL_FIELD(struct t_user, email, TPL_CSTR),
    TPL_NESTED(struct t_user, addr, TPL_OBJ, addr_schema),
};
static const struct tpl_schema user_schema = TPL_SCHEMA(user, user_fields);

static const struct tpl_field item_fields[] = {
    TPL_FIELD(struct t_item, name, TPL_STR),
    TPL_FIELD(struct t_item, price, TPL_I64),
    TPL_FIELD(struct t_item, hot, TPL_BOOL),
    TPL_NESTED(struct t_item, tags, TPL_LIST, tag_schema),
};
static const struct tpl_schema item_schema = TPL_SCHEMA(item, item_fields);

static const struct tpl_field root_fields[] = {
    TPL_FIELD(struct t_root, title, TPL_STR),
    TPL_FIELD(struct t_root, q, TPL_STR),
    TPL_FIELD(struct t_root, cstr, TPL_CSTR),
    TPL_FIELD(struct t_root, n, TPL_I64),
    TPL_FIELD(struct t_root, count, TPL_INT),
    TPL_FIELD(struct t_root, flag, TPL_BOOL),
    TPL_NESTED(struct t_root, items, TPL_LIST, item_schema),
    TPL_NESTED(struct t_root, user, TPL_OBJ, user_schema),
    TPL_FIELD(struct t_root, empty, TPL_STR),
};
static const struct tpl_schema root_schema = TPL_SCHEMA(root, root_fields);

#define LIST(arr) ((struct tpl_list){(arr), sizeof(arr) / sizeof((arr)[0]), sizeof((arr)[0])})

static const struct t_tag tags_a[] = {{STR("new")}, {STR("sale")}};
static const struct t_tag tags_b[] = {{STR("low")}};
static const struct t_item items3[] = {
    {STR("Air"), 129000, true, LIST(tags_a)},
    {STR("Dunk"), 99000, false, {NULL, 0, sizeof(struct t_tag)}},
    {STR("Jordan"), 1234567, true, LIST(tags_b)},
};
static const struct t_addr seoul = {STR("Seoul")};
static const struct t_user kim = {STR("Kim <admin>"), "kim@example.kr", &seoul};
static const struct t_user lee = {STR("Lee"), NULL, NULL};

static struct t_root sample(void)
{
    return (struct t_root){
        .title = STR("Drops"),
        .q = STR("air max/270"),
        .cstr = "c-str",
        .n = 129000,
        .count = 3,
        .flag = true,
        .items = LIST(items3),
        .user = &kim,
    };
}

/* ---- helpers ---- */

static char tmpdir[256];

static void write_file(const char *rel, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, rel);
    for (char *p = path + strlen(tmpdir) + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0700);
            *p = '/';
        }
    }
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    fclose(f);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static const char *asset_url(void *ctx, struct str name)
{
    (void)ctx;
    if (str_eq_cstr(name, "css/site.css"))
        return "https://cdn.example/css/site.3f2a.css?v=1&x=2";
    return NULL;
}

static const struct tpl_assets assets = {asset_url, NULL};

static int setup(void **state)
{
    (void)state;
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(tmpdir, sizeof tmpdir, "%s/tpltest.XXXXXX", base);
    if (!mkdtemp(tmpdir))
        return -1;
    write_file("partials/card.html", "[{{name}}:{{krw price}}]");
    write_file("partials/hello.html", "Hi {{title}}{{> shop/sig}}");
    write_file("partials/shop/sig.html", "!");
    write_file("partials/loop.html", "x{{> loop}}");
    write_file("partials/bad.html", "ok\n\n{{nope}}");
    write_file("partials/slot.html", "<nav>{{#block nav}}default-nav{{/block}}</nav>");
    write_file("layouts/base.html",
               "<title>{{#block title}}Stampede{{/block}}</title>\n"
               "<main>{{#block content}}empty{{/block}}</main>{{> slot}}\n"
               "<footer>{{#if flag}}{{#block footer}}f-default{{/block}}{{/if}}</footer>");
    write_file("layouts/broken.html", "<p>\n{{#if flag}}\n</p>");
    write_file("layouts/nested.html", "{{extends \"layouts/base\"}}");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static struct tpl *compile(const char *src, const char *dir, struct buf *err)
{
    return tpl_compile_string("t.html", str_from_cstr(src), &root_schema, dir, &assets, err);
}

static void check(const char *src, const struct t_root *data, const char *want)
{
    struct buf err, out;
    buf_init(&err, 4096);
    buf_init(&out, 1 << 16);
    struct tpl *t = compile(src, tmpdir, &err);
    if (!t)
        fail_msg("compile of %s failed: %s", src, buf_cstr(&err));
    assert_int_equal(tpl_render(t, data, &out), 0);
    assert_string_equal(buf_cstr(&out), want);
    tpl_free(t);
    buf_free(&out);
    buf_free(&err);
}

/* check_err: compiling src fails with exactly want, where "%D" stands for the temp dir. */
static void check_err(const char *src, const char *want)
{
    char expect[1024];
    const char *d = strstr(want, "%D");
    if (d)
        snprintf(expect, sizeof expect, "%.*s%s%s", (int)(d - want), want, tmpdir, d + 2);
    else
        snprintf(expect, sizeof expect, "%s", want);
    const char *d2 = strstr(expect, "%D");
    if (d2) { /* a second directory mention */
        char tmp[1024];
        snprintf(tmp, sizeof tmp, "%.*s%s%s", (int)(d2 - expect), expect, tmpdir, d2 + 2);
        snprintf(expect, sizeof expect, "%s", tmp);
    }
    struct buf err;
    buf_init(&err, 4096);
    struct tpl *t = compile(src, tmpdir, &err);
    if (t)
        fail_msg("%s compiled, expected: %s", src, expect);
    assert_string_equal(buf_cstr(&err), expect);
    buf_free(&err);
}

/* ---- output and filters ---- */

static void test_escaping_text_and_attribute(void **state)
{
    (void)state;
    struct t_root r = sample();
    r.title = STR("\" onmouseover=\"x");
    check("<a title=\"{{title}}\">{{ title }}</a>", &r,
          "<a title=\"&quot; onmouseover=&quot;x\">&quot; onmouseover=&quot;x</a>");
    r.title = STR("<b>Tom & Jerry's</b>");
    check("<p>{{title}}</p><p title='{{title}}'>", &r,
          "<p>&lt;b&gt;Tom &amp; Jerry&#39;s&lt;/b&gt;</p>"
          "<p title='&lt;b&gt;Tom &amp; Jerry&#39;s&lt;/b&gt;'>");
    /* template text itself is never escaped */
    check("<b>&amp;</b>", &r, "<b>&amp;</b>");
}

static void test_raw_url_krw(void **state)
{
    (void)state;
    struct t_root r = sample();
    r.title = STR("<em>hi</em>");
    check("{{raw title}}|{{url q}}|{{krw n}}|{{n}}|{{count}}|{{krw count}}|{{cstr}}|{{flag}}", &r,
          "<em>hi</em>|air%20max%2F270|129,000|129000|3|3|c-str|true");
    r.n = -1234567;
    r.cstr = NULL;
    r.flag = false;
    check("{{krw n}}|{{url n}}|[{{cstr}}]|[{{raw cstr}}]|{{flag}}", &r,
          "-1,234,567|-1234567|[]|[]|false");
}

static void test_comments_and_whitespace(void **state)
{
    (void)state;
    struct t_root r = sample();
    check("a{{!-- {{nope}} }} --}}b{{! short }}c{{\n  title\t}}", &r, "abcDrops");
}

/* ---- conditionals ---- */

static void test_truthiness(void **state)
{
    (void)state;
    static const char src[] = "{{#if title}}S{{else}}s{{/if}}"
                              "{{#if cstr}}C{{else}}c{{/if}}"
                              "{{#if n}}N{{else}}n{{/if}}"
                              "{{#if count}}I{{else}}i{{/if}}"
                              "{{#if flag}}B{{else}}b{{/if}}"
                              "{{#if items}}L{{else}}l{{/if}}"
                              "{{#if user}}O{{else}}o{{/if}}"
                              "{{#unless flag}}u{{else}}U{{/unless}}";
    struct t_root r = sample();
    check(src, &r, "SCNIBLOU");
    r = (struct t_root){.cstr = NULL};
    check(src, &r, "scniblou");
    r.cstr = ""; /* empty C string is false */
    r.count = -1;
    r.n = -5;
    r.items = (struct tpl_list){items3, 0, sizeof items3[0]};
    check(src, &r, "scNIblou");
    check("{{#if flag}}yes{{/if}}{{#unless flag}}no{{/unless}}", &r, "no");
}

static void test_nested_if_else(void **state)
{
    (void)state;
    struct t_root r = sample();
    static const char src[] =
        "{{#if flag}}A{{#if empty}}B{{else}}C{{#unless n}}D{{else}}E{{/unless}}{{/if}}F{{/if}}G";
    check(src, &r, "ACEFG");
    r.flag = false;
    check(src, &r, "G");
}

/* ---- loops, scopes, paths ---- */

static void test_each_positions_and_outer_scope(void **state)
{
    (void)state;
    struct t_root r = sample();
    check("{{#each items}}{{@index}}/{{@number}} {{name}}"
          "{{#if @first}} first{{/if}}{{#if @last}} last{{/if}} in {{title}};{{/each}}",
          &r, "0/1 Air first in Drops;1/2 Dunk in Drops;2/3 Jordan last in Drops;");
    check("{{#each items}}{{name}}({{#each tags}}{{@index}}{{label}}@{{name}}"
          "{{#unless @last}},{{/unless}}{{/each}}){{@index}} {{/each}}",
          &r, "Air(0new@Air,1sale@Air)0 Dunk()1 Jordan(0low@Jordan)2 ");
    check("{{#each items}}{{@first}}-{{@last}} {{/each}}", &r,
          "true-false false-false false-true ");
    check("{{#each items}}{{krw price}} {{/each}}", &r, "129,000 99,000 1,234,567 ");
    r.items.len = 0;
    check("[{{#each items}}x{{/each}}]", &r, "[]");
}

static void test_with_and_dotted_paths(void **state)
{
    (void)state;
    struct t_root r = sample();
    check("{{#with user}}{{name}} {{email}} {{title}}{{#with addr}} {{city}}{{/with}}{{/with}}", &r,
          "Kim &lt;admin&gt; kim@example.kr Drops Seoul");
    check("{{user.name}}/{{user.addr.city}}/{{url user.addr.city}}", &r,
          "Kim &lt;admin&gt;/Seoul/Seoul");
    check("{{#if user.addr}}has{{/if}}{{#with user.addr}}:{{city}}{{/with}}", &r, "has:Seoul");
    /* @index inside #with still refers to the enclosing #each */
    check("{{#each items}}{{#with user}}{{@index}}{{/with}}{{/each}}", &r, "012");
}

static void test_null_objects(void **state)
{
    (void)state;
    struct t_root r = sample();
    r.user = &lee; /* email NULL, addr NULL */
    check("[{{#with user}}{{email}}{{/with}}][{{user.email}}][{{user.addr.city}}]{{#with "
          "user.addr}}X{{/with}}"
          "{{#if user.addr.city}}Y{{else}}N{{/if}}{{#if user.addr}}Y{{else}}N{{/if}}",
          &r, "[][][]NN");
    r.user = NULL;
    check("[{{user.name}}][{{#with user}}X{{/with}}][{{#if user.name}}Y{{/if}}]"
          "{{#unless user}}none{{/unless}}",
          &r, "[][][]none");
    /* a NULL root renders the template text and empty values */
    check("a{{title}}b{{#each items}}x{{/each}}", NULL, "ab");
}

/* ---- partials and layouts ---- */

static void test_partials(void **state)
{
    (void)state;
    struct t_root r = sample();
    /* the same partial under two schemas: item elements, then the root's "name"-less scope
     * would fail, so it is used only where name and price exist */
    check("{{#each items}}{{> card}}{{/each}}", &r, "[Air:129,000][Dunk:99,000][Jordan:1,234,567]");
    check("{{> hello}} {{#each items}}{{> hello}}{{/each}}", &r,
          "Hi Drops! Hi Drops!Hi Drops!Hi Drops!");
}

static void test_layout_blocks(void **state)
{
    (void)state;
    struct t_root r = sample();
    check("{{!-- page --}}\n{{extends \"layouts/base\"}}\n"
          "{{#block content}}<h1>{{title}}</h1>{{#each items}}{{name}}{{/each}}{{/block}}\n",
          &r,
          "<title>Stampede</title>\n<main><h1>Drops</h1>AirDunkJordan</main>"
          "<nav>default-nav</nav>\n<footer>f-default</footer>");
    check("{{extends \"layouts/base\"}}"
          "{{#block title}}{{title}} | Shop{{/block}}"
          "{{#block content}}c{{/block}}"
          "{{#block nav}}N{{/block}}"
          "{{#block footer}}F{{krw n}}{{/block}}",
          &r, "<title>Drops | Shop</title>\n<main>c</main><nav>N</nav>\n<footer>F129,000</footer>");
    r.flag = false;
    check("{{extends \"layouts/base\"}}{{#block footer}}F{{/block}}", &r,
          "<title>Stampede</title>\n<main>empty</main><nav>default-nav</nav>\n<footer></footer>");
}

static void test_set_load_with_view_schemas(void **state)
{
    (void)state;
    write_file("home.html", "{{extends \"layouts/page\"}}\n{{#block main}}"
                            "{{#each products}}<a href=\"/p/{{url slug}}\">{{name}} {{krw price}}"
                            "{{#if sold_out}} sold out{{/if}}</a>{{/each}}{{/block}}");
    write_file("product.html", "{{extends \"layouts/page\"}}{{#block main}}{{name}}: "
                               "{{#each sizes}}{{size_mm}}{{#unless @last}},{{/unless}}{{/each}}"
                               "{{/block}}");
    write_file("error.html", "{{layout.site_name}} {{status}} {{code}}");
    write_file("layouts/page.html",
               "<title>{{layout.title}} - {{layout.site_name}}</title>"
               "<link href=\"{{asset \"css/site.css\"}}\">"
               "{{#with layout}}{{#if signed_in}}{{user_name}} ({{cart_count}}){{/if}}{{/with}}"
               "{{#block main}}{{/block}}");
    struct buf err, out;
    buf_init(&err, 4096);
    buf_init(&out, 1 << 16);
    /* the real page schemas, for the three pages written above */
    const struct tpl_binding pages[] = {{"home.html", &view_home_schema},
                                        {"product.html", &view_product_schema},
                                        {"error.html", &view_error_schema}};
    struct tpl_set *set = tpl_set_load(tmpdir, pages, 3, &assets, &err);
    if (!set)
        fail_msg("load failed: %s", buf_cstr(&err));
    assert_non_null(tpl_get(set, "home.html"));
    assert_non_null(tpl_get(set, "error.html"));
    assert_null(tpl_get(set, "nope.html"));

    struct view_layout lay = {.title = STR("Home"),
                              .site_name = STR("Stampede"),
                              .signed_in = true,
                              .user_name = STR("kim"),
                              .cart_count = 2};
    struct view_product_card cards[] = {
        {.slug = STR("air max"), .name = STR("Air & Max"), .price = 129000},
        {.slug = STR("dunk"), .name = STR("Dunk"), .price = 99000, .sold_out = true},
    };
    struct view_home home = {.layout = &lay, .products = LIST(cards)};
    assert_int_equal(tpl_render(tpl_get(set, "home.html"), &home, &out), 0);
    assert_string_equal(buf_cstr(&out),
                        "<title>Home - Stampede</title>"
                        "<link href=\"https://cdn.example/css/site.3f2a.css?v=1&amp;x=2\">"
                        "kim (2)<a href=\"/p/air%20max\">Air &amp; Max 129,000</a>"
                        "<a href=\"/p/dunk\">Dunk 99,000 sold out</a>");
    struct view_size sizes[] = {{.size_mm = 260}, {.size_mm = 270}};
    struct view_product prod = {.layout = &lay, .name = STR("Air"), .sizes = LIST(sizes)};
    buf_reset(&out);
    assert_int_equal(tpl_render(tpl_get(set, "product.html"), &prod, &out), 0);
    assert_true(strstr(buf_cstr(&out), "Air: 260,270") != NULL);
    tpl_set_free(set);

    /* a bad template in the set names its file and line */
    write_file("error.html", "{{layout.site_name}}\n{{status}} {{layout.nope}}");
    set = tpl_set_load(tmpdir, front_views, 1, &assets, &err);
    assert_null(set);
    char want[512];
    snprintf(want, sizeof want, "%s/error.html:2: unknown variable 'layout.nope'", tmpdir);
    assert_string_equal(buf_cstr(&err), want);
    buf_free(&out);
    buf_free(&err);
}

static void test_set_load_missing_file(void **state)
{
    (void)state;
    static const struct tpl_binding b[] = {{"missing.html", &root_schema}};
    struct buf err;
    buf_init(&err, 4096);
    assert_null(tpl_set_load(tmpdir, b, 1, &assets, &err));
    char want[512];
    snprintf(want, sizeof want,
             "%s/missing.html:1: cannot read template: No such file or directory", tmpdir);
    assert_string_equal(buf_cstr(&err), want);
    buf_free(&err);
}

static void test_asset(void **state)
{
    (void)state;
    struct t_root r = sample();
    check("<link href=\"{{ asset \"css/site.css\" }}\">", &r,
          "<link href=\"https://cdn.example/css/site.3f2a.css?v=1&amp;x=2\">");
}

/* ---- compile errors ---- */

static void test_error_unknown_variable(void **state)
{
    (void)state;
    check_err("line1\nline2 {{title}}\n\n  {{titel}}", "t.html:4: unknown variable 'titel'");
    check_err("{{user.nope}}", "t.html:1: unknown variable 'user.nope'");
    check_err("{{#each items}}\n{{label}}{{/each}}", "t.html:2: unknown variable 'label'");
    check_err("{{title.x}}", "t.html:1: 'title' in 'title.x' is not an object");
    check_err("{{a..b}}", "t.html:1: bad name 'a..b'");
}

static void test_error_blocks(void **state)
{
    (void)state;
    check_err("a\n{{#if flag}}\nb", "t.html:2: unclosed {{#if}}");
    check_err("{{#each items}}\n{{#if flag}}\n{{/each}}",
              "t.html:3: {{/each}} closes {{#if}} opened at line 2");
    check_err("x\n{{/if}}", "t.html:2: {{/if}} without {{#if}}");
    check_err("{{#each items}}{{else}}{{/each}}",
              "t.html:1: {{else}} outside {{#if}} or {{#unless}}");
    check_err("{{else}}", "t.html:1: {{else}} outside {{#if}} or {{#unless}}");
    check_err("{{#if flag}}{{else}}\n{{else}}{{/if}}",
              "t.html:2: second {{else}} in {{#if}} opened at line 1");
    check_err("{{#loop items}}{{/loop}}", "t.html:1: unknown block tag '{{#loop}}'");
    check_err("{{#each title}}{{/each}}", "t.html:1: {{#each title}}: not a list");
    check_err("{{#with title}}{{/with}}", "t.html:1: {{#with title}}: not an object");
    check_err("{{items}}", "t.html:1: 'items' is a list, not a value (use {{#each}})");
    check_err("{{raw user}}", "t.html:1: 'user' is an object, not a value (use {{#with}})");
    check_err("{{krw title}}", "t.html:1: {{krw title}}: not an integer");
    check_err("\n{{@index}}", "t.html:2: '@index' is only valid inside {{#each}}");
    check_err("{{#if @first}}{{/if}}", "t.html:1: '@first' is only valid inside {{#each}}");
    check_err("{{#with user}}{{@last}}{{/with}}",
              "t.html:1: '@last' is only valid inside {{#each}}");
    check_err("{{bogus title}}", "t.html:1: unknown tag '{{bogus title}}'");
    check_err("ok\nok {{title", "t.html:2: unterminated '{{'");
    check_err("{{!-- never closed", "t.html:1: unterminated comment");
    check_err("{{}}", "t.html:1: empty tag '{{}}'");
}

static void test_error_deep_nesting(void **state)
{
    (void)state;
    static const char open[] = "{{#with user}}";
    char src[512];
    size_t len = 0;
    for (int i = 0; i < 16; i++, len += sizeof open - 1)
        memcpy(src + len, open, sizeof open - 1);
    src[len] = '\0';
    check_err(src, "t.html:1: {{#each}}/{{#with}} nested deeper than 15");
}

static void test_error_partials(void **state)
{
    (void)state;
    check_err("a\n{{> nope}}",
              "t.html:2: partial 'nope' not found: %D/partials/nope.html: No such file or "
              "directory");
    check_err("{{> ../etc}}", "t.html:1: bad partial name '../etc' (want [a-z0-9_/-]+)");
    check_err("{{> loop}}", "%D/partials/loop.html:1: partials nested deeper than 8 (recursive "
                            "{{> loop}}?)");
    /* an error inside a partial names the partial and its line */
    check_err("\n\n{{> bad}}", "%D/partials/bad.html:3: unknown variable 'nope'");
    /* card uses name and price, which the root scope lacks */
    check_err("{{> card}}", "%D/partials/card.html:1: unknown variable 'name'");
    struct buf err;
    buf_init(&err, 4096);
    assert_null(compile("{{> card}}", NULL, &err));
    assert_string_equal(buf_cstr(&err),
                        "t.html:1: partial 'card' not found (no template directory)");
    buf_free(&err);
}

static void test_error_asset(void **state)
{
    (void)state;
    check_err("<head>\n\n\n{{asset \"css/nope.css\"}}", "t.html:4: unknown asset 'css/nope.css'");
    check_err("{{asset css/site.css}}",
              "t.html:1: {{asset}} needs one quoted name: {{asset \"...\"}}");
    struct buf err;
    buf_init(&err, 4096);
    assert_null(tpl_compile_string("t.html", STR("{{asset \"css/site.css\"}}"), &root_schema, NULL,
                                   NULL, &err));
    assert_string_equal(buf_cstr(&err), "t.html:1: unknown asset 'css/site.css'");
    buf_free(&err);
}

static void test_error_layouts(void **state)
{
    (void)state;
    check_err("<p>\n{{extends \"layouts/base\"}}", "t.html:2: {{extends}} must be the first tag");
    check_err("{{title}}{{extends \"layouts/base\"}}",
              "t.html:1: {{extends}} must be the first tag");
    check_err("{{extends \"layouts/base\"}}\n{{#block content}}x{{/block}}\n"
              "{{#block sidebar}}y{{/block}}",
              "t.html:3: block 'sidebar' is not in layout %D/layouts/base.html");
    check_err("{{extends \"layouts/base\"}}\n\n  hello",
              "t.html:3: text outside {{#block}} in a page that extends a layout");
    check_err("{{extends \"layouts/base\"}}\n{{title}}",
              "t.html:2: only {{#block}} definitions may follow {{extends}}");
    check_err(
        "{{extends \"layouts/base\"}}{{#block title}}a{{/block}}\n{{#block title}}b{{/block}}",
        "t.html:2: block 'title' defined twice");
    check_err("{{extends \"layouts/base\"}}\n{{#block content}}{{#if flag}}{{/block}}",
              "t.html:2: {{/block}} closes {{#if}} opened at line 2");
    check_err("{{extends \"layouts/base\"}}\n{{#block content}}\n\n{{nope}}{{/block}}",
              "t.html:4: unknown variable 'nope'");
    check_err("{{extends \"layouts/none\"}}",
              "t.html:1: layout 'layouts/none' not found: %D/layouts/none.html: No such file or "
              "directory");
    check_err("{{extends \"layouts/broken\"}}", "%D/layouts/broken.html:2: unclosed {{#if}}");
    check_err("{{extends \"layouts/nested\"}}",
              "%D/layouts/nested.html:1: {{extends}} is only allowed at the start of a page");
    check_err("{{> hello}}{{extends \"layouts/base\"}}",
              "t.html:1: {{extends}} must be the first tag");
}

/* ---- rendering limits ---- */

static void test_render_overflow(void **state)
{
    (void)state;
    struct t_root r = sample();
    struct buf err, out;
    buf_init(&err, 4096);
    buf_init(&out, 16);
    struct tpl *t = compile("{{#each items}}<li>{{name}} {{krw price}}</li>{{/each}}", NULL, &err);
    assert_non_null(t);
    assert_int_equal(tpl_render(t, &r, &out), ERR_NOMEM);
    assert_true(out.overflow);
    assert_true(out.len <= 16);
    buf_free(&out);
    buf_init(&out, 1 << 12);
    assert_int_equal(tpl_render(t, &r, &out), 0);
    assert_string_equal(buf_cstr(&out),
                        "<li>Air 129,000</li><li>Dunk 99,000</li><li>Jordan 1,234,567</li>");
    tpl_free(t);
    buf_free(&out);
    buf_free(&err);
}

static void test_render_does_not_allocate(void **state)
{
    (void)state;
    struct t_root r = sample();
    struct buf err, out;
    buf_init(&err, 4096);
    buf_init(&out, 1 << 16);
    struct tpl *t = compile("{{extends \"layouts/base\"}}{{#block content}}"
                            "{{#each items}}{{> card}}{{#each tags}}{{label}}{{/each}}{{/each}}"
                            "{{#with user}}{{name}}{{url email}}{{/with}}{{/block}}",
                            tmpdir, &err);
    assert_non_null(t);
    assert_int_equal(tpl_render(t, &r, &out), 0); /* grows out once */
    size_t first = out.len;
    buf_reset(&out);
    struct mem_stats before, after;
    mem_stats_get(&before);
    mem_test_fail_after(0); /* any mem_try_* during render would now fail */
    for (int i = 0; i < 100; i++) {
        buf_reset(&out);
        assert_int_equal(tpl_render(t, &r, &out), 0);
    }
    mem_test_fail_after(-1);
    mem_stats_get(&after);
    assert_int_equal(out.len, first);
    assert_int_equal(after.allocs, before.allocs);
    assert_int_equal(after.frees, before.frees);
    assert_int_equal(after.failures_injected, before.failures_injected);
    tpl_free(t);
    buf_free(&out);
    buf_free(&err);
}

static void test_empty_and_plain(void **state)
{
    (void)state;
    struct t_root r = sample();
    check("", &r, "");
    check("just text } { }} {", &r, "just text } { }} {");
    struct buf err, out;
    buf_init(&err, 256);
    buf_init(&out, 256);
    struct tpl *t =
        tpl_compile_string(NULL, (struct str){NULL, 0}, NULL, NULL, NULL, &err); /* no schema */
    assert_non_null(t);
    assert_int_equal(tpl_render(t, NULL, &out), 0);
    assert_int_equal(out.len, 0);
    tpl_free(t);
    assert_null(tpl_compile_string(NULL, STR("{{x}}"), NULL, NULL, NULL, &err));
    assert_string_equal(buf_cstr(&err), "template:1: unknown variable 'x'");
    buf_free(&out);
    buf_free(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escaping_text_and_attribute),
        cmocka_unit_test(test_raw_url_krw),
        cmocka_unit_test(test_comments_and_whitespace),
        cmocka_unit_test(test_truthiness),
        cmocka_unit_test(test_nested_if_else),
        cmocka_unit_test(test_each_positions_and_outer_scope),
        cmocka_unit_test(test_with_and_dotted_paths),
        cmocka_unit_test(test_null_objects),
        cmocka_unit_test(test_partials),
        cmocka_unit_test(test_layout_blocks),
        cmocka_unit_test(test_set_load_with_view_schemas),
        cmocka_unit_test(test_set_load_missing_file),
        cmocka_unit_test(test_asset),
        cmocka_unit_test(test_error_unknown_variable),
        cmocka_unit_test(test_error_blocks),
        cmocka_unit_test(test_error_deep_nesting),
        cmocka_unit_test(test_error_partials),
        cmocka_unit_test(test_error_asset),
        cmocka_unit_test(test_error_layouts),
        cmocka_unit_test(test_render_overflow),
        cmocka_unit_test(test_render_does_not_allocate),
        cmocka_unit_test(test_empty_and_plain),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
