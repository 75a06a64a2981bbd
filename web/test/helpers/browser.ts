import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { REPO_ROOT } from '@chat/devkit/testing';

/**
 * Debian's Chromium driven by playwright-core (Playwright's own browser
 * download cannot work offline): headless, a fresh profile per launch
 * (Playwright gives each launch a temporary user-data dir), no background
 * traffic of its own. `CHROMIUM_PATH` points at another binary.
 */
export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`No Chromium at ${CHROMIUM_PATH}: install it with scripts/install-chromium.sh (Debian's chromium package) or set CHROMIUM_PATH`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * Where the tests' screenshots go: `WEB_SCREENSHOTS_DIR` (relative to the
 * repository; `npm run screenshots -w web` writes the README's pictures to
 * docs/screenshots), else a
 * fresh temporary folder, so a test run never changes tracked files.
 */
export function screenshotsDir(): string {
  const wanted = process.env['WEB_SCREENSHOTS_DIR'];
  if (!wanted) return mkdtempSync(join(tmpdir(), 'web-screenshots-'));
  const dir = resolve(REPO_ROOT, wanted);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export interface Person {
  name: string;
  username: string;
  email: string;
  password: string;
  context: BrowserContext;
  page: Page;
  /** Page errors and console errors that are not failed requests. */
  problems: string[];
  /** Dialogs the page opened (an `alert(1)` from injected markup would land here). */
  dialogs: string[];
}

/** A person with their own browser context (own storage, own cookies) on one gateway replica. */
export async function openPerson(
  browser: Browser,
  baseUrl: string,
  name: string,
  viewport: { width: number; height: number } = { width: 1100, height: 720 },
): Promise<Person> {
  const username = `${name.toLowerCase()}_${randomUUID().slice(0, 8)}`;
  const context = await browser.newContext({ baseURL: baseUrl, viewport, locale: 'en-GB', timezoneId: 'UTC', colorScheme: 'light' });
  const page = await context.newPage();
  const person: Person = { name, username, email: `${username}@example.test`, password: `pw-${randomUUID()}`, context, page, problems: [], dialogs: [] };
  watch(person, page);
  await page.goto('/');
  return person;
}

/** Records what a page must never do: throw, break its CSP, open a dialog. */
export function watch(person: Pick<Person, 'problems' | 'dialogs'>, page: Page): void {
  page.on('pageerror', (error) => person.problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    // A refused request (401 before a refresh, 429, an offline fetch) is logged by the browser itself; the app shows its own message.
    if (message.type() === 'error' && !/Failed to load resource|ERR_INTERNET_DISCONNECTED|WebSocket connection/.test(message.text())) {
      person.problems.push(`console: ${message.text()}`);
    }
  });
  page.on('dialog', (dialog) => {
    person.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
}

export async function signUp(person: Person): Promise<void> {
  const { page } = person;
  await page.getByRole('tab', { name: 'Create account' }).click();
  await page.getByLabel('Username').fill(person.username);
  await page.getByLabel('Email').fill(person.email);
  await page.getByLabel('Display name').fill(person.name);
  await page.getByLabel('Password').fill(person.password);
  await page.getByRole('button', { name: 'Create account', exact: true }).and(page.locator('[type=submit]')).click();
  await page.getByRole('button', { name: 'Edit your profile' }).waitFor();
}

export async function signIn(person: Person, page: Page = person.page, password = person.password): Promise<void> {
  await page.getByLabel('Username or email').fill(person.username);
  await page.getByLabel('Password').fill(password);
  await page.locator('form').getByRole('button', { name: 'Sign in' }).click();
}

/** The room list entry with this name. */
export const roomButton = (page: Page, name: string) => page.locator('.room-item', { has: page.locator('.room-name', { hasText: name }) });

/** The message (confirmed: it has a seq) whose body is exactly `body`. */
export const message = (page: Page, body: string) =>
  page.locator('[data-testid=message]', { has: page.getByTestId('message-body').getByText(body, { exact: true }) });

export async function send(page: Page, text: string): Promise<void> {
  const composer = page.locator('.composer textarea');
  await composer.fill(text);
  await composer.press('Enter');
}
