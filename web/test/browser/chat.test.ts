import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import type { Browser, Page } from 'playwright-core';
import { startPlatform, type Platform } from '@chat/devkit/testing';
import { launchBrowser, message, openPerson, roomButton, screenshotsDir, send, signIn, signUp, watch, type Person } from '../helpers/browser.js';

// The web client in Debian's Chromium against the real platform: two gateway
// replicas (each person on their own), the auth, profile and chat services,
// every one beside its daprd, Redis profile. Access tokens live 30 s (the
// auth-service's shortest), so every test also runs across token refreshes.

let platform: Platform;
let browser: Browser;
let shots: string;
const gateways: string[] = [];
const UI_MS = 20_000;

test.before(async () => {
  platform = await startPlatform({
    gatewayReplicas: 2,
    serviceEnv: { 'auth-service': { ACCESS_TOKEN_TTL_SECONDS: '30', REGISTER_MAX_PER_ADDRESS: '0' } },
  });
  gateways.push(platform.instance('api-gateway').url, platform.instance('api-gateway#2').url);
  browser = await launchBrowser();
  shots = screenshotsDir();
});
test.after.always(async () => {
  await browser?.close();
  await platform?.stop();
});

/** A person on replica 1 or 2, closed when the test ends. */
async function person(t: ExecutionContext, replica: 0 | 1, name: string, viewport?: { width: number; height: number }): Promise<Person> {
  const someone = await openPerson(browser, gateways[replica]!, name, viewport);
  t.teardown(() => someone.context.close());
  return someone;
}

const shot = (page: Page, name: string) => page.screenshot({ path: join(shots, `${name}.png`) });

const myUserId = (page: Page) => page.evaluate(() => (JSON.parse(localStorage.getItem('chat.session') ?? '{}') as { user: { id: string } }).user.id);

/** Alice (replica 1) and Bob (replica 2), signed up. */
async function twoSignedUp(t: ExecutionContext): Promise<[Person, Person]> {
  const [alice, bob] = await Promise.all([person(t, 0, 'Alice'), person(t, 1, 'Bob')]);
  await Promise.all([signUp(alice), signUp(bob)]);
  return [alice, bob];
}

/** Alice opens a direct message with Bob (shown to her as `bobShownAs`) from his user id and says hi; both have it open. */
async function openDirect(alice: Person, bob: Person, bobShownAs = 'Bob'): Promise<[Person, Person]> {
  await alice.page.getByRole('button', { name: 'New message' }).click();
  await alice.page.getByLabel('Or enter a user id').fill(await myUserId(bob.page));
  await alice.page.getByRole('button', { name: 'Open conversation' }).click();
  await alice.page.getByTestId('room-title').getByText(bobShownAs).waitFor();
  await send(alice.page, 'hi Bob');
  await roomButton(bob.page, 'Alice').click();
  await message(bob.page, 'hi Bob').waitFor();
  return [alice, bob];
}

/** Alice (replica 1) opens a direct message with Bob (replica 2) from his user id; both have it open. */
const twoInDirect = async (t: ExecutionContext): Promise<[Person, Person]> => openDirect(...(await twoSignedUp(t)));

function clean(t: ExecutionContext, ...people: Person[]): void {
  for (const p of people) {
    t.deepEqual(p.problems, [], `${p.name}: page errors or CSP violations`);
    t.deepEqual(p.dialogs, [], `${p.name}: dialogs opened`);
  }
}

