// e2e_product: a product page shows brand, name, price and a size grid in which sold-out sizes
// are disabled radios and sizes with 1..3 pairs say "Only N left"; a shopper picks a size by
// clicking it or with the keyboard; the fully sold-out product (the tile with the "Sold out"
// badge on the home page) offers no size and a disabled button.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
    DESKTOP, PRICE_RE, assertAssetsLoaded, assertClean, baseUrl, loadAllImages, openPage,
    readTiles, screenshot, visibleText, withBrowser,
} from './lib.mjs';

const BASE = baseUrl();

// The size grid as plain data, one entry per size box.
function readSizes(page) {
    return page.locator('.size-grid .size').evaluateAll((boxes) => boxes.map((box) => {
        const input = box.querySelector('input');
        const label = input && box.querySelector(`label[for="${input.id}"]`);
        return {
            id: input?.id ?? null,
            type: input?.type ?? null,
            disabled: input ? input.disabled : null,
            mm: box.querySelector('.size__mm')?.textContent.trim() ?? '',
            note: box.querySelector('.size__note')?.textContent.replace(/\s+/g, ' ').trim() ?? '',
            hasLabel: Boolean(label),
            soldOutClass: box.classList.contains('size--sold-out'),
            fewClass: box.classList.contains('size--few'),
        };
    }));
}

// Clicks the middle of a size box with the mouse, as a shopper does. The radio lies invisibly
// over its label (it keeps keyboard focus), so the click lands on whatever is on top there;
// Playwright's element click would refuse because the label is covered.
async function clickSizeBox(page, id) {
    const label = page.locator(`label[for="${id}"]`);
    await label.scrollIntoViewIfNeeded();
    const box = await label.boundingBox();
    assert.ok(box && box.width > 0 && box.height > 0, `the box of ${id} is on screen`);
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
}

// Checks what a product page says against the home page tile it came from.
async function checkProductPage(page, tile) {
    const where = tile.href;
    const title = await page.title();
    assert.ok(title.includes(tile.name) && title.endsWith(' · Stampede'),
              `${where}: title names the shoe and the shop, was "${title}"`);
    assert.equal((await page.locator('.product__brand').textContent()).trim(), tile.brand,
                 `${where}: brand`);
    assert.equal((await page.locator('h1.product__name').textContent()).trim(), tile.name,
                 `${where}: name`);
    const price = await visibleText(page.locator('.product__price'));
    assert.match(price, PRICE_RE, `${where}: price formatted like ₩129,000`);
    assert.equal(price, tile.price, `${where}: same price as on the home page`);
    assert.ok(await page.locator('.product__brand').isVisible(), `${where}: brand visible`);
    assert.ok(await page.locator('.product__price').isVisible(), `${where}: price visible`);

    const sizes = await readSizes(page);
    assert.ok(sizes.length >= 4, `${where}: a size grid (saw ${sizes.length} sizes)`);
    for (const s of sizes) {
        const w = `${where} size ${s.mm}`;
        assert.equal(s.type, 'radio', `${w}: is a radio input`);
        assert.ok(s.hasLabel, `${w}: has a label for its input`);
        assert.match(s.mm, /^\d{3}$/, `${w}: size in mm`);
        if (s.note === 'Sold out') {
            assert.equal(s.disabled, true, `${w}: sold out, so its radio is disabled`);
            assert.ok(s.soldOutClass, `${w}: sold out, so styled as sold out`);
        } else {
            assert.equal(s.disabled, false, `${w}: "${s.note}", so its radio is enabled`);
            const few = /^Only (\d+) left$/.exec(s.note);
            if (few) {
                const n = Number(few[1]);
                assert.ok(n >= 1 && n <= 3, `${w}: "Only N left" only for 1..3 pairs, said ${n}`);
                assert.ok(s.fewClass, `${w}: few left, so styled as few left`);
            } else {
                assert.equal(s.note, 'In stock', `${w}: says Sold out, Only N left or In stock`);
            }
        }
    }
    return sizes;
}

