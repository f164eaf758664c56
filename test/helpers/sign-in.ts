import { ENDPOINTS } from '../../main/api/endpoints.ts';
import type { SignInLinkDto } from '../../main/api/contract.ts';
import type { ArchiveServer } from '../../main/server.ts';

/**
 * A sign-in link for this computer's browser, made as `cli.ts sign-in-link` and the desktop's "Open in a browser" make
 * it (POST /api/sign-in-link with the install's secret), opening `hash` (e.g. `#/studies`). Works once.
 */
export async function signInUrl(server: ArchiveServer, hash = ''): Promise<string> {
  const res = await fetch(`${server.apiUrl}${ENDPOINTS.signInLink.path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.apiSecret}` },
  });
  if (res.status !== 200) throw new Error(`no sign-in link: HTTP ${res.status} ${await res.text()}`);
  return `${((await res.json()) as SignInLinkDto).url}${hash}`;
}
