import type { HandlerTable } from '../dispatcher.ts';
import { armHandlers } from './arm.ts';
import { exploreHandlers } from './explore.ts';
import { fleetHandlers } from './fleet.ts';
import { recordingHandlers } from './recording.ts';
import { replayHandlers } from './replay.ts';
import { robotHandlers } from './robot.ts';
import { skillsHandlers } from './skills.ts';
import { systemHandlers } from './system.ts';
import { visionHandlers } from './vision.ts';

/** Every handler of this build, one table per room. */
export const handlers: HandlerTable = {
  ...systemHandlers,
  ...visionHandlers,
  ...recordingHandlers,
  ...skillsHandlers,
  ...replayHandlers,
  ...exploreHandlers,
  ...robotHandlers,
  ...armHandlers,
  ...fleetHandlers,
};
