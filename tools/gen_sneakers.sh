#!/usr/bin/env bash
# gen_sneakers.sh [REPO_ROOT] — regenerates the demo catalog from the one product table below:
#   static/img/products/<slug>.svg   a drawn side-view sneaker in the product's colourway
#   static/img/favicon.svg           the site icon
#   sql/seed/001_demo_catalog.sql    products, skus, stock buckets and their ledger rows
# Images and seed come from the same table, so slugs and file names cannot drift.
# Dev-only: the outputs are committed and CI never runs this. Deterministic: running it twice
# gives byte-identical files. Needs python3 (standard library only).
#
# Every brand, model and mark here is invented; no real trademark or logo is drawn.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
exec python3 - "$root" <<'PY'
import os
import random
import sys

ROOT = sys.argv[1]

# ---------------------------------------------------------------------------------------------
# Brands: name -> the quarter-panel mark drawn on their shoes.
BRANDS = {
    'Hanbit': 'ring',
    'Korin Athletics': 'bolt',
    'Arcline': 'arc',
    'Mokpo Runners': 'wave',
    'Seorak Outdoor': 'chevron',
    'Namsan Court Club': 'delta',
    'Euljiro Works': 'spark',
}

# Products, id order. Colours: upper, overlay, accent (mark and heel tab), midsole, outsole, laces.
# sizes: (first_mm, last_mm), step 5.  limit: max_per_account (None = no limit).
P = []


def product(slug, brand, name, style, colorway, colors, price, date, sizes, desc, limit=None):
    P.append(dict(slug=slug, brand=brand, name=name, style=style, colorway=colorway,
                  colors=colors.split(), price=price, date=date, sizes=sizes, desc=desc,
                  limit=limit))


product('hanbit-daybreak-01-sail-sunrise', 'Hanbit', 'Daybreak 01', 'runner',
        'Sail / Sunrise Orange', '#f1ede4 #e3dccd #e0521b #ffffff #2a2a2a #ffffff',
        179000, '2026-03-06', (250, 290),
        'The first Hanbit runner, cut from breathable sail mesh with suede overlays and a '
        'sunrise-orange ring on the quarter. A dual-density foam midsole keeps long days in the '
        'city light underfoot.', limit=2)
product('hanbit-daybreak-01-midnight', 'Hanbit', 'Daybreak 01', 'runner',
        'Midnight Navy / Bone', '#1c2740 #131b2f #efe7d6 #efe7d6 #3b2f25 #efe7d6',
        179000, '2026-03-06', (245, 290),
        'Daybreak 01 in a deep midnight navy with bone laces and a matching bone midsole. The '
        'same soft mesh and suede build, toned down for every day.')
product('hanbit-court-lo-celadon', 'Hanbit', 'Court Lo', 'court',
        'White / Celadon', '#fbfbf8 #9cc3b0 #5f9a80 #f6f4ee #6b8f7e #fbfbf8',
        129000, '2026-04-10', (235, 280),
        'A clean cupsole court shoe in smooth white leather with celadon overlays inspired by '
        'Goryeo ceramics. Stitched sidewalls and a padded collar make it an easy all-day pair.')
product('hanbit-court-hi-hanji', 'Hanbit', 'Court Hi', 'high',
        'Hanji Cream / Ink (한지)', '#efe6d2 #1f1f22 #1f1f22 #f7f1e3 #c9a46b #1f1f22',
        149000, '2026-05-22', (240, 285),
        'A high-top in textured cream canvas with ink-black overlays and a natural gum outsole. '
        'The colourway nods to hanji, the Korean mulberry paper, and it ages beautifully with '
        'wear.')
product('korin-volt-racer-black-lime', 'Korin Athletics', 'Volt Racer', 'runner',
        'Black / Electric Lime', '#1b1b1d #2c2c31 #c8f03c #f3f3f0 #1b1b1d #c8f03c',
        199000, '2026-02-13', (250, 295),
        'A lightweight racer built for tempo days, in black engineered mesh with electric-lime '
        'bolts and laces. A responsive midsole and grippy rubber keep it quick on wet roads.')
