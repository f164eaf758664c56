import { describe, expect, it } from 'vitest';
import { commandWord, parseConverter, ConverterSyntaxError } from '../../main/automation/converter-script.ts';
import { expandVariables, substring } from '../../main/automation/converter-vars.ts';
import {
  checkConverter,
  checkExportConverter,
  ConverterCheckError,
  emptyResult,
  programLine,
  runConvertersInto,
} from '../../main/automation/converter-run.ts';
import { textElement, textOf, type DataSet } from '../../main/dicom/dataset.ts';
import { Tag } from '../../main/dicom/tags.ts';
import { IniDocument } from '../../common/ini-document.ts';
import {
  parseDelayedDelete,
  parseDelayedGet,
  parseDelayedMerge,
  parseForwardCommand,
  parsePreretrieve,
} from '../../main/automation/forward-command.ts';
import { formatValue } from '../../main/automation/set-command.ts';
import { newUidFor, parseUidCommand, remapUids, type UidCommand } from '../../main/automation/uid-remap.ts';
import { filterMatches, readImportConverters, readRequestConverters } from '../../main/config/import-converters.ts';
import { ConfigErrors } from '../../main/config/config-error.ts';

/**
 * Conquest's converter language as its Windows manual describes it ("ImportConverters" and the command table after
 * it): the examples there, run on a data set; expected results from the manual's words.
 */
function dataSet(values: Record<number, [string, string]>): DataSet {
  return new Map(
    Object.entries(values).map(([tag, [vr, value]]) => [Number(tag), textElement(Number(tag), vr, value)]),
  );
}

const CT = () =>
  dataSet({
    [Tag.StudyDate]: ['DA', '20020315'],
    [Tag.Modality]: ['CS', 'CT'],
    [Tag.StationName]: ['SH', 'CT01'],
    [Tag.SOPInstanceUID]: ['UI', '1.2.3.4'],
    [Tag.PatientName]: ['PN', 'Doe^John'],
    [Tag.PatientID]: ['LO', 'PID12345'],
    [Tag.PatientBirthDate]: ['DA', '19700101'],
  });
const AT = { callingAe: 'MODALITY1', calledAe: 'PACSWS', now: () => new Date(2026, 11, 7, 9, 5, 3) };
const run = (lines: string[], ds = CT()) => {
  const result = emptyResult(ds);
  runConvertersInto(
    lines.map((l) => checkConverter(l)),
    result,
    AT,
  );
  return result;
};
const value = (ds: DataSet, tag: number) => textOf(ds.get(tag));

