import type { Feature } from '../core/feature.ts';
import { Accounts } from '../accounts/accounts.ts';
import { ApiKeys } from '../accounts/api-keys.ts';
import { accountRoutes } from '../api/account-routes.ts';
import { auditRoutes } from '../api/audit-routes.ts';
import { apiNeedsTls } from '../api/api-tls.ts';

export interface AccountParts {
  accounts: Accounts;
  /** Keys other systems sign their requests with. */
  keys: ApiKeys;
}

/** User accounts, sessions and API keys (the API signs every request with them); the Audit screen's API. */
export const accounts: Feature<AccountParts> = {
  name: 'accounts',
  settings: ['SessionIdleMinutes'],
  async start(core) {
    const record = (e: Parameters<typeof core.audit.record>[0]) => core.audit.record(e);
    const users = new Accounts(core.index.accountStore(), record, () => ({
      idleMinutes: core.settings.sessionIdleMinutes,
      maxHours: core.settings.sessionMaxHours,
    }));
    const keys = new ApiKeys(core.index.apiKeyStore(), record);
    await keys.load();
    // The API speaks HTTPS (the session cookie's Secure flag) as dicom.ini said at start.
    const secure = apiNeedsTls(core.settings);
    const routes = [
      ...accountRoutes({
        accounts: users,
        keys,
        sessionMaxHours: () => core.settings.sessionMaxHours,
        secure: () => secure,
      }),
      ...auditRoutes(core.index.auditStore(), { index: core.index, names: (ids) => core.index.patientNames(ids) }),
    ];
    return { provides: { accounts: users, keys }, routes };
  },
};