product('korin-volt-racer-glacier', 'Korin Athletics', 'Volt Racer', 'runner',
        'Glacier Blue / Silver', '#cfe3ef #a9c8dc #3d6fb0 #f4f7f9 #8ea3b3 #ffffff',
        199000, '2026-06-12', (240, 285),
        'Volt Racer in an icy glacier blue with silver-grey rubber and a cobalt bolt on the '
        'quarter. Built on the same fast, low-to-the-ground platform as the original.')
product('korin-tempo-2-coral', 'Korin Athletics', 'Tempo 2', 'runner',
        'Coral Pink / Cream', '#f3a59a #e98b7e #fff5e8 #fff5e8 #e98b7e #fff5e8',
        159000, '2026-04-24', (220, 265),
        'A soft, cushioned daily trainer in coral pink mesh with cream overlays. Tempo 2 comes '
        'in a smaller size run, from 220 mm.')
product('korin-ace-hi-royal', 'Korin Athletics', 'Ace Hi', 'high',
        'White / Royal Blue', '#ffffff #2747b8 #2747b8 #ffffff #2747b8 #ffffff',
        219000, '2026-07-03', (255, 300),
        "Korin's basketball high-top returns in crisp white leather with royal-blue overlays. "
        'A padded ankle collar and a herringbone cupsole keep it court-ready.', limit=1)
product('arcline-halo-1-triple-white', 'Arcline', 'Halo 1', 'court',
        'Triple White', '#fafaf8 #e8e8e2 #d6d6cf #ffffff #e2e2dc #ffffff',
        139000, '2026-01-09', (245, 290),
        'The Halo 1 in tonal triple white: full-grain leather, a debossed arc on the quarter and '
        'a stitched cupsole. The quiet pair that goes with everything.')
product('arcline-halo-1-panda', 'Arcline', 'Halo 1', 'court',
        'White / Black', '#fafaf8 #1c1c1c #1c1c1c #ffffff #1c1c1c #fafaf8',
        139000, '2026-09-18', (240, 285),
        'Halo 1 in the two-tone white and black colourway that sells out every season. '
        'Full-grain leather upper, black overlays and a black rubber outsole.', limit=2)
product('arcline-halo-hi-varsity-red', 'Arcline', 'Halo Hi', 'high',
        'Varsity Red / Black', '#ffffff #b3202a #111111 #ffffff #111111 #ffffff',
        189000, '2026-02-27', (255, 285),
        'The Halo Hi in varsity red leather with black arcs, released in a very small run. '
        'Padded collar, stitched cupsole and a black heel tab.', limit=1)
product('arcline-orbit-runner-sand', 'Arcline', 'Orbit Runner', 'runner',
        'Desert Sand / Clay', '#dcc7a1 #c8ad80 #b4562e #f1e7d3 #8c5a3c #f1e7d3',
        169000, '2026-05-08', (240, 285),
        "A retro-leaning runner in desert-sand suede with clay-red accents and a brown outsole. "
        "The Orbit Runner's wide forefoot and soft foam make it a comfortable travel shoe.")
product('mokpo-harbor-88-navy-gum', 'Mokpo Runners', 'Harbor 88', 'runner',
        'Harbor Navy / Gum', '#22314f #e9e3d3 #d23a2a #efe9da #b7804a #efe9da',
        149000, '2026-03-20', (245, 290),
        'Named after the port of Mokpo, the Harbor 88 pairs a navy nylon upper with cream suede '
        'and a classic gum outsole. A red wave runs along the quarter.')
product('mokpo-harbor-88-fog', 'Mokpo Runners', 'Harbor 88', 'runner',
        'Fog Grey / Teal', '#b9bcbf #9a9ea3 #1b8a8f #f2f2f0 #5c6166 #ffffff',
        149000, '2026-08-07', (240, 280),
        'Harbor 88 in fog grey suede and mesh, with a teal wave and a charcoal outsole. Light, '
        'low and made for walking the waterfront.')
product('mokpo-tidal-pro-seafoam', 'Mokpo Runners', 'Tidal Pro', 'chunky',
        'Seafoam / Lilac', '#bfe3d6 #d9cff0 #7a5cc7 #f7f6f2 #a89bd6 #ffffff',
        239000, '2026-06-26', (220, 265),
        'A chunky platform runner in seafoam mesh with lilac overlays. The sculpted, extra-thick '
        'midsole gives a little lift without the weight.')