describe('the converter language', () => {
  it('reads statements, blocks and quoted semicolons, and refuses what is not closed with its column', () => {
    expect(parseConverter('ifequal "%m", "CT"; { forward to AE1 channel *; destroy; }')).toEqual([
      { kind: 'command', text: 'ifequal "%m", "CT"', column: 1 },
      {
        kind: 'block',
        column: 21,
        body: [
          { kind: 'command', text: 'forward to AE1 channel *', column: 23 },
          { kind: 'command', text: 'destroy', column: 49 },
        ],
      },
    ]);
    expect(parseConverter('nop "a; b"; stop')).toHaveLength(2);
    expect(() => parseConverter('nop "open')).toThrow(ConverterSyntaxError);
    expect(() => parseConverter('{ nop; ')).toThrow(expect.objectContaining({ column: 1 }));
    expect(() => parseConverter('nop; }')).toThrow('a } without its {');
  });

  it('expands the variables of the manual: %m %s %o %i %u %c %d %n %t %%, %V by tag and by name, substrings and case', () => {
    const ctx = { ...AT, dataSet: CT(), vars: new Map([['x', 'ex']]) };
    expect(expandVariables('%m/%s/%o/%i/%u/%c/%x', ctx)).toBe('CT/CT01/1.2.3.4/PID12345/MODALITY1/PACSWS/ex');
    expect(expandVariables('date: %d', ctx)).toBe('date: Mon Dec  7 09:05:03 2026');
    expect(expandVariables('a%nb%tc%%d', ctx)).toBe('a\nb\tc%d');
    expect(expandVariables('%V0008,0020[0,3] %VPatientName^ %VPatientName~', ctx)).toBe('2002 DOE^JOHN doe^john');
    // "%i[0,1] = first 2 characters of patientid, %i[,2] = last two characters of patient ID"
    expect(expandVariables('%i[0,1]|%i[,2]', ctx)).toBe('PI|45');
    expect(substring('abc', 1, 10)).toBe('bc');
    expect(expandVariables('%g', ctx)).toMatch(/^2\.25\.\d+$/);
  });

  it("runs the manual's example: sets two attributes and destroys what was acquired in 2002", () => {
    // The manual's 0010,1002 is a sequence in today's dictionary (setting one makes it an empty sequence, as in
    // Conquest): the upper-cased name goes to 0010,2000 here as well.
    const result = run([
      'set 0010,1001 to "my string and date: %d"',
      'set 0010,1002 to "%V0010,0010^"',
      'set 0010,2000 to "%V0010,0010^"',
      'ifequal "%V0008,0020[0,3]", "2002"; destroy',
    ]);
    expect(result.outcome).toBe('destroy');
    expect(value(result.dataSet, 0x00101001)).toBe('my string and date: Mon Dec  7 09:05:03 2026');
    expect(value(result.dataSet, 0x00102000)).toBe('DOE^JOHN');
    expect(result.dataSet.get(0x00101002)).toMatchObject({ vr: 'SQ', value: [] });
    const later = CT();
    later.set(Tag.StudyDate, textElement(Tag.StudyDate, 'DA', '20260101'));
    expect(run(['ifequal "%V0008,0020[0,3]", "2002"; destroy'], later).outcome).toBe('store');
  });

  it("routes as the manual's database-less example does: a block runs only when its test holds", () => {
    const lines = [
      'ifequal "%m", "CT"; { forward to AE1 channel *; destroy; }',
      'ifequal "%m", "MRI"; { forward to AE2 channel *; destroy; }',
    ];
    expect(run(lines)).toMatchObject({ outcome: 'destroy', forwards: [{ destination: 'AE1', compression: '' }] });
    const mr = CT();
    mr.set(Tag.Modality, textElement(Tag.Modality, 'CS', 'MRI'));
    expect(run(lines, mr)).toMatchObject({ outcome: 'destroy', forwards: [{ destination: 'AE2' }] });
    const us = CT();
    us.set(Tag.Modality, textElement(Tag.Modality, 'CS', 'US'));
    expect(run(lines, us)).toMatchObject({ outcome: 'store', forwards: [], changed: false });
  });

  it('runs every test as Conquest decides it: exact, case-blind patterns, numbers, empty, and a failed test skips one statement', () => {
    const decide = (line: string) => run([`${line}; set 0010,1001 to "yes"`]).dataSet.has(0x00101001);
    expect(decide('ifequal "%m", "CT"')).toBe(true);
    expect(decide('ifequal "%m", "ct"')).toBe(false);
    expect(decide('ifnotequal "%m", "MR"')).toBe(true);
    expect(decide('ifmatch "%VPatientName", "*doe*"')).toBe(true);
    expect(decide('ifmatch "%VPatientName", "doe*"')).toBe(true);
    expect(decide('ifmatch "%VPatientName", "*john"')).toBe(true);
    expect(decide('ifnotmatch "%VPatientName", "smith*"')).toBe(true);
    expect(decide('ifnumgreater "%V0010,0030[0,3]", "1969"')).toBe(true);
    expect(decide('ifnumless "10", "9"')).toBe(false);
    expect(decide('ifnumequal "7.0", "7"')).toBe(true);
    expect(decide('ifnumnotequal "7", "8"')).toBe(true);
    expect(decide('ifempty "%V0008,1030"')).toBe(true);
    expect(decide('ifnotempty "%i"')).toBe(true);
    // Conquest skips the one statement after a failed test: here the second test, so the set runs.
    expect(decide('ifequal "a", "b"; ifequal "c", "d"')).toBe(true);
  });

  it('sets, fills only what is empty, deletes with "to nil" and delete, and keeps x, y and z for later statements', () => {
    const result = run([
      'set x to "%i[0,2]"',
      'set 0010,4000 to "from %x"',
      'setifempty 0008,1030 to "no description"',
      'setifempty 0010,0010 to "not this"',
      'set 0010,0030 to nil',
      'delete PatientID',
      'set 0008,1040 if "%y"',
      'nop patient %x done',
    ]);
    expect(result.outcome).toBe('store');
    expect(value(result.dataSet, 0x00104000)).toBe('from PID');
    expect(value(result.dataSet, Tag.StudyDescription)).toBe('no description');
    expect(value(result.dataSet, Tag.PatientName)).toBe('Doe^John');
    expect(result.dataSet.has(Tag.PatientBirthDate)).toBe(false);
    expect(result.dataSet.has(Tag.PatientID)).toBe(false);
    expect(result.dataSet.has(0x00081040)).toBe(false);
    expect(result.notes).toEqual(['patient PID done']);
  });

  it('gives write and append to the caller in order, with their variables expanded', () => {
    expect(run(['write "first %i%n" to log-%m.txt', 'append "then %u" to log-%m.txt']).files).toEqual([
      { op: 'write', text: 'first PID12345\n', file: 'log-CT.txt' },
      { op: 'append', text: 'then MODALITY1', file: 'log-CT.txt' },
    ]);
    expect(run(['mkdir out/%m/', 'rm out/old-%i.txt', 'system echo %o']).files).toEqual([
      { op: 'mkdir', file: 'out/CT/' },
      { op: 'rm', file: 'out/old-PID12345.txt' },
    ]);
    expect(run(['system echo %o']).commands).toEqual(['echo 1.2.3.4']);
    expect(() => checkConverter('append "no file"')).toThrow('append is "append "text" to file"');
  });

  it('keeps the last compression said, and refuses a code Conquest has that is not run here', () => {
    expect(run(['compression j2', 'ifequal "%m", "CT"; compression js']).compression).toBe('js');
    expect(() => checkConverter('compression n1')).toThrow(
      'compression "n1": NKI private compression is not supported',
    );
  });

  it('sets with a format, and inside a sequence item one deep (an item by number, or a new one)', () => {
    const result = run([
      'set 0020,0010 format "ID%%05d" to "42"',
      'set 0010,1001 format "%%-6s|%%.2f|%%x" to "7.125"',
      'set 0008,1110.0/0008,1155 to "1.2.3"',
      'set ReferencedStudySequence.*/ReferencedSOPInstanceUID to "1.2.4"',
      'set 0008,1110.0/0008,1150 to "%VSOPClassUID"',
    ]);
    expect(value(result.dataSet, 0x00200010)).toBe('ID00042');
    expect(formatValue('%-6s|%.2f|%x', '7.125')).toBe('7.125 |7.13|7');
    expect(formatValue('%+05d %X %%', '255')).toBe('+0255 FF %');
    const items = result.dataSet.get(0x00081110)!.value as DataSet[];
    expect(items.map((item) => value(item, 0x00081155))).toEqual(['1.2.3', '1.2.4']);
    expect(value(items[0]!, 0x00081150)).toBe(value(CT(), Tag.SOPClassUID));
    expect(() => checkConverter('set 0008,1110.0/0008,1155/0008,0100 to "x"')).toThrow('one sequence deep');
    expect(() => checkConverter('set 0010,0010.0/0008,1155 to "x"')).toThrow('0010,0010 is not a sequence');
  });

  it('gives new UIDs consistently (keyed, or one way with a #stage), keeping classes and what except names', () => {
    const ds = dataSet({
      [Tag.StudyInstanceUID]: ['UI', '1.2.826.0.1.1'],
      [Tag.SeriesInstanceUID]: ['UI', '1.2.826.0.1.2'],
      [Tag.SOPClassUID]: ['UI', '1.2.840.10008.5.1.4.1.1.2'],
      [Tag.SOPInstanceUID]: ['UI', '1.2.826.0.1.3'],
    });
    const command = parseUidCommand('new', 'except 0020,000e|0008,0018=1.2.3 stage trial') as UidCommand;
    expect(command).toMatchObject({ stage: 'trial', oneWay: false });
    const once = remapUids(ds, command, (old) => newUidFor(old, 'trial', 'key'));
    const twice = remapUids(ds, command, (old) => newUidFor(old, 'trial', 'key'));
    expect(value(once, Tag.StudyInstanceUID)).toBe(value(twice, Tag.StudyInstanceUID));
    expect(value(once, Tag.StudyInstanceUID)).not.toBe(value(ds, Tag.StudyInstanceUID));
    expect(value(once, Tag.StudyInstanceUID)).toMatch(/^2\.25\.\d{20,39}$/);
    expect(value(once, Tag.SeriesInstanceUID)).toBe(value(ds, Tag.SeriesInstanceUID));
    expect(value(once, Tag.SOPInstanceUID)).toBe('1.2.3');
    expect(value(once, Tag.SOPClassUID)).toBe(value(ds, Tag.SOPClassUID));
    expect(newUidFor('1.2', 'trial', 'other key')).not.toBe(newUidFor('1.2', 'trial', 'key'));
    expect(parseUidCommand('new', 'stage #study1')).toMatchObject({ oneWay: true, stage: 'study1' });
    expect(parseUidCommand('old', 'stage #study1')).toEqual({ error: 'a #stage is one way: olduids cannot undo it' });
    const result = run(['newuids stage #s1']);
    expect(result.uidPairs).toEqual([]);
    expect(run(['newuids']).uidPairs.length).toBeGreaterThan(0);
    expect(() => checkConverter('newuids except nonsense')).toThrow('newuids: nonsense is not gggg,eeee');
  });

  it('calls [scripts] entries and files of converter lines, where a stop ends only the called script', () => {
    const files: Record<string, string> = {
      'mark.txt': '# a comment\nset 0010,1001 to "from file"\n; another\nstop; set 0010,1002 to "never"\n',
      'drop.txt': 'ifequal "%m", "CT"; destroy',
    };
    const sources = {
      script: (name: string) =>
        ({ Tag: 'set 0010,2000 to "tagged %m"', Twice: 'call Tag; set 0010,4000 to "twice"' })[name],
      file: (name: string) => files[name],
    };
    const lines = (l: string[]) => l.map((x) => checkConverter(x, sources));
    const result = emptyResult(CT());
    runConvertersInto(lines(['call mark.txt; Twice; set 0010,1005 to "after"']), result, AT);
    expect(value(result.dataSet, 0x00101001)).toBe('from file');
    expect(result.dataSet.has(0x00101002)).toBe(false);
    expect(value(result.dataSet, 0x00102000)).toBe('tagged CT');
    expect(value(result.dataSet, 0x00104000)).toBe('twice');
    expect(value(result.dataSet, 0x00101005)).toBe('after');
    const dropped = emptyResult(CT());
    runConvertersInto(lines(['call drop.txt; set 0010,1005 to "never"']), dropped, AT);
    expect(dropped).toMatchObject({ outcome: 'destroy', changed: false });
    expect(() => checkConverter('call nowhere', sources)).toThrow(
      'call nowhere: no [scripts] entry or file of that name',
    );
    expect(() => checkConverter('call loop', { script: () => 'call loop', file: () => undefined })).toThrow(
      'more than 8 deep',
    );
    expect(() => checkConverter('call Tag')).toThrow('a script is not called from here');
    const lua = checkConverter('anonymize.lua(fast)', { script: () => undefined, file: () => 'print(command_line)' });
    expect(lua[0]).toMatchObject({ kind: 'block', call: 'anonymize.lua' });
  });

  it('takes an export line that is a program as that program, given the stored file', () => {
    expect(programLine('myconverter.exe')).toBe('myconverter.exe');
    expect(programLine('"C:\\Program Files\\Conv\\conv.exe"')).toBe('"C:\\Program Files\\Conv\\conv.exe"');
    expect(programLine('/usr/local/bin/archive-hook')).toBe('/usr/local/bin/archive-hook');
    // Commands, scripts and typos stay what they are (a typo is refused, not run).
    for (const line of ['forwrd', 'nop', 'anonymize.lua', 'anonymize.lua(x)', 'forward to AE1', 'call my.exe'])
      expect(programLine(line)).toBeUndefined();
    const [run] = checkExportConverter('conv.exe', () => true);
    expect(run).toMatchObject({ kind: 'command', text: 'system conv.exe "%f"' });
    expect(() => checkExportConverter('forwrd', () => true)).toThrow('"forwrd" is not a converter command');
  });

  it('ends a line with stop and rejects with reject', () => {
    expect(run(['stop; set 0010,1001 to "no"', 'set 0010,1002 to "yes"']).dataSet.has(0x00101001)).toBe(false);
    expect(run(['ifmatch "%u", "MODALITY*"; reject', 'set 0010,1002 to "never"'])).toMatchObject({
      outcome: 'reject',
      changed: false,
    });
  });

  it('refuses, with the column, a command or a form this version does not run', () => {
    expect(() => checkConverter('nop; fixkodak')).toThrow(
      new ConverterCheckError('"fixkodak" is not a converter command this version runs', 6),
    );
    expect(() => checkConverter('ifequal "%m"; destroy')).toThrow(
      'ifequal takes two quoted strings, separated by a comma',
    );
    expect(() => checkConverter('set 0010,0010 "x"')).toThrow(ConverterCheckError);
    expect(() => checkConverter('set Nonsense to "x"')).toThrow(
      'Nonsense is not gggg,eeee, a known attribute name, x, y or z',
    );
    expect(() => checkConverter('forward study to AE1')).not.toThrow();
    expect(() => checkConverter('forward study imagetype ORIGINAL* to AE1')).not.toThrow();
    expect(parseForwardCommand('study imagetype *LOCALIZER to AE1')).toMatchObject({ imageType: '*LOCALIZER' });
    expect(() => checkConverter('forward imagetype ORIGINAL to AE1')).toThrow('imagetype narrows a delayed forward');
    // A forward's script: the rest of the line, quoted (with "" for a quote) or not; checked as a converter line.
    const [scripted] = checkConverter('forward to 10.0.0.9:104 org ME script "set 0010,0010 to ""x""; newuids"');
    const forward = parseForwardCommand(commandWord((scripted as { text: string }).text).rest);
    expect(forward).toMatchObject({ destination: '10.0.0.9:104', org: 'ME', script: 'set 0010,0010 to "x"; newuids' });
    expect(parseForwardCommand('to AE1 script lua:Data.PatientName = nil')).toMatchObject({
      destination: 'AE1',
      script: 'lua:Data.PatientName = nil',
    });
    expect(() => checkConverter('nop; forward to AE1 script "set 0010,0010 to x"')).toThrow(
      new ConverterCheckError(
        'forward ... script: set: set is "set gggg,eeee [format "%%d"] to "value"" (or a name, x, y, z; "to nil" deletes)',
        6,
      ),
    );
    expect(() => checkConverter('forward to AE1 script "storage MAG1"')).toThrow(
      "forward ... script: storage is not for a forward's script, which changes the copy it sends",
    );
    // A variable the runner would refuse is refused here, never when an object arrives.
    expect(() => checkConverter('nop; set 0010,1001 to "%QP0010"')).toThrow(
      new ConverterCheckError('%Q without a letter and gggg,eeee is not a variable this version runs', 24),
    );
    expect(() => checkConverter('set 0010,1001 to "%A0010,0020 %E0020,000d %R0020,000d %QW0010,0010"')).not.toThrow();
    expect(() => checkConverter('ifequal "%V(/0008,1115/0020,000e)0008,0060", "CT"; nop')).not.toThrow();
    expect(() => checkConverter('ifequal "%V(/0008,1115", "CT"; nop')).toThrow(
      '%V( without (/gggg,eeee/...)gggg,eeee is not a variable this version runs',
    );
    expect(() => checkConverter('set 0028,0010 to "512"')).toThrow(
      '0028,0010 is a US attribute: set writes text attributes only (for now)',
    );
    expect(() => checkConverter('set 0009,1001 to "private text"')).not.toThrow();
  });
});

