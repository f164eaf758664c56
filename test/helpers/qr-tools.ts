import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run, type RunResult } from './dcmtk.ts';

/** DCMTK's query and retrieve tools driven as a user would, and what they report read back from their output. */

export type Answer = Record<string, string>;

/** dcmdump of a file as keyword -> value (values decoded to UTF-8 by DCMTK; sequences flattened as Seq.Keyword). */
export async function dumpKeys(file: string, utf8 = true): Promise<Answer> {
  const r = await run('dcmdump', ['-q', '-Un', ...(utf8 ? ['+U8'] : []), file]);
  if (r.code !== 0) throw new Error(`dcmdump ${file}: ${r.stderr}`);
  const out: Answer = {};
  const seq: string[] = [];
  for (const line of r.stdout.split('\n')) {
    // Each sequence level indents its items by 2 and their elements by 2 more.
    const level = Math.floor(/^ */.exec(line)![0].length / 4);
    const m =
      /^\s*\(([0-9a-f]{4}),([0-9a-f]{4})\) (\w\w) (?:\[(.*?)\]|\((?:no value available|Sequence with .*?)\)|(\S+))\s+#\s*(?:\d+|u\/l),\s*\d+\s+(\S+)/.exec(
        line,
      );
    if (!m) continue;
    seq.length = level;
    const keyword = m[6]!.replace(/^RETIRED_/, '');
    if (m[3] === 'SQ') {
      seq[level] = keyword;
      continue;
    }
    out[[...seq, keyword].join('.')] = (m[4] ?? m[5] ?? '').replace(/\s+$/, '');
  }
  return out;
}

export interface FindResult extends RunResult {
  answers: Answer[];
  /** "Success", "Cancel", "Failed: UnableToProcess", ... as findscu names the final status. */
  final: string;
  pending: string[];
}

/** findscu with `-k` keys (and `extra` arguments after the peer: query files); each answer is extracted to a file and read with dcmdump. */
export async function findscu(
  port: number,
  calledAe: string,
  model: string[],
  keys: string[],
  extra: string[] = [],
): Promise<FindResult> {
  const dir = await mkdtemp(path.join(tmpdir(), 'findscu-'));
  try {
    const r = await run('findscu', [
      '-v',
      '-X',
      '-od',
      dir,
      ...model,
      '-aet',
      'FINDSCU',
      '-aec',
      calledAe,
      ...keys.flatMap((k) => ['-k', k]),
      '127.0.0.1',
      String(port),
      ...extra,
    ]);
    const files = (await readdir(dir)).filter((f) => f.startsWith('rsp')).sort();
    const answers = await Promise.all(files.map((f) => dumpKeys(path.join(dir, f))));
    // DCMTK logs to stdout or stderr depending on its options; read both.
    const log = r.stdout + r.stderr;
    return {
      ...r,
      stdout: log,
      answers,
      final: finalStatus(log, 'Find'),
      pending: [...log.matchAll(/Received Find Response \d+ \((.*?)\)/g)].map((m) => m[1]!),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The final status a DCMTK SCU printed ("Received Final Move Response (Success)"), or the whole output if none. */
export function finalStatus(stdout: string, what: string): string {
  return (
    new RegExp(`Received Final ${what} Response \\((.*?)\\)`).exec(stdout)?.[1] ??
    `no final ${what} response in: ${stdout}`
  );
}

export interface RetrieveResponse {
  final: boolean;
  remaining?: number;
  completed: number;
  failed: number;
  warning: number;
  status: string;
}

/** The responses of a movescu/getscu run with `-d`, each with its sub-operation counts and status line. */
export function retrieveResponses(log: string, what: 'Move' | 'C-GET'): RetrieveResponse[] {
  const out: RetrieveResponse[] = [];
  const blocks = log.split(new RegExp(`Received (?=(?:Final )?${what} Response)`)).slice(1);
  for (const b of blocks) {
    const num = (label: string) => {
      const m = new RegExp(`${label} Suboperations\\s*: (\\w+)`).exec(b);
      return m && m[1] !== 'none' ? Number(m[1]) : undefined;
    };
    out.push({
      final: b.startsWith('Final') || /DIMSE Status\s*: 0x(?!ff0)/.test(b),
      remaining: num('Remaining'),
      completed: num('Completed') ?? 0,
      failed: num('Failed') ?? 0,
      warning: num('Warning') ?? 0,
      status: /DIMSE Status\s*: (0x[0-9a-f]{4})/.exec(b)?.[1] ?? '?',
    });
  }
  return out;
}

/** getscu of what `keys` name (`Key=Value`) into the folder `into`, Study Root (Patient Root with `patientRoot`). */
export async function getscu(
  port: number,
  calledAe: string,
  into: string,
  keys: string[],
  patientRoot = false,
): Promise<RunResult> {
  await mkdir(into, { recursive: true });
  return run('getscu', [
    ...(patientRoot ? ['-P'] : []),
    '-aec',
    calledAe,
    '-od',
    into,
    ...keys.flatMap((k) => ['-k', k]),
    '127.0.0.1',
    String(port),
  ]);
}

/** findscu at STUDY level: each study's UID and object count, as "UID N", sorted (an archive's studies to compare). */
export async function studyAnswers(port: number, ae: string): Promise<string[]> {
  return (
    await findscu(port, ae, ['-S'], ['QueryRetrieveLevel=STUDY', 'StudyInstanceUID', 'NumberOfStudyRelatedInstances'])
  ).answers
    .map((a) => `${a.StudyInstanceUID} ${a.NumberOfStudyRelatedInstances}`)
    .sort();
}