async function productPage(browser) {
    const { page, watch } = await openPage(browser, DESKTOP);
    const home = await page.goto(`${BASE}/`);
    assert.equal(home.status(), 200, 'GET / status');
    const tiles = await readTiles(page);
    assert.ok(tiles.length >= 24, `home lists the catalog (saw ${tiles.length} tiles)`);

    // A product that has both a sold-out size and one with few pairs left, so both kinds of
    // size box are checked for real. Opened as a shopper would, from its tile's link.
    let chosen = null;
    let sizes = null;
    for (const tile of tiles.filter((t) => !t.soldOut)) {
        const res = await page.goto(`${BASE}${tile.href}`);
        assert.equal(res.status(), 200, `GET ${tile.href} status`);
        const s = await checkProductPage(page, tile);
        if (s.some((x) => x.disabled) && s.some((x) => /^Only \d+ left$/.test(x.note))) {
            chosen = tile;
            sizes = s;
            break;
        }
    }
    assert.ok(chosen, 'some available product has both a sold-out size and an "Only N left" size');
    console.log(`product with sold-out and few-left sizes: ${chosen.href}`);

    const button = page.locator('form.buy button[type=submit]');
    assert.equal((await button.textContent()).trim(), 'Add to cart', 'available: "Add to cart"');
    assert.ok(await button.isEnabled(), 'available product: the button is enabled');
    assert.equal(await page.locator('.size__input:checked').count(), 0, 'no size preselected');

    // Clicking a disabled size's box selects nothing.
    const soldOutSize = sizes.find((s) => s.disabled);
    await clickSizeBox(page, soldOutSize.id);
    assert.equal(await page.locator('.size__input:checked').count(), 0,
                 `clicking sold-out size ${soldOutSize.mm} selects nothing`);

    // Clicking an available size's box checks its radio, and only that one.
    const pick = sizes.filter((s) => !s.disabled).at(-1);
    await clickSizeBox(page, pick.id);
    assert.ok(await page.locator(`#${pick.id}`).isChecked(), `clicking size ${pick.mm} checks it`);
    assert.equal(await page.locator('.size__input:checked').count(), 1, 'exactly one size checked');

    await loadAllImages(page, chosen.href);
    await assertAssetsLoaded(page, watch, chosen.href);
    await assertClean(page, watch, chosen.href);
    await screenshot(page, 'product-desktop.png');

    // Keyboard: from a fresh load, Tab reaches the size group on an enabled radio, which shows
    // a focus ring; Space picks it; the arrow key moves the choice and skips sold-out sizes.
    await page.reload();
    await page.locator('body').focus();
    let reached = null;
    for (let i = 0; i < 40 && !reached; i++) {
        await page.keyboard.press('Tab');
        reached = await page.evaluate(() => {
            const a = document.activeElement;
            return a && a.classList.contains('size__input')
                ? { id: a.id, disabled: a.disabled } : null;
        });
    }
    assert.ok(reached, 'Tab reaches the size radios within 40 presses');
    assert.equal(reached.disabled, false, 'Tab lands on an enabled size');
    const ring = await page.locator(`label[for="${reached.id}"]`)
        .evaluate((l) => getComputedStyle(l).outlineStyle);
    assert.notEqual(ring, 'none', 'the focused size shows a focus outline');
    await page.keyboard.press('Space');
    assert.ok(await page.locator(`#${reached.id}`).isChecked(), 'Space checks the focused size');
    const enabledIds = (await readSizes(page)).filter((s) => !s.disabled).map((s) => s.id);
    if (enabledIds.length > 1) {
        await page.keyboard.press('ArrowRight');
        const now = await page.locator('.size__input:checked').getAttribute('id');
        const expect = enabledIds[(enabledIds.indexOf(reached.id) + 1) % enabledIds.length];
        assert.equal(now, expect, 'ArrowRight moves to the next available size');
    }
    await assertClean(page, watch, `${chosen.href} (keyboard)`);

    // The fully sold-out product, found from its "Sold out" badge on the home page.
    await page.goto(`${BASE}/`);
    const badge = page.locator('.product-grid__item', {
        has: page.locator('.badge', { hasText: 'Sold out' }),
    }).first();
    assert.equal(await badge.count(), 1, 'the home page has a tile with a "Sold out" badge');
    const soldTile = (await readTiles(page)).find((t) => t.soldOut);
    await badge.scrollIntoViewIfNeeded();
    await Promise.all([page.waitForURL((u) => u.pathname === soldTile.href),
                       badge.locator('.card__name').click()]);
    const soldSizes = await checkProductPage(page, soldTile);
    assert.ok(soldSizes.every((s) => s.disabled), `${soldTile.href}: every size is disabled`);
    const soldButton = page.locator('form.buy button[type=submit]');
    assert.ok(await soldButton.isDisabled(), `${soldTile.href}: the button is disabled`);
    assert.equal((await soldButton.textContent()).trim(), 'Sold out',
                 `${soldTile.href}: the button says "Sold out"`);
    assert.ok(await page.locator('.product__media .badge', { hasText: 'Sold out' }).isVisible(),
              `${soldTile.href}: a "Sold out" badge on the picture`);
    await assertClean(page, watch, soldTile.href);
}

test('product page: sizes, picking one, and a sold-out product', () => withBrowser(productPage));
