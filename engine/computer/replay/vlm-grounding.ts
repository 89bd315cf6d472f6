import { z } from 'zod';
import type { PlanStep, StateCard, TargetDescriptor } from '../../../core/schemas/skill.ts';
import type { VlmProvider } from '../../../perception/models/vlm.ts';
import { clampBox, crop, type Box, type RgbaImage } from '../../../native/image.ts';
import type { Grounding } from './ground.ts';

type TargetStep = Extract<PlanStep, { target: TargetDescriptor }>;

/** What the model must answer: a box in the image it was shown, or found: false. Never code. */
export const ModelLocation = z
  .object({
    found: z.boolean(),
    box: z.tuple([z.number(), z.number(), z.number().positive(), z.number().positive()]).optional(),
    confidence: z.number().min(0).max(1),
    reason: z.string().max(500).optional(),
  })
  .strict();

/** Model answers are evidence, not certainty: their confidence is capped below the other rungs'. */
const modelConfidenceCap = 0.9;

/**
 * The last rung: a vision-language model gets the step, its state card, the recorded target crop
 * and the app as it looks now, and answers with a box (zod-validated). A box outside the app, an
 * answer that breaks the schema, or "not found" grounds nothing.
 */
export function modelGrounder(provider: VlmProvider, cards: StateCard[], templates: (file: string) => Promise<RgbaImage | undefined>, region: () => Box, signal?: AbortSignal) {
  return async (step: TargetStep, frame: RgbaImage): Promise<Grounding | undefined> => {
    const area = clampBox(region(), frame.width, frame.height);
    if (!area) return undefined;
    const live = crop(frame, area);
    const card = cards.find((candidate) => candidate.state_id === step.state_id);
    const recorded = step.target.template ? await templates(step.target.template.file) : undefined;
    const lines = [
      `Task step: ${step.description}`,
      card ? `Where this happens: ${card.when_to_use}. Visible cues: ${card.visible_cues.join('; ') || 'none'}.` : '',
      step.target.ocr?.text ? `The target's label was "${step.target.ocr.text}".` : '',
      recorded ? 'The first image is the target as it looked when recorded; the second is the app now.' : 'The image is the app now.',
      `Answer JSON: {"found": boolean, "box": [x, y, width, height] in pixels of the app image (${live.width}×${live.height}), "confidence": 0..1, "reason": short}. If you are not sure, answer found: false.`,
    ].filter(Boolean);
    const result = await provider.complete({
      system: 'You locate one user-interface element in a screenshot for a desktop automation tool. You never guess: a wrong click is worse than none.',
      messages: [{ role: 'user', content: [{ type: 'text', text: lines.join('\n') }, ...(recorded ? [{ type: 'image' as const, image: recorded }] : []), { type: 'image' as const, image: live }] }],
      schema: ModelLocation,
      signal,
      timeoutMs: 60_000,
    });
    const answer = result.value;
    if (!answer.found || !answer.box) return undefined;
    const [x, y, width, height] = answer.box;
    if (x < 0 || y < 0 || x + width > live.width + 1 || y + height > live.height + 1 || width * height > live.width * live.height * 0.25) return undefined;
    const box: Box = [Math.round(area[0] + x), Math.round(area[1] + y), Math.round(width), Math.round(height)];
    return {
      tier: 'vlm',
      point: { x: box[0] + box[2] / 2, y: box[1] + box[3] / 2 },
      box,
      confidence: Math.min(modelConfidenceCap, answer.confidence),
      evidence: `${provider.kind}/${provider.model}: ${answer.reason ?? 'found'}`,
    };
  };
}
