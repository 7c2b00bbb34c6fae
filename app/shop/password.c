/* password — the password policy; see password.h. */
#include "password.h"

#include "core/arena.h"

#include <string.h>
#include <zxcvbn.h>

#define MAX_BYTES (PASSWORD_MAX_CHARS * 4)

/* decode: well-formed UTF-8 pw as code points into cp; -1 when there are more than cap */
static int decode(struct str pw, uint32_t *cp, int cap)
{
    int n = 0;
    for (size_t i = 0; i < pw.len;) {
        unsigned char c = (unsigned char)pw.p[i];
        int more = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : 3;
        uint32_t v = more == 0 ? c : more == 1 ? c & 0x1F : more == 2 ? c & 0x0F : c & 0x07;
        for (int k = 1; k <= more; k++)
            v = (v << 6) | ((unsigned char)pw.p[i + (size_t)k] & 0x3F);
        if (n == cap)
            return -1;
        cp[n++] = v;
        i += (size_t)more + 1;
    }
    return n;
}

/* repeats: the sequence is a shorter unit repeated (the last copy may be cut short) */
static bool repeats(const uint32_t *cp, int n)
{
    for (int period = 1; period <= n / 2; period++) {
        bool same = true;
        for (int i = period; i < n && same; i++)
            same = cp[i] == cp[i - period];
        if (same)
            return true;
    }
    return false;
}

static int distinct(const uint32_t *cp, int n)
{
    int d = 0;
    for (int i = 0; i < n; i++) {
        bool seen = false;
        for (int j = 0; j < i && !seen; j++)
            seen = cp[j] == cp[i];
        d += !seen;
    }
    return d;
}

static char lower_ascii(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

/* hint words for zxcvbn: the e-mail's local part and domain labels, the name's words */
static int hints(char *store, size_t cap, const char **words, int max, struct str email,
                 struct str name)
{
    int n = 0;
    size_t used = 0;
    struct str src[2] = {email, name};
    for (int s = 0; s < 2; s++) {
        size_t i = 0;
        while (i < src[s].len && n < max - 1) {
            while (i < src[s].len && strchr("@._-+ ", src[s].p[i]))
                i++;
            size_t start = i;
            while (i < src[s].len && !strchr("@._-+ ", src[s].p[i]))
                i++;
            size_t len = i - start;
            if (len < 3 || used + len + 1 > cap)
                continue;
            for (size_t k = 0; k < len; k++)
                store[used + k] = lower_ascii(src[s].p[start + k]);
            store[used + len] = '\0';
            words[n++] = store + used;
            used += len + 1;
        }
    }
    words[n] = NULL;
    return n;
}

double password_entropy_bits(struct str pw, struct str email, struct str name)
{
    char copy[MAX_BYTES + 1], store[600];
    const char *words[24];
    if (pw.len > MAX_BYTES)
        return 1e9; /* too long to matter: refused by length anyway */
    memcpy(copy, pw.p, pw.len);
    copy[pw.len] = '\0';
    hints(store, sizeof store, words, 24, email, name);
    return ZxcvbnMatch(copy, words, NULL);
}

const char *password_problem(struct str pw, struct str email, struct str name, int64_t min_bits)
{
    uint32_t cp[PASSWORD_MAX_CHARS];
    if (pw.len > MAX_BYTES)
        return "Use at most 128 characters.";
    if (!str_utf8_valid(pw) || memchr(pw.p, '\0', pw.len))
        return "The password is not valid text.";
    int n = decode(pw, cp, PASSWORD_MAX_CHARS);
    if (n < 0)
        return "Use at most 128 characters.";
    if (n < PASSWORD_MIN_CHARS)
        return "Use at least 10 characters.";
    if (repeats(cp, n))
        return "Do not repeat the same few characters.";
    if (distinct(cp, n) < PASSWORD_MIN_DISTINCT)
        return "Use at least 5 different characters.";
    char lower[MAX_BYTES];
    for (size_t i = 0; i < pw.len; i++)
        lower[i] = lower_ascii(pw.p[i]);
    struct str low = {lower, pw.len};
    if (password_is_common(low))
        return "That password is one of the most common ones; choose another.";
    const char *at = email.len ? memchr(email.p, '@', email.len) : NULL;
    if (email.len &&
        (str_eq(low, email) || (at && str_eq(low, (struct str){email.p, (size_t)(at - email.p)}))))
        return "Do not use your e-mail address as the password.";
    if (password_entropy_bits(pw, email, name) < (double)min_bits)
        return "That password is too easy to guess: use a few unrelated words or a longer "
               "password.";
    return NULL;
}
