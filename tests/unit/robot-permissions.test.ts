import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { isSkillframeError } from '../../core/index.ts';
import { runPolicyLoop, sinePolicy } from '../../engine/robot/arm/control-loop.ts';
import { openArm } from '../../engine/robot/arm/open.ts';
import { Dispatcher } from '../../host/dispatcher.ts';
import { armHandlers } from '../../host/handlers/arm.ts';

/** Robot motion behind a tier, and a watchdog that fits the control loop it guards. */

const home = mkdtempSync(join(tmpdir(), 'sf-robot-tier-'));
process.env.SKILLFRAME_HOME = home;
after(() => rmSync(home, { recursive: true, force: true }));
const setTier = (tier: string) => writeFileSync(join(home, 'settings.json'), JSON.stringify({ permissions: { autoApproveTier: tier } }));
const move = { model: 'sim', armId: 'tier-test', targets: ['wrist_roll=2'], hz: 50 };

test('moving an arm needs the robot tier or an explicit yes (observed: robot.arm.move ran at tier "read")', async () => {
  const dispatcher = new Dispatcher(armHandlers);
  const questions: string[] = [];
  for (const tier of ['read', 'input', 'system']) {
    setTier(tier);
    const refused = await dispatcher.dispatch('robot.arm.move', move, { confirm: async (question) => (questions.push(question), false) });
    assert.equal(refused.ok, false, tier);
    assert.equal(!refused.ok && refused.error.code, 'refused');
    assert.match(!refused.ok ? refused.error.message : '', /needs the "robot" permission tier/);
  }
  assert.equal(questions.length, 3, 'the person is asked each time');
  for (const name of ['robot.arm.teleop', 'robot.arm.record', 'robot.arm.run'] as const) {
    const input = name === 'robot.arm.record' ? { model: 'sim', leaderModel: 'sim', dataset: 'd', task: 't', seconds: 0.2 } : name === 'robot.arm.run' ? { model: 'sim', policy: 'hold', seconds: 0.2 } : { model: 'sim', leaderModel: 'sim', seconds: 0.2 };
    const refused = await dispatcher.dispatch(name, input, { confirm: async () => false });
    assert.equal(!refused.ok && refused.error.code, 'refused', name);
  }
  const approved = await dispatcher.dispatch('robot.arm.move', move, { confirm: async () => true });
  assert.equal(approved.ok, true, JSON.stringify(approved));
  setTier('robot');
  const allowed = await dispatcher.dispatch('robot.arm.move', move, { confirm: async () => assert.fail('the robot tier does not ask') });
  assert.equal(allowed.ok, true, JSON.stringify(allowed));
});

test('the watchdog waits at least three control periods; a slow loop runs without tripping it (observed: a fixed 100 ms)', async () => {
  const arm = await openArm({ model: 'sim', armId: 'slow', seed: 7, handGuided: false }, { home });
  try {
    const report = await runPolicyLoop(arm, sinePolicy({ hz: 5 }), { hz: 5, maxTicks: 8 });
    assert.equal(arm.watchdogMs, 600);
    // A fixed 100 ms trips on every tick of a 5 Hz loop (8 of 8); a stalled event loop on a loaded machine may cost one or two.
    assert.ok(arm.watchdogTrips <= 2, `the watchdog tripped ${arm.watchdogTrips} times in 8 ticks at 5 Hz`);
    assert.equal(report.ticks, 8);
    arm.controlAt(60);
    assert.equal(arm.watchdogMs, 100, 'the configured floor still holds for fast loops');
  } finally {
    await arm.dispose();
  }
});

test('the minimum control rate is enforced, in the contract and on the arm', async () => {
  setTier('robot');
  const dispatcher = new Dispatcher(armHandlers);
  const slow = await dispatcher.dispatch('robot.arm.run', { model: 'sim', policy: 'hold', hz: 2, seconds: 1 });
  assert.equal(!slow.ok && slow.error.code, 'bad_input');
  assert.match(!slow.ok ? slow.error.message : '', /hz/);
  const arm = await openArm({ model: 'sim', armId: 'slow2', seed: 8, handGuided: false }, { home });
  try {
    await assert.rejects(runPolicyLoop(arm, sinePolicy({ hz: 2 }), { hz: 2, maxTicks: 2 }), (error: unknown) => isSkillframeError(error) && error.code === 'bad_input' && /below the minimum of 5 Hz/.test(error.message));
  } finally {
    await arm.dispose();
  }
});
