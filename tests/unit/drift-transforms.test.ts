import assert from 'node:assert/strict';
import { test } from 'node:test';
import { judgeWeb, judgeX11, percentile } from '../../bench/replay/judge.ts';
import { galculatorRows } from '../../bench/replay/tasks.ts';
import { collectTokens, renameCss, renamedToken, renameHtml, renameScript } from '../../bench/replay/web-drift.ts';
import { foregroundComponents, galculatorButtons, mousepadTextArea } from '../../bench/replay/x11-truth.ts';

test('renaming rewrites every class and id token consistently in HTML, CSS and scripts', () => {
  const html = `<html><head><style>.menu-button[aria-expanded=true] { color: #fff; } #save-button, .row.archived td { margin: 0.5em; } @media (max-width: 600px) { .menu-button { padding: 0 } }</style></head>
<body><button class="menu-button primary" id="save-button" aria-controls="file-menu">Save</button><ul id="file-menu" class="dropdown"><li>menu-button</li></ul>
<label for="save-button">x</label><a href="#file-menu">jump</a>
<script>document.getElementById('save-button'); document.querySelectorAll('.menu-button > .dropdown'); el.classList.add('archived'); el.innerHTML = '<span class="primary">Save</span>'; const label = 'Save';</script></body></html>`;
  const tokens = collectTokens(html);
  for (const token of ['menu-button', 'primary', 'save-button', 'file-menu', 'dropdown', 'row', 'archived']) assert.ok(tokens.has(token), token);
  const out = renameHtml(html, tokens);
  const menu = renamedToken('menu-button');
  assert.match(menu, /^d[0-9a-z]+$/);
  assert.equal(renamedToken('menu-button'), menu, 'stable across calls');
  assert.ok(out.includes(`class="${menu} ${renamedToken('primary')}"`));
  assert.ok(out.includes(`id="${renamedToken('save-button')}"`));
  assert.ok(out.includes(`aria-controls="${renamedToken('file-menu')}"`));
  assert.ok(out.includes(`for="${renamedToken('save-button')}"`));
  assert.ok(out.includes(`href="#${renamedToken('file-menu')}"`));
  assert.ok(out.includes(`.${menu}[aria-expanded=true]`));
  assert.ok(out.includes(`.${renamedToken('row')}.${renamedToken('archived')} td`));
  assert.ok(out.includes('color: #fff'), 'declarations (colours) untouched');
  assert.ok(out.includes('margin: 0.5em'), 'numbers untouched');
  assert.ok(out.includes(`getElementById('${renamedToken('save-button')}')`));
  assert.ok(out.includes(`querySelectorAll('.${menu} > .${renamedToken('dropdown')}')`));
  assert.ok(out.includes(`classList.add('${renamedToken('archived')}')`));
  assert.ok(out.includes(`class="${renamedToken('primary')}"`), 'HTML inside a string literal');
  assert.ok(out.includes(`const label = 'Save'`), 'other strings untouched');
  assert.ok(out.includes('<li>menu-button</li>'), 'visible text untouched');
  assert.equal(renameCss('a { color: red }', tokens), 'a { color: red }');
  assert.equal(renameScript(`x = "unknown-token"`, tokens), `x = "unknown-token"`);
});

test('web judge: wrong targets, repeats, typed fields and the outcome', () => {
  const steps = [
    { kind: 'click', truth: 'name' },
    { kind: 'type', field: 'name', text: 'Ada' },
    { kind: 'click', truth: 'submit' },
  ] as const;
  const good = judgeWeb([...steps], { ok: true }, { clicks: [{ truth: 'name', x: 1, y: 1 }, { truth: 'submit', x: 2, y: 2 }], inputs: [{ truth: 'name', value: 'Ada' }], outcome: { ok: true } });
  assert.deepEqual([good.stepsSucceeded, good.taskSucceeded, good.wrongActions, good.repeatedActions], [3, true, 0, 0]);
  const bad = judgeWeb([...steps], { ok: true }, {
    clicks: [{ truth: 'email', x: 1, y: 1 }, { truth: 'name', x: 1, y: 1 }, { truth: 'name', x: 1, y: 1 }, { truth: 'none:div', x: 5, y: 5 }],
    inputs: [{ truth: 'email', value: 'Ada' }],
    outcome: null,
  });
  assert.equal(bad.taskSucceeded, false);
  assert.equal(bad.wrongActions, 3, 'email click, background click, typing into email');
  assert.equal(bad.repeatedActions, 1);
  assert.equal(bad.stepsSucceeded, 1, 'only the first click landed');
});

