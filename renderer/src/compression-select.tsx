import { COMPRESSION_CHOICES } from '../../common/compression-code.ts';
import { t } from './i18n.ts';

/** A compression code's words ("js: JPEG-LS lossless ..."), or the code itself when it is not one of the choices. */
export function compressionWords(code: string): string {
  const choice = COMPRESSION_CHOICES.find((c) => c.code === code.toLowerCase());
  return choice ? `${choice.code}: ${t(choice.words)}` : code;
}

/**
 * Conquest's compression codes as choices in words (nodes, forwarding rules). A code written by hand that is not one of
 * them (j385: lossy JPEG at quality 85) stays choosable as it is; `inherit` adds an empty choice with those words.
 */
export function CompressionSelect({
  label,
  value,
  onChange,
  inherit,
}: {
  label: string;
  value: string;
  onChange: (code: string) => void;
  inherit?: string;
}) {
  const known = value === '' || COMPRESSION_CHOICES.some((c) => c.code === value.toLowerCase());
  return (
    <select
      aria-label={label}
      name="compression"
      value={value.toLowerCase()}
      onChange={(e) => onChange(e.target.value)}
    >
      {inherit !== undefined && <option value="">{inherit}</option>}
      {!known && <option value={value.toLowerCase()}>{value}</option>}
      {COMPRESSION_CHOICES.map((c) => (
        <option key={c.code} value={c.code}>
          {compressionWords(c.code)}
        </option>
      ))}
    </select>
  );
}
