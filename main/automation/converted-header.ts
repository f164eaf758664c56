import type { DataSet } from '../dicom/dataset.ts';
import type { CapturedValue } from '../dicom/dataset-scanner.ts';
import { Tag } from '../dicom/tags.ts';
import { INDEXED_TAGS, instanceHeaderFrom, type InstanceHeader } from '../dicom/instance-header.ts';

/** The indexed header of an object from its data set as converters left it (values in memory are little endian). */
export function headerOfDataSet(dataSet: DataSet): InstanceHeader {
  const captured = new Map<number, CapturedValue>();
  for (const tag of [...INDEXED_TAGS, Tag.SpecificCharacterSet]) {
    const e = dataSet.get(tag);
    if (e && Buffer.isBuffer(e.value)) captured.set(tag, { vr: e.vr, value: e.value });
  }
  return instanceHeaderFrom(captured, true);
}
