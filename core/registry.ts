import type { z } from 'zod';
import type { CommandSpec, EventSpec } from './contract.ts';
import * as system from './commands/system.ts';
import * as vision from './commands/vision.ts';
import * as recording from './commands/recording.ts';
import * as skills from './commands/skills.ts';
import * as replay from './commands/replay.ts';
import * as explore from './commands/explore.ts';
import * as robot from './commands/robot.ts';
import * as arm from './commands/arm.ts';
import * as benchReplay from './commands/bench-replay.ts';
import * as fleet from './commands/fleet.ts';

/** The one registry of the contract: every command and event any host can speak. */
export const commands = {
  ...system.commands,
  ...vision.commands,
  ...recording.commands,
  ...skills.commands,
  ...replay.commands,
  ...explore.commands,
  ...robot.commands,
  ...arm.commands,
  ...benchReplay.commands,
  ...fleet.commands,
};

export const events = {
  ...system.events,
  ...vision.events,
  ...recording.events,
  ...skills.events,
  ...replay.events,
  ...explore.events,
  ...robot.events,
  ...arm.events,
};

export type Commands = typeof commands;
export type CommandName = keyof Commands & string;
export type InputOf<N extends CommandName> = z.input<Commands[N]['input']>;
export type ParsedInputOf<N extends CommandName> = z.output<Commands[N]['input']>;
export type OutputOf<N extends CommandName> = z.output<Commands[N]['output']>;

export type Events = typeof events;
export type EventName = keyof Events & string;
export type PayloadOf<E extends EventName> = z.output<Events[E]['payload']>;

export function findCommand(name: string): CommandSpec | undefined {
  return Object.hasOwn(commands, name) ? (commands as Record<string, CommandSpec>)[name] : undefined;
}

export function findEvent(name: string): EventSpec | undefined {
  return Object.hasOwn(events, name) ? (events as Record<string, EventSpec>)[name] : undefined;
}
