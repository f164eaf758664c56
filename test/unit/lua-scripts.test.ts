import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ScriptEngine, type LuaCall } from '../../main/automation/lua-engine.ts';
import { LuaHost } from '../../main/automation/lua-host.ts';
import { IniDocument } from '../../common/ini-document.ts';
import { checkConverterLua, readImportConverters } from '../../main/config/import-converters.ts';
import { textElement, textOf, uint16Element, type DataSet } from '../../main/dicom/dataset.ts';
import { Tag } from '../../main/dicom/tags.ts';
import { CharacterSet } from '../../main/dicom/charset.ts';
import { checkedScriptSql } from '../../main/index/script-sql.ts';

/**
 * Conquest's Lua environment (its Windows manual, "Lua scripts"), run by the engine the converters use: the manual's
 * read/write examples on Data and its sequences, the utility functions, the 5.1 names its scripts rely on, what is taken
 * away, and the budget that ends a runaway script. The converters' worker thread and a real association are in
 * test/interop/lua-converters.test.ts.
 */
describe('Lua scripts', () => {
  let lua: ScriptEngine;
  beforeAll(async () => {
    lua = await ScriptEngine.create(16 << 20);
  });
  afterAll(() => lua.close());

  const object = (): DataSet =>
    new Map([
      [Tag.SpecificCharacterSet, textElement(Tag.SpecificCharacterSet, 'CS', 'ISO_IR 100')],
      [Tag.StudyInstanceUID, textElement(Tag.StudyInstanceUID, 'UI', '1.2.3')],
      [Tag.Modality, textElement(Tag.Modality, 'CS', 'CT')],
      [Tag.PatientName, textElement(Tag.PatientName, 'PN', 'Doe^John')],
      [Tag.PatientID, textElement(Tag.PatientID, 'LO', 'PID12345')],
      [0x00280010, uint16Element(0x00280010, 512)],
    ]);
  const call = (chunk: string, dataSet = object(), timeoutMs = 2000): ReturnType<ScriptEngine['run']> =>
    lua.run({
      chunk,
      name: 'ImportConverter7',
      dataSet,
      association: { calling: 'CT01', called: 'PACS', connectedIp: '10.0.0.5', thread: 12 },
      timeoutMs,
    } satisfies LuaCall);
  const printed = (chunk: string) => {
    const ran = call(chunk);
    expect(ran.error).toBeUndefined();
    return ran.lines.map((l) => l.text);
  };
  const text = (ds: DataSet, tag: number) => {
    const charset = new CharacterSet(textOf(ds.get(Tag.SpecificCharacterSet)) || undefined);
    return textOf(ds.get(tag), (b) => charset.decode(b));
  };

  it("reads and writes attributes by name and by number, and deletes with nil, as the manual's examples do", () => {
    const ran = call("Data.PatientName = Data.PatientID; Data['0010,1001'] = 'other'; Data.Modality = nil");
    expect(ran.error).toBeUndefined();
    expect(ran.result.changed).toBe(true);
    expect(text(ran.result.dataSet, Tag.PatientName)).toBe('PID12345');
    expect(text(ran.result.dataSet, 0x00101001)).toBe('other');
    expect(ran.result.dataSet.has(Tag.Modality)).toBe(false);
    // Names in any case (Conquest's scripts say SopInstanceUID); binary numbers read as numbers and written back.
    expect(printed('print(Data.patientid, Data.Rows / 2, Data.InstitutionName == nil, Data.NotThere == nil)')).toEqual([
      'PID12345\t256.0\ttrue\ttrue',
    ]);
    const rows = call('Data.Rows = Data.Rows + 1').result.dataSet.get(0x00280010)!;
    expect((rows.value as Buffer).readUInt16LE(0)).toBe(513);
  });

  it("builds, reads and deletes sequence items as the manual's example does", () => {
    const ran = call(`
      Data.ReferencedStudySequence = {}
      print('Number of elements in sequence', #Data.ReferencedStudySequence)
      Data.ReferencedStudySequence[0].StudyInstanceUID = Data.StudyInstanceUID
      Data.ReferencedStudySequence[1].StudyInstanceUID = '1.9'
      print(#Data.ReferencedStudySequence, Data.ReferencedStudySequence.StudyInstanceUID)
      print(Data.ReferencedStudySequence[1]:ListItems())
      deletefromsequence(Data.ReferencedStudySequence, 0)
      print(#Data.ReferencedStudySequence, Data.ReferencedStudySequence[0].StudyInstanceUID)
      Data.ReferencedStudySequence[0]:Delete()
      print(#Data.ReferencedStudySequence)
      Data.OtherPatientIDsSequence = {}
      Data.OtherPatientIDsSequence = nil
      print(Data.OtherPatientIDsSequence)
    `);
    expect(ran.error).toBeUndefined();
    expect(ran.lines.map((l) => l.text)).toEqual([
      'Number of elements in sequence\t0',
      '2\t1.2.3',
      'StudyInstanceUID\tUI\t32\t13',
      '1\t1.9',
      '0',
      'nil',
    ]);
    expect(ran.result.dataSet.get(0x00081110)).toMatchObject({ vr: 'SQ', value: [] });
  });

  it('goes over to UTF-8 when a value does not fit the character set, as the Edit form does', () => {
    const ran = call("Data.PatientName = 'Dvořák^Jiří'");
    expect(textOf(ran.result.dataSet.get(Tag.SpecificCharacterSet))).toBe('ISO_IR 192');
    expect(text(ran.result.dataSet, Tag.PatientName)).toBe('Dvořák^Jiří');
  });

  it('gives Association, print, debuglog, dictionary, genuid, crc and script()', () => {
    expect(
      printed(`print(Association.Calling, Association.Called, Association.ConnectedIP, Association.Thread)
        debuglog('detail') print(dictionary('PatientID')) print(dictionary(0x0010, 0x0020))
        print(genuid():match('^2%.25%.%d+$') ~= nil, crc('abc'))`),
    ).toEqual(['CT01\tPACS\t10.0.0.5\t12', 'detail', '16\t32', 'PatientID', 'true\t891568578']);
    const ran = call(`script('set 0010,1001 to "%VPatientID-%u"') print(Data['0010,1001'])
      Data:Script('forward compressed as j2 to ARCHIVE2')`);
    expect(ran.lines.map((l) => l.text)).toEqual(['PID12345-CT01']);
    expect(ran.result.forwards).toEqual([{ destination: 'ARCHIVE2', compression: 'j2', filters: {} }]);
    expect(call('destroy()').result).toMatchObject({ outcome: 'destroy' });
    expect(call("script('reject')").result).toMatchObject({ outcome: 'reject' });
    expect(call("script('fixkodak')").error).toContain('"fixkodak" is not a converter command this version runs');
  });

  it('makes objects and arrays of its own (newdicomobject, newdicomarray, Copy, Add) without touching Data', () => {
    const ran = call(`
      local a = newdicomarray(); a[0].PatientID = 'a'; a[1].PatientID = 'b'
      local c = Data:Copy(); c.PatientID = 'copy'
      a:Add(c); a:Add(Data)
      local o = DicomObject:new(); o.ReferencedStudySequence = {}; o.ReferencedStudySequence[0].StudyInstanceUID = '1.5'
      print(#a, a[0].PatientID, a[1].PatientID, a[2].PatientID, a[3].PatientID, Data.PatientID)
      print(#o.ReferencedStudySequence, o.ReferencedStudySequence[0].StudyInstanceUID, o.PatientID)
      deletedicomobject(o)
      print(pcall(function() return o.PatientID end))
    `);
    expect(ran.error).toBeUndefined();
    expect(ran.lines.map((l) => l.text)).toEqual([
      '4\ta\tb\tcopy\tPID12345\tPID12345',
      '1\t1.5\tnil',
      'false\tImportConverter7:9: that DICOM object was freed',
    ]);
    expect(ran.result.changed).toBe(false);
  });

  it("ends a chunk that calls something that waits here, to go on in the scripts' thread", async () => {
    for (const chunk of ["print('x') dicomecho('PEER')", 'sleep(10)', "pcall(sql, 'SELECT 1') Data.PatientID = 'x'"]) {
      const ran = call(chunk);
      expect(ran).toMatchObject({ needsThread: true });
    }
    // Where it waits, a failing call is what Conquest gives back: nil, an empty answer, the error's text.
    const waited = await lua.runWaiting({
      chunk:
        "print(dicomecho('PEER'), #dicomquery('PEER', 'STUDY', newdicomobject()), dicommove('PEER', 'ME'), sql('SELECT 1'))",
      name: 'ImportConverter7',
      dataSet: object(),
      association: { calling: 'CT01', called: 'PACS', connectedIp: '10.0.0.5', thread: 12 },
      timeoutMs: 2000,
    });
    expect(waited.error).toBeUndefined();
    expect(waited.lines.at(-1)!.text).toBe('nil\t0\tmove is not available here\tnil');
  });

  it("keeps Lua 5.1's names Conquest's scripts use, and takes away what reaches outside the archive", () => {
    expect(
      printed(`print(table.getn({1, 2, 3}), loadstring('return 7')(), math.pow(2, 3), math.mod(7, 3), unpack({1, 2}))
        print(os.execute, os.rename, package, loadfile, debug, type(os.time()), type(string.format))
        print(type(io.popen))
        print(pcall(dofile, 'x.lua'))`),
    ).toEqual([
      '3\t7\t8.0\t1\t1\t2',
      'nil\tnil\tnil\tnil\tnil\tnumber\tfunction',
      // io.popen runs a program only through the archive, where AllowExternalCommands = 1 (process-with.test.ts).
      'function',
      // dofile and require read files beside dicom.ini only; here there is none to read from.
      'false\tx.lua: scripts are not read from files here',
    ]);
    expect(printed("print(io.open('x.txt', 'w'))")).toEqual(['nil\tx.txt: scripts have no files here']);
  });

  it('ends a script with its converter and line on an error, and one that runs too long or takes too much memory', () => {
    expect(call('local a = 1\nData.Nonsense = a').error).toBe(
      'ImportConverter7:2: Nonsense is not an attribute name or gggg,eeee',
    );
    expect(call('x = = 1').error).toMatch(/^ImportConverter7:1: unexpected symbol/);
    expect(call("error('mine')").error).toBe('ImportConverter7:1: mine');
    const looping = call('while true do end', object(), 200);
    expect(looping).toMatchObject({ error: 'ImportConverter7: ran longer than 200 ms (LuaTimeout)', spent: 'time' });
    const hungry = call("local t = {} for i = 1, 1e8 do t[i] = string.rep('x', 64) .. i end", object(), 60_000);
    expect(hungry).toMatchObject({ error: 'not enough memory', spent: 'memory' });
  });

  it("reads and writes a file's bytes as they are ('rb', 'wb')", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'pacs-lua-binary-'));
    try {
      const bytes = Buffer.from([0, 1, 127, 128, 200, 255, 10, 13, 0xc3, 0xa9]);
      await writeFile(path.join(dir, 'in.bin'), bytes);
      const ran = lua.run({
        chunk: [
          "local f = io.open('in.bin', 'rb'); local b = f:read('*a'); f:close()",
          'print(#b, b:byte(5), b:byte(6), b:byte(9))',
          "local o = io.open('out.bin', 'wb'); o:write(b, string.char(254)); o:close()",
        ].join('\n'),
        name: 'ImportConverter1',
        dataSet: object(),
        association: { calling: 'CT01', called: 'PACS', connectedIp: '', thread: 0 },
        timeoutMs: 2000,
        files: { dataDir: dir, protectedDirs: [] },
      });
      expect(ran.error).toBeUndefined();
      expect(ran.lines.map((l) => l.text)).toEqual(['10\t200\t255\t195']);
      expect(await readFile(path.join(dir, 'out.bin'))).toEqual(Buffer.concat([bytes, Buffer.from([254])]));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('makes an object from the JSON :Serialize(true) writes (DicomObject:new(json)) and dumps one as text', () => {
    const lines = printed(
      [
        'local json = Data:Serialize(true)',
        'local o = DicomObject:new(json)',
        'print(o.PatientName, o.Rows, o.Modality)',
        `local s = DicomObject:new('{"PatientID":"P2","ReferencedStudySequence":[{"ReferencedSOPInstanceUID":"1.2"},{}]}')`,
        'print(s.PatientID, #s.ReferencedStudySequence, s.ReferencedStudySequence[0].ReferencedSOPInstanceUID)',
        "print(pcall(DicomObject.new, DicomObject, 'not json'))",
        'print(s:Dump())',
      ].join('\n'),
    );
    expect(lines[0]).toBe('Doe^John\t512\tCT');
    expect(lines[1]).toBe('P2\t2\t1.2');
    expect(lines[2]).toMatch(/^false\t.*not JSON/);
    expect(lines[3]).toBe(
      [
        '(0008,1110) SQ (Sequence with 2 item(s)) # ReferencedStudySequence',
        '  (fffe,e000) na (Item 1)',
        '    (0008,1155) UI [1.2] # ReferencedSOPInstanceUID',
        '  (fffe,e000) na (Item 2)',
        '(0010,0020) LO [P2] # PatientID',
        '',
      ].join('\n'),
    );
  });
});

