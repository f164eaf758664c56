import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { uiSuite } from '../helpers/ui-suite.ts';
import { acceptsAndSilent, httpServer, type SilentPeer } from '../helpers/silent-peers.ts';
import { screenshot } from '../helpers/browser.ts';
import { signInUrl } from '../helpers/sign-in.ts';

/**
 * A technician's first-day mistakes in the UI (issue 11): the web port typed as a node's DICOM port, and a node that
 * takes the connection and never answers. Echo says what is wrong; a waiting echo or search has a Cancel button, and
 * cancelling ends the association in the core too. The timeouts stay long so that only Cancel can end the wait.
 */
describe('waiting on nodes in the UI', () => {
  const ui = uiSuite('unresponsive-nodes');
  let local: TestArchive;
  let web: SilentPeer;
  let mute: SilentPeer;
  const open = async (screen: string) => ui.page.goto(await signInUrl(local.server, `#/${screen}`));
  const row = (ae: string) => ui.page.locator(`tr[data-ae=${ae}]`);

  beforeAll(async () => {
    web = await httpServer();
    mute = await acceptsAndSilent();
    local = await startArchive(
      { ARTIMTimeout: '600', ConnectTimeout: '600', DIMSETimeout: '600' },
      [`WEBPORT 127.0.0.1 ${web.port} un`, `MUTE 127.0.0.1 ${mute.port} un`],
      'WORKSTATION',
    );
  });
  afterAll(async () => {
    await local?.stop();
    await web?.stop();
    await mute?.stop();
  });

  it("says that a web server on the node's port is not DICOM", async () => {
    await open('nodes');
    await row('WEBPORT').getByRole('button', { name: 'Echo' }).click();
    await expect
      .poll(() => row('WEBPORT').locator('.echo-result').textContent())
      .toMatch(/not a DICOM peer, or not its DICOM port/);
    await screenshot(ui.page, 'echo-not-dicom');
  });

  it('cancels an echo that waits on a silent node, and the core drops the association', async () => {
    await open('nodes');
    await row('MUTE').getByRole('button', { name: 'Echo' }).click();
    await expect.poll(() => row('MUTE').locator('.echo-result').textContent()).toBe('echoing…');
    await row('MUTE').getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => row('MUTE').locator('.echo-result').textContent()).toBe('Cancelled.');
    await expect.poll(() => local.logText()).toMatch(/MUTE.*aborting: cancelled while negotiating the association/);
    await row('MUTE').getByRole('button', { name: 'Echo' }).waitFor();
  });

  it('cancels a search that waits on a silent node', async () => {
    await open('query');
    await ui.page.locator('select[name=node]').selectOption('MUTE');
    await ui.page.getByRole('button', { name: 'Search', exact: true }).click();
    await ui.page.getByRole('button', { name: 'Searching…' }).waitFor();
    const aborted = local.logs.length;
    await ui.page.getByRole('button', { name: 'Cancel' }).click();
    await ui.page.getByText('Search cancelled.').waitFor();
    await expect
      .poll(() =>
        local.logs
          .slice(aborted)
          .map((r) => r.message)
          .join('\n'),
      )
      .toMatch(/MUTE.*aborting: cancelled while negotiating the association/);
    await ui.page.getByRole('button', { name: 'Search', exact: true }).waitFor();
  });
});
