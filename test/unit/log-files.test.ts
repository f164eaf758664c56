import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RotatingLog, logFiles } from '../../main/runtime/log-files.ts';
import { Logger } from '../../main/util/log.ts';
import { sourceLevels } from '../../main/config/setting-parsers.ts';

/** The log in rotating files (issue 33.5): size cap, files kept, order, and levels of their own per source. */
describe('the log files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pacs-logs-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('rotates past the size cap, keeps as many old files as asked, the newest first, and loses no line kept', async () => {
    const logs = path.join(dir, 'rotating');
    const log = new RotatingLog(
      logs,
      () => 2000,
      () => 3,
    );
    const logger = new Logger('debug');
    logger.addSink(log.sink);
    for (let n = 0; n < 200; n++) {
      logger.write('info', 'test', `line ${n} ${'x'.repeat(40)}`);
      // Some lines each turn of the event loop, as a busy archive writes them.
      if (n % 7 === 0) await log.flushed();
    }
    await log.close();
    const files = await logFiles(logs);
    expect(files.map((f) => f.name)).toEqual(['pacs.log', 'pacs.1.log', 'pacs.2.log', 'pacs.3.log']);
    for (const f of files) expect(f.size).toBeLessThanOrEqual(2000);
    // Read oldest to newest, the lines kept are the last ones, in order, none missing.
    const text = (await Promise.all(files.reverse().map((f) => readFile(path.join(logs, f.name), 'utf8')))).join('');
    const numbers = [...text.matchAll(/\[test\] line (\d+) /g)].map((m) => Number(m[1]));
    expect(numbers.at(-1)).toBe(199);
    expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, i) => numbers[0]! + i));
    expect(text).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z INFO  \[test\] line \d+ x+$/m);
  });

  it('goes on in the same file after a restart, until it is full', async () => {
    const logs = path.join(dir, 'restart');
    for (const run of [1, 2]) {
      const log = new RotatingLog(
        logs,
        () => 1 << 20,
        () => 2,
      );
      log.sink({ time: new Date(), level: 'info', source: 'run', message: `run ${run}` });
      await log.close();
    }
    expect(await readFile(path.join(logs, 'pacs.log'), 'utf8')).toMatch(/run 1\n.*run 2\n$/s);
  });

  it('has levels of its own for some sources, from LogSourceLevels', () => {
    const lines: string[] = [];
    const logger = new Logger('info');
    logger.addSink((r) => lines.push(`${r.level} ${r.source}`));
    logger.sourceLevels = sourceLevels('store-scp=debug, converters = WARN');
    logger.write('debug', 'store-scp', 'x');
    logger.write('debug', 'retrieve-scp', 'x');
    logger.write('info', 'converters', 'x');
    logger.write('warn', 'converters', 'x');
    expect(lines).toEqual(['debug store-scp', 'warn converters']);
    expect(() => sourceLevels('store-scp:debug')).toThrow(/is not source=level/);
  });
});
