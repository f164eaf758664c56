import { msg, verbatim, type Message } from '../../common/message.ts';
import { aeTitleProblem } from './ae-title.ts';
import { ConfigError } from './config-error.ts';
import type { IniDocument } from '../../common/ini-document.ts';

/** How many upstreams dicom.ini may name (VirtualServerFor0..9). */
export const VIRTUAL_SERVER_SLOTS = 10;

/**
 * One upstream of this archive as a virtual server (Conquest's VirtualServerFor<N> = AE[,flags]): C-FIND to us is
 * answered with its matches merged in, and C-MOVE or C-GET of what is not here is fetched from it and passed on.
 */
export interface VirtualServer {
  slot: number;
  ae: string;
  /** CACHESERIES or CACHESTUDIES: its image lists are kept per series or per study, asked once a day. */
  cache: 'none' | 'series' | 'studies';
  /** NONVIRTUAL: our requests ask it not to ask its own upstreams (Conquest's (9999,0802) mark). */
  nonVirtual: boolean;
  /** VirtualServerPerSeries<N>: more than this many objects missing in a series fetch the whole series (0: by object). */
  perSeries: number;
}

const FLAGS = new Set(['CACHESERIES', 'CACHESTUDIES', 'NONVIRTUAL']);

/**
 * The upstreams of dicom.ini's VirtualServerFor0..9, with VirtualServerPerSeries0..9 (section `section`). A value
 * that cannot be honoured is refused with its line: an AE title that is not one, an unknown flag (FIXKODAK is not
 * done here), our own AE title (a loop), an upstream named twice.
 */
export function readVirtualServers(
  doc: IniDocument,
  section: string,
  ownAe: string,
  errors: ConfigError[],
): VirtualServer[] {
  const servers: VirtualServer[] = [];
  for (let slot = 0; slot < VIRTUAL_SERVER_SLOTS; slot++) {
    const found = doc.get(section, `VirtualServerFor${slot}`);
    const perSeriesLine = doc.get(section, `VirtualServerPerSeries${slot}`);
    const perSeries = perSeriesLine ? Number(perSeriesLine.value.trim() || '0') : 0;
    if (perSeriesLine && !(Number.isInteger(perSeries) && perSeries >= 0)) {
      errors.push(
        new ConfigError(
          doc.file,
          perSeriesLine.line,
          msg('VirtualServerPerSeries{n}: "{value}" is not a whole number of objects', {
            n: String(slot),
            value: perSeriesLine.value,
          }),
        ),
      );
    }
    if (!found?.value.trim()) continue;
    const fail = (reason: Message | string) =>
      errors.push(
        new ConfigError(
          doc.file,
          found.line,
          msg('VirtualServerFor{n}: {reason}', {
            n: String(slot),
            reason: typeof reason === 'string' ? verbatim(reason) : reason,
          }),
        ),
      );
    const [ae = '', ...flags] = found.value.split(',').map((p) => p.trim());
    const problem = aeTitleProblem(ae);
    if (problem) {
      fail(problem);
      continue;
    }
    const unknown = flags.find((f) => !FLAGS.has(f.toUpperCase()));
    if (unknown !== undefined) {
      fail(msg('"{flag}" is not a flag this archive knows (CACHESERIES, CACHESTUDIES, NONVIRTUAL)', { flag: unknown }));
      continue;
    }
    if (ae.toUpperCase() === ownAe.toUpperCase()) {
      fail(msg('{ae} is this archive itself: it would ask itself for ever', { ae }));
      continue;
    }
    if (servers.some((s) => s.ae.toUpperCase() === ae.toUpperCase())) {
      fail(msg('{ae} is named twice', { ae }));
      continue;
    }
    const upper = flags.map((f) => f.toUpperCase());
    servers.push({
      slot,
      ae,
      cache: upper.includes('CACHESTUDIES') ? 'studies' : upper.includes('CACHESERIES') ? 'series' : 'none',
      nonVirtual: upper.includes('NONVIRTUAL'),
      perSeries: Number.isInteger(perSeries) && perSeries >= 0 ? perSeries : 0,
    });
  }
  return servers;
}
