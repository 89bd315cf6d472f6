// Regenerates the labelled vision fixtures in testkit/fixtures/vision:
//   node --import tsx bench/vision-fixtures.ts            (Chromium pages; needs Debian chromium)
//   node --import tsx bench/vision-fixtures.ts --apps     (also galculator + mousepad under Xvfb)
// Each fixture is NAME.png plus NAME.json: {lines:[{text, box, px}], elements:[{kind, box}]}.
// Page truth comes from the DOM (Range rects); app truth is the text we typed / the labels the app shows.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromiumFlags, chromiumPath } from '../native/browser/chromium-path.ts';

export const fixtureDirectory = fileURLToPath(new URL('../testkit/fixtures/vision/', import.meta.url));

export interface TruthLine {
  text: string;
  box: [number, number, number, number];
  /** Font size in CSS px (undefined where unknown, e.g. app screenshots). */
  px?: number;
}
export interface TruthElement {
  kind: 'button' | 'input' | 'link';
  box: [number, number, number, number];
}
export interface Truth {
  source: 'chromium' | 'galculator' | 'mousepad';
  lines: TruthLine[];
  elements: TruthElement[];
  /** Words that must be read somewhere on the screen (for app screenshots whose boxes are unknown). */
  words?: string[];
}

const vocabulary = (
  'account settings profile network display keyboard mouse printer upload download search filter results ' +
  'delete rename export import window editor terminal project folder document invoice customer order ' +
  'payment shipping status pending approved rejected monday friday january october summary details ' +
  'history preview options advanced general security privacy language update version release notes ' +
  'message inbox archive calendar meeting reminder contact address phone email password username login ' +
  'logout register submit cancel confirm continue back next previous finish apply reset refresh'
).split(' ');

