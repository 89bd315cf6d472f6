// The demo's main part, run by scripts/demo.js once dependencies and a display exist:
// record a real galculator session → build the skill → replay it on a moved and resized window,
// then the same for a real web page in Chromium, replayed on a page shifted by a banner.
// Every outcome printed is checked against the app itself, never taken from replay's word.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureAccessibilityBus } from '../native/a11y/bus.ts';
import { runProgram } from '../native/process/run.ts';
import { launchApp } from '../native/window/launch.ts';
import { XdotoolWindows } from '../native/window/xdotool-windows.ts';
import { copiedBy } from '../testkit/clipboard.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'skillframe.js');
const out = process.argv[2] ?? join(root, 'dist', 'demo');
mkdirSync(out, { recursive: true });
// The apps and every skillframe command share one accessibility bus — the desktop's, or a private
// one started here under Xvfb — so the recorder names what each click hit and replay's first rung
// finds it again in the live tree. Without one the demo goes on visually and says so once.
const bus = await ensureAccessibilityBus({ ...process.env }).catch((error: Error) => {
  console.log(`   no accessibility bus (${error.message}): desktop grounding uses the visual rungs only`);
  return undefined;
});
const env: NodeJS.ProcessEnv = bus?.env ?? { ...process.env, NO_AT_BRIDGE: '1' };

function say(text: string) {
  process.stdout.write(`\n\x1b[1m▶ ${text}\x1b[0m\n`);
}

interface CliOutcome {
  code: number | null;
  value: any;
  stderr: string;
}

/** Runs the real CLI without blocking this process (the web demo's page server lives here). */
function skillframe(args: string[]): Promise<CliOutcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args, '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => {
      let value: unknown;
      try {
        value = JSON.parse(stdout.trim().split('\n').pop() ?? 'null');
      } catch {
        value = undefined;
      }
      resolve({ code, value, stderr });
    });
  });
}

function must(step: string, result: CliOutcome) {
  if (result.code !== 0) throw new Error(`${step} failed (exit ${result.code}): ${result.value?.error?.message ?? result.stderr.trim().slice(-500)}`);
  return result.value;
}

function stepLine(step: { index: number; status: string; tier?: string; confidence?: number; description?: string; ms?: number; engineMs?: number; settledBy?: string; reason?: string }) {
  const timing = step.engineMs === undefined ? '' : `  (${step.ms} ms, ${step.engineMs} ms engine${step.settledBy ? `, settled by ${step.settledBy}` : ''})`;
  const line = `   ${String(step.index).padStart(2)}. ${step.status.padEnd(7)} ${(step.tier ?? '-').padEnd(8)} ${step.confidence === undefined ? '    ' : step.confidence.toFixed(2)}  ${step.description ?? ''}${timing}`;
  return step.status === 'aborted' && step.reason ? `${line}\n       why: ${step.reason}` : line;
}

const results: { name: string; ok: boolean; detail: string }[] = [];

/**
 * Replay's speed beside the script a person would write for the same task (Playwright, role and
 * label locators) on the same shifted page, timed here: the figures `bench replay` reports.
 */
async function compareWithScript(url: string, steps: { ms: number; status: string }[]) {
  const replayMs = steps.filter((step) => step.status === 'done').reduce((sum, step) => sum + step.ms, 0);
  const { launchBrowser } = await import('../native/browser/browser.ts');
  const session = await launchBrowser({ viewport: { width: 1280, height: 800 }, env });
  try {
    await session.page.goto(url, { waitUntil: 'load' });
    const started = performance.now();
    await session.page.getByRole('button', { name: 'New project', exact: true }).click();
    await session.page.getByLabel('Name', { exact: true }).fill('Apollo 2');
    await session.page.getByRole('button', { name: 'Create', exact: true }).click();
    const scriptMs = performance.now() - started;
    console.log(`   speed: replay's steps took ${replayMs} ms (verified each), a Playwright script ${Math.round(scriptMs)} ms (verifies nothing): ${(replayMs / Math.max(1, scriptMs)).toFixed(1)}× (target ≤ 2×; \`skillframe bench replay\` measures it on held-out tasks)`);
  } finally {
    await session.dispose();
  }
}

