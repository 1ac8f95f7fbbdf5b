// The web app's whole life in Chromium, as the issue tells it: an admin creates a buyer and a
// receiver; the buyer creates a supplier, a warehouse with two locations and an order of three
// lines, fixes a validation error, opens it and downloads its PDF; the receiver scans two
// deliveries across both locations and sees `receiving` then `received`; the buyer closes it.
// Then role and CSRF refusals, and an axe scan of every main page with no serious violation.
// `MODE=expiry` checks instead that an idle session ends (the server runs with a short idle).
//
// BASE (the server's address) and ADMIN_LINK (the first admin's set-password link) come from
// run.sh, which starts the server.

import { chromium } from 'playwright-core';
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');
const BASE = process.env.BASE;
const ADMIN_LINK = process.env.ADMIN_LINK;
const MODE = process.env.MODE ?? 'life';
const PASSWORD = 'a long enough password';

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox'],
});

/// With SCREENSHOTS=dir, the main pages are saved there as PNG files (docs/screenshots/).
async function shot(page, name) {
  if (process.env.SCREENSHOTS) {
    await page.screenshot({ path: `${process.env.SCREENSHOTS}/${name}.png`, fullPage: true });
  }
}

let failures = 0;
async function step(name, body) {
  const started = Date.now();
  try {
    await body();
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (err) {
    failures += 1;
    console.log(`FAIL ${name}: ${err.stack ?? err}`);
    // Where each open page stood, to tell a slow page from a wrong one.
    for (const context of browser.contexts()) {
      for (const page of context.pages()) {
        const main = await page.locator('main').innerText().catch((e) => `(no main: ${e.message})`);
        console.log(`---- ${page.url()}\n${main}`);
      }
    }
    throw err;
  }
}

/// A browser context of its own (its own cookies), with JavaScript on or off. Contexts that run
/// axe bypass the page's CSP, which (rightly) refuses the injected script.
async function person({ javaScript = true, axe = false } = {}) {
  const context = await browser.newContext({
    javaScriptEnabled: javaScript,
    bypassCSP: axe,
    acceptDownloads: true,
  });
  const page = await context.newPage();
  page.violations = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') page.violations.push(msg.text());
  });
  return page;
}

async function setPassword(page, link) {
  await page.goto(link);
  await page.fill('#password', PASSWORD);
  await page.fill('#confirm', PASSWORD);
  await Promise.all([page.waitForURL(/sign-in\?password_set=1/), page.click('button[type=submit]')]);
}

async function signIn(page, email) {
  await page.goto(`${BASE}/app/sign-in`);
  await page.fill('#email', email);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL(/\/app\/orders$/), page.click('form button[type=submit] >> text=Sign in')]);
}

