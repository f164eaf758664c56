import { ENDPOINTS } from '../../../main/api/endpoints.ts';
import { useState } from 'react';
import { api } from '../api.ts';
import { ActionButton, ErrorText } from '../components.tsx';
import { t } from '../i18n.ts';
import { useMay } from '../permissions.ts';

/**
 * On a storage folder's Monitor line, when there are several: move every study on it to another folder, as jobs (a
 * full or failing disk retired); for who may configure the archive.
 */
export function EmptyStorage({ device, devices }: { device: number; devices: number[] }) {
  const others = devices.filter((d) => d !== device);
  const [to, setTo] = useState(others[0] ?? 0);
  const [queued, setQueued] = useState<number>();
  const [error, setError] = useState('');
  if (!useMay('configure') || !others.length) return null;
  return (
    <span className="empty-storage">
      {' '}
      <label>
        {t('Move its studies to')}{' '}
        <select value={to} onChange={(e) => setTo(Number(e.target.value))}>
          {others.map((d) => (
            <option key={d} value={d}>
              MAG{d}
            </option>
          ))}
        </select>
      </label>{' '}
      <ActionButton
        onClick={async () => {
          setError('');
          try {
            const r = await api(ENDPOINTS.emptyStorage, { params: [device], body: { to } });
            setQueued(r.studies);
          } catch (err) {
            setError((err as Error).message);
          }
        }}
      >
        {t('Move')}
      </ActionButton>
      {queued !== undefined && <span> {t('{n} studies queued to move', { n: queued })}</span>}
      <ErrorText error={error} />
    </span>
  );
}
