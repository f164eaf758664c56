import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { BRIDGE_CHANNEL, IMPORT_CHANNEL } from '../../common/desktop-bridge.ts';

/** The sandboxed preload cannot import the bridge contract: it names the channels itself, and they must agree. */
describe('the desktop bridge contract', () => {
  const preload = readFileSync(new URL('../../electron/preload.cjs', import.meta.url), 'utf8');
  it('is what the preload asks the main process on', () => {
    expect(preload).toContain(`ipcRenderer.sendSync('${BRIDGE_CHANNEL}')`);
    expect(preload).toContain(`ipcRenderer.invoke('${IMPORT_CHANNEL}')`);
  });
});