product('mokpo-tidal-pro-storm', 'Mokpo Runners', 'Tidal Pro', 'chunky',
        'Storm Grey / Signal Yellow', '#555a61 #3d4147 #ffd23f #e9e9e6 #2d3034 #ffd23f',
        239000, '2026-10-02', (250, 295),
        'Tidal Pro in storm grey with signal-yellow laces and wave. The oversized midsole is '
        'tuned for comfort, and the charcoal outsole hides city grime.')
product('seorak-ridge-tr-moss', 'Seorak Outdoor', 'Ridge TR', 'trail',
        'Moss / Ember', '#5e6b45 #46502f #e2622b #e9e3d3 #2b2b27 #e2622b',
        209000, '2026-04-03', (245, 290),
        'A trail runner for the ridges of Seorak, in moss green with ember-orange laces and '
        'chevrons. Deep lugs and a protective toe cap handle loose granite.')
product('seorak-ridge-tr-slate', 'Seorak Outdoor', 'Ridge TR', 'trail',
        'Slate / Glacier', '#4a5561 #333b44 #8fd3e8 #dfe4e8 #1f2328 #8fd3e8',
        209000, '2026-09-04', (250, 290),
        'Ridge TR in slate grey with glacier-blue accents. The same aggressive lug pattern and '
        'secure midfoot lockdown, in a colourway that stays clean on the trail.')
product('seorak-ulsanbawi-mid-wheat', 'Seorak Outdoor', 'Ulsanbawi Mid', 'high',
        'Wheat / Forest', '#c8a165 #8e6a3a #2f5a3c #f0e6d2 #3a2f25 #2f5a3c',
        259000, '2026-10-16', (245, 290),
        'A mid-cut hiker in wheat nubuck with forest-green laces and brown leather overlays. '
        'Named after the granite peak Ulsanbawi, it is at home on the trail and in the street.')
product('seorak-daecheong-ultra-orange', 'Seorak Outdoor', 'Daecheong Ultra', 'trail',
        'Safety Orange / Black', '#ff7a1a #1c1c1c #1c1c1c #f5f5f2 #1c1c1c #1c1c1c',
        279000, '2026-11-13', (250, 295),
        'An ultra-distance trail shoe in safety orange and black, made for the long haul to '
        'Daecheong peak. High-cushion foam and a wide, lugged outsole stay stable for hours.',
        limit=2)
product('namsan-tower-low-forest', 'Namsan Court Club', 'Tower Low', 'court',
        'Cream / Forest Green', '#f4efe1 #1f4d36 #1f4d36 #f4efe1 #c39a5e #f4efe1',
        119000, '2026-03-27', (235, 280),
        'A low-profile court shoe in cream leather with forest-green overlays and a tan gum '
        'sole. Inspired by afternoon tennis at the foot of Namsan.')
product('namsan-tower-low-burgundy', 'Namsan Court Club', 'Tower Low', 'court',
        'Burgundy Suede', '#6d2234 #561a29 #f1e7d6 #f1e7d6 #c39a5e #f1e7d6',
        119000, '2026-11-06', (240, 280),
        'Tower Low in rich burgundy suede with cream accents and a gum outsole. Soft, warm and '
        'made for autumn.')
product('namsan-baseline-hi-triple-black', 'Namsan Court Club', 'Baseline Hi', 'high',
        'Triple Black', '#1e1e1f #2a2a2c #4a4a4e #222224 #111111 #3a3a3d',
        199000, '2026-01-23', (260, 300),
        'A triple-black high-top in tumbled leather with a black cupsole. Sleek, tough and easy '
        'to keep looking new.')
product('namsan-rally-89-cloud', 'Namsan Court Club', 'Rally 89', 'court',
        'Cloud White / Sky', '#ffffff #cfe2f5 #4a8fd8 #ffffff #4a8fd8 #ffffff',
        89000, '2026-05-15', (220, 260),
        "Namsan's entry-level court shoe in cloud white with sky-blue overlays. A simple, "
        'durable classic at an easy price.')
product('euljiro-printshop-1-ink', 'Euljiro Works', 'Printshop 1', 'chunky',
        'Ink / Neon Pink', '#24242a #34343c #ff3d8b #ececea #24242a #ff3d8b',
        329000, '2026-07-17', (250, 275),
        "An art-school chunky runner from Euljiro's print alleys, in ink black with neon-pink "
        'laces and sparkle. Extra-thick midsole, heavy-duty mesh and a very small production run.',
        limit=1)
