import type { Feature } from '../core/feature.ts';
import { Retention } from '../archive/retention.ts';

/**
 * Clean-up when the disk fills and at night (MAGDeviceThreshold, NightlyCleanThreshold), as Conquest does it: the least
 * recently used patients lose their unprotected studies until there is room again.
 */
export const retention: Feature<Retention> = {
  name: 'retention',
  settings: ['MAGDeviceThreshold', 'NightlyCleanThreshold'],
  start(core) {
    const running = new Retention({
      index: core.index,
      store: core.store,
      access: core.access,
      removal: core.removal,
      log: core.child('retention'),
      thresholds: () => ({
        cleanMB: core.settings.magCleanThresholdMB,
        nightlyMB: core.settings.nightlyCleanThresholdMB,
      }),
    });
    core.onStored(() => running.nudge());
    return { provides: running, serve: () => running.start(), stop: () => running.stop() };
  },
};
