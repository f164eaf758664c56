import { afterEach, describe, expect, it } from 'vitest';
import { FileHeld, HELD_FOR_MS, isHeld, whileHeld } from '../../main/store/held-files.ts';
import { Status, ioFailureStatus } from '../../main/dicom/status.ts';

const held = (code: string) => Object.assign(new Error(`${code}: operation not permitted`), { code });

describe('files other programs hold', () => {
  const saved = HELD_FOR_MS.value;
  afterEach(() => {
    HELD_FOR_MS.value = saved;
  });

  it('retries a rename or delete while Windows says the file is held, until it goes through', async () => {
    let tries = 0;
    const result = await whileHeld(
      'cannot replace',
      'x.dcm',
      async () => {
        if (++tries < 4) throw held(['EPERM', 'EBUSY', 'EACCES'][tries - 1]!);
        return 'done';
      },
      'win32',
    );
    expect([result, tries]).toEqual(['done', 4]);
  });

  it('gives up after its time with an error that says so, and never retries elsewhere or for other errors', async () => {
    HELD_FOR_MS.value = 200;
    let tries = 0;
    const err = await whileHeld(
      'cannot delete',
      'y.dcm',
      async () => {
        tries++;
        throw held('EBUSY');
      },
      'win32',
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FileHeld);
    expect((err as Error).message).toBe('cannot delete y.dcm: another program holds it (EBUSY); tried for 0.2 s');
    expect(tries).toBeGreaterThan(2);
    let once = 0;
    await expect(
      whileHeld(
        'x',
        'z',
        async () => {
          once++;
          throw held('EPERM');
        },
        'linux',
      ),
    ).rejects.toThrow('EPERM');
    await expect(
      whileHeld(
        'x',
        'z',
        async () => {
          once++;
          throw held('ENOENT');
        },
        'win32',
      ),
    ).rejects.toThrow('ENOENT');
    expect(once).toBe(2);
    expect(isHeld(held('EACCES'), 'win32')).toBe(true);
  });

  it('answers a store that cannot be written out of resources only when the disk is full', () => {
    expect(ioFailureStatus(held('ENOSPC'))).toBe(Status.OutOfResources);
    expect(ioFailureStatus(new FileHeld('cannot replace', 'x', held('EPERM')))).toBe(Status.ProcessingFailure);
    expect(ioFailureStatus(new Error('anything else'))).toBe(Status.ProcessingFailure);
  });
});
