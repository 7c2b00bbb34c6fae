// e2e_responsive: the product grid has 4 columns on a 1280x900 desktop and 1 on a 390x844
// phone, and neither the home page nor a product page scrolls sideways on the phone.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
    DESKTOP, PHONE, assertAssetsLoaded, assertClean, baseUrl, loadAllImages, openPage,
    readTiles, screenshot, withBrowser,
} from './lib.mjs';

const BASE = baseUrl();

// Columns of the product grid: how many tiles share the first tile's row (same top edge),
// and their distinct left edges.
async function gridColumns(page) {
    const boxes = await page.locator('.product-grid__item').evaluateAll((items) =>
        items.map((li) => {
            const r = li.getBoundingClientRect();
            return { x: r.x, y: r.y, w: r.width };
        }));
    assert.ok(boxes.length >= 8, `the grid has tiles (saw ${boxes.length})`);
    const row = boxes.filter((b) => Math.abs(b.y - boxes[0].y) < 1);
    const xs = [...new Set(row.map((b) => Math.round(b.x)))].sort((a, b) => a - b);
    return { columns: xs.length, xs, boxes };
}

async function assertNoSidewaysScroll(page, what) {
    const m = await page.evaluate(() => ({
        scroll: document.documentElement.scrollWidth,
        client: document.documentElement.clientWidth,
    }));
    assert.ok(m.scroll <= m.client,
              `${what}: no horizontal scrollbar ` +
              `(scrollWidth ${m.scroll} > clientWidth ${m.client})`);
}

test('desktop 1280x900: four columns, no sideways scroll', () => withBrowser(async (browser) => {
    const { page, watch } = await openPage(browser, DESKTOP);
    assert.equal((await page.goto(`${BASE}/`)).status(), 200, 'GET / status');
    const g = await gridColumns(page);
    assert.equal(g.columns, 4, `4 columns on the desktop, first row starts at x=${g.xs}`);
    // the fifth tile wraps to a second row under the first
    assert.ok(g.boxes[4].y > g.boxes[0].y && Math.abs(g.boxes[4].x - g.boxes[0].x) < 1,
              'the fifth tile starts the second row');
    await assertNoSidewaysScroll(page, 'home at 1280');
    await assertClean(page, watch, 'home at 1280');
}));

test('phone 390x844: one column, no sideways scroll', () => withBrowser(async (browser) => {
    const { page, watch } = await openPage(browser, PHONE);
    assert.equal((await page.goto(`${BASE}/`)).status(), 200, 'GET / status');
    const g = await gridColumns(page);
    assert.equal(g.columns, 1, `1 column on the phone, first row starts at x=${g.xs}`);
    const lefts = new Set(g.boxes.map((b) => Math.round(b.x)));
    assert.equal(lefts.size, 1, `every tile starts at the same x on the phone (saw ${[...lefts]})`);
    assert.ok(g.boxes.every((b) => b.w <= PHONE.width), 'every tile fits the phone screen');
    await assertNoSidewaysScroll(page, 'home at 390');
    await loadAllImages(page, 'home at 390');
    await assertAssetsLoaded(page, watch, 'home at 390');
    await assertClean(page, watch, 'home at 390');
    await screenshot(page, 'home-phone.png');

    // A product page with a size grid (the first one still on sale), opened from its tile.
    const tile = (await readTiles(page)).find((t) => !t.soldOut);
    assert.ok(tile, 'an available product on the home page');
    const card = page.locator(`.product-grid__item a[href="${tile.href}"]`).first();
    await card.scrollIntoViewIfNeeded();
    await Promise.all([page.waitForURL((u) => u.pathname === tile.href), card.click()]);
    assert.ok(await page.locator('.size-grid').isVisible(), `${tile.href}: size grid visible`);
    await assertNoSidewaysScroll(page, `${tile.href} at 390`);
    const button = page.locator('form.buy button[type=submit]');
    const bb = await button.boundingBox();
    assert.ok(bb && bb.x >= 0 && bb.x + bb.width <= PHONE.width,
              `${tile.href}: the Add to cart button fits the phone screen`);
    await loadAllImages(page, `${tile.href} at 390`);
    await assertAssetsLoaded(page, watch, `${tile.href} at 390`);
    await assertClean(page, watch, `${tile.href} at 390`);
    await screenshot(page, 'product-phone.png');
}));
