import type { NodeDto } from '../../main/api/contract.ts';
import { forwardConverter, parseForwardConverter } from '../../common/forward-rule.ts';
import { CompressionSelect } from './compression-select.tsx';
import { readRules, writeRules, type ForwardRuleRow } from './forward-rules-text.ts';
import { t } from './i18n.ts';

/** The settings form's forwarding rules: each newly stored object that passes a rule's filters goes on to its node. */
export function ForwardingRules({
  text,
  setText,
  nodes,
}: {
  text: string;
  setText: (t: string) => void;
  nodes: NodeDto[];
}) {
  const rules = readRules(text);
  const change = (i: number, changes: Partial<ForwardRuleRow>) =>
    setText(
      writeRules(
        text,
        rules.map((r, j) => (j === i ? { ...r, ...changes } : r)),
      ),
    );
  const cell = (i: number, field: 'modality' | 'callingAe' | 'calledAe' | 'sopClass', label: string) => (
    <td>
      <input
        aria-label={t(label)}
        value={rules[i]![field]}
        placeholder={t('any')}
        onChange={(e) => change(i, { [field]: e.target.value })}
      />
    </td>
  );
  return (
    <fieldset className="forwarding">
      <legend>{t('Forwarding')}</legend>
      <p className="help">
        {t(
          'Each object stored here that passes a rule\'s filters is sent on to the rule\'s node (one job per study and node). Filters are empty for "any", and may use * and ?. Applied at once when saved.',
        )}
      </p>
      {rules.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>#</th>
              <th>{t('Send to')}</th>
              <th>{t('Sent as')}</th>
              <th>{t('Modality')}</th>
              <th>{t('From (calling AE)')}</th>
              <th>{t('To (called AE)')}</th>
              <th>{t('SOP class UID')}</th>
              <th>{t('Commitment')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rules.map((r, i) => {
              const parsed = parseForwardConverter(r.converter);
              const destination = parsed?.destination ?? '';
              const compression = parsed?.compression ?? '';
              return (
                <tr key={i} data-rule={i}>
                  <td className="num">{i}</td>
                  <td>
                    {destination || !r.converter ? (
                      <select
                        aria-label={t('Send to')}
                        value={destination}
                        onChange={(e) => change(i, { converter: forwardConverter(e.target.value, compression) })}
                      >
                        {!destination && <option value="">{t('choose a node')}</option>}
                        {destination && !nodes.some((n) => n.ae === destination) && (
                          <option value={destination}>{t('{ae} (not a node)', { ae: destination })}</option>
                        )}
                        {nodes.map((n) => (
                          <option key={n.ae} value={n.ae}>
                            {n.ae}
                          </option>
                        ))}
                      </select>
                    ) : (
                      <code title={t('edit in the text view')}>{r.converter}</code>
                    )}
                  </td>
                  <td>
                    {destination && (
                      <CompressionSelect
                        label={t('Compression')}
                        value={compression}
                        inherit={t("as the node's setting says")}
                        onChange={(code) => change(i, { converter: forwardConverter(destination, code) })}
                      />
                    )}
                  </td>
                  {cell(i, 'modality', 'Modality')}
                  {cell(i, 'callingAe', 'Calling AE')}
                  {cell(i, 'calledAe', 'Called AE')}
                  {cell(i, 'sopClass', 'SOP class UID')}
                  <td>
                    <label
                      title={t(
                        "Once a study's objects are forwarded, ask the node to confirm it keeps them (DICOM Storage Commitment)",
                      )}
                    >
                      <input
                        type="checkbox"
                        aria-label={t('Ask for storage commitment')}
                        checked={r.commitment ?? false}
                        onChange={(e) => change(i, { commitment: e.target.checked })}
                      />{' '}
                      {t('ask')}
                    </label>
                  </td>
                  <td>
                    <button
                      type="button"
                      onClick={() =>
                        setText(
                          writeRules(
                            text,
                            rules.filter((_, j) => j !== i),
                          ),
                        )
                      }
                    >
                      {t('Remove')}
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <button
        type="button"
        onClick={() =>
          setText(
            writeRules(text, [
              ...rules,
              {
                converter: nodes[0] ? `forward to ${nodes[0].ae}` : '',
                modality: '',
                callingAe: '',
                calledAe: '',
                sopClass: '',
              },
            ]),
          )
        }
      >
        {t('Add a rule')}
      </button>
    </fieldset>
  );
}
