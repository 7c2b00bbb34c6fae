/* address — the shopper's shipping address; see address.h. */
#include "address.h"

#include "core/err.h"

#include <string.h>

static const char *const names[ADDRESS_NFIELDS] = {"recipient", "phone", "postcode", "address",
                                                   "detail"};

const char *address_field_name(enum address_field f)
{
    return (unsigned)f < ADDRESS_NFIELDS ? names[f] : "";
}

struct str address_field(const struct address *a, enum address_field f)
{
    switch (f) {
    case ADDRESS_RECIPIENT:
        return a->recipient;
    case ADDRESS_PHONE:
        return a->phone;
    case ADDRESS_POSTCODE:
        return a->postcode;
    case ADDRESS_ADDRESS:
        return a->address;
    case ADDRESS_DETAIL:
        return a->detail;
    default:
        return STR_NULL;
    }
}

/* trim_spaces: without the ASCII spaces at both ends (a tab is a control character here, so it
 * is refused rather than trimmed away) */
static struct str trim_spaces(struct str s)
{
    if (!s.p)
        return STR("");
    while (s.len && s.p[0] == ' ')
        s.p++, s.len--;
    while (s.len && s.p[s.len - 1] == ' ')
        s.len--;
    return s;
}

enum text_verdict { TEXT_OK, TEXT_BAD_UTF8, TEXT_CONTROL };

/* text_scan: the number of characters of s (valid UTF-8), and whether it holds a control
 * character (C0, DEL, C1) or a Unicode line or paragraph separator */
static enum text_verdict text_scan(struct str s, size_t *chars)
{
    *chars = 0;
    if (!str_utf8_valid(s))
        return TEXT_BAD_UTF8;
    const unsigned char *p = (const unsigned char *)s.p, *end = p + s.len;
    while (p < end) {
        uint32_t cp;
        size_t n;
        if (p[0] < 0x80) {
            cp = p[0], n = 1;
        } else if (p[0] < 0xE0) {
            cp = (uint32_t)(p[0] & 0x1F) << 6 | (p[1] & 0x3F), n = 2;
        } else if (p[0] < 0xF0) {
            cp = (uint32_t)(p[0] & 0x0F) << 12 | (uint32_t)(p[1] & 0x3F) << 6 | (p[2] & 0x3F),
            n = 3;
        } else {
            cp = 0x10000, n = 4; /* nothing above U+FFFF is a control character */
        }
        if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029)
            return TEXT_CONTROL;
        p += n;
        (*chars)++;
    }
    return TEXT_OK;
}

/* text_field: a free-text field of min..max characters; NULL or the message */
static const char *text_field(struct str v, size_t min, size_t max, const char *empty,
                              const char *too_long, const char *control)
{
    size_t chars;
    switch (text_scan(v, &chars)) {
    case TEXT_BAD_UTF8:
        return "This is not valid text.";
    case TEXT_CONTROL:
        return control;
    case TEXT_OK:
        break;
    }
    if (chars < min)
        return empty;
    if (chars > max)
        return too_long;
    return NULL;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* The three-digit area codes outside Seoul (02), and the mobile and internet prefixes. */
static const char *const area_codes[] = {"031", "032", "033", "041", "042", "043", "044", "051",
                                         "052", "053", "054", "055", "061", "062", "063", "064"};

/*
 * phone_normalise: a Korean phone number with dashes in the arena, or false. Digits may be
 * separated by spaces, dashes, dots and brackets; a leading +82 stands for the 0.
 */
static bool phone_normalise(struct arena *a, struct str in, struct str *out)
{
    char d[24];
    size_t n = 0, i = 0;
    if (in.len > 32)
        return false;
    if (in.len >= 3 && in.p[0] == '+') {
        if (in.p[1] != '8' || in.p[2] != '2')
            return false;
        i = 3;
        d[n++] = '0';
    }
    for (; i < in.len; i++) {
        char c = in.p[i];
        if (is_digit(c)) {
            if (n == sizeof d)
                return false;
            d[n++] = c;
        } else if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')') {
            return false;
        }
    }
    /* "+82 010-…" and "+82 (0)10-…" write the 0 twice */
    if (n >= 2 && in.len && in.p[0] == '+' && d[1] == '0')
        memmove(d + 1, d + 2, --n - 1);
    if (n < 9 || d[0] != '0')
        return false;
    size_t prefix = 0;
    bool eight_only = false; /* the subscriber part is 4 + 4 digits, never 3 + 4 */
    if (d[1] == '2') {
        prefix = 2; /* Seoul */
    } else if (d[1] == '1' && (d[2] == '0' || d[2] == '1' || (d[2] >= '6' && d[2] <= '9'))) {
        prefix = 3;
        eight_only = d[2] == '0'; /* 010 */
    } else if (d[1] == '7' && d[2] == '0') {
        prefix = 3;
        eight_only = true; /* 070 */
    } else {
        for (size_t k = 0; k < sizeof area_codes / sizeof area_codes[0]; k++)
            if (memcmp(d, area_codes[k], 3) == 0)
                prefix = 3;
    }
    size_t rest = n - prefix;
    if (!prefix || (rest != 7 && rest != 8) || (eight_only && rest != 8))
        return false;
    size_t mid = rest - 4;
    *out = str_from_cstr(arena_sprintf(a, "%.*s-%.*s-%.*s", (int)prefix, d, (int)mid, d + prefix, 4,
                                       d + prefix + mid));
    return true;
}