test.serial(
  'two people sign up on two gateway replicas, meet in a public room, and chat in a direct message: live both ways, typing, edit, delete, history after a reload',
  async (t) => {
    const [alice, bob] = await Promise.all([person(t, 0, 'Alice'), person(t, 1, 'Bob')]);
    await alice.page.getByRole('tab', { name: 'Create account' }).click();
    await shot(alice.page, 'sign-up');
    await Promise.all([signUp(alice), signUp(bob)]);

    // Alice creates a public room; Bob discovers and joins it.
    const lobby = `Lobby ${alice.username.slice(-8)}`;
    await alice.page.getByRole('button', { name: 'New room' }).click();
    await alice.page.getByLabel('Name').fill(lobby);
    await alice.page.getByLabel('Topic').fill('Say hello');
    await alice.page.getByRole('button', { name: 'Create room' }).click();
    await alice.page.getByTestId('room-title').getByText(lobby).waitFor();
    await bob.page.getByRole('button', { name: 'Discover' }).click();
    await bob.page.getByLabel('Search public rooms').fill(lobby);
    await bob.page.getByRole('button', { name: `Join ${lobby}` }).click();
    await bob.page.getByTestId('room-title').getByText(lobby).waitFor();

    // From the member list to Alice's profile, and from there to a direct message.
    await bob.page.getByRole('button', { name: 'Members' }).click();
    await bob.page.locator('.members').getByRole('button', { name: /Alice/ }).click();
    await bob.page.getByRole('dialog').getByText(`@${alice.username}`).waitFor();
    await bob.page.getByRole('button', { name: 'Send a message' }).click();
    await bob.page.getByTestId('room-title').getByText('Alice').waitFor();
    await send(bob.page, 'Hello Alice!');
    await message(bob.page, 'Hello Alice!').waitFor();
    await send(bob.page, 'Are you there?');

    // Alice sees the new conversation with its unread count, opens it at the "new messages" divider.
    const dmOnAlice = roomButton(alice.page, 'Bob');
    await dmOnAlice.getByTestId('unread').getByText('2').waitFor({ timeout: UI_MS });
    await dmOnAlice.getByText(', online').waitFor();
    await shot(alice.page, 'room-list');
    await dmOnAlice.click();
    await alice.page.getByTestId('new-messages').waitFor();
    await message(alice.page, 'Hello Alice!').waitFor();
    await message(alice.page, 'Are you there?').waitFor();
    t.is(await dmOnAlice.getByTestId('unread').count(), 0);

    // Typing, both ways, with the @username beside the name as on messages.
    await alice.page.locator('.composer textarea').fill('I am here');
    await bob.page.getByTestId('typing').getByText(`Alice @${alice.username} is typing…`).waitFor({ timeout: UI_MS });
    await alice.page.locator('.composer textarea').press('Enter');
    await message(bob.page, 'I am here').waitFor({ timeout: UI_MS });
    await bob.page.getByTestId('typing').getByText(`Alice @${alice.username} is typing…`).waitFor({ state: 'detached', timeout: UI_MS });
    await bob.page.locator('.composer textarea').fill('Great');
    await alice.page.getByTestId('typing').getByText(`Bob @${bob.username} is typing…`).waitFor({ timeout: UI_MS });
    await bob.page.locator('.composer textarea').press('Enter');
    await message(alice.page, 'Great').waitFor({ timeout: UI_MS });

    // Bob edits one of his messages and deletes another; Alice sees both changes live.
    await message(bob.page, 'Hello Alice!').hover();
    await message(bob.page, 'Hello Alice!').getByRole('button', { name: 'Edit' }).click();
    await bob.page.getByLabel('Edit message').fill('Hello Alice, edited');
    await bob.page.getByLabel('Edit message').press('Enter');
    const edited = alice.page.locator('[data-testid=message]', { hasText: 'Hello Alice, edited' });
    await edited.getByText('(edited)').waitFor({ timeout: UI_MS });
    await message(bob.page, 'Are you there?').hover();
    await message(bob.page, 'Are you there?').getByRole('button', { name: 'Delete' }).click();
    await bob.page.getByRole('button', { name: 'Delete for everyone?' }).click();
    await alice.page.getByText('This message was deleted.').waitFor({ timeout: UI_MS });
    t.is(await message(alice.page, 'Are you there?').count(), 0);
    await shot(alice.page, 'conversation');

    // After a reload Bob is still signed in and finds the same history.
    await bob.page.reload();
    await roomButton(bob.page, 'Alice').click();
    await bob.page.locator('[data-testid=message]', { hasText: 'Hello Alice, edited' }).getByText('(edited)').waitFor();
    await bob.page.getByText('This message was deleted.').waitFor();
    await message(bob.page, 'I am here').waitFor();
    await message(bob.page, 'Great').waitFor();
    t.deepEqual(await bob.page.getByTestId('message-body').allTextContents(), ['Hello Alice, edited (edited)', 'I am here', 'Great']);
    clean(t, alice, bob);
  },
);

test.serial('text is text: markup in a message, a display name and a bio is shown as typed, nothing runs, the CSP holds', async (t) => {
  const [alice, bob] = await twoInDirect(t);
  const markup = '<img src=x onerror=alert(1)>';
  await send(alice.page, markup);
  await message(alice.page, markup).waitFor();
  await message(bob.page, markup).waitFor({ timeout: UI_MS });

  await bob.page.getByRole('button', { name: 'Edit your profile' }).click();
  await bob.page.getByLabel('Display name').fill('<b>Bob</b>');
  await bob.page.getByLabel('Bio').fill('<script>alert(2)</script>');
  await bob.page.getByRole('button', { name: 'Save' }).click();
  await bob.page.getByRole('dialog').getByText('Saved.').waitFor();
  await bob.page.keyboard.press('Escape');
  await alice.page.locator('.room-header').getByRole('button', { name: 'Details' }).click();
  await alice.page.locator('.members').getByRole('button', { name: /Bob/ }).click();
  const card = alice.page.getByRole('dialog');
  await card.getByText('<b>Bob</b>', { exact: true }).first().waitFor();
  await card.getByText('<script>alert(2)</script>', { exact: true }).waitFor();

  for (const page of [alice.page, bob.page]) {
    t.is(await page.locator('[data-testid=message-body] img, .bio script, .profile-name b').count(), 0);
  }
  const csp = (await alice.page.request.get('/')).headers()['content-security-policy'] ?? '';
  t.regex(csp, /script-src 'self'/);
  t.notRegex(csp, /unsafe-inline/);
  clean(t, alice, bob);
});