function generator(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

interface PageStyle {
  name: string;
  background: string;
  colours: string[];
  fonts: string[];
}

const styles: PageStyle[] = [
  { name: 'light-sans', background: '#ffffff', colours: ['#111111', '#1a4fd6', '#444444', '#b00020'], fonts: ['Liberation Sans', 'DejaVu Sans'] },
  { name: 'dark-mixed', background: '#1e1f22', colours: ['#e8e8e8', '#8ab4f8', '#f2b8b5', '#c3e88d'], fonts: ['Liberation Sans', 'Liberation Mono', 'DejaVu Sans Mono'] },
  { name: 'grey-serif', background: '#f1f3f4', colours: ['#202124', '#5f6368', '#0b57d0', '#7f3f00'], fonts: ['Liberation Serif', 'DejaVu Serif', 'Nimbus Sans'] },
];

const sizes = [10, 11, 12, 13, 14, 16, 18, 20, 24];

function pageHtml(style: PageStyle, seed: number): string {
  const random = generator(seed);
  const pick = <T,>(items: readonly T[]) => items[Math.floor(random() * items.length)];
  const phrase = (count: number) => Array.from({ length: count }, () => pick(vocabulary)).join(' ');
  const blocks: string[] = [];
  // Three columns of labelled text lines, like a settings page or a list view.
  for (let column = 0; column < 3; column += 1) {
    const items: string[] = [];
    let top = 20;
    while (top < 780) {
      const size = pick(sizes);
      const text = phrase(2 + Math.floor(random() * 4));
      const number = random() < 0.3 ? ` ${Math.floor(random() * 9000 + 100)}` : '';
      items.push(`<div class="t" style="top:${top}px;font:${size}px '${pick(style.fonts)}';color:${pick(style.colours)}" data-px="${size}">${text}${number}</div>`);
      top += Math.round(size * 1.6) + 8;
    }
    blocks.push(`<section style="left:${30 + column * 620}px">${items.join('')}</section>`);
  }
  // A bar of interactive elements whose DOM boxes are the detector's truth.
  const controls: string[] = [];
  let left = 30;
  for (let index = 0; index < 9; index += 1) {
    const kind = index % 3;
    const label = pick(vocabulary);
    if (kind === 0) controls.push(`<button class="c" style="left:${left}px">${label}</button>`);
    else if (kind === 1) controls.push(`<input class="c" style="left:${left}px" value="${label} ${pick(vocabulary)}">`);
    else controls.push(`<a class="c" href="#" style="left:${left}px">${label}</a>`);
    left += 200;
  }
  const foreground = style.colours[0];
  return `<!doctype html><html><head><style>
    html,body{margin:0;background:${style.background};width:1920px;height:1080px;overflow:hidden}
    section{position:absolute;top:0;width:600px;height:800px}
    .t{position:absolute;left:0;white-space:nowrap}
    .bar{position:absolute;top:860px;left:0;width:1920px;height:120px}
    .c{position:absolute;top:30px;font:15px 'Liberation Sans';white-space:nowrap}
    button.c{padding:8px 16px;border:1px solid #888;border-radius:6px;background:${style.background === '#ffffff' ? '#e8eaed' : '#3c4043'};color:${foreground}}
    input.c{padding:7px 8px;width:150px;border:1px solid #888;border-radius:4px;background:${style.background};color:${foreground}}
    a.c{color:${style.colours[1]};text-decoration:underline;padding:6px 0}
  </style></head><body>${blocks.join('')}<div class="bar">${controls.join('')}</div></body></html>`;
}

async function renderPages(): Promise<void> {
  const { chromium } = await import('playwright-core');
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error('no Chromium found');
  const browser = await chromium.launch({ executablePath, args: chromiumFlags, headless: true });
  try {
    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 }, deviceScaleFactor: 1 });
    for (const [index, style] of styles.entries()) {
      await page.setContent(pageHtml(style, 1000 + index));
      await page.evaluate(() => document.fonts.ready);
      const truth = await page.evaluate(() => {
        const lines = [...document.querySelectorAll<HTMLElement>('.t')].map((element) => {
          const range = document.createRange();
          range.selectNodeContents(element);
          const rect = range.getBoundingClientRect();
          return { text: element.textContent ?? '', box: [Math.round(rect.x), Math.round(rect.y), Math.round(rect.width), Math.round(rect.height)], px: Number(element.dataset.px) };
        });
        const controls = [...document.querySelectorAll<HTMLElement>('.c')];
        const elements = controls.map((element) => {
          const rect = element.getBoundingClientRect();
          const kind = element.tagName === 'BUTTON' ? 'button' : element.tagName === 'INPUT' ? 'input' : 'link';
          return { kind, box: [Math.round(rect.x), Math.round(rect.y), Math.round(rect.width), Math.round(rect.height)] };
        });
        // Control labels are text too: buttons and links by their text, inputs by their value.
        for (const element of controls) {
          const text = element instanceof HTMLInputElement ? element.value : (element.textContent ?? '');
          const rect = element.getBoundingClientRect();
          lines.push({ text, box: [Math.round(rect.x), Math.round(rect.y), Math.round(rect.width), Math.round(rect.height)], px: 15 });
        }
        return { lines, elements };
      });
      const name = `page-${style.name}`;
      await page.screenshot({ path: join(fixtureDirectory, `${name}.png`) });
      writeFileSync(join(fixtureDirectory, `${name}.json`), `${JSON.stringify({ source: 'chromium', ...truth }, null, 1)}\n`);
      console.log(`wrote ${name} (${truth.lines.length} lines, ${truth.elements.length} elements)`);
    }
  } finally {
    await browser.close();
  }
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code}`))));
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A private Xvfb + openbox (bench/ may not import tests/support). */
async function startXvfb(width: number, height: number): Promise<{ env: NodeJS.ProcessEnv; dispose(): Promise<void> }> {
  const number = 200 + Math.floor(Math.random() * 500);
  const server = spawn('Xvfb', [`:${number}`, '-screen', '0', `${width}x${height}x24`, '-nolisten', 'tcp'], { stdio: 'ignore' });
  await sleep(800);
  const env = { ...process.env, DISPLAY: `:${number}` };
  const windowManager = spawn('openbox', ['--sm-disable'], { env, stdio: 'ignore' });
  await sleep(500);
  return {
    env,
    async dispose() {
      windowManager.kill('SIGKILL');
      server.kill('SIGTERM');
    },
  };
}

/** Real X11 apps under a private Xvfb, captured with ImageMagick's `import`. */
async function renderApps(): Promise<void> {
  const display = await startXvfb(1280, 800);
  const home = mkdtempSync(join(tmpdir(), 'sf-fixture-home-'));
  const env = { ...display.env, HOME: home, NO_AT_BRIDGE: '1' };
  try {
    const calculator = spawn('galculator', [], { env, stdio: 'ignore' });
    await sleep(2500);
    await run('xdotool', ['search', '--sync', '--onlyvisible', '--class', 'galculator', 'windowactivate', '--sync'], env).catch(() => undefined);
    await run('xdotool', ['type', '--delay', '60', '12345'], env);
    await sleep(800);
    await run('import', ['-window', 'root', join(fixtureDirectory, 'app-galculator.png')], env);
    calculator.kill('SIGKILL');
    writeFileSync(
      join(fixtureDirectory, 'app-galculator.json'),
      `${JSON.stringify({ source: 'galculator', lines: [], elements: [], words: ['12345', 'Edit', 'View', 'Calculator', 'Help', 'MS', 'MR', 'AC', 'sin', 'cos', 'tan'] } satisfies Truth, null, 1)}\n`,
    );
    console.log('wrote app-galculator');

    const textFile = join(home, 'notes.txt');
    const text = ['Quarterly report draft', 'Revenue grew 12 percent in October', 'Send the summary to the finance team', 'Meeting moved to Friday afternoon'];
    writeFileSync(textFile, `${text.join('\n')}\n`);
    const editor = spawn('mousepad', [textFile], { env, stdio: 'ignore' });
    await sleep(3000);
    await run('import', ['-window', 'root', join(fixtureDirectory, 'app-mousepad.png')], env);
    editor.kill('SIGKILL');
    writeFileSync(
      join(fixtureDirectory, 'app-mousepad.json'),
      `${JSON.stringify({ source: 'mousepad', lines: [], elements: [], words: text.join(' ').split(' ') } satisfies Truth, null, 1)}\n`,
    );
    console.log('wrote app-mousepad');
  } finally {
    await display.dispose();
    rmSync(home, { recursive: true, force: true });
  }
}

export function readTruth(name: string): Truth {
  return JSON.parse(readFileSync(join(fixtureDirectory, `${name}.json`), 'utf8')) as Truth;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  mkdirSync(fixtureDirectory, { recursive: true });
  await renderPages();
  if (process.argv.includes('--apps')) await renderApps();
}
