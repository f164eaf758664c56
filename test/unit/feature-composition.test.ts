import { describe, expect, it } from 'vitest';
import { Composition, FeatureOrderError, startOrder } from '../../main/core/compose.ts';
import type { Feature } from '../../main/core/feature.ts';
import type { ArchiveCore } from '../../main/core/archive-core.ts';
import { Logger } from '../../main/util/log.ts';
import { ALL_FEATURES } from '../../main/features/all.ts';
import { CORE_SETTINGS } from '../../main/core/archive-core.ts';
import { SETTING_KEYS } from '../../main/config/setting-keys.ts';

/** Features that write what happens to them into `log`; their start fails when `fails` names them. */
function features(log: string[], fails = '') {
  const make = <P>(name: string, provides: P, needs: Feature<unknown>[] = []): Feature<P> => ({
    name,
    needs,
    start(_core, ctx) {
      if (name === fails) throw new Error(`${name} cannot start`);
      log.push(
        `start ${name}${needs.length ? ` with ${needs.map((n) => JSON.stringify(ctx.the(n))).join(', ')}` : ''}`,
      );
      return {
        provides,
        listener: {
          open: async () => {
            log.push(`open ${name}`);
          },
          close: async () => {
            log.push(`close ${name}`);
          },
        },
        serve: () => {
          log.push(`serve ${name}`);
        },
        stop: () => {
          log.push(`stop ${name}`);
        },
      };
    },
  });
  const store = make('store', { folder: 'A' });
  const index = make('index', 7, [store]);
  const api = make('api', 'http', [index, store]);
  return { store, index, api };
}

/** Only the logger of a core: these features use nothing else of it. */
const core = { logger: new Logger('error') } as unknown as ArchiveCore;

describe('features composed into an archive', () => {
  it('starts each feature after what it needs, adding a needed one not given, and hands it what they provide', async () => {
    const log: string[] = [];
    const { store, api } = features(log);
    expect(startOrder([api]).map((f) => f.name)).toEqual(['store', 'index', 'api']);
    const composition = await Composition.start(core, [api, store]);
    expect(composition.names).toEqual(['store', 'index', 'api']);
    expect(log).toEqual(['start store', 'start index with {"folder":"A"}', 'start api with 7, {"folder":"A"}']);
    expect(composition.get(api)).toBe('http');
  });

  it('opens every listener before any feature begins its work, and stops in reverse order, each listener first', async () => {
    const log: string[] = [];
    const composition = await Composition.start(core, [features(log).api]);
    log.length = 0;
    await composition.serve();
    expect(log).toEqual(['open store', 'open index', 'open api', 'serve store', 'serve index', 'serve api']);
    log.length = 0;
    await composition.stop();
    expect(log).toEqual(['close api', 'stop api', 'close index', 'stop index', 'close store', 'stop store']);
    expect(composition.names).toEqual([]);
  });

  it('stops what started when a later feature cannot start, and says why', async () => {
    const log: string[] = [];
    await expect(Composition.start(core, [features(log, 'api').api])).rejects.toThrow('api cannot start');
    expect(log).toEqual([
      'start store',
      'start index with {"folder":"A"}',
      'close index',
      'stop index',
      'close store',
      'stop store',
    ]);
  });

  it('refuses features that need each other, and a feature asking for one it did not name', async () => {
    const a: Feature<number> = { name: 'a', needs: [], start: () => ({ provides: 1 }) };
    const b: Feature<number> = { name: 'b', needs: [a], start: () => ({ provides: 2 }) };
    (a as unknown as { needs: Feature<unknown>[] }).needs = [b];
    expect(() => startOrder([a])).toThrow(new FeatureOrderError('features need each other: a -> b -> a'));
    const lone: Feature<number> = { name: 'lone', start: () => ({ provides: 3 }) };
    const greedy: Feature<number> = { name: 'greedy', start: (_c, ctx) => ({ provides: ctx.the(lone) }) };
    await expect(Composition.start(core, [lone, greedy])).rejects.toThrow(
      'greedy asks for lone, which it does not name in its needs',
    );
  });

  it('moves every listener on new settings, and puts them all back when one cannot open there', async () => {
    const log: string[] = [];
    let port = 104;
    const listening = (name: string, refuses: number): Feature<undefined> => ({
      name,
      start: () => ({
        provides: undefined,
        listener: {
          open: async () => {
            if (port === refuses) throw new Error(`${name} cannot listen on ${port}`);
            log.push(`${name} on ${port}`);
          },
          close: async () => {
            log.push(`${name} closed`);
          },
        },
      }),
    });
    const composition = await Composition.start(core, [listening('dicom', -1), listening('hl7', 2575)]);
    await composition.serve();
    log.length = 0;
    await composition.contributions.restartListeners(async () => {
      port = 11112;
      return () => {
        port = 104;
      };
    });
    expect(log).toEqual(['hl7 closed', 'dicom closed', 'dicom on 11112', 'hl7 on 11112']);
    log.length = 0;
    await expect(
      composition.contributions.restartListeners(async () => {
        const before = port;
        port = 2575;
        return () => {
          port = before;
        };
      }),
    ).rejects.toThrow('hl7 cannot listen on 2575');
    expect(log).toEqual([
      'hl7 closed',
      'dicom closed',
      'dicom on 2575',
      'hl7 closed',
      'dicom closed',
      'dicom on 11112',
      'hl7 on 11112',
    ]);
    await composition.stop();
  });

  it("lists the archive's features in an order that needs no reordering", () => {
    expect(startOrder(ALL_FEATURES)).toEqual(ALL_FEATURES);
  });
});

describe('the dicom.ini keys of the features', () => {
  it('gives every key of setting-keys.ts to exactly one feature or the core', () => {
    const owners = new Map<string, string[]>();
    const own = (key: string, by: string) => owners.set(key, [...(owners.get(key) ?? []), by]);
    for (const key of CORE_SETTINGS) own(key, 'core');
    for (const f of ALL_FEATURES) for (const key of f.settings ?? []) own(key, f.name);
    const unclaimed = Object.keys(SETTING_KEYS).filter((k) => !owners.has(k));
    const twice = [...owners].filter(([, by]) => by.length > 1).map(([k, by]) => `${k}: ${by.join(', ')}`);
    expect({ unclaimed, twice }).toEqual({ unclaimed: [], twice: [] });
  });
});