test.serial(
  'text stays in its place: a message that turns text around does not turn "(edited)" around; a name that would is refused with a sentence',
  async (t) => {
    const [alice, bob] = await twoInDirect(t);
    // An unterminated right-to-left override: left unisolated, it would carry on into " (edited)" and show it backwards, before the body.
    const turned = '\u202Edrawkcab';
    await send(alice.page, turned);
    await message(alice.page, turned).hover();
    await message(alice.page, turned).getByRole('button', { name: 'Edit' }).click();
    await alice.page.getByLabel('Edit message').fill(`${turned}!`);
    await alice.page.getByLabel('Edit message').press('Enter');
    const edited = bob.page.locator('[data-testid=message]', { hasText: `${turned}!` });
    await edited.getByText('(edited)').waitFor({ timeout: UI_MS });
    const body = await edited.locator('[data-testid=message-body] bdi').boundingBox();
    const mark = await edited.locator('.edited').boundingBox();
    t.truthy(body && mark);
    t.true(mark!.x >= body!.x + body!.width - 1, `"(edited)" at ${mark!.x}, the body ends at ${body!.x + body!.width}`);

    await bob.page.getByRole('button', { name: 'Edit your profile' }).click();
    for (const [name, problem] of [
      ['Alice\u202E', 'must not contain invisible or direction-changing characters'],
      ['\u3164', 'must not contain invisible or direction-changing characters'],
      ['\u200B\u200D', 'must not contain invisible or direction-changing characters'],
      ['\u2800', 'must show at least one visible character'],
    ] as const) {
      await bob.page.getByLabel('Display name').fill(name);
      await bob.page.getByRole('button', { name: 'Save' }).click();
      await bob.page.getByRole('dialog').getByText(`Display name: ${problem}.`).waitFor();
    }
    await bob.page.keyboard.press('Escape');
    await roomButton(alice.page, 'Bob').waitFor();
    clean(t, alice, bob);
  },
);

test.serial("nobody passes for another by taking their name: each message, member and direct message shows the sender's unique @username", async (t) => {
  const [alice, bob] = await twoSignedUp(t);
  await bob.page.getByRole('button', { name: 'Edit your profile' }).click();
  await bob.page.getByLabel('Display name').fill('Alice');
  await bob.page.getByRole('button', { name: 'Save' }).click();
  await bob.page.getByRole('dialog').getByText('Saved.').waitFor();
  await bob.page.keyboard.press('Escape');
  await openDirect(alice, bob, 'Alice');
  await send(bob.page, 'it is me, Alice');

  // On Alice's screen both messages are signed "Alice"; the usernames tell them apart.
  const mine = message(alice.page, 'hi Bob').locator('.message-head');
  const his = message(alice.page, 'it is me, Alice').locator('.message-head');
  await his.getByText(`@${bob.username}`, { exact: true }).waitFor({ timeout: UI_MS });
  await his.getByRole('button', { name: 'Alice', exact: true }).waitFor();
  await mine.getByText(`@${alice.username}`, { exact: true }).waitFor();
  await mine.getByRole('button', { name: 'Alice', exact: true }).waitFor();
  await alice.page.locator('.room-header .topic').getByText(`@${bob.username}`).waitFor();
  await alice.page.locator('.room-header').getByRole('button', { name: 'Details' }).click();
  await alice.page.locator('.members').getByText(`@${bob.username}`).waitFor({ timeout: UI_MS });
  await alice.page.locator('.members').getByText(`@${alice.username}`).waitFor();
  clean(t, alice, bob);
});

test.serial('when someone renames themselves, the people they talk to see the new name at once, beside their old messages too, without a reload', async (t) => {
  const [alice, bob] = await twoInDirect(t);
  await send(bob.page, 'said before the rename');
  await message(alice.page, 'said before the rename').waitFor({ timeout: UI_MS });
  await bob.page.getByRole('button', { name: 'Edit your profile' }).click();
  await bob.page.getByLabel('Display name').fill('Robert');
  await bob.page.getByRole('button', { name: 'Save' }).click();
  await bob.page.getByRole('dialog').getByText('Saved.').waitFor();
  await bob.page.keyboard.press('Escape');

  // Alice is on the other replica and never reloads.
  await alice.page.getByTestId('room-title').getByText('Robert').waitFor({ timeout: UI_MS });
  await message(alice.page, 'said before the rename').locator('.message-head').getByRole('button', { name: 'Robert', exact: true }).waitFor();
  await roomButton(alice.page, 'Robert').waitFor();
  t.is(await alice.page.locator('.message-head').getByRole('button', { name: 'Bob', exact: true }).count(), 0);
  clean(t, alice, bob);
});