async function desktopDemo() {
  say('Desktop app: galculator (a real X11 window)');
  const appHome = join(out, 'galculator-home');
  mkdirSync(appHome, { recursive: true });
  const appEnv = { ...env, HOME: appHome };
  const app = await launchApp('galculator', { env: appEnv });
  const windows = new XdotoolWindows(env);
  try {
    const window = await windows.waitFor({ pid: app.pid }, { timeoutMs: 20_000 });
    const id = window.id as string;
    const key = async (chord: string) => {
      await runProgram('xdotool', ['windowactivate', id], { env });
      await new Promise((resolve) => setTimeout(resolve, 150)); // no --sync: it can hang when nothing changes
      await runProgram('xdotool', ['key', chord], { env });
      await new Promise((resolve) => setTimeout(resolve, 300));
    };
    const shown = () => copiedBy(id, env);
    // The person's task, played by a script: 7 + 8 = on galculator's default layout.
    // Points inside the client area (below the title bar), at galculator's default size.
    const layout = { seven: [34, 199], plus: [229, 318], eight: [99, 199], equals: [294, 299] } as const;
    const script = (['seven', 'plus', 'eight', 'equals'] as const).map((name) => ({ action: 'click', x: window.geometry.x + layout[name][0], y: window.geometry.y + layout[name][1] }));
    writeFileSync(join(out, 'galculator-script.json'), JSON.stringify(script));
    console.log('   recording: 7 + 8 = (clicks captured by the OS input hooks)');
    const recording = must('record', await skillframe(['record', '--attach', 'galculator', '--out', join(out, 'galculator-recording'), '--script', join(out, 'galculator-script.json')]));
    console.log(`   recorded ${recording.events ?? '?'} events into ${join(out, 'galculator-recording')}`);
    // The recording is only a demonstration if the person's clicks did the task: read the app.
    const recorded = await shown();
    if (recorded !== '15') throw new Error(`the recorded clicks left galculator showing ${JSON.stringify(recorded)}, not "15": the script's layout does not match this galculator`);
    const built = must('build', await skillframe(['build', join(out, 'galculator-recording'), '--out', join(out, 'galculator-skill'), '--name', 'galculator-add-seven-and-eight']));
    console.log(`   built skill ${built.name}: ${built.steps} steps, ${built.states} state(s), ${Math.round(built.bytes / 1024)} KiB, audit ${built.audit?.accepted ? 'accepted' : 'refused'}`);
    must('library add', await skillframe(['library', 'add', join(out, 'galculator-skill'), '--replace']));

    await key('Escape');
    await windows.move(id, 700, 260);
    await windows.resize(id, 460, 440);
    await new Promise((resolve) => setTimeout(resolve, 800));
    console.log('   tomorrow\'s screen: the window moved to (700, 260) and was resized to 460×440');
    const replay = await skillframe(['replay', join(out, 'galculator-skill'), '--attach', '--confirm', 'auto']);
    for (const step of replay.value?.steps ?? []) console.log(stepLine(step));
    const done = (replay.value?.steps ?? []).filter((step: { status: string }) => step.status === 'done');
    const stepsMs = done.reduce((sum: number, step: { ms: number }) => sum + step.ms, 0);
    if (done.length) console.log(`   speed: ${done.length} steps in ${stepsMs} ms (${Math.round(stepsMs / done.length)} ms a step, so ≈ ${((10 * stepsMs) / done.length / 1000).toFixed(1)} s for ten; target < 5 s)`);
    const value = await shown();
    const ok = replay.code === 0 && value === '15';
    console.log(`   galculator now shows ${JSON.stringify(value)} (expected "15"): ${ok ? 'correct' : 'WRONG'}`);
    results.push({ name: 'galculator on a moved and resized window', ok, detail: `shows ${value}` });
  } finally {
    windows.dispose();
    await app.dispose();
  }
}

