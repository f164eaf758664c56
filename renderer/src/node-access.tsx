import type { NodeAccessDto } from '../../main/api/contract.ts';
import { Field } from './components.tsx';
import { t } from './i18n.ts';

/** What a node may ask of this archive (noderights.map), as the Nodes screen shows and edits it. */

export const RIGHT_WORDS: [string, string][] = [
  ['store', 'send us images'],
  ['query', 'search us'],
  ['retrieve', 'retrieve (C-MOVE, C-GET)'],
  ['worklist', 'read the worklist'],
  ['commit', 'ask for storage commitment'],
  ['mpps', 'report procedures (MPPS)'],
];

export interface AccessForm {
  rights: string[];
  /** "*" or AE titles separated by commas. */
  retrieveTo: string;
  checkHost: boolean;
}

export const ALL_ACCESS: AccessForm = { rights: RIGHT_WORDS.map(([r]) => r), retrieveTo: '*', checkHost: false };

export function accessForm(a: NodeAccessDto | undefined): AccessForm {
  if (!a) return ALL_ACCESS;
  return { rights: a.rights, retrieveTo: a.retrieveTo === '*' ? '*' : a.retrieveTo.join(', '), checkHost: a.checkHost };
}

export function accessDto(f: AccessForm): Omit<NodeAccessDto, 'own'> {
  const to = f.retrieveTo.trim();
  return {
    rights: f.rights,
    retrieveTo: to === '*' || to === '' ? '*' : to.split(/[\s,]+/).filter(Boolean),
    checkHost: f.checkHost,
  };
}

export function accessSummary(a: NodeAccessDto | undefined): string {
  if (!a) return '';
  const all = a.rights.length === RIGHT_WORDS.length;
  const rights = all ? t('everything') : a.rights.length ? a.rights.map((r) => t(r)).join(', ') : t('echo only');
  const to =
    a.retrieveTo === '*' || !a.rights.includes('retrieve')
      ? ''
      : `; ${t('retrieve to {nodes}', { nodes: a.retrieveTo.join(', ') || t('nowhere') })}`;
  return `${rights}${to}${a.checkHost ? `; ${t('address checked')}` : ''}`;
}

export function NodeAccessFields({ value, onChange }: { value: AccessForm; onChange: (v: AccessForm) => void }) {
  return (
    <fieldset className="node-access">
      <legend>{t('This node may')}</legend>
      {RIGHT_WORDS.map(([right, words]) => (
        <label key={right} className="check">
          <input
            type="checkbox"
            name={`right-${right}`}
            checked={value.rights.includes(right)}
            onChange={(e) =>
              onChange({
                ...value,
                rights: e.target.checked ? [...value.rights, right] : value.rights.filter((r) => r !== right),
              })
            }
          />
          {t(words)}
        </label>
      ))}
      <Field
        label={t('Its retrieves may send to')}
        help={t('* for any node; or AE titles separated by commas (self: only to itself).')}
      >
        <input
          name="retrieve-to"
          value={value.retrieveTo}
          onChange={(e) => onChange({ ...value, retrieveTo: e.target.value })}
        />
      </Field>
      <label className="check">
        <input
          type="checkbox"
          name="check-host"
          checked={value.checkHost}
          onChange={(e) => onChange({ ...value, checkHost: e.target.checked })}
        />
        {t('only from its host above (calls with this AE title from other addresses are refused)')}
      </label>
    </fieldset>
  );
}
