/**
 * Conquest's forwarding rule grammar, as the core runs it and the settings screen edits it: `ExportConverter<i> =
 * forward to AE` (also `forward compressed as xx to AE`), filtered by `ExportModality<i>`, `ExportCallingAE<i>`,
 * `ExportCalledAE<i>` and `ExportSOPClass<i>` (empty or `*`: everything passes).
 */

const FORWARD = /^forward(?:\s+compressed\s+as\s+(\S+))?\s+to\s+(\S+)\s*$/i;

/** A destination given as `host:port` rather than a node's AE title (Conquest's `forward to host:port`). */
export const HOST_PORT = /^([^%:\s]+):(\d{1,5})$/;

/** The filters of a rule: the field each fills, and its dicom.ini key without the rule's number. */
export const FORWARD_FILTERS = [
  ['modality', 'ExportModality'],
  ['callingAe', 'ExportCallingAE'],
  ['calledAe', 'ExportCalledAE'],
  ['sopClass', 'ExportSOPClass'],
] as const;

export type ForwardFilter = (typeof FORWARD_FILTERS)[number][0];

/** A `forward ... to AE` converter's destination and compression code; undefined for any other converter. */
export function parseForwardConverter(converter: string): { destination: string; compression?: string } | undefined {
  const m = FORWARD.exec(converter.trim());
  return m ? { destination: m[2]!, compression: m[1] } : undefined;
}

/** The converter text for a destination and an optional compression code (`forward compressed as js to AE`). */
export function forwardConverter(destination: string, compression = ''): string {
  return compression ? `forward compressed as ${compression} to ${destination}` : `forward to ${destination}`;
}

/** The destination AE of a `forward to AE` converter, or '' for anything else. */
export function destinationOf(converter: string): string {
  return parseForwardConverter(converter)?.destination ?? '';
}