describe('ImportConverters in dicom.ini', () => {
  const ini = (lines: string[]) =>
    new IniDocument('/cfg/dicom.ini', ['[sscscp]', 'MyACRNema = PACSWS', ...lines].join('\n'));

  it('reads the converters in order with their filters, up to ImportConverters when it is set', () => {
    const read = readImportConverters(
      ini(['ImportConverter1 = nop one', 'ImportConverter0 = nop zero', 'ImportModality1 = MR', 'ImportCallingAE0 =']),
    );
    expect(read.map((c) => [c.index, c.text, c.modality, c.callingAe])).toEqual([
      [0, 'nop zero', '*', ''],
      [1, 'nop one', 'MR', '*'],
    ]);
    expect(
      readImportConverters(ini(['ImportConverters = 1', 'ImportConverter0 = nop', 'ImportConverter1 = nop'])).length,
    ).toBe(1);
    expect(filterMatches('*', 'CT')).toBe(true);
    expect(filterMatches('', 'CT')).toBe(false);
    expect(filterMatches('', '')).toBe(true);
    expect(filterMatches('MRI*', 'mri2')).toBe(true);
    expect(filterMatches('CT?', 'CT12')).toBe(false);
  });

  it('takes a converter line whole, as Conquest does: " #" and " ;" in it are code, not a trailing comment', () => {
    const doc = ini([
      `ImportConverter0 = lua "n = #Data.ReferencedStudySequence" ; nop done`,
      'MyACRNema = PACSWS # ours',
    ]);
    expect(readImportConverters(doc)[0]!.text).toBe(`lua "n = #Data.ReferencedStudySequence" ; nop done`);
    expect(doc.get('sscscp', 'MyACRNema')!.value).toBe('PACSWS');
  });

  it('reads QueryConverter0, WorkListQueryConverter0 and RetrieveConverter0, refusing what has no meaning on a request', () => {
    const read = readRequestConverters(
      ini(['QueryConverter0 = ifequal "%u", "X"; destroy', 'RetrieveConverter0 = nop moving to %s']),
    );
    expect(Object.keys(read)).toEqual(['query', 'retrieve']);
    expect(read.query).toMatchObject({ key: 'QueryConverter0', line: 3 });
    expect(() => readRequestConverters(ini(['WorkListQueryConverter0 = nop; forward to PACS']))).toThrow(
      'WorkListQueryConverter0, column 6: forward has no meaning on a request',
    );
  });

  it('refuses a line it cannot run with its file, line, column and reason', () => {
    let thrown: unknown;
    try {
      readImportConverters(ini(['ImportConverter0 = nop', 'ImportConverter1 = ifequal "%m", "CT"; fixkodak']));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigErrors);
    expect((thrown as Error).message).toContain('/cfg/dicom.ini:4');
    expect((thrown as Error).message).toContain(
      'ImportConverter1, column 21: "fixkodak" is not a converter command this version runs',
    );
  });
});

