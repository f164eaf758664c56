import { ENDPOINTS } from '../../../main/api/endpoints.ts';
import { useState } from 'react';
import { ROLES } from '../../../common/roles.ts';
import { api } from '../api.ts';
import { ActionButton, DeleteButton, ErrorText, Field, Section } from '../components.tsx';
import { useLoad } from '../hooks.ts';
import { dateTime } from '../format.ts';
import { t } from '../i18n.ts';
import { askText } from '../ask-text.tsx';
import { ApiKeys } from '../api-keys.tsx';

const ROLE_HELP: Record<string, string> = {
  admin: 'everything: settings, nodes, users, deleting, retention, the audit trail',
  technician: 'query/retrieve, send, export, import, worklist, correcting studies',
  viewer: 'search and view only',
};

/** Accounts, for administrators: who may sign in with which role; new passwords; who is locked out. */
export function Users({ me }: { me: string }) {
  const users = useLoad(() => api(ENDPOINTS.users), []);
  const [form, setForm] = useState({ name: '', role: 'technician', password: '' });
  const [error, setError] = useState('');
  return (
    <>
      <Section title={t('Users')}>
        <ErrorText error={users.error} />
        <table className="list">
          <thead>
            <tr>
              <th>{t('User')}</th>
              <th>{t('Role')}</th>
              <th>{t('Last sign-in')}</th>
              <th>{t('State')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {users.data?.map((u) => (
              <tr key={u.name}>
                <td>{u.name}</td>
                <td>
                  <select
                    aria-label={t('Role of {name}', { name: u.name })}
                    value={u.role}
                    onChange={(e) => {
                      api(ENDPOINTS.user, { params: [u.name], body: { role: e.target.value } }).then(
                        users.reload,
                        (err: Error) => {
                          setError(err.message);
                          users.reload();
                        },
                      );
                    }}
                  >
                    {ROLES.map((r) => (
                      <option key={r} value={r}>
                        {t(r)}
                      </option>
                    ))}
                  </select>
                </td>
                <td>{u.lastLogin ? dateTime(u.lastLogin) : t('never')}</td>
                <td>{u.locked ? t('locked (too many failed sign-ins)') : t('active')}</td>
                <td>
                  <ActionButton
                    onClick={async () => {
                      const password = await askText(
                        t('New password for {name} (at least 12 characters):', { name: u.name }),
                        { secret: true },
                      );
                      if (password) await api(ENDPOINTS.user, { params: [u.name], body: { password } });
                      users.reload();
                    }}
                  >
                    {t('Set password')}
                  </ActionButton>
                  {u.name !== me && (
                    <DeleteButton
                      question={t('Delete the user {name}?', { name: u.name })}
                      endpoint={ENDPOINTS.deleteUser}
                      params={[u.name]}
                      onDeleted={users.reload}
                    />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <ErrorText error={error} />
      </Section>
      <Section title={t('Add a user')}>
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            setError('');
            api(ENDPOINTS.addUser, { body: form }).then(
              () => {
                setForm({ name: '', role: form.role, password: '' });
                users.reload();
              },
              (err: Error) => setError(err.message),
            );
          }}
        >
          <Field label={t('User name')}>
            <input name="new-user" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
          </Field>
          <Field label={t('Role')} help={t(ROLE_HELP[form.role] ?? '')}>
            <select name="new-role" value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value })}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {t(r)}
                </option>
              ))}
            </select>
          </Field>
          <Field label={t('Password')} help={t('At least 12 characters; the user can change it after signing in.')}>
            <input
              name="new-password"
              type="password"
              autoComplete="new-password"
              value={form.password}
              onChange={(e) => setForm({ ...form, password: e.target.value })}
            />
          </Field>
          <button type="submit" className="primary">
            {t('Add user')}
          </button>
        </form>
      </Section>
      <ApiKeys />
    </>
  );
}
