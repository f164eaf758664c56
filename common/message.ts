import { IntlMessageFormat } from 'intl-messageformat';

/**
 * A sentence for people with its parameters apart, so that it can be said in the reader's language: the core says it in
 * English (its logs, the API's `error`), the UI in the user's (renderer/src/i18n.ts), the English text being the key of
 * the language catalogs. Texts are ICU messages (FormatJS): `{id}` puts a parameter in, `{n, plural, one {# image}
 * other {# images}}` chooses by the language's plural rules (Czech has four forms). A parameter may itself be a message
 * (a reason inside a sentence), said in the same language.
 */
export type MessageParams = Record<string, string | number | Message>;

export interface Message {
  text: string;
  params?: MessageParams;
  /** Said as it is, not read as an ICU message (a sentence made before messages had parameters: it may hold braces). */
  verbatim?: boolean;
}

/** A sentence already made, said as it is. */
export function verbatim(text: string): Message {
  return { text, verbatim: true };
}

export function msg(text: string, params?: MessageParams): Message {
  return params ? { text, params } : { text };
}

export function isMessage(v: unknown): v is Message {
  return typeof v === 'object' && v !== null && typeof (v as Message).text === 'string';
}

const formats = new Map<string, IntlMessageFormat>();

/**
 * A message said with `translate` (the text's translation, or the text itself) in `locale`. A text that is not a
 * well-formed ICU message is shown as it is, its {name} parameters filled in.
 */
export function say(m: Message | string, locale = 'en', translate: (text: string) => string = (t) => t): string {
  const message = typeof m === 'string' ? { text: m } : m;
  const text = translate(message.text);
  if (message.verbatim) return text;
  const params: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(message.params ?? {})) params[k] = isMessage(v) ? say(v, locale, translate) : v;
  const key = `${locale}\u0000${text}`;
  let format = formats.get(key);
  try {
    if (!format) {
      format = new IntlMessageFormat(text, locale, undefined, { ignoreTag: true });
      if (formats.size > 2000) formats.clear();
      formats.set(key, format);
    }
    return String(format.format(params));
  } catch {
    return text.replace(/\{(\w+)\}/g, (all, name: string) => (name in params ? String(params[name]) : all));
  }
}

/** The English sentence: what logs and the API's `error` field say. */
export function english(m: Message | string): string {
  return say(m, 'en');
}

/** An error whose reason is a message: `message` says it in English, `said` keeps it for another language. */
export class SaidError extends Error {
  readonly said: Message;
  constructor(said: Message | string) {
    // A plain string is already the sentence (it may hold names or values with braces): only a message is formatted.
    super(typeof said === 'string' ? said : english(said));
    this.said = typeof said === 'string' ? verbatim(said) : said;
  }
}

/** What an error said, as a message (an error that is not a SaidError: its English text). */
export function saidOf(err: unknown): Message {
  return err instanceof SaidError ? err.said : verbatim(err instanceof Error ? err.message : String(err));
}
