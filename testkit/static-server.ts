import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.jpg': 'image/jpeg',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.webmanifest': 'application/manifest+json',
};

/** Serves a folder on 127.0.0.1 (fixture apps for tests and the benchmark); never leaves the folder. */
/** A folder served on 127.0.0.1: `origin` without a slash, `url` with one (the folder's root page). */
export interface StaticServer {
  origin: string;
  url: string;
  dispose(): Promise<void>;
}

export function serveFolder(folder: string): Promise<StaticServer> {
  return serveMounts([{ url: '/', path: folder }]);
}

/**
 * Serves several folders (or single files) under URL prefixes; the first mount whose prefix
 * matches wins, so a file mounted before its package's folder replaces the package's copy.
 */
export async function serveMounts(mounts: { url: string; path: string }[]): Promise<StaticServer> {
  const resolved = mounts.map((mount) => ({ url: mount.url, root: resolve(mount.path) }));
  const server: Server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://local').pathname);
    const mount = resolved.find((entry) => (entry.url.endsWith('/') ? path.startsWith(entry.url) : path === entry.url));
    if (!mount) {
      response.writeHead(404).end('not found');
      return;
    }
    const root = mount.root;
    let file = mount.url.endsWith('/') ? normalize(join(root, path.slice(mount.url.length))) : root;
    if (!file.startsWith(root + sep) && file !== root) {
      response.writeHead(403).end();
      return;
    }
    try {
      if (statSync(file).isDirectory()) file = join(file, 'index.html');
      statSync(file);
    } catch {
      response.writeHead(404).end('not found');
      return;
    }
    response.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    createReadStream(file).pipe(response);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}/`,
    dispose: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
