import { describe, expect, it } from 'vitest';
import { exportRoots } from '../../main/export/export-roots.ts';

/** Where the UI may export by default (issue 30): removable media places and the data folder's exports. */
describe('export roots', () => {
  it('defaults to where removable media appear and DATA/exports', () => {
    expect(exportRoots([], '/srv/pacs', 'linux')).toEqual(['/media', '/run/media', '/mnt', '/srv/pacs/exports']);
    const windows = exportRoots([], '/srv/pacs', 'win32', 'C:');
    expect(windows).toContain('D:\\');
    expect(windows).toContain('Z:\\');
    expect(windows).not.toContain('C:\\');
    expect(exportRoots([], '/srv/pacs', 'win32', 'D:')).toContain('C:\\');
  });

  it("takes the admin's list instead", () => {
    expect(exportRoots(['/media/usb', '/srv/export'], '/srv/pacs', 'linux')).toEqual(['/media/usb', '/srv/export']);
  });
});
