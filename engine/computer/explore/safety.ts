import { SkillframeError } from '../../../core/index.ts';
import type { ExploreAction } from '../../../core/commands/explore.ts';

/**
 * Controls the explorer never touches on its own: they delete, sign out, spend money or send
 * things. `--allow PATTERN` (a regular expression over the control's name) lets some through.
 */
export const destructivePattern =
  /\b(delete|remove|erase|destroy|wipe|purge|drop|format|log ?out|sign ?out|logout|signout|purchase|buy|pay|checkout|order now|place order|send|submit payment|unsubscribe|deactivate|close account|shut ?down|reboot|quit|exit)\b/i;

export function compileAllow(allow: string | undefined): RegExp | undefined {
  if (allow === undefined || allow === '') return undefined;
  try {
    return new RegExp(allow, 'i');
  } catch (error) {
    throw new SkillframeError('bad_input', `input.allow: not a valid regular expression ${JSON.stringify(allow)} (${(error as Error).message})`);
  }
}

/** True when the action's control looks destructive and `allow` does not cover it. */
export function isBlocked(action: ExploreAction, allow: RegExp | undefined): boolean {
  // Choosing an option does what the option says (a list box labelled "Format" formats nothing).
  const name = (action.kind === 'select' ? (action.text ?? '') : `${action.target?.name ?? ''} ${action.keys ?? ''}`).trim();
  if (!name || !destructivePattern.test(name)) return false;
  return !(allow && allow.test(name));
}

export function splitBlocked(actions: ExploreAction[], allow: RegExp | undefined): { candidates: ExploreAction[]; blocked: ExploreAction[] } {
  const candidates: ExploreAction[] = [];
  const blocked: ExploreAction[] = [];
  for (const action of actions) (isBlocked(action, allow) ? blocked : candidates).push(action);
  return { candidates, blocked };
}