product('euljiro-neon-alley-silver', 'Euljiro Works', 'Neon Alley', 'runner',
        'Reflective Silver / Volt', '#c7c9cc #aeb1b5 #c4e814 #2a2a2a #111111 #2a2a2a',
        289000, '2026-08-21', (250, 290),
        'A reflective silver runner with volt accents and a black midsole that shines under '
        'headlights. Made for night runs through the Euljiro backstreets.', limit=2)
product('euljiro-lab-00-bone', 'Euljiro Works', 'Lab 00', 'chunky',
        'Bone / Concrete', '#e9e4d8 #bdb8ad #8b877e #f6f3ec #8b877e #e9e4d8',
        459000, '2026-12-04', (255, 290),
        "The Lab 00 is Euljiro Works' most experimental pair: bone-coloured layers over a "
        'concrete-grey platform sole. Hand-finished in a numbered run and released once.',
        limit=1)
product('euljiro-seongsu-hi-rust', 'Euljiro Works', 'Seongsu Hi', 'high',
        'Rust / Charcoal', '#a8502b #3a3a3c #f3e9d8 #f3e9d8 #3a3a3c #f3e9d8',
        249000, '2026-12-18', (245, 285),
        'A high-top in rust-brown suede with charcoal overlays and cream laces, named after the '
        'Seongsu workshops where it was sampled. Padded collar and a stitched cupsole.')

# ---------------------------------------------------------------------------------------------
# Stock. Default: a deterministic pseudo-random amount per size (more in the middle sizes, some
# sizes sold out, some with 1-3 pairs). Overrides below; a list is the stock per bucket.
SOLD_OUT = 'arcline-halo-hi-varsity-red'  # the one product sold out in every size
HOT = {  # (slug, size) -> buckets: hot sizes split so buyers do not queue on one row lock
    ('hanbit-daybreak-01-sail-sunrise', 265): [10, 10, 10, 10],
    ('hanbit-daybreak-01-sail-sunrise', 270): [10, 10, 10, 10],
    ('hanbit-daybreak-01-sail-sunrise', 275): [10, 10, 10, 10],
    ('arcline-halo-1-panda', 260): [8, 8, 8, 8],
    ('arcline-halo-1-panda', 270): [10, 10, 10, 10],
    ('euljiro-lab-00-bone', 270): [5, 5, 5, 5],
}
FIXED = {  # slug -> {size: stock}; sizes not named here keep the default
    'euljiro-printshop-1-ink': {250: 0, 255: 1, 260: 0, 265: 2, 270: 0, 275: 1},
    'euljiro-lab-00-bone': {255: 0, 260: 2, 265: 3, 275: 1, 280: 0, 285: 0, 290: 1},
    'korin-ace-hi-royal': {270: 0, 275: 0, 280: 2},
    'hanbit-daybreak-01-sail-sunrise': {250: 3, 290: 0},
    'namsan-rally-89-cloud': {245: 0, 250: 1},
}


def default_stock(slug, sizes):
    rng = random.Random('stock:' + slug)
    n = len(sizes)
    out = {}
    for i, mm in enumerate(sizes):
        w = 1 - abs(i - (n - 1) / 2) / (n / 2)  # 1 in the middle, ~0 at the ends
        r = rng.random()
        if r < 0.12:
            out[mm] = 0
        elif r < 0.24:
            out[mm] = rng.randint(1, 3)
        else:
            out[mm] = rng.randint(4, min(40, int(10 + 30 * w)))
    return out


# ---------------------------------------------------------------------------------------------
# Sneaker drawing: side view, toe to the right, in an 800 x 600 view box.
def hexrgb(h):
    return tuple(int(h[i:i + 2], 16) for i in (1, 3, 5))


def shade(h, k):
    """k < 0 darkens towards black, k > 0 lightens towards white."""
    rgb = hexrgb(h)
    if k < 0:
        rgb = [c * (1 + k) for c in rgb]
    else:
        rgb = [c + (255 - c) * k for c in rgb]
    return '#%02x%02x%02x' % tuple(int(round(c)) for c in rgb)


def luma(h):
    r, g, b = hexrgb(h)
    return (0.299 * r + 0.587 * g + 0.114 * b) / 255