test.serial(
  'an avatar on another server is never loaded (it would tell that server who reads its owner, from where and when): the initial is shown',
  async (t) => {
    const [alice, bob] = await twoInDirect(t);
    const elsewhere: string[] = [];
    alice.page.on('request', (request) => {
      if (/^https?:/.test(request.url()) && !request.url().startsWith(gateways[0]!)) elsewhere.push(request.url());
    });
    const { accessToken } = JSON.parse(await bob.page.evaluate(() => localStorage.getItem('chat.session') ?? '{}')) as { accessToken: string };
    for (const avatarUrl of ['https://tracker.example/pixel.png?who=bob', 'https://127.0.0.1:1/pixel.png']) {
      const patched = await bob.page.request.patch('/api/profiles/me', { headers: { authorization: `Bearer ${accessToken}` }, data: { avatarUrl } });
      t.is(patched.status(), 200, 'the API still takes an https: avatarUrl');
      await send(bob.page, `look at my picture at ${avatarUrl}`);
      await alice.page.reload();
      await roomButton(alice.page, 'Bob').click();
      const said = message(alice.page, `look at my picture at ${avatarUrl}`);
      await said.waitFor({ timeout: UI_MS });
      // Bob's messages may be grouped under one head: his initial is on the group's avatar.
      await alice.page.locator('.message-gutter .avatar').getByText('B', { exact: true }).first().waitFor();
      t.is(await alice.page.locator('.avatar img').count(), 0);
    }
    await alice.page.locator('.room-header').getByRole('button', { name: 'Details' }).click();
    await alice.page.locator('.members').getByText(`@${bob.username}`).waitFor({ timeout: UI_MS });
    t.is(await alice.page.locator('.avatar img').count(), 0);
    t.deepEqual(elsewhere, []);
    clean(t, alice, bob);
  },
);

test.serial('offline and back: the client says so, catches up with sync, and sends what was typed offline exactly once', async (t) => {
  const [alice, bob] = await twoInDirect(t);
  await bob.context.setOffline(true);
  await bob.page.getByTestId('connection').getByText('You are offline').waitFor();
  await send(alice.page, 'sent while you were away (1)');
  await send(alice.page, 'sent while you were away (2)');
  await message(alice.page, 'sent while you were away (2)').waitFor({ timeout: UI_MS });
  await send(bob.page, 'typed while offline');
  await bob.page.getByTestId('pending-message').getByText('Sending…').waitFor();
  await shot(bob.page, 'offline');

  await bob.context.setOffline(false);
  await message(bob.page, 'sent while you were away (1)').waitFor({ timeout: UI_MS });
  await message(bob.page, 'sent while you were away (2)').waitFor({ timeout: UI_MS });
  await message(bob.page, 'typed while offline').waitFor({ timeout: UI_MS });
  await bob.page.getByTestId('connection').waitFor({ state: 'detached', timeout: UI_MS });
  t.is(await bob.page.getByTestId('pending-message').count(), 0);
  await message(alice.page, 'typed while offline').waitFor({ timeout: UI_MS });
  // One more round trip, so that a duplicate would have arrived by now.
  await send(bob.page, 'and now live again');
  await message(alice.page, 'and now live again').waitFor({ timeout: UI_MS });
  t.is(await message(alice.page, 'typed while offline').count(), 1);
  t.deepEqual(await bob.page.getByTestId('message-body').allTextContents(), [
    'hi Bob',
    'sent while you were away (1)',
    'sent while you were away (2)',
    'typed while offline',
    'and now live again',
  ]);
  clean(t, alice, bob);
});

test.serial('a private room: created, a member added from the member panel sees it at once and talks; signing out ends the session', async (t) => {
  const [alice, bob] = await twoInDirect(t);
  const secret = `Secret ${alice.username.slice(-8)}`;
  await alice.page.getByRole('button', { name: 'New room' }).click();
  await alice.page.getByLabel('Name').fill(secret);
  await alice.page.getByLabel(/Private/).check();
  await alice.page.getByRole('button', { name: 'Create room' }).click();
  await alice.page.getByTestId('room-title').getByText(secret).waitFor();
  await alice.page.getByRole('button', { name: 'Members' }).click();
  // Bob is offered because Alice has met him (their conversation); the field takes his user id.
  await alice.page.getByLabel('Add a member').fill(await myUserId(bob.page));
  await alice.page.locator('.invite').getByRole('button', { name: 'Add' }).click();
  await alice.page.locator('.members').getByRole('button', { name: /Bob/ }).waitFor({ timeout: UI_MS });

  await roomButton(bob.page, secret).click({ timeout: UI_MS });
  await send(bob.page, 'thanks for the invitation');
  await message(alice.page, 'thanks for the invitation').waitFor({ timeout: UI_MS });

  await bob.page.getByRole('button', { name: 'Sign out' }).click();
  await bob.page.getByRole('tab', { name: 'Sign in' }).waitFor();
  await bob.page.reload();
  await bob.page.getByRole('tab', { name: 'Sign in' }).waitFor();
  t.is(await bob.page.evaluate(() => localStorage.getItem('chat.session')), null);
  await signIn(bob);
  await roomButton(bob.page, secret).waitFor();
  clean(t, alice, bob);
});