describe("where the converters' Lua runs", () => {
  const host = new LuaHost();
  afterAll(() => host.close());
  const call = (chunk: string, timeoutMs = 2000): LuaCall => ({
    chunk,
    name: 'ImportConverter1',
    dataSet: new Map([[Tag.PatientID, textElement(Tag.PatientID, 'LO', 'P1')]]),
    association: { calling: 'CT01', called: 'PACS', connectedIp: '', thread: 1 },
    timeoutMs,
  });

  it("runs a short chunk on the archive's thread and one that does not end within its slice in a worker, with its whole budget", async () => {
    // The inline state's first chunk pays for the state's warm-up (compiling the prelude's functions): not this one.
    await host.run({ ...call('Data.PatientID = Data.PatientID'), name: 'warm-up' }, 16 << 20);
    const quick = call("Data.PatientID = Data.PatientID .. 'x'");
    expect((await host.run(quick, 16 << 20)).error).toBeUndefined();
    expect(host.runsInWorker(quick)).toBe(false);
    // 200 ms of work: more than the slice, less than the budget; it ends in a worker, and the next run goes there at once.
    const slow = call("local t = tickcount() while tickcount() - t < 200 do end Data.PatientID = 'slow'");
    const ran = await host.run(slow, 16 << 20);
    expect(ran.error).toBeUndefined();
    expect(textOf(ran.result.dataSet.get(Tag.PatientID))).toBe('slow');
    expect(host.runsInWorker(slow)).toBe(true);
    const looping = call('while true do end', 300);
    expect((await host.run(looping, 16 << 20)).error).toBe('ImportConverter1: ran longer than 300 ms (LuaTimeout)');
    // The state that ran out of its slice was replaced: the next short chunk runs.
    expect((await host.run(quick, 16 << 20)).result.changed).toBe(true);
  });
});