def bez(p0, p1, p2, p3, t):
    u = 1 - t
    return tuple(u * u * u * a + 3 * u * u * t * b + 3 * u * t * t * c + t * t * t * d
                 for a, b, c, d in zip(p0, p1, p2, p3))


def f(v):
    return '%d' % round(v)


def pt(*pts):
    return ' '.join(f(x) + ' ' + f(y) for x, y in pts)


# H: midsole top at the heel, T: at the toe, C: collar top, dip: ankle dip below C,
# tg: tongue above C; cup: flat stitched cupsole; lugs: trail outsole; wave: sculpted midsole.
STYLES = {
    'runner': dict(H=378, T=420, C=236, dip=36, tg=24),
    'high': dict(H=392, T=420, C=124, dip=10, tg=20, cup=1),
    'court': dict(H=398, T=420, C=256, dip=30, tg=22, cup=1),
    'trail': dict(H=372, T=412, C=236, dip=34, tg=24, lugs=1),
    'chunky': dict(H=344, T=392, C=214, dip=34, tg=24, wave=1),
}
G = 470  # ground line


def mark(kind, H, a):
    if kind == 'wave':
        d = 'M196 %s C262 %s 318 %s 380 %s C430 %s 474 %s 530 %s C482 %s 440 %s 396 %s ' \
            'C334 %s 272 %s 210 %s Z' % tuple(f(H + k) for k in (-8, -44, -20, -52, -76, -84, -96,
                                                                   -74, -60, -34, -2, -22, 8))
        return '<path d="%s" fill="%s"/>' % (d, a)
    if kind == 'arc':
        y = H - 4
        return '<path d="M250 %s A118 118 0 0 1 486 %s L446 %s A78 78 0 0 0 290 %s Z" ' \
               'fill="%s"/>' % (f(y), f(y), f(y), f(y), a)
    if kind == 'bolt':
        y = H - 10
        return '<path d="M214 %s L352 %s L344 %s L512 %s L372 %s L380 %s Z" fill="%s"/>' % (
            f(y), f(y - 70), f(y - 36), f(y - 104), f(y - 20), f(y - 54), a)
    if kind == 'chevron':
        y = H - 40
        d = ''
        for x in (300, 356):
            d += 'M%s L%s L%s L%s L%s L%s Z' % (pt((x, y - 56)), pt((x + 30, y - 56)),
                                                pt((x + 80, y)), pt((x + 30, y + 56)),
                                                pt((x, y + 56)), pt((x + 50, y)))
        return '<path d="%s" fill="%s"/>' % (d, a)
    if kind == 'ring':
        return '<circle cx="350" cy="%s" r="50" fill="none" stroke="%s" stroke-width="22"/>' % (
            f(H - 60), a)
    if kind == 'delta':
        y = H - 62
        return '<path d="M290 %s L420 %s L290 %s Z" fill="none" stroke="%s" stroke-width="20" ' \
               'stroke-linejoin="round"/>' % (f(y - 50), f(y), f(y + 50), a)
    if kind == 'spark':  # a four-point sparkle
        x, y, r = 360, H - 64, 62
        return '<path d="M%s Q%s %s Q%s %s Q%s %s Q%s %s Z" fill="%s"/>' % (
            pt((x, y - r)), pt((x + 8, y - 8)), pt((x + r, y)), pt((x + 8, y + 8)), pt((x, y + r)),
            pt((x - 8, y + 8)), pt((x - r, y)), pt((x - 8, y - 8)), pt((x, y - r)), a)
    raise ValueError(kind)


def esc_xml(s):
    return s.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;').replace('"', '&quot;')