test('x11 judge: clicks outside the intended box are wrong actions', () => {
  const box = (x: number) => ({ x, y: 0, width: 10, height: 10 });
  const steps = [
    { kind: 'click' as const, label: 'A', box: box(0) },
    { kind: 'click' as const, label: 'B', box: box(20) },
    { kind: 'type' as const },
  ];
  const good = judgeX11(steps, [{ x: 5, y: 5 }, { x: 25, y: 5 }], true, 'ok');
  assert.deepEqual([good.stepsSucceeded, good.wrongActions], [3, 0]);
  const bad = judgeX11(steps, [{ x: 5, y: 5 }, { x: 15, y: 5 }, { x: 25, y: 5 }], false, 'nope');
  assert.deepEqual([bad.stepsSucceeded, bad.wrongActions, bad.taskSucceeded], [2, 1, false]);
  assert.equal(percentile([5, 1, 3, 2, 4], 0.5), 3);
  assert.equal(percentile([], 0.5), null);
});

/** A synthetic galculator: a display and framed buttons laid out like galculatorRows. */
function syntheticCalculator(): { capture: { width: number; height: number; data: Buffer }; client: { x: number; y: number; width: number; height: number } } {
  const width = 400;
  const height = 360;
  const rgba = Buffer.alloc(width * height * 4);
  const fill = (x: number, y: number, w: number, h: number, value: number) => {
    for (let row = y; row < y + h; row += 1) for (let column = x; column < x + w; column += 1) rgba.fill(value, (row * width + column) * 4, (row * width + column) * 4 + 3), (rgba[(row * width + column) * 4 + 3] = 255);
  };
  const frame = (x: number, y: number, w: number, h: number) => {
    fill(x, y, w, h, 200);
    fill(x + 1, y + 1, w - 2, h - 2, 240);
  };
  fill(0, 0, width, height, 246);
  frame(10, 10, 380, 50);
  galculatorRows.forEach((row, rowIndex) => {
    row.forEach((_label, column) => {
      const x = rowIndex === 0 ? 170 + column * 60 : 10 + column * 60;
      const tall = rowIndex === 4 && column === 4;
      frame(x, 70 + rowIndex * 40, 54, tall ? 74 : 34);
    });
  });
  return { capture: { width, height, data: rgba }, client: { x: 0, y: 0, width, height } };
}

test('galculator buttons are found from pixel structure alone, row by row', () => {
  const { capture, client } = syntheticCalculator();
  const components = foregroundComponents(capture, client);
  assert.equal(components.length, 28, 'display + 27 buttons');
  const buttons = galculatorButtons(capture, client);
  assert.deepEqual(buttons.get('AC'), { x: 230, y: 70, width: 54, height: 34 });
  assert.deepEqual(buttons.get('='), { x: 250, y: 230, width: 54, height: 74 });
  assert.deepEqual(buttons.get('+'), { x: 190, y: 270, width: 54, height: 34 });
  assert.equal(buttons.size, 27);
});

test('the text area is the uniform region around the window centre', () => {
  const width = 200;
  const height = 100;
  const rgba = Buffer.alloc(width * height * 4, 230);
  for (let y = 20; y < 90; y += 1) for (let x = 5; x < 195; x += 1) rgba.fill(255, (y * width + x) * 4, (y * width + x) * 4 + 4);
  assert.deepEqual(mousepadTextArea({ width, height, data: rgba }, { x: 0, y: 0, width, height }), { x: 5, y: 20, width: 190, height: 70 });
});