describe('Lua in dicom.ini', () => {
  it("refuses a chunk that does not compile when dicom.ini is read, with its converter, line, column and Lua's reason", async () => {
    const doc = new IniDocument(
      '/cfg/dicom.ini',
      ['[sscscp]', 'ImportConverter0 = nop', 'ImportConverter1 = ifequal "%m", "CT"; lua "Data.X = = 1"'].join('\n'),
    );
    const converters = readImportConverters(doc).map((c) => ({ ...c, kind: 'Import' as const }));
    await expect(checkConverterLua(doc.file, converters)).rejects.toThrow(
      "/cfg/dicom.ini:3: ImportConverter1, column 21: Lua: ImportConverter1:1: unexpected symbol near '='",
    );
    const fine = new IniDocument('/cfg/dicom.ini', '[sscscp]\nImportConverter0 = lua:if Data.X then print(1) end');
    await expect(
      checkConverterLua(
        fine.file,
        readImportConverters(fine).map((c) => ({ ...c, kind: 'Import' as const })),
      ),
    ).resolves.toEqual(new Set());
  });
});

describe("a script's sql()", () => {
  it('runs one SELECT that reads the archive, and refuses writes, locks and the accounts', () => {
    expect(checkedScriptSql('SELECT patient_id FROM patients;')).toBe('SELECT patient_id FROM patients');
    expect(checkedScriptSql("select 'users; into' from studies")).toBe("select 'users; into' from studies");
    for (const [statement, why] of [
      ['DELETE FROM instances', 'reads only: SELECT'],
      ['SELECT 1; DELETE FROM instances', 'one statement'],
      ['SELECT * FROM patients INTO OUTFILE "/tmp/x"', 'no INTO'],
      ['SELECT * FROM patients FOR UPDATE', 'no INTO, no locking'],
      ['SELECT password_hash FROM `users`', 'does not read users'],
      ['WITH k AS (SELECT * FROM api_keys) SELECT * FROM k', 'does not read api_keys'],
    ])
      expect(() => checkedScriptSql(statement!)).toThrow(why!);
  });
});
