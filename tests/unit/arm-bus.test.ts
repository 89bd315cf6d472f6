// The bus driver against simulated servos on an in-memory link: status errors, retries, the
// e-stop's queue jump, register encodings.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSkillframeError } from '../../core/index.ts';
import { fakeSerialPair } from '../../native/serial/fake.ts';
import { MotorBus } from '../../native/motors/bus.ts';
import { decodeValue, encodeValue, motorModel } from '../../native/motors/control-tables.ts';
import { dynamixel } from '../../native/motors/dynamixel.ts';
import { feetech } from '../../native/motors/feetech.ts';
import type { Protocol } from '../../native/motors/frames.ts';
import { attachSimulator } from '../../native/motors/sim/responder.ts';
import { SimServoBus } from '../../native/motors/sim/servos.ts';

function rig(protocol: Protocol, model: string, retries = 2) {
  const [host, device] = fakeSerialPair('unit');
  const servos = new SimServoBus(protocol, [1, 2, 3].map((id) => ({ id, model: motorModel(model) })));
  const detach = attachSimulator(device, servos);
  const bus = new MotorBus(host, protocol, { timeoutMs: 15, retries, firstTimeoutMs: 15, describeMotor: (id) => `motor ${id} (joint${id})` });
  return {
    bus,
    servos,
    registers: motorModel(model).registers,
    dispose: async () => {
      await bus.dispose();
      detach();
      await device.dispose();
    },
  };
}

describe('motor bus', () => {
  it('status error bits: warnings are kept per motor, overheat is `unsafe` naming the motor', async () => {
    const { bus, servos, registers, dispose } = rig(feetech, 'sts3215');
    try {
      servos.faults = { errorBits: { 2: 0x01 } };
      await bus.syncRead([1, 2, 3], registers.Present_Position);
      assert.equal(bus.stats.motorErrors[2], 'input voltage');
      servos.faults = { errorBits: { 3: 0x04 } };
      await assert.rejects(bus.read(3, registers.Present_Temperature), (error: unknown) => isSkillframeError(error) && error.code === 'unsafe' && /motor 3 \(joint3\) reports overheat/.test(error.message));
    } finally {
      await dispose();
    }
  });

  it('retries only the motors that did not answer, and names the one that never does', async () => {
    const { bus, servos, registers, dispose } = rig(dynamixel, 'xl330_m288', 4);
    try {
      servos.faults = { dropRate: 0.2 };
      for (let index = 0; index < 10; index += 1) assert.equal((await bus.syncRead([1, 2, 3], registers.Present_Position)).size, 3);
      assert.ok(bus.stats.retries > 0);
      servos.faults = { silentIds: [2] };
      await assert.rejects(bus.syncRead([1, 2, 3], registers.Present_Position), /motor 2 \(joint2\) did not answer SYNC_READ @132 after 5 tries/);
      assert.equal(await bus.ping(2), false);
      assert.equal(await bus.ping(1), true);
    } finally {
      await dispose();
    }
  });

  it('the urgent write jumps the queue and rejects what waited behind it', async () => {
    const { bus, servos, registers, dispose } = rig(feetech, 'sts3215');
    try {
      await bus.syncWrite(new Map([[1, 1], [2, 1], [3, 1]]), registers.Torque_Enable);
      const queued = Array.from({ length: 5 }, () => bus.syncRead([1, 2, 3], registers.Present_Position).then(() => 'done', (error: Error) => error.message));
      const result = await bus.urgentWrite([1, 2, 3], registers.Torque_Enable, 0, 'e-stop');
      assert.deepEqual(result, { confirmed: [1, 2, 3], failed: [] });
      const outcomes = await Promise.all(queued);
      assert.ok(outcomes.includes('e-stop'), JSON.stringify(outcomes));
      assert.ok(servos.state().every((servo) => !servo.torque));
    } finally {
      await dispose();
    }
  });

  it('encodes registers by their conventions and refuses values that do not fit', () => {
    const sts = motorModel('sts3215').registers;
    const xl = motorModel('xl330_m288').registers;
    assert.equal(decodeValue(sts.Present_Velocity, 0x8000 + 25), -25);
    assert.equal(encodeValue(sts.Homing_Offset, -100, 'Homing_Offset'), 2048 + 100);
    assert.equal(decodeValue(xl.Goal_Position, encodeValue(xl.Goal_Position, -5, 'Goal_Position')), -5);
    assert.throws(() => encodeValue(sts.Goal_Position, 70_000, 'motor 1 Goal_Position'), /motor 1 Goal_Position: value 70000 is outside 0\.\.65535/);
    assert.throws(() => encodeValue(sts.Goal_Position, 1.5, 'Goal_Position'), /not an integer/);
  });
});
