import { ENDPOINTS } from '../../main/api/endpoints.ts';
import { useState } from 'react';
import type { EchoResult, WebNodeDto } from '../../main/api/contract.ts';
import { api } from './api.ts';
import { DeleteButton, ErrorText, Field, Section } from './components.tsx';
import { useMay } from './permissions.ts';
import { useLoad } from './hooks.ts';
import { t } from './i18n.ts';
import { why } from './format.ts';

/**
 * DICOMweb nodes (dicomweb.map): archives reached by QIDO-RS, WADO-RS and STOW-RS (Orthanc, dcm4chee, a cloud
 * archive). Listed with a test (the smallest search), added with their DICOMweb root URL and authentication, deleted.
 */

const EMPTY = { name: '', url: '', kind: '', token: '', user: '', password: '' };

function authOf(f: typeof EMPTY): string {
  if (f.kind === 'bearer') return `bearer:${f.token.trim()}`;
  if (f.kind === 'basic') return `basic:${f.user.trim()}:${f.password}`;
  return '';
}

/** The DICOMweb nodes; who may configure adds and deletes them, who may transfer tests them (as for DICOM nodes). */
export function WebNodes() {
  const mayConfigure = useMay('configure');
  const mayTest = useMay('transfer');
  const nodes = useLoad(() => api(ENDPOINTS.webNodes), []);
  const [form, setForm] = useState(EMPTY);
  const [error, setError] = useState('');
  const [tests, setTests] = useState<Record<string, EchoResult | 'busy'>>({});

  const save = async () => {
    if (!/^https?:\/\/\S+$/.test(form.url.trim())) {
      setError(t('The URL is the DICOMweb root, starting with http:// or https://.'));
      return;
    }
    if (form.kind === 'bearer' && !form.token.trim()) {
      setError(t('A bearer token is required.'));
      return;
    }
    if (form.kind === 'basic' && !form.user.trim()) {
      setError(t('A user name is required.'));
      return;
    }
    try {
      await api(ENDPOINTS.addWebNode, {
        body: { name: form.name.trim(), url: form.url.trim(), auth: authOf(form) } satisfies WebNodeDto,
      });
      setForm(EMPTY);
      setError('');
      nodes.reload();
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const test = async (name: string) => {
    setTests((x) => ({ ...x, [name]: 'busy' }));
    const result = await api(ENDPOINTS.echo, { params: [name] }).catch(
      (e: Error): EchoResult => ({ ae: name, ok: false, error: e.message }),
    );
    setTests((x) => ({ ...x, [name]: result }));
  };

  return (
    <>
      <Section title={t('DICOMweb nodes')}>
        <ErrorText error={nodes.error} />
        {(nodes.data ?? []).length === 0 ? (
          <p className="help">{t('None yet. A DICOMweb node is searched, retrieved from and sent to over HTTP.')}</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th>{t('Name')}</th>
                <th>{t('DICOMweb URL')}</th>
                <th>{t('Authentication')}</th>
                {mayTest && <th>{t('Test')}</th>}
                <th />
              </tr>
            </thead>
            <tbody>
              {(nodes.data ?? []).map((n) => {
                const result = tests[n.name];
                return (
                  <tr key={n.name} data-web-node={n.name}>
                    <td>
                      <b>{n.name}</b>
                    </td>
                    <td>{n.url}</td>
                    <td>{n.auth || t('none')}</td>
                    {mayTest && (
                      <td className="echo-result">
                        {result === 'busy' ? (
                          t('testing…')
                        ) : result ? (
                          result.ok ? (
                            <span className="ok">{t('OK, {ms} ms', { ms: result.milliseconds ?? 0 })}</span>
                          ) : (
                            <span className="error inline">{why(result.error, result.message)}</span>
                          )
                        ) : (
                          ''
                        )}
                      </td>
                    )}
                    <td className="row-actions">
                      {mayTest && (
                        <button type="button" onClick={() => void test(n.name)}>
                          {t('Test')}
                        </button>
                      )}
                      {mayConfigure && (
                        <DeleteButton
                          question={t('Delete the DICOMweb node {name}?', { name: n.name })}
                          endpoint={ENDPOINTS.webNode}
                          params={[n.name]}
                          onDeleted={nodes.reload}
                        />
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </Section>
      {mayConfigure && (
        <Section title={t('Add a DICOMweb node')}>
          <form
            className="node-form"
            onSubmit={(e) => {
              e.preventDefault();
              void save();
            }}
          >
            <Field label={t('Name')} help={t('How jobs and screens name it; not an AE title of a DICOM node.')}>
              <input
                name="web-name"
                value={form.name}
                maxLength={16}
                onChange={(e) => setForm({ ...form, name: e.target.value })}
              />
            </Field>
            <Field
              label={t('DICOMweb URL')}
              help={t('The root of its QIDO-RS, WADO-RS and STOW-RS, e.g. http://pacs:8042/dicom-web')}
            >
              <input name="web-url" value={form.url} onChange={(e) => setForm({ ...form, url: e.target.value })} />
            </Field>
            <Field label={t('Authentication')}>
              <select name="web-auth" value={form.kind} onChange={(e) => setForm({ ...form, kind: e.target.value })}>
                <option value="">{t('none')}</option>
                <option value="bearer">{t('bearer token')}</option>
                <option value="basic">{t('user and password')}</option>
              </select>
            </Field>
            {form.kind === 'bearer' && (
              <Field label={t('Token')}>
                <input
                  name="web-token"
                  value={form.token}
                  onChange={(e) => setForm({ ...form, token: e.target.value })}
                />
              </Field>
            )}
            {form.kind === 'basic' && (
              <>
                <Field label={t('User')}>
                  <input
                    name="web-user"
                    value={form.user}
                    onChange={(e) => setForm({ ...form, user: e.target.value })}
                  />
                </Field>
                <Field label={t('Password')}>
                  <input
                    name="web-password"
                    type="password"
                    value={form.password}
                    onChange={(e) => setForm({ ...form, password: e.target.value })}
                  />
                </Field>
              </>
            )}
            <div className="form-actions">
              <button type="submit" className="primary">
                {t('Add DICOMweb node')}
              </button>
            </div>
            <ErrorText error={error} />
          </form>
        </Section>
      )}
    </>
  );
}
