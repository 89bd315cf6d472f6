import type { PlanFile } from '../../core/schemas/skill.ts';
import type { GroundingInput, TargetStep } from '../../engine/computer/replay/rungs/rung.ts';

/**
 * A rung's input for a unit test: the step, the frame and the window region it is grounded in, the
 * rest as replay gives it on an X11 window that nothing else says anything about (no OCR lines, no
 * template unless given, threshold 0.8, the window's position trusted, scale 1).
 */
export function groundingInput(parts: { step: unknown; region: GroundingInput['region']; expected: GroundingInput['expected'] } & Partial<Omit<GroundingInput, 'step'>>): GroundingInput {
  return {
    surface: { kind: 'x11' } as GroundingInput['surface'],
    plan: {} as PlanFile,
    frame: { data: new Uint8Array(0), width: 1920, height: 1080 },
    positionTrusted: true,
    scale: { x: 1, y: 1 },
    readLines: async () => [],
    templateImage: async () => undefined,
    threshold: 0.8,
    disabled: new Set(),
    ...parts,
    step: parts.step as TargetStep,
  } as GroundingInput;
}
