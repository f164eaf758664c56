/** What an export wrote (export/media-set.ts). */
export interface MediaSetSummary {
  folder: string;
  patients: number;
  studies: number;
  series: number;
  objects: number;
  /** Objects kept in their compressed transfer syntax (no codec to convert them): readers need that codec. */
  notConverted: number;
  /** De-identified exports: why some objects may still identify the patient (text burned into their pixels). */
  warnings?: string[];
}
