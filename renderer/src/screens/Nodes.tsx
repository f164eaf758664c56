import { ENDPOINTS } from '../../../main/api/endpoints.ts';
import { useState } from 'react';
import type { EchoResult } from '../../../main/api/contract.ts';
import { api } from '../api.ts';
import { DeleteButton, ErrorText, Field, Section } from '../components.tsx';
import { useLoad } from '../hooks.ts';
import { CompressionSelect, compressionWords } from '../compression-select.tsx';
import { WebNodes } from '../web-nodes.tsx';
import {
  ALL_ACCESS,
  NodeAccessFields,
  accessDto,
  accessForm,
  accessSummary,
  type AccessForm,
} from '../node-access.tsx';
import { useMay } from '../permissions.ts';
import { t } from '../i18n.ts';
import { why } from '../format.ts';

/** The DICOM nodes of acrnema.map: add, edit, delete, and echo each one. */

/** AE title rules (PS3.5 6.2, AE): 1 to 16 characters, no backslash or control characters, not only spaces. */
export function aeTitleProblem(ae: string): string {
  if (!ae.trim()) return t('An AE title is required.');
  if (ae.length > 16) return t('An AE title has at most 16 characters.');
  if (/[\\\x00-\x1f\x7f]/.test(ae)) return t('An AE title cannot contain a backslash or control characters.');
  return '';
}

function nodeProblem(n: { ae: string; host: string; port: string }): string {
  const ae = aeTitleProblem(n.ae);
  if (ae) return ae;
  if (!n.host.trim() || /\s/.test(n.host.trim())) return t('The host is a name or an IP address, without spaces.');
  if (!/^\d+$/.test(n.port) || Number(n.port) < 1 || Number(n.port) > 65535)
    return t('The port is a whole number from 1 to 65535.');
  return '';
}

const EMPTY = { ae: '', host: '', port: '104', compression: 'as' };

