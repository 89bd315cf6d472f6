import { existsSync } from 'node:fs';
import type { ExploreApps } from '../testkit/webapps/index.ts';
import { measure, type BenchOptions } from './explore.ts';

/**
 * The X11 part of `skillframe bench explore`: Debian apps on a virtual display, explored through
 * their accessibility tree (AT-SPI) when the machine has one, through pixels and OCR otherwise.
 */

const x11Budget = 12;

export async function measureX11Apps(apps: ExploreApps['x11'], seeds: number, options: BenchOptions): Promise<Awaited<ReturnType<typeof measure>>[]> {
  const results: Awaited<ReturnType<typeof measure>>[] = [];
  const { startDisplay } = await import('../native/display/xvfb.ts');
  const { X11Driver } = await import('../engine/computer/explore/x11-driver.ts');
  const display = await startDisplay({ width: 1280, height: 800 });
  // The accessibility tree when the machine has AT-SPI (the way to explore X11 apps); pixels and OCR otherwise.
  const { openAtspi, startAccessibilityBus } = await import('../native/a11y/index.ts');
  const bus = options.accessibility === false ? undefined : await startAccessibilityBus(display.env).catch(() => undefined);
  const accessibility = bus ? await openAtspi({ env: bus.env }).catch(() => undefined) : undefined;
  const env = accessibility && bus ? bus.env : display.env;
  try {
    for (const app of apps) {
      if (!existsSync(`/usr/bin/${app.command}`)) continue;
      results.push(
        await measure(
          {
            app: app.name,
            split: app.split,
            budget: options.budget ?? x11Budget,
            open: async () => ({ driver: new X11Driver({ command: app.command, env, ...(accessibility ? { accessibility } : {}) }), dispose: async () => undefined }),
            // The app's own windows (titles: dialogs and menus are windows of their own).
            probe: async (driver) => JSON.stringify(await (driver as InstanceType<typeof X11Driver>).windowTitles()),
          },
          seeds,
          options,
        ),
      );
    }
  } finally {
    accessibility?.dispose();
    await bus?.dispose();
    await display.dispose();
  }
  return results;
}