/// Waits until htmx has settled the page it swapped in: only then has it wired the new form and
/// moved the focus to the `autofocus` field, which would otherwise land in the middle of the
/// next `fill` and take its keystrokes.
async function settled(page) {
  await page.waitForFunction(() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling'));
}

async function statusOf(page) {
  return (await page.locator('#order-status').textContent()).trim();
}

async function axeScan(page, label) {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(async () => await window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
  }));
  const serious = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    serious.map((v) => `${label}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
    [],
  );
}

try {
  if (MODE === 'expiry') {
    await step('an idle session ends and the sign-in page says so', async () => {
      const admin = await person();
      await setPassword(admin, ADMIN_LINK);
      await signIn(admin, 'admin@localhost');
      await admin.waitForTimeout(3500);
      await admin.goto(`${BASE}/app/orders`);
      assert.match(admin.url(), /\/app\/sign-in\?expired=1$/);
      await admin.getByText('Your session has ended. Sign in again.').waitFor();
    });
  } else {
    const admin = await person();
    const links = {};
    await step('the first admin sets its password and creates a buyer and a receiver', async () => {
      await setPassword(admin, ADMIN_LINK);
      await signIn(admin, 'admin@localhost');
      for (const [email, role] of [['buyer@example.com', 'buyer'], ['clerk@example.com', 'receiver']]) {
        await admin.goto(`${BASE}/app/users`);
        await admin.fill('#email', email);
        await admin.selectOption('#role', role);
        await admin.click('text=Create user');
        links[role] = (await admin.locator('#created-link').textContent()).trim();
        assert.match(links[role], /\/app\/password\/[0-9a-f]{64}$/);
      }
      await admin.goto(`${BASE}/app/users`);
      assert.equal(await admin.locator('tbody tr').count(), 3);
    });

    await step('the admin subscribes a webhook to status changes', async () => {
      await admin.goto(`${BASE}/app/webhooks`);
      await admin.fill('#name', 'ERP');
      await admin.fill('#url', 'https://erp.example.com/hook');
      await admin.selectOption('#event', 'purchase_order_status_changed_v2');
      await admin.click('text=Add webhook');
      assert.match((await admin.locator('#created-secret').textContent()).trim(), /^whsec_/);
    });

    await step('the admin uploads the company logo and sees it on the settings page', async () => {
      await admin.goto(`${BASE}/app/settings`);
      await admin.setInputFiles('#logo', new URL('../fixtures/logo.png', import.meta.url).pathname);
      await Promise.all([admin.waitForURL(/\/app\/settings\?saved=1$/), admin.click('text=Upload logo')]);
      const preview = admin.locator('img.logo-preview');
      await preview.waitFor();
      // The preview is the stored image, decoded by the browser.
      assert.equal(await preview.evaluate((img) => img.complete && img.naturalWidth), 600);
      assert.match(await admin.locator('main').innerText(), /PNG, 600 × 160 pixels\./);
      await shot(admin, 'settings');
    });

    // The buyer works with JavaScript off: every core flow is a plain form.
    const buyer = await person({ javaScript: false });
    let orderUrl;
    await step('the buyer sets up a supplier and a warehouse with two locations', async () => {
      await setPassword(buyer, links.buyer);
      await signIn(buyer, 'buyer@example.com');
      await buyer.goto(`${BASE}/app/suppliers`);
      await buyer.fill('#supplier_name', 'Acme Tools');
      await buyer.fill('#supplier_email', 'orders@acme.example');
      await buyer.click('text=Add supplier');
      await buyer.getByRole('cell', { name: 'Acme Tools' }).waitFor();
      await buyer.goto(`${BASE}/app/warehouses`);
      await buyer.fill('#warehouse_name', 'Dock A');
      await buyer.click('text=Add warehouse');
      for (const name of ['A-01', 'A-02']) {
        await buyer.getByLabel('New location in Dock A').fill(name);
        await buyer.click('text=Add location');
        await buyer.getByRole('listitem').filter({ hasText: name }).waitFor();
      }
    });

    await step('the buyer orders three lines, fixes a validation error at its field and opens the order', async () => {
      await buyer.goto(`${BASE}/app/orders/new`);
      await buyer.selectOption('#supplier_id', { label: 'Acme Tools' });
      await buyer.selectOption('#warehouse_id', { label: 'Dock A' });
      await buyer.fill('#reference_number', 'REF-42');
      await buyer.click('text=Add a line');
      await buyer.click('text=Add a line');
      const lines = [['BOLT-1', '10', '0.25'], ['NUT-2', 'zero', '0.10'], ['WASHER-3', '4', '']];
      for (const [i, [sku, quantity, cost]] of lines.entries()) {
        await buyer.getByLabel(`SKU of line ${i + 1}`).fill(sku);
        await buyer.getByLabel(`Quantity of line ${i + 1}`).fill(quantity);
        await buyer.getByLabel(`Unit cost of line ${i + 1}`).fill(cost);
      }
      await buyer.locator('button[value=save]').last().click();
      const error = buyer.locator('#line-1-quantity-error');
      await error.waitFor();
      await shot(buyer, 'new-order-error');
      assert.match(await error.textContent(), /The quantity must be a whole number/);
      assert.equal(await buyer.getByLabel('Quantity of line 2').getAttribute('aria-invalid'), 'true');
      await buyer.getByLabel('Quantity of line 2').fill('6');
      await Promise.all([buyer.waitForURL(/\/app\/orders\/se-\d+$/), buyer.locator('button[value=save]').last().click()]);
      orderUrl = buyer.url();
      assert.equal(await statusOf(buyer), 'draft');
      await buyer.click('text=Open the order');
      await buyer.locator('#order-status', { hasText: 'open' }).waitFor();
    });

    await step('the buyer downloads the order summary PDF', async () => {
      const [download] = await Promise.all([
        buyer.waitForEvent('download'),
        buyer.click('text=Order summary (PDF)'),
      ]);
      const path = await download.path();
      const { readFileSync } = await import('node:fs');
      assert.equal(readFileSync(path).subarray(0, 5).toString(), '%PDF-');
    });

    // The receiver works with JavaScript on: htmx swaps the pages in place.
    const clerk = await person({ axe: true });
    await step('the receiver scans a first delivery across both locations: receiving', async () => {
      await setPassword(clerk, links.receiver);
      await signIn(clerk, 'clerk@example.com');
      await clerk.getByRole('link', { name: /^open \d+$/ }).click();
      await clerk.waitForURL(/status=open/);
      await clerk.getByRole('link', { name: /^\d{8}-\d+$/ }).first().click();
      await clerk.locator('#order-status').waitFor();
      await clerk.getByRole('link', { name: 'Receive', exact: true }).click();
      await clerk.locator('#scan').waitFor();
      await settled(clerk);
      assert.equal(await clerk.evaluate(() => document.activeElement?.id), 'scan');
      await clerk.locator('#scan').press('B');
      await clerk.locator('#scan').fill('BOLT-1');
      await clerk.locator('#scan').press('Enter');
      await clerk.getByLabel('Quantity of BOLT-1').waitFor();
      await settled(clerk);
      await clerk.locator('#scan').fill('BOLT-1');
      await clerk.locator('#scan').press('Enter');
      await clerk.locator('input[aria-label="Quantity of BOLT-1"][value="2"]').waitFor();
      await settled(clerk);
      await clerk.getByLabel('Quantity of BOLT-1').fill('11');
      await clerk.getByLabel('Location of BOLT-1').selectOption({ label: 'A-01' });
      await clerk.locator('#scan').fill('NUT-2');
      await clerk.locator('#scan').press('Enter');
      await clerk.getByLabel('Quantity of NUT-2').waitFor();
      await settled(clerk);
      // A new row starts at the location used last.
      assert.equal(await clerk.getByLabel('Location of NUT-2').locator('option:checked').textContent(), 'A-01');
      await clerk.getByLabel('Location of NUT-2').selectOption({ label: 'A-02' });
      await clerk.getByLabel('Quantity of NUT-2').fill('2');
      await clerk.getByLabel('Lot of NUT-2').fill('L-7');
      await shot(clerk, 'receive');
      await clerk.getByRole('button', { name: 'Record receipt' }).click();
      const refused = clerk.locator('#row-0-error');
      await refused.waitFor();
      assert.match(await refused.textContent(), /has 10 unit\(s\) remaining of the 10 ordered/);
      await settled(clerk);
      // The focus goes to the refused quantity, not back to the scan field.
      assert.equal(await clerk.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Quantity of BOLT-1');
      await clerk.getByLabel('Quantity of BOLT-1').fill('10');
      await clerk.getByRole('button', { name: 'Record receipt' }).click();
      await clerk.locator('#order-status', { hasText: 'receiving' }).waitFor();
    });

    await step('the receiver scans the second delivery: received', async () => {
      await clerk.getByRole('link', { name: 'Receive', exact: true }).click();
      await clerk.locator('#scan').waitFor();
      await settled(clerk);
      await axeScan(clerk, 'receive');
      for (const sku of ['NUT-2', 'WASHER-3']) {
        await clerk.locator('#scan').fill(sku);
        await clerk.locator('#scan').press('Enter');
        await clerk.getByLabel(`Quantity of ${sku}`).waitFor();
        await settled(clerk);
      }
      await clerk.getByLabel('Quantity of NUT-2').fill('4');
      await clerk.getByLabel('Location of NUT-2').selectOption({ label: 'A-02' });
      await clerk.getByLabel('Quantity of WASHER-3').fill('3');
      await clerk.getByLabel('Rejected units of WASHER-3').fill('1');
      await clerk.getByLabel('Location of WASHER-3').selectOption({ label: 'A-01' });
      await clerk.getByRole('button', { name: 'Record receipt' }).click();
      await clerk.locator('#order-status', { hasText: 'received' }).waitFor();
      await shot(clerk, 'order');
      await axeScan(clerk, 'order');
    });

    await step('the buyer closes the received order', async () => {
      await buyer.goto(orderUrl);
      assert.equal(await statusOf(buyer), 'received');
      await buyer.click('text=Close the order');
      await buyer.locator('#order-status', { hasText: 'closed' }).waitFor();
      await buyer.goto(`${BASE}/app/stock`);
      await buyer.getByRole('cell', { name: 'BOLT-1' }).waitFor();
      await shot(buyer, 'stock');
      await buyer.goto(`${BASE}/app/orders`);
      await shot(buyer, 'orders');
    });

    await step('a role that may not act is refused with 403', async () => {
      for (const path of ['/app/suppliers', '/app/orders/new', '/app/users']) {
        const answer = await clerk.goto(`${BASE}${path}`);
        assert.equal(answer.status(), 403, path);
        await clerk.getByText('Your role does not allow this.').waitFor();
      }
      const answer = await buyer.goto(`${BASE}/app/users`);
      assert.equal(answer.status(), 403);
    });

    await step('a form posted without its CSRF token is refused with 403 and changes nothing', async () => {
      const forged = await buyer.request.post(`${BASE}/app/suppliers`, {
        form: { csrf: 'forged', supplier_name: 'Forged Ltd' },
        maxRedirects: 0,
      });
      assert.equal(forged.status(), 403);
      await buyer.goto(`${BASE}/app/suppliers`);
      assert.equal(await buyer.getByRole('cell', { name: 'Forged Ltd' }).count(), 0);
    });

    await step('every main page has a CSP without inline script and no CSP violation', async () => {
      const answer = await admin.goto(`${BASE}/app/orders`);
      const csp = answer.headers()['content-security-policy'];
      assert.match(csp, /script-src 'self'/);
      assert.doesNotMatch(csp, /unsafe-inline/);
      assert.deepEqual(admin.violations.filter((v) => /Content Security Policy/i.test(v)), []);
    });

    await step('axe finds no serious violation on the main pages', async () => {
      const auditor = await person({ axe: true });
      await auditor.goto(`${BASE}/app/sign-in`);
      await shot(auditor, 'sign-in');
      await axeScan(auditor, 'sign-in');
      await auditor.close();
      const pages = {
        orders: '/app/orders',
        order: new URL(orderUrl).pathname,
        stock: '/app/stock',
      };
      for (const [label, path] of Object.entries(pages)) {
        await clerk.goto(`${BASE}${path}`);
        await axeScan(clerk, label);
      }
      const buyerAxe = await person({ axe: true });
      await signInAgain(buyerAxe, 'buyer@example.com');
      for (const [label, path] of Object.entries({
        'new order': '/app/orders/new', suppliers: '/app/suppliers', warehouses: '/app/warehouses',
      })) {
        await buyerAxe.goto(`${BASE}${path}`);
        await axeScan(buyerAxe, label);
      }
      await admin.context().close();
      const adminAxe = await person({ axe: true });
      await signInAgain(adminAxe, 'admin@localhost');
      for (const [label, path] of Object.entries({ users: '/app/users', keys: '/app/keys', webhooks: '/app/webhooks', settings: '/app/settings' })) {
        await adminAxe.goto(`${BASE}${path}`);
        await axeScan(adminAxe, label);
      }
      // The webhook's delivery log, with the deliveries of the order's status changes.
      await adminAxe.goto(`${BASE}/app/webhooks`);
      await Promise.all([adminAxe.waitForURL(/\/app\/webhooks\/se-\d+$/), adminAxe.click('text=ERP')]);
      assert.ok(await adminAxe.locator('tbody tr').count() >= 1, 'the log lists the deliveries');
      await shot(adminAxe, 'webhook');
      await axeScan(adminAxe, 'webhook log');
    });
  }
} catch {
  // Reported by its step.
} finally {
  await browser.close();
}

async function signInAgain(page, email) {
  await signIn(page, email);
}

if (failures > 0) {
  console.log(`${failures} browser test(s) failed`);
  process.exit(1);
}
console.log(`browser tests passed (${MODE})`);
