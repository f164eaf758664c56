import type { Feature } from '../core/feature.ts';
import { dicomListener } from './dicom-listener.ts';
import { queryRetrieve } from './query-retrieve.ts';
import { transfers } from './transfers.ts';
import { importConverters } from './import-converters.ts';
import { exportConverters } from './export-converters.ts';
import { automation } from './automation.ts';
import { requestConverters } from './request-converters.ts';
import { luaHooks } from './lua-hooks.ts';
import { commitment } from './commitment.ts';
import { mpps } from './mpps.ts';
import { edit } from './edit.ts';
import { hl7 } from './hl7.ts';
import { retention } from './retention.ts';
import { studies } from './studies.ts';
import { worklist } from './worklist.ts';
import { mediaExport } from './media-export.ts';
import { presentations } from './presentations.ts';
import { dicomWeb } from './dicomweb.ts';
import { accounts } from './accounts.ts';
import { api } from './api.ts';
import { metrics } from './metrics.ts';
import { backups } from './backups.ts';
import { verification } from './verification.ts';
import { mirrors } from './mirrors.ts';
import { storageMoves } from './storage-moves.ts';
import { prefetch } from './prefetch.ts';
import { virtualServers } from './virtual-servers.ts';
import { logFilesFeature } from './log-files.ts';
import { indexColumns } from './index-columns.ts';

/** Every feature of the archive, in the order they start (each also after what it needs). */
export const ALL_FEATURES: readonly Feature<unknown>[] = [
  logFilesFeature,
  dicomListener,
  queryRetrieve,
  transfers,
  edit,
  importConverters,
  exportConverters,
  automation,
  requestConverters,
  luaHooks,
  commitment,
  mpps,
  hl7,
  retention,
  studies,
  worklist,
  mediaExport,
  presentations,
  dicomWeb,
  accounts,
  backups,
  mirrors,
  storageMoves,
  prefetch,
  virtualServers,
  verification,
  indexColumns,
  metrics,
  api,
] as Feature<unknown>[];
