import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ExploreAction } from '../../core/commands/explore.ts';
import { X11Driver } from '../../engine/computer/explore/x11-driver.ts';
import { X11ViewProbe } from '../../testkit/x11-views.ts';
import { startAccessibleDisplay, type AccessibleDisplay } from '../support/desktop.ts';

// States read through the accessibility tree against the views of a real GTK 3 app
// (gtk3-widget-factory, an app the explorer was not tuned on), the views read by a client apart
// from the product's (python3-pyatspi, testkit/x11-views.ts). Two looks the explorer calls one
// state must show one view: the app's two combo boxes drop the same three items, and its four
// notebooks name their tabs alike.

let desktop: AccessibleDisplay;
let probe: X11ViewProbe;

before(async () => {
  desktop = await startAccessibleDisplay();
  probe = X11ViewProbe.start(desktop.bus.env);
});

after(async () => {
  probe?.dispose();
  await desktop?.dispose();
});

test('gtk3-widget-factory: one explorer state is one view — which combo box a list drops from, how many notebooks show a page', { timeout: 240_000 }, async () => {
  const driver = new X11Driver({ command: 'gtk3-widget-factory', env: desktop.bus.env, accessibility: desktop.client });
  const signal = new AbortController().signal;
  const looks: { signature: string; view: string; after: string }[] = [];
  const look = async (after: string) => {
    const observation = await driver.observe(signal);
    looks.push({ signature: observation.signature, view: await probe.view(driver.appPid as number), after });
    return observation.candidates;
  };
  const named = (candidates: ExploreAction[], role: string, name: string) => candidates.filter((action) => action.target?.role === role && action.target.name === name);
  try {
    await driver.reset(signal);
    const start = await look('start');
    // Each combo box whose list is the same three items, opened and closed again.
    const combos = start.filter((action) => action.target?.role === 'combo box' && ['Left', 'Middle', 'Right'].includes(action.target.name ?? ''));
    assert.ok(combos.length >= 2, `expected two combo boxes offering Left/Middle/Right: ${JSON.stringify(start.map((action) => action.target?.name))}`);
    for (const combo of combos) {
      await driver.perform(combo, signal);
      await look(`open ${combo.target?.name}`);
      await driver.perform({ kind: 'shortcut', keys: 'Escape', target: { name: 'Escape' } }, signal);
    }
    // Every notebook's "page 3", one after the other: one, then two, then three notebooks on it.
    const tabs = named(start, 'page tab', 'page 3');
    assert.ok(tabs.length >= 2, `expected two notebooks with a 'page 3' tab: ${tabs.length}`);
    for (const tab of tabs) {
      await driver.perform(tab, signal);
      await look(`${tab.target?.selector} selected`);
    }
  } finally {
    await driver.dispose();
  }
  const viewsOf = new Map<string, Set<string>>();
  for (const entry of looks) viewsOf.set(entry.signature, (viewsOf.get(entry.signature) ?? new Set()).add(entry.view));
  // The app did show different views (else the check below proves nothing).
  assert.ok(new Set(looks.map((entry) => entry.view)).size >= 4, `only ${new Set(looks.map((entry) => entry.view)).size} views in ${looks.length} looks`);
  for (const [signature, views] of viewsOf) {
    assert.equal(views.size, 1, `one explorer state held ${views.size} views: after ${looks.filter((entry) => entry.signature === signature).map((entry) => entry.after).join(', ')}`);
  }
});