export function Nodes() {
  const nodes = useLoad(() => api(ENDPOINTS.nodes), []);
  const [form, setForm] = useState(EMPTY);
  const [editing, setEditing] = useState<string | undefined>();
  const [formError, setFormError] = useState('');
  const [echo, setEcho] = useState<Record<string, EchoResult | 'busy'>>({});
  const [echoing, setEchoing] = useState<Record<string, AbortController>>({});
  const [access, setAccess] = useState<AccessForm>(ALL_ACCESS);
  const configure = useMay('configure');
  const transfer = useMay('transfer');

  const save = async () => {
    const problem = nodeProblem(form);
    setFormError(problem);
    if (problem) return;
    const node = {
      ae: form.ae.trim(),
      host: form.host.trim(),
      port: Number(form.port),
      compression: form.compression.trim() || 'as',
      access: accessDto(access),
    };
    // acrnema.map keeps one node per AE title: saving another with a title in use replaces that node.
    const existing = (nodes.data ?? []).find((n) => n.ae.toUpperCase() === node.ae.toUpperCase() && n.ae !== editing);
    if (
      existing &&
      !confirm(
        t('A node {ae} exists already ({old}). Replace it with {new}?', {
          ae: existing.ae,
          old: `${existing.host}:${existing.port}`,
          new: `${node.host}:${node.port}`,
        }),
      )
    )
      return;
    try {
      await api(ENDPOINTS.addNode, { body: node });
      if (editing && editing !== node.ae) await api(ENDPOINTS.node, { params: [editing] });
      setForm(EMPTY);
      setAccess(ALL_ACCESS);
      setEditing(undefined);
      nodes.reload();
    } catch (e) {
      setFormError((e as Error).message);
    }
  };

  const runEcho = async (ae: string) => {
    const controller = new AbortController();
    setEchoing((x) => ({ ...x, [ae]: controller }));
    setEcho((x) => ({ ...x, [ae]: 'busy' }));
    const result = await api(ENDPOINTS.echo, { params: [ae], signal: controller.signal }).catch(
      (e: Error): EchoResult => ({ ae, ok: false, error: e.message }),
    );
    setEchoing(({ [ae]: _done, ...rest }) => rest);
    setEcho((x) => ({ ...x, [ae]: result }));
  };

  return (
    <div className="nodes">
      <Section
        title={t('DICOM nodes')}
        actions={
          <button type="button" onClick={nodes.reload}>
            {t('Refresh')}
          </button>
        }
      >
        <ErrorText error={nodes.error} />
        <table>
          <thead>
            <tr>
              <th>{t('AE title')}</th>
              <th>{t('Host')}</th>
              <th>{t('Port')}</th>
              <th>{t('Compression')}</th>
              <th>{t('May')}</th>
              <th>{t('Echo')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(nodes.data ?? []).map((n) => {
              const e = echo[n.ae];
              return (
                <tr key={n.ae} data-ae={n.ae}>
                  <td>
                    <b>{n.ae}</b>
                  </td>
                  <td>{n.host}</td>
                  <td className="num">{n.port}</td>
                  <td title={compressionWords(n.compression)}>{n.compression}</td>
                  <td className="node-rights">{accessSummary(n.access)}</td>
                  <td className="echo-result">
                    {e === 'busy' ? (
                      t('echoing…')
                    ) : e ? (
                      e.ok ? (
                        <span className="ok">{t('OK, {ms} ms', { ms: e.milliseconds ?? 0 })}</span>
                      ) : (
                        <span className="error inline">{why(e.error, e.message)}</span>
                      )
                    ) : (
                      ''
                    )}
                  </td>
                  <td className="row-actions">
                    {transfer &&
                      (e === 'busy' ? (
                        <button type="button" onClick={() => echoing[n.ae]?.abort()}>
                          {t('Cancel')}
                        </button>
                      ) : (
                        <button type="button" onClick={() => void runEcho(n.ae)}>
                          {t('Echo')}
                        </button>
                      ))}
                    {configure && (
                      <button
                        type="button"
                        onClick={() => {
                          setEditing(n.ae);
                          setForm({ ae: n.ae, host: n.host, port: String(n.port), compression: n.compression });
                          setAccess(accessForm(n.access));
                          setFormError('');
                        }}
                      >
                        {t('Edit')}
                      </button>
                    )}
                    {configure && (
                      <DeleteButton
                        question={t('Delete the node {ae}?', { ae: n.ae })}
                        endpoint={ENDPOINTS.node}
                        params={[n.ae]}
                        onDeleted={nodes.reload}
                      />
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </Section>
      {configure && (
        <Section title={editing ? t('Edit {ae}', { ae: editing }) : t('Add a node')}>
          <form
            className="node-form"
            onSubmit={(e) => {
              e.preventDefault();
              void save();
            }}
          >
            <Field label={t('AE title')} help={t('Up to 16 characters, as the node is configured.')}>
              <input
                name="ae"
                value={form.ae}
                maxLength={16}
                onChange={(e) => setForm({ ...form, ae: e.target.value })}
              />
            </Field>
            <Field label={t('Host')} help={t('Name or IP address; * accepts it from any address.')}>
              <input name="host" value={form.host} onChange={(e) => setForm({ ...form, host: e.target.value })} />
            </Field>
            <Field label={t('Port')}>
              <input
                name="port"
                value={form.port}
                inputMode="numeric"
                onChange={(e) => setForm({ ...form, port: e.target.value })}
              />
            </Field>
            <Field
              label={t('Send images as')}
              help={t(
                "What objects sent to this node are in (acrnema.map's compression code). A syntax the node refuses falls back to uncompressed. Lossy codes lose detail: only for nodes that need small images.",
              )}
            >
              <CompressionSelect
                label={t('Send images as')}
                value={form.compression}
                onChange={(compression) => setForm({ ...form, compression })}
              />
            </Field>
            <NodeAccessFields value={access} onChange={setAccess} />
            <div className="form-actions">
              <button type="submit" className="primary">
                {editing ? t('Save') : t('Add')}
              </button>
              {editing && (
                <button
                  type="button"
                  onClick={() => {
                    setEditing(undefined);
                    setForm(EMPTY);
                    setAccess(ALL_ACCESS);
                    setFormError('');
                  }}
                >
                  {t('Cancel')}
                </button>
              )}
            </div>
            <ErrorText error={formError} />
          </form>
        </Section>
      )}
      <WebNodes />
    </div>
  );
}
