// e2e_admin_drops: an admin schedules and runs drops at /admin/drops in Chromium.
//  - schedules a queue drop and a draw drop through the form (times typed in Korean time) and
//    sees each in the list with the times it was given;
//  - the draw is scheduled to be announced later: the list says it is not announced yet and
//    shoppers get 404 for its page; its edit form with the announce time emptied announces it
//    now (its page answers);
//  - edits the queue drop before it opens (the new limit and times are stored);
//  - with the edit form still open, the drop opens: saving is refused (409, "has opened") and
//    nothing changes;
//  - sets the draw's public beacon, then cancels the draw (its state: cancelled);
//  - a form with a time that is not one is answered 400 on the same page.
// No console errors or CSP violations on the pages that answered 200.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
    DESKTOP, assertClean, baseUrl, openPage, scalar, screenshot, sql, stackEnv, withBrowser,
} from './lib.mjs';

const BASE = baseUrl();
const STACK = stackEnv();
const adminPassword = () => readFileSync(`${STACK.STAMPEDE_DATA}/etc/secrets.env`, 'utf8')
    .match(/^STAMPEDE_ADMIN_PASSWORD=(.*)$/m)[1].replace(/^['"]|['"]$/g, '');

function newProduct(label) {
    const slug = `e2e-adrop-${label}-${Date.now().toString(36)}`;
    sql(`INSERT INTO products (slug, name, brand, description, price_krw, image)
         VALUES ('${slug}', 'Admin Drop ${label}', 'E2E', 'admin drop test', 179000,
                 'img/favicon.svg')`);
    const product = scalar(`SELECT id FROM products WHERE slug = '${slug}'`);
    sql(`INSERT INTO skus (product_id, size_mm) VALUES (${product}, 265)`);
    const sku = scalar(`SELECT id FROM skus WHERE product_id = ${product}`);
    sql(`INSERT INTO stock (sku_id, bucket, available) VALUES (${sku}, 0, 3)`);
    sql(`INSERT INTO inventory_ledger (sku_id, bucket, reason, d_available, ref_type, ref_id)
         VALUES (${sku}, 0, 'receive', 3, 'test', 'e2e')`);
    return { slug, product };
}

// kst: a datetime-local value (Korean time, minutes) `minutes` from now, and its unix seconds
function kst(minutes) {
    const t = Math.floor((Date.now() + minutes * 60000) / 60000) * 60000;
    return { local: new Date(t + 9 * 3600000).toISOString().slice(0, 16), unix: t / 1000 };
}

// forget: the watcher's record of an answer this test asked for (a 4xx the browser logs)
function forget(watch) {
    watch.console.length = 0;
    watch.failed.length = 0;
}

const unix = (col, id) => Number(scalar(`SELECT UNIX_TIMESTAMP(${col}) FROM drops WHERE id = ${id}`));

async function schedule(page, slug, kind, opens, starts, closes, announce) {
    await page.goto(`${BASE}/admin/drops`);
    const form = page.locator('form[action="/admin/drops"]');
    await form.locator('input[name=product]').fill(slug);
    await form.locator('select[name=kind]').selectOption(kind);
    if (announce) await form.locator('input[name=announce_at]').fill(announce.local);
    await form.locator('input[name=opens_at]').fill(opens.local);
    if (starts) await form.locator('input[name=starts_at]').fill(starts.local);
    await form.locator('input[name=closes_at]').fill(closes.local);
    await form.locator('input[name=admit_per_second]').fill('25');
    await Promise.all([page.waitForNavigation(), form.locator('button').click()]);
    const id = /created=(\d+)/.exec(page.url())?.[1];
    assert.ok(id, `scheduled: ${page.url()} ${await page.locator('.alert').textContent()}`);
    assert.match(await page.locator('.alert').textContent(), new RegExp(`Drop #${id} is scheduled`));
    return id;
}

async function adminDrops(browser) {
    const { page, watch } = await openPage(browser, DESKTOP);
    await page.goto(`${BASE}/account/signin?next=/admin/drops`);
    await page.fill('#signin-email', 'admin@stampede.local');
    await page.fill('#signin-password', adminPassword());
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    assert.equal(new URL(page.url()).pathname, '/admin/drops');

    // a queue drop and a draw drop, scheduled through the form
    const q = newProduct('queue');
    const d = newProduct('draw');
    const qOpens = kst(120), qStarts = kst(130), qCloses = kst(180);
    const queue = await schedule(page, q.slug, 'queue', qOpens, qStarts, qCloses);
    assert.equal(scalar(`SELECT kind FROM drops WHERE id = ${queue}`), 'queue');
    assert.equal(unix('opens_at', queue), qOpens.unix);
    assert.equal(unix('starts_at', queue), qStarts.unix);
    assert.equal(unix('closes_at', queue), qCloses.unix);
    assert.equal(scalar(`SELECT admit_per_second FROM drops WHERE id = ${queue}`), '25');
    const dAnnounce = kst(30);
    const draw = await schedule(page, d.slug, 'draw', kst(60), null, kst(120), dAnnounce);
    assert.equal(scalar(`SELECT kind FROM drops WHERE id = ${draw}`), 'draw');
    assert.equal(unix('announce_at', draw), dAnnounce.unix);
    assert.equal(scalar(`SELECT announce_at IS NULL FROM drops WHERE id = ${queue}`), '1');
    const qRow = page.locator(`tr.admin-drop[data-drop="${queue}"]`);
    const dRow = page.locator(`tr.admin-drop[data-drop="${draw}"]`);
    assert.match(await qRow.locator('.badge').textContent(), /upcoming/);
    assert.match(await dRow.locator('.badge').textContent(), /upcoming/);
    assert.match(await dRow.locator('.admin-drop__announce').textContent(), /not announced/);
    assert.doesNotMatch(await qRow.locator('.admin-drop__announce').textContent(), /not announced/);
    await assertClean(page, watch, 'drops scheduled');
    await screenshot(page, 'admin-drops.png');

    // the draw is not there for shoppers until it is announced; its edit form announces it
    {
        const shopper = await browser.newContext();
        const sp = await shopper.newPage();
        assert.equal((await sp.goto(`${BASE}/drops/${draw}`)).status(), 404);
        await page.goto(`${BASE}/admin/drops`);
        const dEdit = dRow.locator(`form[action="/admin/drops/${draw}/edit"]`);
        await dRow.locator('summary:has-text("Edit")').click();
        assert.equal(await dEdit.locator('input[name=announce_at]').inputValue(), dAnnounce.local);
        await dEdit.locator('input[name=announce_at]').fill('');
        await Promise.all([page.waitForNavigation(), dEdit.locator('button').click()]);
        assert.match(await page.locator('.alert').textContent(), /The drop is changed/);
        assert.equal(scalar(`SELECT announce_at <= NOW(6) FROM drops WHERE id = ${draw}`), '1');
        assert.doesNotMatch(await dRow.locator('.admin-drop__announce').textContent(),
                            /not announced/);
        assert.equal((await sp.goto(`${BASE}/drops/${draw}`)).status(), 200);
        await shopper.close();
    }

    // a second product for the queue's product is refused: one live drop per product
    await page.goto(`${BASE}/admin/drops`);
    {
        const form = page.locator('form[action="/admin/drops"]');
        await form.locator('input[name=product]').fill(q.slug);
        await form.locator('input[name=opens_at]').fill(kst(30).local);
        await form.locator('input[name=starts_at]').fill(kst(40).local);
        await form.locator('input[name=closes_at]').fill(kst(90).local);
        const [resp] = await Promise.all([page.waitForNavigation(), form.locator('button').click()]);
        assert.equal(resp.status(), 409);
        assert.match(await page.locator('.alert--error').textContent(), /\S/);
        // the form comes back as it was sent (a queue stays a queue)
        assert.equal(await form.locator('select[name=kind]').inputValue(), 'queue');
        assert.equal(await form.locator('input[name=product]').inputValue(), q.slug);
        assert.equal(scalar(`SELECT COUNT(*) FROM drops WHERE product_id = ${q.product}`), '1');
        forget(watch);
    }

    // edit the queue drop before it opens
    await page.goto(`${BASE}/admin/drops`);
    const edit = qRow.locator(`form[action="/admin/drops/${queue}/edit"]`);
    await qRow.locator('summary:has-text("Edit")').click();
    const eOpens = kst(100), eStarts = kst(110);
    await edit.locator('input[name=opens_at]').fill(eOpens.local);
    await edit.locator('input[name=starts_at]').fill(eStarts.local);
    await edit.locator('input[name=limit]').fill('2');
    await Promise.all([page.waitForNavigation(), edit.locator('button').click()]);
    assert.match(page.url(), /done=edited/);
    assert.match(await page.locator('.alert').textContent(), /The drop is changed/);
    assert.equal(unix('opens_at', queue), eOpens.unix);
    assert.equal(unix('starts_at', queue), eStarts.unix);
    assert.equal(unix('closes_at', queue), qCloses.unix);
    assert.equal(scalar(`SELECT per_account_limit FROM drops WHERE id = ${queue}`), '2');
    await assertClean(page, watch, 'drop edited');

    // the edit form is open when the drop opens: saving is refused, nothing changes
    await qRow.locator('summary:has-text("Edit")').click();
    await edit.locator('input[name=limit]').fill('3');
    sql(`UPDATE drops SET opens_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE id = ${queue}`);
    {
        const [resp] = await Promise.all([page.waitForNavigation(), edit.locator('button').click()]);
        assert.equal(resp.status(), 409);
        assert.match(await page.locator('.alert--error').textContent(), /has opened/);
        forget(watch);
    }
    assert.equal(scalar(`SELECT per_account_limit FROM drops WHERE id = ${queue}`), '2');
    // and the list no longer offers to edit it
    await page.goto(`${BASE}/admin/drops`);
    assert.equal(await qRow.locator('summary:has-text("Edit")').count(), 0);
    assert.match(await qRow.locator('.badge').textContent(), /prequeue/);

    // the draw's beacon, then the draw is cancelled
    const beacon = `drand-${Date.now()}`;
    const bForm = dRow.locator(`form[action="/admin/drops/${draw}/beacon"]`);
    await bForm.locator('input[name=beacon]').fill(beacon);
    await Promise.all([page.waitForNavigation(), bForm.locator('button').click()]);
    assert.match(await page.locator('.alert').textContent(), /The beacon is saved/);
    assert.equal(scalar(`SELECT beacon FROM drops WHERE id = ${draw}`), beacon);
    assert.equal(await dRow.locator('input[name=beacon]').inputValue(), beacon);
    await Promise.all([page.waitForNavigation(),
                       dRow.locator('button:has-text("Cancel drop")').click()]);
    assert.match(await page.locator('.alert').textContent(), /The drop is cancelled/);
    assert.equal(scalar(`SELECT cancelled_at IS NOT NULL FROM drops WHERE id = ${draw}`), '1');
    assert.match(await dRow.locator('.badge').textContent(), /cancelled/);
    assert.equal(await dRow.locator('button:has-text("Cancel drop")').count(), 0);
    await assertClean(page, watch, 'beacon and cancel');
    // its page is gone for shoppers
    const gone = await page.goto(`${BASE}/drops/${draw}`);
    assert.equal(gone.status(), 404);

    // a time that is not one: 400 on the same page, nothing scheduled
    await page.goto(`${BASE}/admin/drops`);
    const before = scalar('SELECT COUNT(*) FROM drops');
    const form = page.locator('form[action="/admin/drops"]');
    await form.locator('input[name=product]').fill(d.slug);
    await form.locator('select[name=kind]').selectOption('draw');
    await page.evaluate(() => {
        const f = document.querySelector('form[action="/admin/drops"]');
        for (const n of ['opens_at', 'closes_at']) {
            const i = f.querySelector(`input[name=${n}]`);
            i.type = 'text';
            i.value = 'tomorrow';
        }
    });
    const [resp] = await Promise.all([page.waitForNavigation(), form.locator('button').click()]);
    assert.equal(resp.status(), 400);
    assert.match(await page.locator('.alert--error').textContent(), /date and time/);
    assert.equal(await form.locator('select[name=kind]').inputValue(), 'draw');
    assert.equal(scalar('SELECT COUNT(*) FROM drops'), before);
    sql(`UPDATE drops SET cancelled_at = UTC_TIMESTAMP(6) WHERE id = ${queue}`);
}

test('an admin schedules, edits, beacons and cancels drops at /admin/drops',
     () => withBrowser(adminDrops));