test.serial(
  'what is typed as a room opens stays there: typed before the first paint, in the same task as the click, or just after it, sent with Enter or the button, each once and in its room',
  async (t) => {
    const [alice, bob] = await twoInDirect(t);
    const notes = `Notes ${alice.username.slice(-8)}`;
    await alice.page.getByRole('button', { name: 'New room' }).click();
    await alice.page.getByLabel('Name').fill(notes);
    await alice.page.getByRole('button', { name: 'Create room' }).click();
    await alice.page.getByTestId('room-title').getByText(notes).waitFor();
    const composer = alice.page.locator('.composer textarea');
    // A person who pastes at once and sends a moment later: whatever the room switch scheduled for after the paint
    // has run by the time they send.
    const moment = () => alice.page.evaluate(() => new Promise((done) => setTimeout(done, 500)));

    // Typed by the click's own task, before the new room is even rendered.
    await alice.page.evaluate((text) => {
      const item = [...document.querySelectorAll<HTMLElement>('.room-item')].find((el) => el.querySelector('.room-name')?.textContent?.includes('Bob'));
      item!.click();
      queueMicrotask(() => {
        const area = document.querySelector<HTMLTextAreaElement>('.composer textarea')!;
        area.value = text;
        area.dispatchEvent(new Event('input', { bubbles: true }));
      });
    }, 'typed as the room opened');
    await alice.page.getByTestId('room-title').getByText('Bob').waitFor();
    await moment();
    t.is(await composer.inputValue(), 'typed as the room opened');
    await composer.press('Enter');
    await message(bob.page, 'typed as the room opened').waitFor({ timeout: UI_MS });

    // Typed just after the switch, sent with the button.
    await roomButton(alice.page, notes).click();
    await composer.fill('a note to self');
    await moment();
    await alice.page.locator('.composer').getByRole('button', { name: 'Send' }).click();
    await message(alice.page, 'a note to self').waitFor({ timeout: UI_MS });

    // Half a draft left behind does not follow to the next room.
    await composer.fill('never sent');
    await roomButton(alice.page, 'Bob').click();
    await alice.page.getByTestId('room-title').getByText('Bob').waitFor();
    t.is(await composer.inputValue(), '');
    await composer.fill('and back in the conversation');
    await moment();
    await composer.press('Enter');
    await message(bob.page, 'and back in the conversation').waitFor({ timeout: UI_MS });

    t.deepEqual(await bob.page.getByTestId('message-body').allTextContents(), ['hi Bob', 'typed as the room opened', 'and back in the conversation']);
    t.is(await message(alice.page, 'never sent').count(), 0);
    clean(t, alice, bob);
  },
);

test.serial('a search answered late does not replace a newer one: public rooms listed are those of the words in the box', async (t) => {
  const alice = await person(t, 0, 'Alice');
  await signUp(alice);
  const page = alice.page;
  const tag = alice.username.slice(-8);
  for (const name of [`Stale ${tag} one`, `Stale ${tag} two`]) {
    await page.getByRole('button', { name: 'New room' }).click();
    await page.getByLabel('Name').fill(name);
    await page.getByRole('button', { name: 'Create room' }).click();
    await page.getByTestId('room-title').getByText(name).waitFor();
  }
  const older = `Stale ${tag}`;
  const newer = `Stale ${tag} two`;
  const searched = (url: string) => new URL(url).pathname === '/api/rooms/public' && new URL(url).searchParams.get('query');
  // The older search's request is held until the newer one is answered: its answer comes in last.
  let release!: () => void;
  const released = new Promise<void>((done) => (release = done));
  let held!: () => void;
  const olderSent = new Promise<void>((done) => (held = done));
  await page.route(
    (url) => searched(url.href) === older,
    async (route) => {
      held();
      await released;
      await route.continue();
    },
  );

  await page.getByRole('button', { name: 'Discover' }).click();
  const box = page.getByLabel('Search public rooms');
  await box.fill(older);
  await olderSent;
  const newerAnswered = page.waitForResponse((response) => searched(response.url()) === newer);
  await box.fill(newer);
  await newerAnswered;
  await page.getByRole('button', { name: `Open ${newer}` }).waitFor();
  const olderAnswered = page.waitForResponse((response) => searched(response.url()) === older);
  release();
  await (await olderAnswered).finished();
  // A request of the page's own made after that answer arrived, and read: the page took the late answer in first.
  await page.evaluate(async () => void (await (await fetch('/')).text()));
  t.deepEqual(await page.locator('.discover-name').allTextContents(), [`# ${newer}`]);
  clean(t, alice);
});

