import { ENDPOINTS } from '../../main/api/endpoints.ts';
import { useState } from 'react';
import type { NewApiKeyDto } from '../../main/api/contract.ts';
import { api } from './api.ts';
import { DeleteButton, ErrorText, Field, Section } from './components.tsx';
import { useLoad } from './hooks.ts';
import { dateTime } from './format.ts';
import { t } from './i18n.ts';

/**
 * Keys for other systems, on the Users screen: another workstation that adds this archive as a DICOMweb node (or a
 * script) signs with a key made here, which stays valid across restarts and from any computer until it is revoked.
 * The key is shown once, with the DICOMweb address to give with it.
 */
export function ApiKeys() {
  const keys = useLoad(() => api(ENDPOINTS.keys), []);
  const [form, setForm] = useState({ name: '', role: 'technician' });
  const [made, setMade] = useState<NewApiKeyDto>();
  const [error, setError] = useState('');
  const dicomweb = `${location.origin}/dicom-web`;
  return (
    <Section title={t('Keys for other systems')}>
      <p className="help">
        {t(
          'Another workstation adds this archive as a DICOMweb node with a key made here (authentication "bearer token"); the key stays valid until it is revoked.',
        )}
      </p>
      <ErrorText error={keys.error} />
      {(keys.data ?? []).length > 0 && (
        <table className="list api-keys">
          <thead>
            <tr>
              <th>{t('Name')}</th>
              <th>{t('Role')}</th>
              <th>{t('Made')}</th>
              <th>{t('Last used')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {keys.data!.map((k) => (
              <tr key={k.name} data-key={k.name}>
                <td>{k.name}</td>
                <td>{t(k.role)}</td>
                <td>
                  {dateTime(k.createdAt)} ({k.createdBy})
                </td>
                <td>{k.lastUsed ? dateTime(k.lastUsed) : t('never')}</td>
                <td>
                  <DeleteButton
                    question={t('Revoke the key {name}? The system that uses it can no longer reach this archive.', {
                      name: k.name,
                    })}
                    endpoint={ENDPOINTS.deleteKey}
                    params={[k.name]}
                    onDeleted={() => {
                      setMade(undefined);
                      keys.reload();
                    }}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          setError('');
          api(ENDPOINTS.addKey, { body: form }).then(
            (k) => {
              setMade(k);
              setForm({ ...form, name: '' });
              keys.reload();
            },
            (err: Error) => setError(err.message),
          );
        }}
      >
        <Field label={t('Name')} help={t("Who holds it, e.g. the other workstation's name")}>
          <input name="key-name" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
        </Field>
        <Field
          label={t('Role')}
          help={
            form.role === 'viewer' ? t('search and view only') : t('search, retrieve, and send studies here (STOW-RS)')
          }
        >
          <select name="key-role" value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value })}>
            <option value="technician">{t('technician')}</option>
            <option value="viewer">{t('viewer')}</option>
          </select>
        </Field>
        <button type="submit" className="primary">
          {t('Make a key')}
        </button>
      </form>
      <ErrorText error={error} />
      {made && (
        <div className="new-key" role="status">
          <p>{t('The key for {name}, shown this once (only its hash is kept): copy it now.', { name: made.name })}</p>
          <Field label={t('Key')}>
            <input readOnly name="made-key" value={made.key} onFocus={(e) => e.target.select()} size={52} />
          </Field>
          <Field
            label={t('DICOMweb address')}
            help={
              /^(127\.|\[::1\]|localhost)/.test(location.hostname)
                ? t(
                    "Seen from this computer: the other workstation uses this computer's name or network address instead (and the API must listen on the network: APIAddress).",
                  )
                : undefined
            }
          >
            <input readOnly name="made-url" value={dicomweb} onFocus={(e) => e.target.select()} size={52} />
          </Field>
        </div>
      )}
    </Section>
  );
}
