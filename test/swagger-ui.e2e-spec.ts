import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createApiToken } from './support/api-tokens';
import { createTask, registerUser } from './support/builders';
import { createTestApp, TestApp } from './support/test-app';

/** Debian's Chromium (.ci/run installs it when missing). */
const CHROMIUM = ['/usr/bin/chromium', '/usr/lib/chromium/chromium'].find((path) =>
  existsSync(path),
);
export const SCREENSHOT = join(__dirname, '..', 'test-artifacts', 'swagger-ui-list-tasks.png');

if (!CHROMIUM) {
  console.warn(
    'swagger-ui.e2e-spec: skipped: no Chromium at /usr/bin/chromium (apt-get install -y chromium)',
  );
}
const describeWithChromium = CHROMIUM ? describe : describe.skip;

/**
 * Swagger UI in a real browser, clicked as an integrator would: Authorize with a real token,
 * Try it out / Execute on "list tasks", and the 200 response shows the task created beforehand.
 */
describeWithChromium('Swagger UI in Chromium', () => {
  jest.setTimeout(90_000);
  let t: TestApp;
  let baseUrl: string;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    profile = mkdtempSync(join(tmpdir(), 'task-api-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
      ],
      viewport: { width: 1280, height: 1400 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    // A CSP that blocks the UI's scripts or styles shows up here (and as a blank page).
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
  });
  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await t?.close();
  });

  /** Opens "list tasks", clicks Try it out and Execute; returns the live response row. */
  async function executeListTasks() {
    const operation = page.locator('#operations-Tasks-listTasks');
    await operation.locator('.opblock-summary-control').click();
    await operation.locator('button.try-out__btn', { hasText: 'Try it out' }).click();
    await operation.locator('tr[data-param-name="user_id"] input').fill('me');
    await operation.locator('button.execute').click();
    return operation.locator('.live-responses-table tbody tr.response').first();
  }

  /**
   * The lock button, then in the dialog the form of one security scheme (the document has three
   * bearer schemes, each its own form): its value, its Authorize, then Close.
   */
  async function authorize(scheme: string, value: string) {
    await page.locator('.scheme-container button.authorize').click();
    const dialog = page.locator('.dialog-ux .modal-ux');
    const form = dialog.locator('form').filter({ hasText: `${scheme} (http, Bearer)` });
    await form.locator('input').fill(value);
    await form.locator('button.authorize').click();
    await form.locator('button.btn-done').click();
  }

  async function openDocs() {
    await page.goto(`${baseUrl}/docs`);
    await page.locator('.swagger-ui .info .title', { hasText: 'Task API' }).waitFor();
  }

  it('authorizes through the dialog, runs list tasks and sees the task; keeps it across a reload', async () => {
    const user = await registerUser(t);
    const task = await createTask(t, user, { title: `Seen in Swagger UI ${Date.now()}` });

    await openDocs();
    await authorize('bearer', user.token);
    await expect(page.locator('.scheme-container button.authorize.locked').count()).resolves.toBe(
      1,
    );

    const response = await executeListTasks();
    await expect(response.locator('.response-col_status').innerText()).resolves.toContain('200');
    await expect(response.locator('.response-col_description').innerText()).resolves.toContain(
      task.id,
    );
    await expect(response.locator('.response-col_description').innerText()).resolves.toContain(
      task.title as string,
    );
    mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
    await response.scrollIntoViewIfNeeded();
    await page.screenshot({ path: SCREENSHOT });

    // persistAuthorization: loaded anew (without the deep link the first run left in the URL),
    // the page still has the token and still sends it.
    await page.goto(`${baseUrl}/docs`);
    await page.locator('.swagger-ui .info .title', { hasText: 'Task API' }).waitFor();
    await expect(page.locator('.scheme-container button.authorize.locked').count()).resolves.toBe(
      1,
    );
    const again = await executeListTasks();
    await expect(again.locator('.response-col_status').innerText()).resolves.toContain('200');
    await expect(again.locator('.response-col_description').innerText()).resolves.toContain(
      task.id,
    );
    expect(pageErrors).toEqual([]);
  });

  it('takes an API token in its own scheme (apiToken) and sends it', async () => {
    const user = await registerUser(t);
    const task = await createTask(t, user, { title: `Read with an API token ${Date.now()}` });
    const token = await createApiToken(t, user, ['tasks:read']);
    await openDocs();
    // Not the access token the test before left authorized (persistAuthorization).
    await page.evaluate(() => localStorage.clear());
    await openDocs();
    await authorize('apiToken', token.token);
    const response = await executeListTasks();
    await expect(response.locator('.response-col_status').innerText()).resolves.toContain('200');
    await expect(response.locator('.response-col_description').innerText()).resolves.toContain(
      task.id,
    );
    expect(pageErrors).toEqual([]);
  });
});