test.serial('a room-list read answered before a room was created does not hide it: the new room opens and is listed', async (t) => {
  const alice = await person(t, 0, 'Alice');
  await signUp(alice);
  const page = alice.page;
  const name = `Fresh ${alice.username.slice(-8)}`;
  // The next room-list read is answered by the server at once, before the room exists, and handed to the page only
  // after the room is created and its member_joined has reached the page: a read under way, older than the change.
  let answered!: () => void;
  const staleListRead = new Promise<void>((done) => (answered = done));
  let release!: () => void;
  const released = new Promise<void>((done) => (release = done));
  let held = false;
  await page.route(
    (url) => url.pathname === '/api/rooms',
    async (route) => {
      if (route.request().method() !== 'GET' || held) return route.continue();
      held = true;
      const response = await route.fetch();
      answered();
      await released;
      await route.fulfill({ response });
    },
  );
  const joined = new Promise<void>((done) =>
    page.on('websocket', (socket) => socket.on('framereceived', ({ payload }) => String(payload).includes('"room:member_joined"') && done())),
  );
  await page.reload(); // signed in again from the stored session, which reads the room list
  await staleListRead;
  const created = page.waitForResponse((response) => new URL(response.url()).pathname === '/api/rooms' && response.request().method() === 'POST');
  await page.getByRole('button', { name: 'New room' }).click();
  await page.getByLabel('Name').fill(name);
  await page.getByRole('button', { name: 'Create room' }).click();
  await created;
  await joined;
  release();
  await page.getByTestId('room-title').getByText(name).waitFor({ timeout: UI_MS });
  await roomButton(page, name).waitFor({ timeout: UI_MS });
  clean(t, alice);
});

