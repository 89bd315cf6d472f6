import { existsSync } from 'node:fs';

/** Debian's Chromium (never a downloaded browser); `SKILLFRAME_CHROMIUM` overrides. */
export function chromiumPath(): string | undefined {
  const candidates = [process.env.SKILLFRAME_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
  return candidates.find((path): path is string => Boolean(path) && existsSync(path as string));
}

/** Flags that keep Chromium quiet on machines with no network and no GPU. */
export const chromiumFlags = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-dev-shm-usage',
];
