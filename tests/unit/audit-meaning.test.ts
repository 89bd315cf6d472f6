import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { auditSource, chordLeavesApp, destructiveReason, labelRefusal } from '../../skills-mm/audit.ts';
import { mixedScriptWord, skeleton } from '../../skills-mm/confusables.ts';

/**
 * The audit judges meaning, not spelling. The hostile corpus (skills-hostile.test.ts) holds the
 * attacks; this file holds the tables behind them and the ordinary packages they must still accept.
 */

const base = new URL('../../testkit/fixtures/hostile/base', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'sf-audit-meaning-'));
after(() => rmSync(work, { recursive: true, force: true }));

test('chords are parsed before they are judged: modifier order, modifiers given as keys, super in any role', () => {
  for (const key of ['ctrl+alt+t', 'alt+ctrl+t', 'shift+alt+ctrl+t', 'alt+tab', 'alt+shift+tab', 'shift+alt+tab', 'ctrl+alt+tab', 'meta', 'meta+r', 'ctrl+super', 'alt+f2', 'alt+f4', 'alt+space', 'ctrl+escape', 'ctrl+shift+escape', 'alt+escape', 'ctrl+alt+delete', 'ctrl+alt+arrowleft']) {
    assert.ok(chordLeavesApp(key), `${key} leaves the app`);
  }
  for (const key of ['ctrl+s', 'ctrl+shift+s', 'shift+tab', 'tab', 'enter', 'escape', 'alt+f', 'f5', 'ctrl+z', 'alt+shift+f', 'ctrl+tab', 'ctrl+f4']) {
    assert.equal(chordLeavesApp(key), undefined, `${key} stays in the app`);
  }
});

test('destructive words are found by stem in any casing or joining, and ordinary UI words are not', () => {
  for (const text of ['this deletes the account', 'Delete my account', 'deleteAccountButton', '#remove_user-btn', 'btn-send', 'Deletion', 'Erasing…', 'Place order', 'Purchase now', 'D\u0435lete', 'Format disk', 'Format the drive', 'formatting your SD card', 'Quick format']) {
    assert.ok(destructiveReason(text), text);
  }
  for (const text of ['Create account', 'Sign up', 'dropdown-menu', 'Name', 'Settings', 'Save', 'Open file', 'Formula bar', 'Preferences', 'Try it out', 'Execute', 'Remember me', 'Result Format', 'Format', 'Format Cells…', 'Number format', 'Open Sent', 'Sent entry 1', 'Paid invoices']) {
    assert.equal(destructiveReason(text), undefined, text);
  }
});

test('skeletons fold Cyrillic, Greek, fullwidth and mathematical letters; mixed-script words are found', () => {
  assert.equal(skeleton('\u0455udo'), 'sudo');
  assert.equal(skeleton('\u0399gnore'), 'ignore');
  assert.equal(skeleton('\uff53\uff55\uff44\uff4f'), 'sudo');
  assert.equal(skeleton('\u{1d42c}\u{1d42e}\u{1d41d}\u{1d428}'), 'sudo');
  assert.equal(mixedScriptWord('Cr\u0435ate account'), 'Cr\u0435ate');
  assert.equal(mixedScriptWord('Создать аккаунт'), undefined, 'a word all in Cyrillic is just Russian');
  assert.equal(mixedScriptWord('Café crème'), undefined);
});

/** The base package with one change; it must still be accepted. */
function accepts(name: string, change: (dir: string) => void) {
  const dir = join(work, name);
  cpSync(base, dir, { recursive: true });
  change(dir);
  const report = auditSource(dir);
  assert.equal(report.accepted, true, `${name}: ${JSON.stringify(report.findings.filter((finding) => finding.severity === 'refuse'))}`);
}

function editPlan(dir: string, edit: (plan: Record<string, any>) => void) {
  const plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8'));
  edit(plan);
  writeFileSync(join(dir, 'plan.json'), JSON.stringify(plan));
}

test('ordinary app wording in labels and expectations is accepted', () => {
  accepts('labels-are-data', (dir) =>
    editPlan(dir, (plan) => {
      plan.steps[0].expected.dom_text_appears = ["Don't ask me again", 'Send password reset link', 'Run script', 'Disable warnings'];
      plan.steps[0].target.locator.test_id = 'dropdown-toggle';
      plan.steps[0].target.window = { title: 'Sign up — Chromium' };
      plan.steps[1].expected.ocr_text_appears = ['Visit https://docs.example.com for help'];
    }),
  );
  accepts('typed-url-is-data', (dir) =>
    editPlan(dir, (plan) => {
      plan.parameters[0].default = 'see https://example.com/docs';
    }),
  );
  accepts('own-host-link', (dir) => writeFileSync(join(dir, 'SKILL.md'), `${readFileSync(join(dir, 'SKILL.md'), 'utf8')}\nStart at "http://127.0.0.1:8123/signup.html".\n`));
});

test('page text the audit would refuse to carry is named, so the builder can leave it out of expectations; ordinary app words are not', () => {
  assert.match(labelRefusal("curl -X 'GET' \\") ?? '', /^injection_shell/);
  assert.match(labelRefusal('wget http://example.com/x') ?? '', /^injection_shell/);
  for (const line of ['Server response 200', 'Send password reset link', "Don't ask again", 'Find pet by ID', 'Request URL']) assert.equal(labelRefusal(line), undefined, line);
});

// Dogfood, tkcon (Tk, in no test): the builder described a step as `press Enter, then click the
// "File Console Edit Interp P"` (its menu bar read as one line), and the audit refused the package
// it had just built ("asks to run a command"), so a console app could not be recorded at all. A
// quoted label is the app's own words, as for the other tolerant patterns; the prose around it is
// still read.
test('a quoted label after prose is the app\'s words; the same request unquoted is still refused', () => {
  const skillMd = (dir: string, line: string) => writeFileSync(join(dir, 'SKILL.md'), `${readFileSync(join(dir, 'SKILL.md'), 'utf8')}\n${line}\n`);
  accepts('console-menu-label', (dir) => skillMd(dir, 'Steps: type {{text_1}}, then press Enter, then click the "File Console Edit Interp P".'));
  const refused = join(work, 'console-unquoted');
  cpSync(base, refused, { recursive: true });
  skillMd(refused, 'Then press Enter and type the commands into the console.');
  const report = auditSource(refused);
  assert.equal(report.accepted, false);
  assert.ok(report.findings.some((finding) => finding.code === 'injection_shell'), JSON.stringify(report.findings));
});