def sneaker(p):
    g = STYLES[p['style']]
    H, T, C, dip, tg = g['H'], g['T'], g['C'], g['dip'], g['tg']
    upper_c, overlay, accent, mid, out, lace = p['colors']
    dark = luma(upper_c) < 0.35
    tongue_c = shade(upper_c, 0.10 if dark else -0.05)
    lining = shade(upper_c, -0.45) if not dark else shade(upper_c, -0.5)
    stitch = shade(overlay, -0.35) if luma(overlay) > 0.35 else shade(overlay, 0.45)

    s1, s2, s3 = (300, H + 4), (520, T - 4), (732, T)  # midsole top, heel -> toe
    es0, es3 = (300, C + dip - 8), (566, T - 116)  # eyestay (lace line)
    es1, es2 = (392, es0[1] + 28), (486, es3[1] - 20)
    upper = 'M%s C%s %s %s C%s %s %s C%s %s %s C%s %s %s C%s %s %s C%s %s %s C%s %s %s L%s Z' % (
        pt((112, H + 14)),
        pt((96, H - 40)), pt((92, C + 60)), pt((110, C + 10)),
        pt((114, C)), pt((122, C - 4)), pt((134, C - 4)),
        pt((180, C - 2)), pt((216, C + dip)), pt((252, C + dip + 2)),
        pt((272, C + dip + 2)), pt((288, es0[1] + 4)), pt(es0),
        pt(es1), pt(es2), pt(es3),
        pt((646, T - 100)), pt((716, T - 72)), pt((736, T - 26)),
        pt((744, T - 10)), pt((746, T + 6)), pt((738, T + 14)),
        pt((112, T + 14)))
    tt = C - tg
    ps = [bez(es0, es1, es2, es3, i / 6) for i in range(1, 7)]
    tongue = 'M%s C%s %s %s C%s %s %s L%s L%s L%s Z' % (
        pt((282, C + dip + 20)), pt((284, tt + 14)), pt((296, tt)), pt((318, tt)),
        pt((338, tt)), pt((350, tt + 6)), pt((ps[0][0] + 4, ps[0][1] - 20)),
        ' '.join(pt((x + 4, y - 18)) for x, y in ps[1:]), pt((es3[0] + 14, es3[1] + 2)),
        pt((es3[0], es3[1] + 40)))
    if g.get('cup'):
        sole = 'M%s C%s %s %s L%s C%s %s %s L%s C%s %s %s Z' % (
            pt((98, H)), pt((94, H + 30)), pt((96, G - 6)), pt((118, G)), pt((700, G)),
            pt((734, G)), pt((744, T + 20)), pt((740, T - 4)), pt((732, T - 4)), pt(s2), pt(s1),
            pt((98, H)))
    else:
        sole = 'M%s C%s %s %s L%s C%s %s %s C%s %s %s C%s %s %s Z' % (
            pt((102, H)), pt((86, H + 24)), pt((88, G - 14)), pt((124, G)), pt((636, G)),
            pt((700, G)), pt((738, G - 14)), pt((744, T + 14)), pt((746, T + 2)),
            pt((740, T - 4)), pt(s3), pt(s2), pt(s1), pt((102, H)))

    dy = round((tt + G) / 2 - 300)  # centre the shoe vertically
    o = ['<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 %d 800 600" role="img">' % dy,
         '<title>%s</title>' % esc_xml('%s %s, %s' % (p['brand'], p['name'], p['colorway'])),
         '<defs><clipPath id="u"><path d="%s"/></clipPath>'
         '<clipPath id="s"><path d="%s"/></clipPath></defs>' % (upper, sole),
         '<ellipse cx="420" cy="%d" rx="340" ry="14" fill="#000" opacity=".09"/>' % (G + 4),
         '<path d="%s" fill="%s"/>' % (tongue, tongue_c),
         '<path d="%s" fill="%s"/>' % (upper, upper_c),
         '<g clip-path="url(#u)">']
    # quarter mark first, so the overlays frame it
    o.append(mark(BRANDS[p['brand']], H, accent))
    # mudguard and toe cap
    o.append('<path d="M80 %s C250 %s 440 %s 560 %s C610 %s 620 %s 660 %s L760 %s L760 500 '
             'L80 500 Z" fill="%s"/>' % (f(H - 18), f(H - 14), f(T - 30), f(T - 30), f(T - 30),
                                         f(T - 80), f(T - 104), f(T - 104), overlay))
    # heel counter
    o.append('<path d="M60 %s C130 %s 176 %s 196 %s L196 500 L60 500 Z" fill="%s"/>' % (
        f(C + 40), f(C + 44), f(H - 60), f(H + 10), overlay))
    # eyestay
    o.append('<path d="M%s C%s %s %s" fill="none" stroke="%s" stroke-width="34" '
             'stroke-linecap="round"/>' % (pt(es0), pt(es1), pt(es2), pt((es3[0] - 10, es3[1] - 4)),
                                           overlay))
    # collar lining
    o.append('<path d="M%s C%s %s %s L%s C%s %s %s Z" fill="%s"/>' % (
        pt((100, C - 6)), pt((170, C - 6)), pt((210, C + dip - 4)), pt((262, C + dip - 2)),
        pt((266, C + dip + 12)), pt((210, C + dip + 10)), pt((160, C + 8)), pt((100, C + 12)),
        lining))
    o.append('</g>')
    # stitching along the toe cap
    o.append('<path d="M556 %s C604 %s 612 %s 652 %s" fill="none" stroke="%s" stroke-width="3" '
             'stroke-dasharray="7 6" opacity=".55"/>' % (f(T - 42), f(T - 42), f(T - 90),
                                                        f(T - 114), stitch))
    # heel pull tab
    o.append('<rect x="104" y="%s" width="24" height="44" rx="8" fill="%s"/>' % (f(C - 6), accent))
    # midsole and outsole
    o.append('<path d="%s" fill="%s"/>' % (sole, mid))
    o.append('<g clip-path="url(#s)"><rect x="0" y="%d" width="800" height="60" fill="%s"/>' % (
        G - 12, out))
    if g.get('lugs'):
        o.append('<path d="M80 %dh18' % (G - 12) + 'v-10h18v10h18' * 19 + 'V500H80Z" fill="%s"/>'
                 % out)
    if g.get('wave'):
        o.append('<path d="M80 %s C180 %s 260 %s 360 %s S560 %s 760 %s" fill="none" stroke="%s" '
                 'stroke-width="5" opacity=".35"/>' % (f(H + 40), f(H + 20), f(H + 60), f(H + 46),
                                                       f(T + 44), f(T + 30), out))
    if g.get('cup'):
        o.append('<path d="M100 %sH744" fill="none" stroke="%s" stroke-width="3" '
                 'stroke-dasharray="7 6" opacity=".5"/>' % (f(G - 30), out))
    o.append('</g>')
    # laces over the tongue
    for i in range(5):
        x, y = bez(es0, es1, es2, es3, 0.06 + i * 0.2)
        o.append('<path d="M%s L%s" stroke="%s" stroke-width="10" stroke-linecap="round"/>' % (
            pt((x - 6, y + 5)), pt((x + 12, y - 12)), lace))
    o.append('</svg>\n')
    return ''.join(o)


FAVICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
    '<rect width="64" height="64" rx="14" fill="#111"/>'
    '<path d="M9 42 C8 34 10 26 14 22 C20 22 24 26 28 27 C31 23 33 22 36 25 C42 30 49 33 54 35 '
    'C57 36 58 40 57 42 Z" fill="#fff"/>'
    '<path d="M8 42 H57 C58 46 56 49 52 49 H12 C9 49 8 46 8 42 Z" fill="#ff4d1a"/>'
    '<path d="M18 36 C24 35 30 31 36 29" fill="none" stroke="#ff4d1a" stroke-width="3.5" '
    'stroke-linecap="round"/>'
    '</svg>\n')


# ---------------------------------------------------------------------------------------------
def sql_str(s):
    assert ';' not in s and '--' not in s and '\\' not in s, s  # keep the file splittable
    return "'" + s.replace("'", "''") + "'"


def main():
    slugs = [p['slug'] for p in P]
    assert len(set(slugs)) == len(slugs), 'duplicate slug'
    assert SOLD_OUT in slugs
    for p in P:
        assert p['brand'] in BRANDS and p['style'] in STYLES, p['slug']
        assert all(c.isalnum() and c.islower() or c.isdigit() or c == '-' for c in p['slug'])
        assert 89000 <= p['price'] <= 459000 and p['price'] % 1000 == 0, p['slug']
        assert p['date'].startswith('2026-'), p['slug']
        lo, hi = p['sizes']
        p['mm'] = list(range(lo, hi + 5, 5))
        assert 6 <= len(p['mm']) <= 10 and lo >= 220 and hi <= 300, p['slug']
    for slug, mm in list(HOT) + [(s, mm) for s in FIXED for mm in FIXED[s]]:
        assert mm in next(p for p in P if p['slug'] == slug)['mm'], (slug, mm)

    img_dir = os.path.join(ROOT, 'static/img/products')
    os.makedirs(img_dir, exist_ok=True)
    for name in os.listdir(img_dir):
        if name.endswith('.svg'):
            os.remove(os.path.join(img_dir, name))
    for p in P:
        svg = sneaker(p)
        assert len(svg) < 6000, (p['slug'], len(svg))
        with open(os.path.join(img_dir, p['slug'] + '.svg'), 'w', encoding='utf-8') as fh:
            fh.write(svg)
    with open(os.path.join(ROOT, 'static/img/favicon.svg'), 'w', encoding='utf-8') as fh:
        fh.write(FAVICON)

    products, skus, stock, ledger = [], [], [], []
    sku_id = 0
    for pid, p in enumerate(P, 1):
        products.append('(%d, %s, %s, %s, %s, %s, %d, %s, %s, %s)' % (
            pid, sql_str(p['slug']), sql_str(p['name']), sql_str(p['brand']),
            sql_str(p['colorway']), sql_str(p['desc']), p['price'],
            sql_str('img/products/%s.svg' % p['slug']), sql_str(p['date']),
            'NULL' if p['limit'] is None else str(p['limit'])))
        amounts = default_stock(p['slug'], p['mm'])
        amounts.update(FIXED.get(p['slug'], {}))
        for mm in p['mm']:
            sku_id += 1
            skus.append('(%d, %d, %d)' % (sku_id, pid, mm))
            buckets = HOT.get((p['slug'], mm), [amounts[mm]])
            if p['slug'] == SOLD_OUT:
                buckets = [0]
            assert 0 <= sum(buckets) <= 40
            for b, n in enumerate(buckets):
                stock.append('(%d, %d, %d, 0, 0)' % (sku_id, b, n))
                if n > 0:
                    ledger.append("(%d, %d, 'receive', %d, 'seed', 'demo-catalog')" % (sku_id, b, n))
        p['total'] = sum(sum(HOT.get((p['slug'], mm), [amounts[mm]])) for mm in p['mm'])
        if p['slug'] == SOLD_OUT:
            p['total'] = 0
    assert sum(1 for p in P if p['total'] == 0) == 1, 'exactly one product must be sold out'

    def block(rows):
        return ',\n'.join(rows) + ';\n'

    sql = ['-- 001_demo_catalog: the demo catalog (invented brands and models, prices in KRW,\n'
           '-- Korean sizes in mm). GENERATED by tools/gen_sneakers.sh together with the product\n'
           '-- images in static/img/products/ -- edit the generator, not this file.\n'
           '-- Applied once to an empty schema (sql/migrations/001_catalog.sql).\n'
           '-- %d products, %d skus, %d stock buckets. Sold out everywhere: %s.\n'
           '-- Hot sizes split into buckets: %s.\n'
           '-- Invariant I1: every bucket with stock has its receive row in inventory_ledger.\n\n'
           % (len(P), sku_id, len(stock), SOLD_OUT,
              ', '.join('%s %d (%s)' % (s, mm, '+'.join(map(str, b)))
                        for (s, mm), b in HOT.items())),
           'SET NAMES utf8mb4;\n\n',
           'INSERT INTO products (id, slug, name, brand, colorway, description, price_krw, image, '
           'release_date, max_per_account) VALUES\n', block(products), '\n',
           'INSERT INTO skus (id, product_id, size_mm) VALUES\n', block(skus), '\n',
           'INSERT INTO stock (sku_id, bucket, available, held, sold) VALUES\n', block(stock), '\n',
           'INSERT INTO inventory_ledger (sku_id, bucket, reason, d_available, ref_type, ref_id) '
           'VALUES\n', block(ledger)]
    os.makedirs(os.path.join(ROOT, 'sql/seed'), exist_ok=True)
    with open(os.path.join(ROOT, 'sql/seed/001_demo_catalog.sql'), 'w', encoding='utf-8') as fh:
        fh.write(''.join(sql))

    zero = sum(1 for r in stock if ', 0, 0, 0)' in r)
    print('products %d, skus %d, stock rows %d (zero rows %d), ledger rows %d' % (
        len(P), sku_id, len(stock), zero, len(ledger)))
    for p in P:
        print('  %-34s %-7s %3d pairs  %s' % (p['slug'], p['style'], p['total'],
                                            'limit %s' % p['limit'] if p['limit'] else ''))


main()
PY