test.serial('the session outlives its access token: refreshed in the background, the socket stays open and keeps delivering', async (t) => {
  const [alice, bob] = await twoInDirect(t);
  const session = () => alice.page.evaluate(() => JSON.parse(localStorage.getItem('chat.session') ?? '{}') as { accessToken: string; accessExpiresAt: number });
  const first = await session();
  // Record any connection trouble the page shows from now on.
  await alice.page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { connectionSeen: string[] }).connectionSeen = seen;
    new MutationObserver(() => {
      const banner = document.querySelector('[data-testid=connection]');
      if (banner) seen.push(banner.textContent ?? '');
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  await alice.page.waitForFunction((token) => !localStorage.getItem('chat.session')?.includes(token), first.accessToken, { timeout: 40_000 });
  // The first token is now past its expiry: the server would have closed a socket still holding it.
  await alice.page.waitForFunction((expiresAt) => Date.now() > expiresAt + 1_000, first.accessExpiresAt, { timeout: 40_000 });
  await send(bob.page, 'still with me?');
  await message(alice.page, 'still with me?').waitFor({ timeout: UI_MS });
  await send(alice.page, 'yes');
  await message(bob.page, 'yes').waitFor({ timeout: UI_MS });
  t.deepEqual(await alice.page.evaluate(() => (window as unknown as { connectionSeen: string[] }).connectionSeen), []);
  clean(t, alice, bob);
});

test.serial('a refresh whose answer never reaches the page (a dropped connection, a reload meanwhile) leaves the user signed in', async (t) => {
  const bob = await person(t, 1, 'Bob');
  await signUp(bob);
  const page = bob.page;
  const stored = () => page.evaluate(() => JSON.parse(localStorage.getItem('chat.session') ?? 'null') as { refreshToken: string; accessToken: string } | null);
  /** Says the access token expires in a second and reloads: the new page refreshes at once. */
  const reloadNearExpiry = async () => {
    await page.evaluate(() => {
      const session = JSON.parse(localStorage.getItem('chat.session')!) as { accessExpiresAt: number };
      localStorage.setItem('chat.session', JSON.stringify({ ...session, accessExpiresAt: Date.now() + 1_000 }));
    });
    await page.reload();
  };
  // The server spends the refresh token and answers; the page never gets the answer.
  let lost = 0;
  await page.route('**/api/auth/refresh', async (route) => {
    if (lost > 0) return route.continue();
    lost++;
    t.is((await route.fetch()).status(), 200);
    await route.abort('connectionreset');
  });
  const spent = (await stored())!.refreshToken;
  const retried = page.waitForResponse((r) => r.url().endsWith('/api/auth/refresh'), { timeout: UI_MS });
  await reloadNearExpiry();
  // The page tries again with the token the server already spent.
  t.is((await retried).status(), 200);
  await page.waitForFunction((old) => !localStorage.getItem('chat.session')?.includes(old), spent, { timeout: UI_MS });
  t.is(lost, 1);
  await page.getByRole('button', { name: 'Edit your profile' }).waitFor();
  // The new pair works: its access token reads the caller, its refresh token refreshes once more.
  const me = await page.evaluate(
    async (token) => (await fetch('/api/auth/me', { headers: { authorization: `Bearer ${token}` } })).status,
    (await stored())!.accessToken,
  );
  t.is(me, 200);
  const again = page.waitForResponse((r) => r.url().endsWith('/api/auth/refresh'), { timeout: UI_MS });
  await reloadNearExpiry();
  t.is((await again).status(), 200);
  await page.getByRole('button', { name: 'Edit your profile' }).waitFor();
  t.is(await page.getByLabel('Username or email').count(), 0);
  clean(t, bob);
});

test.serial('profile: a new name, bio and uploaded avatar are shown; on a phone-sized screen the list and the room take the whole screen', async (t) => {
  const [alice, bob] = await twoInDirect(t);
  const page = alice.page;
  await page.getByRole('button', { name: 'Edit your profile' }).click();
  await page.getByLabel('Display name').fill('Alice Liddell');
  await page.getByLabel('Bio').fill('Curiouser and curiouser.');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('dialog').getByText('Saved.').waitFor();
  // A real PNG, drawn by the browser itself.
  const png = await page.evaluate(() => {
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 96;
    const g = canvas.getContext('2d')!;
    const gradient = g.createLinearGradient(0, 0, 96, 96);
    gradient.addColorStop(0, '#f59e0b');
    gradient.addColorStop(1, '#db2777');
    g.fillStyle = gradient;
    g.fillRect(0, 0, 96, 96);
    g.fillStyle = '#fff';
    g.beginPath();
    g.arc(48, 40, 18, 0, Math.PI * 2);
    g.arc(48, 100, 36, 0, Math.PI * 2);
    g.fill();
    return canvas.toDataURL('image/png').split(',')[1]!;
  });
  await page.locator('.file-button input[type=file]').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: Buffer.from(png, 'base64') });
  const avatar = page.getByRole('dialog').locator('.avatar-large img');
  await avatar.waitFor({ timeout: UI_MS });
  await page.waitForFunction((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth === 96, await avatar.elementHandle(), {
    timeout: UI_MS,
  });
  await shot(page, 'profile');
  await page.keyboard.press('Escape');
  await page.locator('.me-name').getByText('Alice Liddell').waitFor();

  // Bob, on the other replica, sees the new picture on his next read of the profile.
  await bob.page.locator('.room-header').getByRole('button', { name: 'Details' }).click();
  await bob.page.locator('.members').getByRole('button', { name: /Alice/ }).click();
  const card = bob.page.getByRole('dialog');
  await card.getByText('Curiouser and curiouser.').waitFor();
  await card.locator('.avatar-large img').waitFor();
  await bob.page.keyboard.press('Escape');

  // The same account on a phone.
  const phone = await person(t, 0, 'Alice', { width: 390, height: 780 });
  phone.username = alice.username;
  phone.password = alice.password;
  await signIn(phone);
  await roomButton(phone.page, 'Bob').waitFor();
  t.false(await phone.page.locator('.room').isVisible());
  await shot(phone.page, 'phone-rooms');
  await roomButton(phone.page, 'Bob').click();
  await message(phone.page, 'hi Bob').waitFor();
  t.false(await phone.page.locator('.sidebar').isVisible());
  await send(phone.page, 'from my phone');
  await message(bob.page, 'from my phone').waitFor({ timeout: UI_MS });
  await shot(phone.page, 'phone-room');
  await phone.page.getByRole('button', { name: 'Back to rooms' }).click();
  await roomButton(phone.page, 'Bob').waitFor();
  clean(t, alice, bob, phone);
});