static bool all_digits(struct str s)
{
    for (size_t i = 0; i < s.len; i++)
        if (!is_digit(s.p[i]))
            return false;
    return true;
}

/* postcode_check: NULL or the message */
static const char *postcode_check(struct str v)
{
    if (v.len == 0)
        return "Enter the 5-digit postcode.";
    if (v.len == 5 && all_digits(v))
        return NULL;
    if ((v.len == 6 && all_digits(v)) ||
        (v.len == 7 && v.p[3] == '-' && all_digits((struct str){v.p, 3}) &&
         all_digits((struct str){v.p + 4, 3})))
        return "Use the 5-digit postcode in use since 2015, not the old 6-digit one.";
    return "The postcode is 5 digits, e.g. 06236.";
}

int address_check(struct arena *a, const struct address *in, struct address *out,
                  struct address_errors *errs)
{
    memset(errs, 0, sizeof *errs);
    memset(out, 0, sizeof *out);
    out->recipient = trim_spaces(in->recipient);
    out->address = trim_spaces(in->address);
    out->detail = trim_spaces(in->detail);
    out->postcode = trim_spaces(in->postcode);
    struct str phone = trim_spaces(in->phone);

    errs->field[ADDRESS_RECIPIENT] = text_field(
        out->recipient, 1, ADDRESS_RECIPIENT_MAX, "Enter the name of the person who receives it.",
        "Keep the recipient's name to 40 characters.",
        "The recipient's name may not contain line breaks or control characters.");
    if (phone.len == 0)
        errs->field[ADDRESS_PHONE] = "Enter a phone number for the courier.";
    else if (!phone_normalise(a, phone, &out->phone))
        errs->field[ADDRESS_PHONE] =
            "Enter a Korean mobile or landline number, e.g. 010-1234-5678 or 02-123-4567.";
    errs->field[ADDRESS_POSTCODE] = postcode_check(out->postcode);
    errs->field[ADDRESS_ADDRESS] =
        text_field(out->address, 1, ADDRESS_ADDRESS_MAX, "Enter the road-name or lot address.",
                   "Keep the address to 200 characters; the rest goes into the detail.",
                   "The address may not contain line breaks or control characters.");
    errs->field[ADDRESS_DETAIL] =
        text_field(out->detail, 0, ADDRESS_DETAIL_MAX, NULL,
                   "Keep the building, floor and unit to 100 characters.",
                   "The detail may not contain line breaks or control characters.");
    for (int f = 0; f < ADDRESS_NFIELDS; f++)
        if (errs->field[f])
            return SHOP_INVALID_ADDRESS;
    return SHOP_OK;
}

#define ISO(col) "DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%sZ')"

static const struct db_stmt q_get = {"address_get",
                                     "SELECT recipient, phone, postcode, address, detail, " ISO(
                                         "updated_at") " FROM "
                                                       "account_addresses"
                                                       " WHERE account_id = ?",
                                     DB_IDEMPOTENT};

/* right after the write: the primary's row, whatever the replica has yet */
static const struct db_stmt q_get_saved = {
    "address_get_saved",
    "SELECT recipient, phone, postcode, address, detail, " ISO(
        "updated_at") " FROM "
                      "account_addresses"
                      " WHERE account_id = ?",
    DB_IDEMPOTENT | DB_PRIMARY};

/* the connection's time zone is UTC (db.c), so NOW(6) is UTC */
static const struct db_stmt q_put = {
    "address_put",
    "INSERT INTO account_addresses (account_id, recipient, phone, postcode, address, detail,"
    " updated_at) VALUES (?, ?, ?, ?, ?, ?, NOW(6)) ON DUPLICATE KEY UPDATE"
    " recipient = VALUES(recipient), phone = VALUES(phone), postcode = VALUES(postcode),"
    " address = VALUES(address), detail = VALUES(detail), updated_at = VALUES(updated_at)",
    0};

static int read_one(struct shop_ctx *c, const struct db_stmt *st, int64_t account_id,
                    struct address *out)
{
    struct db_result r;
    struct db_val v[] = {DB_I(account_id)};
    int rc = db_exec(c->db, st, v, 1, c->arena, &r);
    if (rc)
        return rc;
    if (r.nrows == 0)
        return SHOP_NO_ADDRESS;
    *out = (struct address){db_text(&r, 0, 0), db_text(&r, 0, 1), db_text(&r, 0, 2),
                            db_text(&r, 0, 3), db_text(&r, 0, 4), db_text(&r, 0, 5)};
    return SHOP_OK;
}

int address_get(struct shop_ctx *c, int64_t account_id, struct address *out)
{
    memset(out, 0, sizeof *out);
    return read_one(c, &q_get, account_id, out);
}

int address_put(struct shop_ctx *c, int64_t account_id, const struct address *in,
                struct address *saved, struct address_errors *errs)
{
    struct address ok;
    int rc = address_check(c->arena, in, &ok, errs);
    if (rc != SHOP_OK)
        return rc;
    struct db_val v[] = {DB_I(account_id),  DB_S(ok.recipient), DB_S(ok.phone),
                         DB_S(ok.postcode), DB_S(ok.address),   DB_S(ok.detail)};
    if ((rc = db_exec(c->db, &q_put, v, 6, c->arena, NULL)))
        return rc;
    rc = read_one(c, &q_get_saved, account_id, saved);
    /* written a moment ago: gone again only if the account went, which never happens */
    return rc == SHOP_NO_ADDRESS ? ERR_DB : rc;
}
