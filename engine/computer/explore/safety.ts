import { SkillframeError } from '../../../core/index.ts';
import type { ExploreAction } from '../../../core/commands/explore.ts';
import { controlDestructiveReason } from '../../../skills-mm/audit.ts';

/**
 * What ends the session the explorer works in (signing out, quitting the app, shutting the machine
 * down): not destructive to a replayed skill that means it, but an explorer that clicks it loses
 * the state it was exploring, so it is held back as destructive controls are.
 */
const sessionEnding = /\b(log ?out|sign ?out|logout|signout|shut ?down|reboot|quit|exit)\b/i;

/**
 * Every string of an explored action that its exported step carries: the control's name (the
 * step's label and text), its locator (CSS, or the accessible path on X11), its role, and what it
 * types or chooses. The skill audit judges the same strings of the built step.
 */
function actionStrings(action: ExploreAction): string[] {
  const target = action.target;
  return [target?.name, target?.selector, target?.role, action.kind === 'type' || action.kind === 'select' ? action.text : undefined, action.keys].filter((text): text is string => Boolean(text));
}

/**
 * Why the explorer holds an action back, or undefined: the control looks destructive by the skill
 * audit's own definition (so a step explored freely is never refused at replay), or it ends the session.
 */
export function heldBackReason(action: ExploreAction): string | undefined {
  const destructive = controlDestructiveReason(actionStrings(action), action.kind === 'shortcut' ? action.keys : undefined);
  if (destructive) return `looks destructive (${destructive})`;
  const ending = sessionEnding.exec(`${action.target?.name ?? ''} ${action.keys ?? ''}`);
  return ending ? `ends the session ("${ending[0]}")` : undefined;
}

export function compileAllow(allow: string | undefined): RegExp | undefined {
  if (allow === undefined || allow === '') return undefined;
  try {
    return new RegExp(allow, 'i');
  } catch (error) {
    throw new SkillframeError('bad_input', `input.allow: not a valid regular expression ${JSON.stringify(allow)} (${(error as Error).message})`);
  }
}

/**
 * True when the action is held back (heldBackReason) and `allow` (`--allow PATTERN`, a regular
 * expression over the control's strings) does not cover it. A step `allow` lets through is
 * marked destructive in its export by the builder, which judges it by the same definition.
 */
export function isBlocked(action: ExploreAction, allow: RegExp | undefined): boolean {
  if (!heldBackReason(action)) return false;
  return !(allow && actionStrings(action).some((text) => allow.test(text)));
}

export function splitBlocked(actions: ExploreAction[], allow: RegExp | undefined): { candidates: ExploreAction[]; blocked: ExploreAction[] } {
  const candidates: ExploreAction[] = [];
  const blocked: ExploreAction[] = [];
  for (const action of actions) (isBlocked(action, allow) ? blocked : candidates).push(action);
  return { candidates, blocked };
}
