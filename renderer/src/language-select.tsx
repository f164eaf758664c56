import { LANGUAGES, language, setLanguage, t, type Language } from './i18n.ts';

/** The UI's language, chosen here and remembered (the whole UI is drawn again in it). */
export function LanguageSelect({ onChange }: { onChange: (lang: Language) => void }) {
  return (
    <select
      className="language"
      aria-label={t('Language')}
      value={language()}
      onChange={(e) => {
        setLanguage(e.target.value as Language);
        onChange(e.target.value as Language);
      }}
    >
      {LANGUAGES.map(([code, name]) => (
        <option key={code} value={code}>
          {name}
        </option>
      ))}
    </select>
  );
}