describe("Conquest's forward command", () => {
  it('reads the immediate and the delayed forms, with their clauses in any order', () => {
    expect(parseForwardCommand('compressed as j2 to SERVER2')).toEqual({
      destination: 'SERVER2',
      compression: 'j2',
      filters: {},
    });
    expect(parseForwardCommand('patient to VIEWERAE after 60')).toEqual({
      destination: 'VIEWERAE',
      compression: '',
      level: 'patient',
      afterSeconds: 60,
      filters: {},
    });
    expect(parseForwardCommand('study modality CT seriesdesc Axial to PACS channel *')).toMatchObject({
      level: 'study',
      filters: { modality: 'CT', seriesdesc: 'Axial' },
    });
    expect(parseForwardCommand('to PACS after 5')).toMatchObject({ level: 'image', afterSeconds: 5 });
    expect(parseForwardCommand('modality CT to PACS')).toEqual({
      error: 'modality narrows a delayed forward: forward patient|study|series ...',
    });
    expect(parseForwardCommand('study to PACS after soon')).toEqual({ error: 'after takes seconds, not "soon"' });
    expect(parseForwardCommand('study to')).toEqual({ error: 'to needs a value' });
    expect(parseForwardCommand('study org ME dest THEM to 10.0.0.9:104 date 20200101-20201231 split 0/3')).toEqual({
      destination: '10.0.0.9:104',
      compression: '',
      level: 'study',
      filters: {},
      org: 'ME',
      dest: 'THEM',
      dates: { kind: 'date', from: '20200101', to: '20201231' },
      split: { n: 0, m: 3 },
    });
    expect(parseForwardCommand('series now -30 age -7+7 to PACS')).toMatchObject({
      dates: { kind: 'age', from: -7, to: 7 },
    });
    expect(parseForwardCommand('series now -30 to PACS')).toMatchObject({
      dates: { kind: 'now', from: -30, to: 100000 },
    });
    expect(parseForwardCommand('study date 2020-2021 to PACS')).toEqual({
      error: 'date is "date yyyymmdd-yyyymmdd", not "2020-2021"',
    });
    expect(parseDelayedGet('study series 1.2.3 after 30 from PACS')).toEqual({
      level: 'study',
      source: 'PACS',
      afterSeconds: 30,
      keys: { series: '1.2.3' },
    });
    expect(parseDelayedGet('patient modality CT seriesdesc *HEAD* now -365+0 from PACS')).toEqual({
      level: 'patient',
      source: 'PACS',
      keys: {},
      filters: { modality: 'CT', seriesdesc: '*HEAD*' },
      dates: { kind: 'now', from: -365, to: 0 },
    });
    expect(parseDelayedGet('study imagetype ORIGINAL from PACS')).toEqual({
      error: 'get ... imagetype is not run by this version (PACS seldom match Image Type in a query)',
    });
    expect(parseDelayedGet('study after 30')).toEqual({ error: 'get names where from: from AE' });
    expect(parsePreretrieve('PACS')).toEqual({ level: 'patient', source: 'PACS', keys: {}, preretrieve: true });
    expect(parseDelayedDelete('patient modality CT after 3600')).toEqual({
      level: 'patient',
      afterSeconds: 3600,
      filters: { modality: 'CT' },
    });
    expect(parseDelayedDelete('study seriesdesc X')).toEqual({
      error: '"seriesdesc" is not part of a delayed delete (modality, study, after)',
    });
    expect(parseDelayedDelete('study after soon')).toEqual({ error: 'after takes seconds, not "soon"' });
    expect(parseDelayedMerge('study modality CT after 60')).toEqual({ afterSeconds: 60, filters: { modality: 'CT' } });
    expect(parseDelayedMerge('study study 1.2')).toEqual({
      error: '"study" is not part of merge (modality, seriesdesc, after)',
    });
    expect(parseDelayedMerge('study constructor x')).toEqual({
      error: '"constructor" is not part of merge (modality, seriesdesc, after)',
    });
    expect(parseForwardCommand('to PACS org AVERYLONGAETITLE17')).toEqual({
      error: 'org takes an AE title (16 characters at most), not "AVERYLONGAETITLE17"',
    });
  });
});
