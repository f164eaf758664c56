import { api as apiFeature } from '../../main/features/api.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { uiSuite } from '../helpers/ui-suite.ts';

/**
 * Accounts as people meet them in the browser: the first administrator from the set-up link the server printed, a
 * technician added on the Users screen, signing in as them (screens and buttons follow the role), a node's rights on
 * the Nodes screen, and the Audit screen listing who signed in.
 */
describe('accounts in the UI', () => {
  const ui = uiSuite('accounts', { acceptDialogs: true });
  let archive: TestArchive;
  const origin = () => `http://127.0.0.1:${archive.server.api!.port}`;

  beforeAll(async () => {
    archive = await startArchive();
  });
  afterAll(async () => {
    await archive?.stop();
  });

  const signIn = async (name: string, password: string) => {
    await ui.page.getByLabel('User name').fill(name);
    await ui.page.getByLabel('Password', { exact: true }).fill(password);
    await ui.page.getByRole('button', { name: 'Sign in' }).click();
  };

  it('creates the first administrator from the set-up link, and keeps the session in a cookie the page cannot read', async () => {
    await ui.page.goto(archive.server.feature(apiFeature).setupLink()!);
    await ui.page.getByText('Create the first administrator').waitFor();
    await ui.page.getByLabel('User name').fill('ines');
    await ui.page.getByLabel('Password', { exact: true }).fill('the first admin pw');
    await ui.page.getByLabel('Password again').fill('the first admin pw');
    await ui.page.getByRole('button', { name: 'Create administrator' }).click();
    await ui.page.getByRole('button', { name: 'ines (admin)' }).waitFor();
    expect(ui.page.url()).not.toContain('setup=');
    expect(await ui.page.evaluate('document.cookie')).toBe('');
    expect((await ui.page.context().cookies()).map((c) => [c.name, c.httpOnly, c.sameSite])).toEqual([
      ['pacs_session', true, 'Strict'],
    ]);
    for (const tab of ['Monitor', 'Studies', 'Query/Retrieve', 'Worklist', 'Nodes', 'Settings', 'Users', 'Audit']) {
      await ui.page.getByRole('link', { name: tab, exact: true }).waitFor();
    }
    // Reloading keeps the session.
    await ui.page.reload();
    await ui.page.getByRole('button', { name: 'ines (admin)' }).waitFor();
  });

  it('adds a technician on the Users screen; signed in as them, the admin screens and the delete buttons are gone', async () => {
    await ui.page.getByRole('link', { name: 'Users', exact: true }).click();
    await ui.page.fill('input[name=new-user]', 'tomas');
    await ui.page.selectOption('select[name=new-role]', 'technician');
    await ui.page.fill('input[name=new-password]', 'short');
    await ui.page.getByRole('button', { name: 'Add user' }).click();
    await ui.page.getByText('a password needs at least 12 characters').waitFor();
    await ui.page.fill('input[name=new-password]', 'Password2026!');
    await ui.page.getByRole('button', { name: 'Add user' }).click();
    await ui.page.getByText('this password is among the most common ones; choose another').waitFor();
    await ui.page.fill('input[name=new-password]', 'first-one-2026');
    await ui.page.getByRole('button', { name: 'Add user' }).click();
    await ui.page.getByRole('cell', { name: 'tomas', exact: true }).waitFor();
    // The admin sets another password for him, asked in the page (Electron's windows have no window.prompt).
    await ui.page.getByRole('row', { name: /tomas/ }).getByRole('button', { name: 'Set password' }).click();
    const ask = ui.page.getByRole('dialog');
    await ask.getByLabel('New password for tomas (at least 12 characters):').fill('works-here-2026');
    await ask.getByRole('button', { name: 'OK' }).click();
    await ask.waitFor({ state: 'detached' });
    await ui.page.getByRole('button', { name: 'ines (admin)' }).click();
    await ui.page.getByRole('button', { name: 'Sign out' }).click();
    await ui.page.getByRole('button', { name: 'Sign in' }).waitFor();
    await signIn('tomas', 'wrong password');
    await ui.page.getByText('wrong user name or password').waitFor();
    await signIn('tomas', 'works-here-2026');
    await ui.page.getByRole('button', { name: 'tomas (technician)' }).waitFor();
    await ui.page.getByRole('link', { name: 'Query/Retrieve', exact: true }).waitFor();
    for (const tab of ['Settings', 'Users', 'Audit'])
      expect(await ui.page.getByRole('link', { name: tab, exact: true }).count()).toBe(0);
    await ui.page.goto(`${origin()}/#/settings`);
    await ui.page.getByRole('heading', { name: /Open associations/ }).waitFor();
    await ui.page.getByRole('link', { name: 'Nodes', exact: true }).click();
    await ui.page.getByRole('heading', { name: 'DICOM nodes' }).waitFor();
    expect(await ui.page.getByRole('heading', { name: 'Add a node' }).count()).toBe(0);
    expect(await ui.page.getByRole('heading', { name: 'Add a DICOMweb node' }).count()).toBe(0);
    await ui.page.getByRole('button', { name: 'tomas (technician)' }).click();
    await ui.page.getByLabel('Current password').fill('works-here-2026');
    await ui.page.getByLabel('New password').fill('changed-it-2026');
    await ui.page.getByRole('button', { name: 'Change password' }).click();
    await ui.page.getByText('Password changed.').waitFor();
    await ui.page.getByRole('button', { name: 'Sign out' }).click();
    await signIn('ines', 'the first admin pw');
    await ui.page.getByRole('button', { name: 'ines (admin)' }).waitFor();
  });

  it('offers a viewer no node form, test or delete it could only be refused', async () => {
    archive.server.config.webNodes.upsert({ name: 'CLOUD', url: 'http://127.0.0.1:9/dicom-web', auth: '' });
    const admin = await ui.page.context().cookies();
    expect(admin.length).toBe(1);
    const headers = { cookie: `pacs_session=${admin[0]!.value}`, 'content-type': 'application/json', origin: origin() };
    expect(
      (
        await fetch(`${origin()}/api/users`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ name: 'vera', role: 'viewer', password: 'only-looking-2026' }),
        })
      ).status,
    ).toBe(200);
    const viewer = await ui.newPage();
    try {
      await viewer.goto(`${origin()}/#/nodes`);
      await viewer.getByLabel('User name').fill('vera');
      await viewer.getByLabel('Password', { exact: true }).fill('only-looking-2026');
      await viewer.getByRole('button', { name: 'Sign in' }).click();
      await viewer.locator('tr[data-web-node=CLOUD]').waitFor();
      expect(await viewer.locator('tr[data-web-node=CLOUD] button').count()).toBe(0);
      expect(await viewer.getByRole('heading', { name: 'Add a DICOMweb node' }).count()).toBe(0);
      expect(await viewer.getByRole('heading', { name: 'Add a node' }).count()).toBe(0);
    } finally {
      await viewer.close();
    }
  });

  it('edits what a node may do on the Nodes screen', async () => {
    await ui.page.getByRole('link', { name: 'Nodes', exact: true }).click();
    await ui.page.fill('input[name=ae]', 'CT_ROOM');
    await ui.page.fill('input[name=host]', '127.0.0.1');
    await ui.page.fill('input[name=port]', '104');
    for (const right of ['query', 'retrieve', 'worklist']) await ui.page.uncheck(`input[name=right-${right}]`);
    await ui.page.check('input[name=check-host]');
    await ui.page.getByRole('button', { name: 'Add', exact: true }).click();
    await expect
      .poll(() => ui.page.locator('tr[data-ae=CT_ROOM] .node-rights').textContent())
      .toBe('store, commit, mpps; address checked');
    expect(archive.server.config.nodeRights.of('CT_ROOM')).toMatchObject({
      rights: ['store', 'commit', 'mpps'],
      checkHost: true,
    });
  });

  it('shows the audit trail to the admin: sign-ins, the failed one, the user added, filtered by user', async () => {
    await archive.server.core.audit.flush();
    await ui.page.getByRole('link', { name: 'Audit', exact: true }).click();
    await ui.page.locator('table.audit tbody tr').first().waitFor();
    const rows = async () => ui.page.locator('table.audit tbody tr').allTextContents();
    expect((await rows()).some((r) => r.includes('tomas') && r.includes('login-failed'))).toBe(true);
    expect(
      (await rows()).some((r) => r.includes('ines') && r.includes('user-created') && r.includes('tomas as technician')),
    ).toBe(true);
    expect((await rows()).some((r) => r.includes('nodes-changed') && r.includes('CT_ROOM'))).toBe(true);
    await ui.page.fill('input[name=audit-user]', 'tomas');
    await ui.page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(async () => (await rows()).every((r) => r.includes('tomas'))).toBe(true);
    const download = ui.page.waitForEvent('download');
    await ui.page.getByRole('link', { name: 'Export CSV' }).click();
    const csv = await (await download).createReadStream();
    let text = '';
    for await (const chunk of csv) text += String(chunk);
    expect(text.startsWith('\uFEFF')).toBe(true); // UTF-8 with its byte order mark, for spreadsheets
    expect(text.slice(1).split('\r\n')[0]).toBe('id,at,user,source,action,outcome,patientId,studyUid,detail');
    expect(text).toContain('password-changed');
    expect(
      ui.errors.filter((e) => !/status of 40[013]/.test(e)),
      ui.errors.join('\n'),
    ).toEqual([]);
  });
});
