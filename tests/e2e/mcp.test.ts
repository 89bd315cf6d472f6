import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import sharp from 'sharp';
import { startDisplay, type VirtualDisplay } from '../../native/display/xvfb.ts';
import { binPath, repoRoot } from '../support/cli.ts';
import { temporaryHome } from '../support/home.ts';

const home = temporaryHome();
let display: VirtualDisplay;
let client: Client;

before(async () => {
  display = await startDisplay({ width: 1280, height: 800, windowManager: false });
  client = new Client({ name: 'skillframe-test', version: '1.0.0' });
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [binPath, 'mcp'],
    cwd: repoRoot,
    env: { ...(display.env as Record<string, string>), SKILLFRAME_HOME: home.path },
    stderr: 'pipe',
  });
  await client.connect(transport);
});

after(async () => {
  await client?.close();
  await display?.dispose();
  home.dispose();
});

function textOf(result: Awaited<ReturnType<Client['callTool']>>): string {
  return (result.content as { type: string; text?: string }[]).filter((part) => part.type === 'text').map((part) => part.text).join('\n');
}

test('the server lists exactly the tools other agents rely on', async () => {
  const { tools } = await client.listTools();
  assert.deepEqual(tools.map((tool) => tool.name).sort(), ['click', 'consult_skill', 'get_skill', 'list_skills', 'ocr', 'replay_skill', 'screenshot', 'type']);
});

test('list_skills answers from the (empty) library; get_skill of an unknown skill is a coded error', async () => {
  const listed = await client.callTool({ name: 'list_skills', arguments: {} });
  assert.equal(listed.isError ?? false, false);
  assert.deepEqual(JSON.parse(textOf(listed)).skills, []);
  const missing = await client.callTool({ name: 'get_skill', arguments: { name: 'no-such-skill' } });
  assert.equal(missing.isError, true);
  assert.match(textOf(missing), /^not_found:/);
});

test('screenshot returns a PNG of the real display', async () => {
  const shot = await client.callTool({ name: 'screenshot', arguments: {} });
  const image = (shot.content as { type: string; data?: string; mimeType?: string }[]).find((part) => part.type === 'image');
  assert.equal(image?.mimeType, 'image/png');
  const meta = await sharp(Buffer.from(image?.data ?? '', 'base64')).metadata();
  assert.deepEqual([meta.width, meta.height], [1280, 800]);
});

test('click and type follow the permission tier: refused at "read", allowed at "input"', async () => {
  const refused = await client.callTool({ name: 'click', arguments: { x: 10, y: 10 } });
  assert.equal(refused.isError, true);
  assert.match(textOf(refused), /^refused:.*input/);
  const { runCli } = await import('../support/cli.ts');
  const set = await runCli(['settings', 'set', '{"permissions":{"autoApproveTier":"input"}}'], { env: { ...process.env, SKILLFRAME_HOME: home.path } });
  assert.equal(set.code, 0, set.stderr);
  const clicked = await client.callTool({ name: 'click', arguments: { x: 10, y: 10 } });
  assert.equal(clicked.isError ?? false, false, textOf(clicked));
  const typed = await client.callTool({ name: 'type', arguments: { key: 'Escape' } });
  assert.equal(typed.isError ?? false, false, textOf(typed));
});

