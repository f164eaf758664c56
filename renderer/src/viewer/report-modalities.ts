/** Series the viewer reads as text (structured reports, key object selections), not as images. */
export const REPORT_MODALITIES: ReadonlySet<string> = new Set(['SR', 'KO']);

/** Series that are not shown at all in the series list: presentation states (their annotations go onto the images). */
export const HIDDEN_MODALITIES: ReadonlySet<string> = new Set(['PR']);