test.serial('history loads as the user scrolls up, in order, with the view kept where the reader was', async (t) => {
  const [alice, bob] = await twoInDirect(t);
  const roomId = await bob.page.locator('.room-item[aria-current=page]').getAttribute('data-room-id');
  // 70 more messages through the REST API, with the page's own (refreshed) token.
  await alice.page.evaluate(async (room) => {
    for (let i = 1; i <= 70; i++) {
      const { accessToken } = JSON.parse(localStorage.getItem('chat.session') ?? '{}') as { accessToken: string };
      const response = await fetch(`/api/rooms/${room}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
        body: JSON.stringify({ body: `history ${i}`, clientMsgId: `history-${i}` }),
      });
      if (response.status !== 201) throw new Error(`message ${i}: ${response.status}`);
    }
  }, roomId);
  await message(bob.page, 'history 70').waitFor({ timeout: UI_MS });
  await bob.page.reload();
  await roomButton(bob.page, 'Alice').click();
  await message(bob.page, 'history 70').waitFor();
  const list = bob.page.getByTestId('messages');
  t.is(await bob.page.getByTestId('message-body').count(), 50);
  // Every request Bob's page makes from here on, for the log if the older page never comes.
  const requests: string[] = [];
  const where = (url: string) => `${new URL(url).pathname}${new URL(url).search}`;
  bob.page.on('request', (request) => requests.push(`${request.method()} ${where(request.url())}`));
  bob.page.on('requestfinished', (request) => requests.push(`done ${where(request.url())}`));
  // The scroll to the top and a render in the same task (the Details panel opening), so the render comes before
  // the scroll is reported: it must not take the reader back to the bottom (it did, and no older page was asked for).
  await list.evaluate((el) => {
    const details = el.closest('.room')?.querySelector<HTMLButtonElement>('.room-header button[aria-expanded]');
    if (!details) throw new Error('no Details button in the room header');
    el.scrollTo({ top: 0 });
    details.click();
  });
  await message(bob.page, 'hi Bob')
    .waitFor()
    .catch(async (error: unknown) => {
      const view = await list.evaluate((el) => ({
        scrollTop: el.scrollTop,
        scrollHeight: el.scrollHeight,
        clientHeight: el.clientHeight,
        status: el.querySelector('.list-status')?.textContent,
        bodies: el.querySelectorAll('[data-testid=message-body]').length,
      }));
      t.log({ view, requests });
      throw error;
    });
  await bob.page.getByText('This is the beginning of the conversation.').waitFor();
  t.deepEqual(await bob.page.getByTestId('message-body').allTextContents(), ['hi Bob', ...Array.from({ length: 70 }, (_, i) => `history ${i + 1}`)]);
  // The older page went on top of what the reader was looking at, not under the view.
  t.true(await list.evaluate((el) => el.scrollTop > 0));
  clean(t, alice, bob);
});

test.serial(
  'the API docs page: Swagger UI lists every operation of the document and opens them with their details, under its CSP, loading nothing from elsewhere',
  async (t) => {
    const gateway = gateways[0]!;
    const context = await browser.newContext({ baseURL: gateway });
    t.teardown(() => context.close());
    const page = await context.newPage();
    const seen = { problems: [] as string[], dialogs: [] as string[] };
    watch(seen, page);
    const origins = new Set<string>();
    page.on('request', (request) => origins.add(new URL(request.url()).origin));
    const openapi = (await (await fetch(`${gateway}/api/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const operations = Object.values(openapi.paths).flatMap((item) =>
      Object.keys(item).filter((key) => ['get', 'put', 'post', 'patch', 'delete'].includes(key)),
    );

    await page.goto('/api/docs');
    await page.getByRole('heading', { name: /Chat platform API/ }).waitFor({ timeout: UI_MS });
    const blocks = page.locator('.opblock');
    await blocks.nth(operations.length - 1).waitFor({ timeout: UI_MS });
    t.is(await blocks.count(), operations.length);
    // Opened, an operation shows its parameters, body and responses with highlighted examples: the parts most likely
    // to want inline styles or scripts. A few are enough (rendering them all takes the better part of a minute).
    const opened = 4;
    for (let i = 0; i < opened; i++) await page.locator('.opblock-summary-control').nth(i).click();
    await page
      .locator('.responses-table')
      .nth(opened - 1)
      .waitFor({ timeout: UI_MS });
    t.true((await page.locator('.opblock-body .highlight-code').count()) >= opened);

    t.deepEqual([...origins], [new URL(gateway).origin]);
    t.deepEqual(seen.problems, [], 'page errors or CSP violations');
    t.deepEqual(seen.dialogs, []);
  },
);

test.serial('every refusal is a sentence: a taken username, a wrong password, then 429 with how long to wait', async (t) => {
  const [first, second] = await Promise.all([person(t, 0, 'Carol'), person(t, 1, 'Dave')]);
  await signUp(first);
  second.username = first.username;
  await second.page.getByRole('tab', { name: 'Create account' }).click();
  await second.page.getByLabel('Username').fill(first.username);
  await second.page.getByLabel('Email').fill(second.email);
  await second.page.getByLabel('Password').fill(second.password);
  await second.page.locator('form button[type=submit]').click();
  await second.page.getByRole('alert').getByText('This username is already taken').waitFor();

  await second.page.getByRole('tab', { name: 'Sign in' }).click();
  let last = '';
  for (let attempt = 1; attempt <= 10 && !/Too many attempts/.test(last); attempt++) {
    const answered = second.page.waitForResponse((r) => r.url().endsWith('/api/auth/login'));
    await signIn(second, second.page, 'not-the-password');
    const response = await answered;
    await second.page.getByRole('alert').waitFor();
    last = (await second.page.getByRole('alert').textContent()) ?? '';
    if (response.status() === 401) t.is(last, 'Wrong username, email or password.');
  }
  t.regex(last, /^Too many attempts\. Please wait \d+ (minutes|seconds?) and try again\.$/);
  await shot(second.page, 'rate-limited');
  clean(t, first, second);
});
