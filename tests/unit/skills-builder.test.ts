import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { buildSkill, normalizeKey } from '../../skills-mm/builder.ts';
import { auditSource, estimateTokens, imageSize } from '../../skills-mm/audit.ts';
import { loadPackageSource, parsePackage } from '../../skills-mm/format.ts';
import type { PlanStep } from '../../core/schemas/skill.ts';

const trajectories = new URL('../../testkit/fixtures/trajectories/', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'sf-builder-'));
after(() => rmSync(work, { recursive: true, force: true }));

function copyTrajectory(name: string, edit: (events: Record<string, unknown>[]) => Record<string, unknown>[]): string {
  const dir = join(work, `${name}-${Math.random().toString(36).slice(2, 8)}`);
  cpSync(join(trajectories, name), dir, { recursive: true });
  const events = readFileSync(join(dir, 'events.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
  writeFileSync(join(dir, 'events.jsonl'), edit(events).map((event) => `${JSON.stringify(event)}\n`).join(''));
  return dir;
}

function load(dir: string) {
  return parsePackage(loadPackageSource(dir).files);
}

test('calculator: keystrokes merge into one parameterized type step, no-ops drop, waits stay', async () => {
  const out = join(work, 'calculator');
  const result = await buildSkill({ trajectoryDir: join(trajectories, 'calculator'), outDir: out, name: 'add-numbers' });
  const skill = load(out);
  const actions = skill.plan.steps.map((step) => step.action);
  // focus, the bare shift and the zero scroll are gone; "1" + "2" became one type step.
  assert.deepEqual(actions, ['click', 'click', 'click', 'click', 'type', 'wait', 'click']);
  const type = skill.plan.steps[4] as Extract<PlanStep, { action: 'type' }>;
  assert.equal(type.text, '{{text_1}}');
  assert.deepEqual(skill.plan.parameters, [{ name: 'text_1', default: '12', description: 'Text typed in step 5', steps: [5] }]);
  assert.equal(result.permission_tier, 'input');
  assert.equal(skill.frontmatter.metadata.permission_tier, 'input');
  assert.equal(skill.plan.app.command, 'galculator');
  // Every pointer step has a template crop on disk and window geometry for X11.
  for (const step of skill.plan.steps.filter((candidate) => candidate.action === 'click')) {
    assert.ok(step.target?.template && skill.images.has(step.target.template.file), `step ${step.id} template`);
    assert.equal(step.target?.window?.title, 'Calculator');
    assert.ok(step.expected?.changed_region, `step ${step.id} changed region`);
  }
  const report = auditSource(out);
  assert.equal(report.accepted, true, JSON.stringify(report.findings));
});

test('views: four per state, at most 1280 px, red target and green check marks, per-step text within 500 tokens', async () => {
  const out = join(work, 'calculator-views');
  await buildSkill({ trajectoryDir: join(trajectories, 'calculator'), outDir: out });
  const skill = load(out);
  assert.ok(skill.cards.states.length >= 2);
  for (const card of skill.cards.states) {
    assert.deepEqual(card.available_views.map((view) => view.view).sort(), ['after', 'before', 'focus_crop', 'full_frame']);
    assert.deepEqual(card.available_views.find((view) => view.view === 'full_frame')?.marks, ['target']);
    assert.deepEqual(card.available_views.find((view) => view.view === 'after')?.marks, ['check']);
    for (const view of card.available_views) {
      const size = imageSize(skill.images.get(view.file)!);
      assert.ok(size && size.width <= 1280 && size.height <= 1280 && size.width === view.width, view.file);
    }
  }
  for (const step of skill.plan.steps) {
    const card = skill.runtime.states.find((candidate) => candidate.state_id === step.state_id);
    assert.ok(estimateTokens(`${step.description} ${JSON.stringify(card)}`) <= 500);
  }
});

test('the build is deterministic: the same recording gives the same plan and cards', async () => {
  const first = join(work, 'again-1');
  const second = join(work, 'again-2');
  await buildSkill({ trajectoryDir: join(trajectories, 'signup-web'), outDir: first, name: 'sign-up' });
  await buildSkill({ trajectoryDir: join(trajectories, 'signup-web'), outDir: second, name: 'sign-up' });
  for (const file of ['plan.json', 'state_cards.json', 'runtime_state_cards.json']) assert.equal(readFileSync(join(first, file), 'utf8'), readFileSync(join(second, file), 'utf8'), file);
});

test('web: DOM locators, navigation and the text that appears become the expected post-state', async () => {
  const out = join(work, 'signup');
  await buildSkill({ trajectoryDir: join(trajectories, 'signup-web'), outDir: out, name: 'sign-up' });
  const skill = load(out);
  assert.equal(skill.plan.platform, 'web');
  assert.equal(skill.plan.app.url, 'http://127.0.0.1:8123/signup.html');
  const [focus, type, submit] = skill.plan.steps;
  assert.deepEqual(focus.target?.locator, { role: 'textbox', name: 'Name', css: '#name', box: { x: 20, y: 82, width: 200, height: 28 } });
  assert.equal(type.action, 'type');
  assert.equal(type.description, 'Type {{text_1}} into the "Name" field.');
  assert.equal(skill.plan.parameters[0].default, 'Ada');
  assert.equal(submit.description, 'Click the "Create account" button.');
  assert.equal(submit.target?.locator?.test_id, 'create');
  assert.equal(submit.expected?.url, 'http://127.0.0.1:8123/welcome.html');
  assert.ok(submit.expected?.dom_text_appears.includes('Welcome, Ada!'), JSON.stringify(submit.expected));
  assert.equal(auditSource(out).accepted, true);
});

test('a destructive target is flagged, so replay asks first; a masked field becomes a secret parameter', async () => {
  const dir = copyTrajectory('signup-web', (events) =>
    events.map((event) => {
      if (event.seq === 2) return { ...event, target: { ...(event.target as object), name: 'Delete account' } };
      if (event.seq === 1) {
        const { text: _text, value: _value, ...rest } = event;
        return { ...rest, masked: true, target: { ...(event.target as object), name: 'Password', inputType: 'password' } };
      }
      return event;
    }),
  );
  const out = join(work, 'destructive');
  await buildSkill({ trajectoryDir: dir, outDir: out, name: 'close-account' });
  const skill = load(out);
  const last = skill.plan.steps[2];
  assert.equal(last.destructive, true);
  assert.match(last.destructive_reason ?? '', /delete/i);
  assert.deepEqual(skill.plan.parameters.map((parameter) => [parameter.name, parameter.default]), [['secret_1', '']]);
  assert.equal((skill.plan.steps[1] as Extract<PlanStep, { action: 'type' }>).text, '{{secret_1}}');
  assert.equal(auditSource(out).accepted, true);
});

test('a long pause in which the screen changed by itself becomes a wait step', async () => {
  const dir = copyTrajectory('calculator', (events) =>
    events
      .filter((event) => event.kind !== 'wait')
      .map((event) => (event.seq === 10 ? { ...event, frames: { before: 'frames/0003.png', after: 'frames/0007.png' } } : event)),
  );
  const out = join(work, 'waits');
  await buildSkill({ trajectoryDir: dir, outDir: out });
  const skill = load(out);
  const wait = skill.plan.steps.find((step) => step.action === 'wait');
  assert.ok(wait && wait.action === 'wait' && wait.ms >= 2000 && wait.ms <= 10_000, JSON.stringify(wait));
});

test('key chords are normalized and bare modifiers dropped', () => {
  assert.equal(normalizeKey('Return'), 'enter');
  assert.equal(normalizeKey('ctrl+S'), 'ctrl+s');
  assert.equal(normalizeKey('Control+Shift+Tab'), 'ctrl+shift+tab');
  assert.equal(normalizeKey('shift'), undefined);
  assert.equal(normalizeKey('Shift_L'), undefined);
});

test('cancelling a build stops it with the abort reason and writes nothing', async () => {
  const controller = new AbortController();
  controller.abort(new Error('stop now'));
  const out = join(work, 'cancelled');
  await assert.rejects(buildSkill({ trajectoryDir: join(trajectories, 'calculator'), outDir: out, signal: controller.signal }), /stop now/);
  assert.throws(() => readFileSync(join(out, 'SKILL.md')));
});

test('typed text is data: a recorded URL or e-mail address does not trip the injection scan of its own package', async () => {
  const dir = copyTrajectory('signup-web', (events) => events.map((event) => (event.seq === 1 ? { ...event, text: 'see https://example.com/docs or mail ada@example.com', value: undefined } : event)));
  const out = join(work, 'typed-url');
  await buildSkill({ trajectoryDir: dir, outDir: out, name: 'typed-url' });
  const report = auditSource(out);
  assert.equal(report.accepted, true, JSON.stringify(report.findings));
});

test('a native <select> from one recording is a choice over the labels the recorder saw; a list longer than a plan holds takes any label', async () => {
  const asSelect = (options: string[]) => (events: Record<string, unknown>[]) =>
    events.map((event) => (event.seq === 0 ? { ...event, kind: 'select', value: 'France', target: { role: 'combobox', name: 'Country', css: '#country', tag: 'select', box: { x: 20, y: 82, width: 200, height: 28 }, options } } : event));
  const short = join(work, 'select-short', 'pick-country');
  await buildSkill({ trajectoryDir: copyTrajectory('signup-web', asSelect(['', 'Belgium', 'France', 'Spain', 'France'])), outDir: short });
  const plan = load(short).plan;
  const select = plan.steps.find((step) => step.action === 'select') as Extract<PlanStep, { action: 'select' }>;
  assert.equal(select.value, '{{country}}');
  assert.deepEqual(plan.parameters.find((parameter) => parameter.name === 'country'), { name: 'country', default: 'France', description: 'Which option to choose in the "Country" list box in step 1', steps: [1], kind: 'choice', options: ['Belgium', 'France', 'Spain'] });
  const long = join(work, 'select-long', 'pick-country');
  const countries = Array.from({ length: 120 }, (_, index) => (index === 60 ? 'France' : `Country ${index}`));
  await buildSkill({ trajectoryDir: copyTrajectory('signup-web', asSelect(countries)), outDir: long });
  const country = load(long).plan.parameters.find((parameter) => parameter.name === 'country');
  assert.equal(country?.kind, 'choice');
  assert.equal(country?.options, undefined);
  assert.match(country?.description ?? '', /list's 120 options/);
  // Without recorded options (an older recording) one recording gives no parameter, as before.
  const bare = join(work, 'select-bare', 'pick-country');
  await buildSkill({ trajectoryDir: copyTrajectory('signup-web', (events) => asSelect([])(events).map((event) => (event.seq === 0 ? { ...event, target: { ...(event.target as object), options: undefined } } : event))), outDir: bare });
  assert.equal(load(bare).plan.parameters.some((parameter) => parameter.kind === 'choice'), false);
});