test('ocr reads text from an image file', async () => {
  const file = join(home.path, 'words.png');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="120"><rect width="100%" height="100%" fill="white"/><text x="20" y="75" font-family="Liberation Sans" font-size="40" fill="black">Replay skills safely</text></svg>`;
  await sharp(Buffer.from(svg)).png().toFile(file);
  const result = await client.callTool({ name: 'ocr', arguments: { image: file } });
  assert.equal(result.isError ?? false, false, textOf(result));
  const lines = JSON.parse(textOf(result)).lines as { text: string }[];
  // Compared without spaces: the test is about the tool, not OCR's word spacing.
  assert.match(lines.map((line) => line.text).join('').replace(/\s+/g, ''), /Replayskillssafely/i);
});

test('replay_skill refuses a skill that does not exist, with a coded error', async () => {
  const result = await client.callTool({ name: 'replay_skill', arguments: { skill: 'nothing-here' } });
  assert.equal(result.isError, true);
  assert.match(textOf(result), /^not_found:/);
});

test('replay_skill takes library names only: a path is refused even when a package is there (observed: any path was replayed)', async () => {
  const { cpSync } = await import('node:fs');
  const folder = join(home.path, 'sign-up-account');
  cpSync(new URL('../../testkit/fixtures/hostile/base', import.meta.url).pathname, folder, { recursive: true });
  for (const skill of [folder, './sign-up-account', '../sign-up-account', 'sign-up-account.zip']) {
    const result = await client.callTool({ name: 'replay_skill', arguments: { skill, dry_run: true } });
    assert.equal(result.isError, true, skill);
  }
  // The same name in the library is the only one replay_skill reaches.
  const byName = await client.callTool({ name: 'replay_skill', arguments: { skill: 'sign-up-account', dry_run: true } });
  assert.match(textOf(byName), /^not_found:.*in the library/);
});

test('skillframe mcp registers with the kill switch; `skillframe stop` reaches it and it keeps serving (observed: it never registered)', async () => {
  const { readdirSync, readFileSync } = await import('node:fs');
  const { runCli } = await import('../support/cli.ts');
  const run = join(home.path, 'run');
  const entries = readdirSync(run).map((name) => JSON.parse(readFileSync(join(run, name), 'utf8')) as { what: string; startTime?: string; commandLine?: string });
  const mcp = entries.find((entry) => entry.what === 'mcp');
  assert.ok(mcp?.startTime && mcp.commandLine?.includes('mcp'), JSON.stringify(entries));
  const stop = await runCli(['stop', '--json'], { env: { ...process.env, SKILLFRAME_HOME: home.path } });
  assert.equal(stop.code, 0, stop.stderr);
  assert.ok(JSON.parse(stop.stdout).stopped >= 1, stop.stdout);
  const listed = await client.callTool({ name: 'list_skills', arguments: {} });
  assert.equal(listed.isError ?? false, false);
});

test('skill text reaches the agent labelled as untrusted data', async () => {
  const { runCli } = await import('../support/cli.ts');
  const added = await runCli(['library', 'add', new URL('../../testkit/fixtures/hostile/base', import.meta.url).pathname, '--json'], { env: { ...process.env, SKILLFRAME_HOME: home.path } });
  assert.equal(added.code, 0, added.stderr);
  for (const detail of ['summary', 'cards', 'procedure']) {
    const result = await client.callTool({ name: 'get_skill', arguments: { name: 'sign-up-account', detail } });
    const parts = result.content as { type: string; text?: string }[];
    assert.match(parts[0].text ?? '', /^UNTRUSTED DATA/);
    assert.ok(JSON.parse(parts[1].text ?? '{}').skill_content, detail);
  }
});

test('tools carry annotations and structured output schemas from the contract', async () => {
  const { tools } = await client.listTools();
  const tool = (name: string) => tools.find((candidate) => candidate.name === name)!;
  for (const name of ['list_skills', 'get_skill', 'consult_skill']) assert.deepEqual([tool(name).annotations?.readOnlyHint, tool(name).annotations?.openWorldHint], [true, false], name);
  for (const name of ['replay_skill', 'click', 'type']) assert.deepEqual([tool(name).annotations?.readOnlyHint, tool(name).annotations?.destructiveHint, tool(name).annotations?.openWorldHint], [false, true, true], name);
  assert.equal(tool('screenshot').annotations?.readOnlyHint, true);
  const properties = (name: string) => Object.keys((tool(name).outputSchema as { properties?: object } | undefined)?.properties ?? {}).sort();
  assert.deepEqual(properties('consult_skill'), ['cached', 'consults_used', 'memo', 'model', 'outside_boundary', 'selection', 'skill', 'valid_until_step']);
  assert.ok(properties('replay_skill').includes('steps') && properties('replay_skill').includes('ok'));
  assert.deepEqual(properties('list_skills'), ['hits', 'root', 'skills']);
  const listed = await client.callTool({ name: 'list_skills', arguments: {} });
  assert.ok(Array.isArray((listed.structuredContent as { skills?: unknown[] }).skills));
});

test('consult_skill: a memo from ≤ 3 states / ≤ 6 views read inside the server, not_applicable on a screen of another app, ≤ 2 consults per skill per task', async () => {
  const { readFileSync } = await import('node:fs');
  const { runCli } = await import('../support/cli.ts');
  const { estimateTokens } = await import('../../skills-mm/audit.ts');
  const env = { ...process.env, SKILLFRAME_HOME: home.path };
  const trajectories = new URL('../../testkit/fixtures/trajectories/', import.meta.url).pathname;
  const out = join(home.path, 'built', 'add-twelve');
  const built = await runCli(['build', join(trajectories, 'calculator'), '--out', out, '--skip-ocr', '--json'], { env, timeoutMs: 120_000 });
  assert.equal(built.code, 0, built.stderr);
  const added = await runCli(['library', 'add', out, '--json'], { env });
  assert.equal(added.code, 0, added.stderr);
  const own = readFileSync(join(trajectories, 'calculator/frames/0006.png')).toString('base64');
  const other = readFileSync(join(trajectories, 'signup-web/frames/0000.png')).toString('base64');
  const consult = (screen: string, step: number) => client.callTool({ name: 'consult_skill', arguments: { skill: 'add-twelve', task: 'add 7 and 5 in the calculator', task_id: 'mcp-test', step, screen_png: screen } });

  const memo = await consult(own, 0);
  assert.equal(memo.isError ?? false, false, textOf(memo));
  const result = memo.structuredContent as { memo: { skill_applicability: string }; selection: { state_ids: string[]; views: unknown[] }; consults_used: number };
  assert.notEqual(result.memo.skill_applicability, 'not_applicable');
  assert.ok(result.selection.state_ids.length <= 3 && result.selection.views.length <= 6);
  assert.ok(!(memo.content as { type: string }[]).some((part) => part.type === 'image'), 'the memo carries no image');
  assert.match((memo.content as { text?: string }[])[0].text ?? '', /^UNTRUSTED DATA/, 'a memo derived from skill text is labelled as data');
  assert.ok(estimateTokens(JSON.stringify(result.memo)) <= 500);
  const elsewhere = await consult(other, 1);
  assert.equal((elsewhere.structuredContent as { memo: { skill_applicability: string } }).memo.skill_applicability, 'not_applicable');
  const second = await consult(own, 10);
  assert.equal((second.structuredContent as { consults_used: number }).consults_used, 2);
  const third = await consult(own, 20);
  assert.equal(third.isError, true);
  assert.match(textOf(third), /^refused:.*budget is 2/);
});
