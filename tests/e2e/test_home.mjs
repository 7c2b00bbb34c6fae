// e2e_home: a shopper opens the home page in Chromium and sees the catalog: title, at least 24
// product tiles each with a loaded image, a name and a won price, a "Sold out" badge, and no
// console errors or CSP violations; clicking a tile opens that product's page.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
    DESKTOP, PRICE_RE, assertAssetsLoaded, assertClean, baseUrl, loadAllImages, openPage,
    readTiles, screenshot, withBrowser,
} from './lib.mjs';

const BASE = baseUrl();

async function homePage(browser) {
    const { page, watch } = await openPage(browser, DESKTOP);
    const res = await page.goto(`${BASE}/`);
    assert.equal(res.status(), 200, 'GET / status');

    assert.equal(await page.title(), 'Latest drops · Stampede', 'document title');
    const h1 = page.locator('h1');
    assert.equal((await h1.textContent()).trim(), 'Latest drops', 'page heading');
    assert.ok(await h1.isVisible(), 'the heading is visible');

    const images = await loadAllImages(page, 'home');
    const tiles = await readTiles(page);
    assert.ok(tiles.length >= 24, `at least 24 product tiles, saw ${tiles.length}`);
    assert.ok(images > tiles.length, 'the tile images and the logo are on the page');
    for (const [i, t] of tiles.entries()) {
        const where = `tile ${i + 1} (${t.href})`;
        assert.match(t.href ?? '', /^\/products\/[a-z0-9-]+$/,
                     `${where}: links to /products/<slug>`);
        assert.ok(t.img, `${where}: has an image`);
        assert.ok(t.naturalWidth > 0, `${where}: image ${t.img} loaded`);
        assert.ok(t.imgAlt && t.imgAlt.includes(t.name ?? '\0'),
                  `${where}: image alt names the shoe`);
        assert.ok(t.name && t.name.length > 1, `${where}: has a name`);
        assert.ok(t.brand && t.brand.length > 1, `${where}: has a brand`);
        assert.match(t.price ?? '', PRICE_RE, `${where}: price formatted like ₩129,000`);
    }
    const soldOut = tiles.filter((t) => t.soldOut);
    assert.ok(soldOut.length >= 1, 'at least one tile shows a "Sold out" badge');
    assert.ok(soldOut.length < tiles.length, 'not every tile is sold out');
    const badge = page.locator('.product-grid__item .badge', { hasText: 'Sold out' }).first();
    await badge.scrollIntoViewIfNeeded();
    assert.ok(await badge.isVisible(), 'the "Sold out" badge is visible');

    await assertAssetsLoaded(page, watch, 'home');
    await assertClean(page, watch, 'home');
    await screenshot(page, 'home-desktop.png');

    // A shopper clicks the second tile (not the first, so a link that always pointed at the
    // first product would fail).
    const pick = tiles[1];
    const tile = page.locator('.product-grid__item').nth(1);
    await tile.scrollIntoViewIfNeeded();
    await Promise.all([
        page.waitForURL((u) => u.pathname === pick.href),
        tile.locator('.card__name').click(),
    ]);
    assert.equal(new URL(page.url()).pathname, pick.href, 'clicking a tile opens its product');
    assert.equal((await page.locator('h1').textContent()).trim(), pick.name,
                 'the product page is the clicked shoe');
    assert.equal((await page.locator('.product__brand').textContent()).trim(), pick.brand,
                 'the product page shows the clicked shoe\'s brand');
    await assertClean(page, watch, 'home -> product');
}

test('home page shows the catalog and a tile opens its product', () => withBrowser(homePage));
