import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { crc32, deflateRawSync } from 'node:zlib';
import { auditSource } from '../../skills-mm/audit.ts';
import { SkillLibrary } from '../../skills-mm/library.ts';
import { AuditFindingCode } from '../../core/schemas/skill.ts';

/**
 * The hostile corpus (testkit/fixtures/hostile/cases.json): each case is the small valid package in
 * hostile/base with one attack applied. Every one must be refused with its code, without a crash
 * and without anything written outside the temp folder.
 */

const fixtures = new URL('../../testkit/fixtures/hostile/', import.meta.url).pathname;
const base = join(fixtures, 'base');

interface ZipSpecEntry {
  name: string;
  text?: string;
  zeros?: number;
  declared?: number;
  symlink_to?: string;
  encrypted?: boolean;
}
interface HostileCase {
  name: string;
  expect: string;
  why: string;
  zip?: { include_base: boolean; entries: ZipSpecEntry[] };
  raw_zip_text?: string;
  remove?: string[];
  symlink?: Record<string, string>;
  /** Package file → a file created outside the package and hard-linked in. */
  hardlink?: Record<string, string>;
  fifo?: string[];
  many?: { dir: string; count: number };
  write?: Record<string, string>;
  sparse?: Record<string, number>;
  png_header?: Record<string, [number, number]>;
  json_set?: { file: string; path: (string | number)[]; value: unknown }[];
  replace?: Record<string, [string, string][]>;
  append?: Record<string, string>;
}

const cases: HostileCase[] = JSON.parse(readFileSync(join(fixtures, 'cases.json'), 'utf8'));
const work = mkdtempSync(join(tmpdir(), 'sf-hostile-'));
after(() => { if (!process.env.KEEP_HOSTILE) rmSync(work, { recursive: true, force: true }); });

function baseFiles(): { name: string; data: Buffer }[] {
  const out: { name: string; data: Buffer }[] = [];
  const walk = (relative: string) => {
    for (const entry of readdirSync(join(base, relative), { withFileTypes: true })) {
      const name = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(name);
      else out.push({ name, data: readFileSync(join(base, name)) });
    }
  };
  walk('');
  return out;
}

/** Writes a zip by hand so a test can lie in headers the way an attacker would. */
function craftZip(entries: { name: string; data: Buffer; declared?: number; unixMode?: number; flags?: number }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const body = deflateRawSync(entry.data);
    const size = entry.declared ?? entry.data.length;
    const crc = crc32(entry.data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(entry.flags ?? 0, 6);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(entry.flags ?? 0, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((entry.unixMode ?? 0o100644) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += 30 + name.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

function setPath(target: unknown, path: (string | number)[], value: unknown) {
  let current = target as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) current = current[key] as Record<string | number, unknown>;
  current[path[path.length - 1]] = value;
}

/** Materializes a case as a folder or a zip inside the temp folder; returns the path to audit. */
function materialize(spec: HostileCase): string {
  const dir = join(work, spec.name);
  if (spec.raw_zip_text !== undefined) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'skill.zip'), spec.raw_zip_text);
    return join(dir, 'skill.zip');
  }
  if (spec.zip) {
    mkdirSync(dir, { recursive: true });
    const entries = (spec.zip.include_base ? baseFiles() : []).map((file) => ({ name: file.name, data: file.data }));
    for (const entry of spec.zip.entries) {
      const data = entry.zeros !== undefined ? Buffer.alloc(entry.zeros) : Buffer.from(entry.symlink_to ?? entry.text ?? '', 'utf8');
      entries.push({
        name: entry.name,
        data,
        ...(entry.declared !== undefined ? { declared: entry.declared } : {}),
        ...(entry.symlink_to ? { unixMode: 0o120777 } : {}),
        ...(entry.encrypted ? { flags: 1 } : {}),
      } as never);
    }
    writeFileSync(join(dir, 'skill.zip'), craftZip(entries));
    return join(dir, 'skill.zip');
  }
  cpSync(base, dir, { recursive: true });
  for (const name of spec.remove ?? []) rmSync(join(dir, name), { recursive: true, force: true });
  for (const [name, target] of Object.entries(spec.symlink ?? {})) symlinkSync(target, join(dir, name));
  for (const [name, outside] of Object.entries(spec.hardlink ?? {})) {
    writeFileSync(join(work, outside), 'a secret outside the package');
    linkSync(join(work, outside), join(dir, name));
  }
  for (const name of spec.fifo ?? []) execFileSync('mkfifo', [join(dir, name)]);
  if (spec.many) for (let index = 0; index < spec.many.count; index += 1) writeFileSync(join(dir, spec.many.dir, `extra-${index}.png`), 'x');
  for (const [name, text] of Object.entries(spec.write ?? {})) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  for (const [name, size] of Object.entries(spec.sparse ?? {})) {
    writeFileSync(join(dir, name), '');
    truncateSync(join(dir, name), size); // sparse: the size is real, the disk stays empty
  }
  for (const [name, [width, height]] of Object.entries(spec.png_header ?? {})) {
    const header = Buffer.alloc(33);
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(header, 0);
    header.writeUInt32BE(13, 8);
    header.write('IHDR', 12, 'latin1');
    header.writeUInt32BE(width, 16);
    header.writeUInt32BE(height, 20);
    header[24] = 8;
    header[25] = 6;
    writeFileSync(join(dir, name), header);
  }
  for (const change of spec.json_set ?? []) {
    const json = JSON.parse(readFileSync(join(dir, change.file), 'utf8'));
    setPath(json, change.path, change.value);
    writeFileSync(join(dir, change.file), JSON.stringify(json, null, 2));
  }
  for (const [name, pairs] of Object.entries(spec.replace ?? {})) {
    let text = readFileSync(join(dir, name), 'utf8');
    for (const [from, to] of pairs) {
      assert.ok(text.includes(from), `${spec.name}: ${name} has no ${from}`);
      text = text.replace(from, to);
    }
    writeFileSync(join(dir, name), text);
  }
  for (const [name, text] of Object.entries(spec.append ?? {})) writeFileSync(join(dir, name), readFileSync(join(dir, name), 'utf8') + text);
  return dir;
}

