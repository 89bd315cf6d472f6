import { crc32, deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * A minimal zip reader with hard caps, for untrusted skill packages, and a writer for export.
 * The reader trusts nothing the archive says: it inflates each entry with a ceiling on output,
 * checks the CRC, and reports every oddity as a coded problem instead of throwing, so the audit
 * can refuse the package with the right finding. It never touches the disk.
 */

export interface ZipLimits {
  maxArchiveBytes: number;
  maxEntries: number;
  maxEntryBytes: number;
  maxTotalBytes: number;
  /** Uncompressed ÷ compressed for one entry above this is a bomb, whatever the sizes. */
  maxRatio: number;
}

export const defaultZipLimits: ZipLimits = {
  maxArchiveBytes: 64 * 1024 * 1024,
  maxEntries: 400,
  maxEntryBytes: 16 * 1024 * 1024,
  maxTotalBytes: 96 * 1024 * 1024,
  maxRatio: 200,
};

export type ZipProblemCode = 'zip_invalid' | 'zip_bomb' | 'zip_encrypted' | 'symlink' | 'special_file' | 'too_many_files' | 'file_too_large' | 'total_too_large';

export interface ZipProblem {
  code: ZipProblemCode;
  file?: string;
  message: string;
}

export interface ZipEntry {
  /** The name exactly as stored (the audit checks it for `..`, absolute paths, backslashes). */
  name: string;
  directory: boolean;
  data: Buffer;
}

export interface ZipReadResult {
  entries: ZipEntry[];
  problems: ZipProblem[];
}

const eocdSignature = 0x06054b50;
const centralSignature = 0x02014b50;
const localSignature = 0x04034b50;

export function readZip(archive: Buffer, limits: ZipLimits = defaultZipLimits): ZipReadResult {
  const problems: ZipProblem[] = [];
  const entries: ZipEntry[] = [];
  const invalid = (message: string): ZipReadResult => ({ entries, problems: [...problems, { code: 'zip_invalid', message }] });
  if (archive.length > limits.maxArchiveBytes) {
    return { entries, problems: [{ code: 'total_too_large', message: `archive is ${archive.length} bytes, more than the cap of ${limits.maxArchiveBytes}` }] };
  }
  if (archive.length < 22) return invalid(`archive is only ${archive.length} bytes`);

  let eocd = -1;
  for (let at = archive.length - 22; at >= Math.max(0, archive.length - 22 - 65_535); at -= 1) {
    if (archive.readUInt32LE(at) === eocdSignature) {
      eocd = at;
      break;
    }
  }
  if (eocd === -1) return invalid('no end-of-central-directory record (not a zip file)');
  const diskNumber = archive.readUInt16LE(eocd + 4);
  const count = archive.readUInt16LE(eocd + 10);
  const directorySize = archive.readUInt32LE(eocd + 12);
  const directoryOffset = archive.readUInt32LE(eocd + 16);
  if (diskNumber !== 0) return invalid('multi-disk archives are not accepted');
  if (count === 0xffff || directoryOffset === 0xffffffff) return invalid('zip64 archives are not accepted');
  if (count > limits.maxEntries) {
    return { entries, problems: [{ code: 'too_many_files', message: `archive lists ${count} entries, more than the cap of ${limits.maxEntries}` }] };
  }
  if (directoryOffset + directorySize > eocd) return invalid('central directory runs past its end record');

  let total = 0;
  let at = directoryOffset;
  const seenOffsets = new Set<number>();
  for (let index = 0; index < count; index += 1) {
    if (at + 46 > eocd || archive.readUInt32LE(at) !== centralSignature) return invalid(`central directory entry ${index} is damaged`);
    const flags = archive.readUInt16LE(at + 8);
    const method = archive.readUInt16LE(at + 10);
    const expectedCrc = archive.readUInt32LE(at + 16);
    const compressedSize = archive.readUInt32LE(at + 20);
    const declaredSize = archive.readUInt32LE(at + 24);
    const nameLength = archive.readUInt16LE(at + 28);
    const extraLength = archive.readUInt16LE(at + 30);
    const commentLength = archive.readUInt16LE(at + 32);
    const madeBy = archive.readUInt16LE(at + 4) >> 8;
    const externalAttributes = archive.readUInt32LE(at + 38);
    const localOffset = archive.readUInt32LE(at + 42);
    const name = archive.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    at += 46 + nameLength + extraLength + commentLength;
    if (at > eocd) return invalid(`central directory entry ${index} runs past the directory`);

    if (flags & 0x1) {
      problems.push({ code: 'zip_encrypted', file: name, message: `${name} is encrypted` });
      continue;
    }
    const unixMode = madeBy === 3 ? externalAttributes >>> 16 : 0;
    const fileType = unixMode & 0o170000;
    if (fileType === 0o120000) {
      problems.push({ code: 'symlink', file: name, message: `${name} is a symbolic link` });
      continue;
    }
    if (fileType !== 0 && fileType !== 0o100000 && fileType !== 0o040000) {
      problems.push({ code: 'special_file', file: name, message: `${name} is a device, pipe or socket (mode ${fileType.toString(8)})` });
      continue;
    }
    const directory = name.endsWith('/') || fileType === 0o040000;
    if (seenOffsets.has(localOffset)) return invalid(`${name} shares its data with another entry (overlapping entries)`);
    seenOffsets.add(localOffset);
    if (directory) {
      entries.push({ name, directory: true, data: Buffer.alloc(0) });
      continue;
    }
    if (compressedSize === 0xffffffff || declaredSize === 0xffffffff) return invalid(`${name} uses zip64 sizes`);
    if (declaredSize > limits.maxEntryBytes) {
      problems.push({ code: 'file_too_large', file: name, message: `${name} declares ${declaredSize} bytes, more than the cap of ${limits.maxEntryBytes}` });
      continue;
    }
    if (localOffset + 30 > archive.length || archive.readUInt32LE(localOffset) !== localSignature) return invalid(`${name}: local header missing`);
    const localName = archive.readUInt16LE(localOffset + 26);
    const localExtra = archive.readUInt16LE(localOffset + 28);
    const dataStart = localOffset + 30 + localName + localExtra;
    if (dataStart + compressedSize > archive.length) return invalid(`${name}: data runs past the end of the archive`);
    const compressed = archive.subarray(dataStart, dataStart + compressedSize);

    // The ceiling is what the entry claims (plus one byte to notice a lie) and never above the cap.
    const ceiling = Math.min(limits.maxEntryBytes, Math.max(declaredSize, 0), limits.maxTotalBytes - total) + 1;
    let data: Buffer;
    if (method === 0) {
      data = Buffer.from(compressed);
    } else if (method === 8) {
      try {
        data = inflateRawSync(compressed, { maxOutputLength: ceiling });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ERR_BUFFER_TOO_LARGE' || /maxOutputLength|Cannot create a Buffer larger/i.test((error as Error).message)) {
          problems.push({ code: 'zip_bomb', file: name, message: `${name} inflates past ${ceiling - 1} bytes although it declares ${declaredSize}` });
        } else {
          problems.push({ code: 'zip_invalid', file: name, message: `${name}: deflate data is damaged (${(error as Error).message})` });
        }
        continue;
      }
    } else {
      problems.push({ code: 'zip_invalid', file: name, message: `${name} uses compression method ${method}; only stored and deflate are accepted` });
      continue;
    }
    if (data.length !== declaredSize) {
      problems.push({ code: data.length > declaredSize ? 'zip_bomb' : 'zip_invalid', file: name, message: `${name} holds ${data.length}${data.length >= ceiling ? '+' : ''} bytes but declares ${declaredSize}` });
      continue;
    }
    if (compressedSize > 0 && declaredSize / compressedSize > limits.maxRatio && declaredSize > 1_000_000) {
      problems.push({ code: 'zip_bomb', file: name, message: `${name} expands ${Math.round(declaredSize / compressedSize)}× (cap ${limits.maxRatio}×)` });
      continue;
    }
    if (crc32(data) >>> 0 !== expectedCrc >>> 0) {
      problems.push({ code: 'zip_invalid', file: name, message: `${name}: CRC mismatch` });
      continue;
    }
    total += data.length;
    if (total > limits.maxTotalBytes) {
      problems.push({ code: 'total_too_large', message: `archive inflates past ${limits.maxTotalBytes} bytes in total` });
      break;
    }
    entries.push({ name, directory: false, data });
  }
  return { entries, problems };
}

/** Writes a zip (deflate, regular-file modes, fixed timestamps so the same package gives the same bytes). */
export function writeZip(files: readonly { name: string; data: Buffer }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  const dosTime = 0;
  const dosDate = (2026 - 1980) << 9 | 1 << 5 | 1;
  for (const file of files) {
    const name = Buffer.from(file.name, 'utf8');
    const compressed = deflateRawSync(file.data, { level: 6 });
    const useStore = compressed.length >= file.data.length;
    const body = useStore ? file.data : compressed;
    const crc = crc32(file.data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(localSignature, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(useStore ? 0 : 8, 8);
    local.writeUInt16LE(dosTime, 10);
    local.writeUInt16LE(dosDate, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(file.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(centralSignature, 0);
    central.writeUInt16LE(3 << 8 | 20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(useStore ? 0 : 8, 10);
    central.writeUInt16LE(dosTime, 12);
    central.writeUInt16LE(dosDate, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(file.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(eocdSignature, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
