// e2e_shopping: a shopper signs up in the browser, adds a size to the cart, buys another size
// at once with "Buy now" (the cart keeps its line), then places the cart's order; both orders
// are held for payment and listed under "My orders". Screenshots of the cart and an order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
    DESKTOP, addAddressFromCart, assertClean, baseUrl, openPage, readTiles, screenshot,
    withBrowser,
} from './lib.mjs';

const BASE = baseUrl();

// The sizes of the open product page that are in stock, as [{ id, mm }].
function inStockSizes(page) {
    return page.locator('.size-grid .size').evaluateAll((boxes) => boxes
        .map((box) => ({
            id: box.querySelector('input')?.id,
            disabled: box.querySelector('input')?.disabled,
            mm: box.querySelector('.size__mm')?.textContent.trim(),
            note: box.querySelector('.size__note')?.textContent.trim(),
        }))
        .filter((s) => !s.disabled && s.note === 'In stock'));
}

// Picks a size as a shopper does: a click in the middle of its box (the radio lies invisibly
// over the label).
async function pickSize(page, id) {
    const label = page.locator(`label[for="${id}"]`);
    await label.scrollIntoViewIfNeeded();
    const box = await label.boundingBox();
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    assert.ok(await page.locator(`#${id}`).isChecked(), `size ${id} is selected`);
}

async function orderIdFromUrl(page) {
    const m = /^\/orders\/(\d+)$/.exec(new URL(page.url()).pathname);
    assert.ok(m, `on an order page (at ${page.url()})`);
    return Number(m[1]);
}

async function shopping(browser) {
    const { page, watch } = await openPage(browser, DESKTOP);
    // a non-ASCII local part: the form must let the browser submit it (an
    // <input type=email> would refuse it before it reached the server)
    const email = `jürgen-e2e-${Date.now()}-${process.pid}@test.stampede`;

    // sign up
    await page.goto(`${BASE}/account/signup`);
    await page.fill('#signup-name', 'E2E Shopper');
    await page.fill('#signup-email', email);
    await page.fill('#signup-password', 'a long e2e password 2026');
    await Promise.all([page.waitForNavigation(),
                       page.click('button[type=submit]:has-text("Create account")')]);
    assert.ok(await page.locator('form[action="/account/signout"]').count() > 0,
              'signed in after sign-up: the header offers to sign out');

    // a product with at least two sizes in stock
    await page.goto(`${BASE}/`);
    let product = null;
    let sizes = [];
    for (const tile of (await readTiles(page)).filter((t) => !t.soldOut)) {
        await page.goto(`${BASE}${tile.href}`);
        sizes = await inStockSizes(page);
        if (sizes.length >= 2) {
            product = tile;
            break;
        }
    }
    assert.ok(product, 'a product with two sizes in stock');
    assert.equal(await page.locator('button.buy__now').count(), 1,
                 'a signed-in shopper sees "Buy now"');

    // size A into the cart
    await pickSize(page, sizes[0].id);
    await Promise.all([page.waitForURL((u) => u.pathname === '/cart'),
                       page.click('form.buy button:has-text("Add to cart")')]);
    const cartLines = page.locator('.lines .line');
    assert.equal(await cartLines.count(), 1, 'the cart has one line');
    assert.match(await cartLines.first().textContent(), new RegExp(sizes[0].mm),
                 `the cart line is size ${sizes[0].mm}`);

    // a new shopper has no shipping address: the cart sends them to add one, and back
    await addAddressFromCart(page);

    // size B with "Buy now": an order of its own, the cart untouched
    await page.goto(`${BASE}${product.href}`);
    await pickSize(page, sizes[1].id);
    await Promise.all([page.waitForURL((u) => /^\/orders\/\d+$/.test(u.pathname)),
                       page.click('button.buy__now')]);
    const buyNow = await orderIdFromUrl(page);
    assert.match(await page.locator('.alert--success').textContent(), /Order placed/);
    assert.match(await page.locator('.alert--hold').textContent(), /Awaiting payment/);
    assert.match(await page.locator('.lines').textContent(), new RegExp(sizes[1].mm),
                 `the buy-now order holds size ${sizes[1].mm}`);
    assert.match(await page.locator('.order-ship').textContent(), /김지민[\s\S]*세종대로 110/,
                 'the order page shows where it ships');
    assert.match(await page.locator('.alert--hold time').textContent(),
                 /^\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} KST$/,
                 'the hold expiry in Korean time, for people');
    assert.match(await page.locator('.alert--hold time').getAttribute('datetime'),
                 /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/, 'the machine-readable time stays ISO UTC');
    await screenshot(page, 'shopping-order-desktop.png');
    await page.goto(`${BASE}/cart`);
    assert.equal(await cartLines.count(), 1, 'buy now left the cart as it was');
    await screenshot(page, 'shopping-cart-desktop.png');

    // place the cart's order
    await Promise.all([page.waitForURL((u) => /^\/orders\/\d+$/.test(u.pathname)),
                       page.click('button:has-text("Place order")')]);
    const fromCart = await orderIdFromUrl(page);
    assert.notEqual(fromCart, buyNow, 'a second order');
    assert.match(await page.locator('.lines').textContent(), new RegExp(sizes[0].mm));
    await page.goto(`${BASE}/cart`);
    assert.equal(await cartLines.count(), 0, 'the cart is empty after its order');

    // both under "My orders"
    await page.goto(`${BASE}/orders`);
    for (const id of [buyNow, fromCart])
        assert.equal(await page.locator(`a[href="/orders/${id}"]`).count() > 0, true,
                     `order ${id} is listed`);
    await assertClean(page, watch, 'shopping flow');
}

test('shopping: sign up, cart, buy now, place order, my orders', () => withBrowser(shopping));