async function webDemo() {
  say('Web page: a project console in Chromium');
  const pages = join(root, 'testkit', 'fixtures', 'web');
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://demo');
    const shifted = url.pathname.startsWith('/shifted/');
    const file = join(pages, url.pathname.replace(/^\/(shifted\/)?/, '').replace(/\.\.+/g, '') || 'index.html');
    try {
      let body = readFileSync(file);
      if (shifted && file.endsWith('.html')) {
        // Tomorrow's page: a cookie banner pushes everything down.
        body = Buffer.from(body.toString().replace('<body>', '<body><div style="height:160px;background:#fff3c4;padding:24px;font:20px sans-serif">We changed our cookie policy. This banner moves every control down.</div>'));
      }
      response.writeHead(200, { 'content-type': file.endsWith('.css') ? 'text/css' : 'text/html; charset=utf-8' }).end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  try {
    const script = [
      { action: 'click', selector: '#new-project' },
      { action: 'click', selector: '#new-name' },
      { action: 'type', text: 'Zeus' },
      { action: 'click', selector: '#create-project' },
    ];
    writeFileSync(join(out, 'web-script.json'), JSON.stringify(script));
    console.log('   recording: create a project named "Zeus" (actions captured by listeners in the page)');
    must('record', await skillframe(['record', '--url', `${base}dialog.html`, '--out', join(out, 'web-recording'), '--script', join(out, 'web-script.json')]));
    const built = must('build', await skillframe(['build', join(out, 'web-recording'), '--out', join(out, 'web-skill'), '--name', 'console-create-project']));
    console.log(`   built skill ${built.name}: ${built.steps} steps, parameters ${built.parameters.join(', ') || 'none'}`);
    must('library add', await skillframe(['library', 'add', join(out, 'web-skill'), '--replace']));
    console.log('   tomorrow\'s page: a banner pushes everything down; the name is now a parameter: "Hermes"');
    const parameter = built.parameters[0];
    const replay = await skillframe(['replay', join(out, 'web-skill'), '--url', `${base}shifted/dialog.html`, '--confirm', 'auto', ...(parameter ? ['--param', `${parameter}=Hermes`] : [])]);
    for (const step of replay.value?.steps ?? []) console.log(stepLine(step));
    if (replay.value?.steps?.length) await compareWithScript(`${base}shifted/dialog.html`, replay.value.steps);
    // The last step's verification read the page itself: "Created Hermes." must be on it.
    const ok = replay.code === 0 && replay.value?.ok === true;
    console.log(`   the page ${ok ? 'shows the new project "Hermes"' : `did not reach the expected state: ${replay.value?.error?.message ?? replay.stderr.slice(-300)}`}`);
    results.push({ name: 'web page shifted by a banner, new parameter value', ok, detail: replay.value?.error?.message ?? 'created Hermes' });
  } finally {
    server.close();
  }
}

try {
  await desktopDemo();
} catch (error) {
  results.push({ name: 'galculator', ok: false, detail: (error as Error).message });
  console.error(`   ${(error as Error).message}`);
}
try {
  await webDemo();
} catch (error) {
  results.push({ name: 'web page', ok: false, detail: (error as Error).message });
  console.error(`   ${(error as Error).message}`);
}

say('Outcome');
for (const result of results) console.log(`   ${result.ok ? '✓' : '✗'} ${result.name}: ${result.detail}`);
console.log(`   skill packages: ${join(out, 'galculator-skill')}, ${join(out, 'web-skill')} (also in the library: skillframe library list)`);
process.exitCode = results.every((result) => result.ok) ? 0 : 1;
await bus?.dispose();