test('the corpus has at least 80 hostile packages, each naming a real finding code', () => {
  assert.ok(cases.length >= 80, `only ${cases.length} cases`);
  for (const spec of cases) assert.ok(AuditFindingCode.safeParse(spec.expect).success, `${spec.name}: unknown code ${spec.expect}`);
  assert.equal(new Set(cases.map((spec) => spec.name)).size, cases.length, 'case names are unique');
});

test('the base package itself is accepted (so each refusal is caused by its attack)', () => {
  const report = auditSource(base);
  assert.equal(report.accepted, true, JSON.stringify(report.findings));
  assert.deepEqual(report.findings.filter((finding) => finding.severity === 'refuse'), []);
});

for (const spec of cases) {
  test(`hostile ${spec.name} is refused with ${spec.expect} (${spec.why})`, () => {
    const source = materialize(spec);
    const before = readdirSync(dirname(source)).sort();
    const report = auditSource(source);
    assert.equal(report.accepted, false, `${spec.name} was accepted: ${JSON.stringify(report.findings)}`);
    const codes = report.findings.filter((finding) => finding.severity === 'refuse').map((finding) => finding.code);
    assert.ok(codes.includes(spec.expect as never), `${spec.name}: expected ${spec.expect}, got ${codes.join(', ')}`);
    // The audit reads into memory only: nothing appears beside the package (e.g. ../evil.txt).
    assert.deepEqual(readdirSync(dirname(source)).sort(), before);
    assert.equal(existsSync(join(work, 'evil.txt')), false);
  });
}

test('a refused package never reaches the library folder', async () => {
  const root = join(work, 'library');
  const library = new SkillLibrary(root);
  const hostile = cases.filter((spec) => spec.zip || spec.append).slice(0, 6);
  for (const spec of hostile) {
    const source = existsSync(join(work, spec.name)) ? (spec.zip ? join(work, spec.name, 'skill.zip') : join(work, spec.name)) : materialize(spec);
    await assert.rejects(library.add(source), (error: Error & { code?: string }) => error.code === 'refused');
  }
  assert.deepEqual(library.list(), []);
  assert.deepEqual(readdirSync(root).filter((name) => name !== 'index.json'), []);
});
