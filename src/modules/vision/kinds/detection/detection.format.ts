import { z } from 'zod';
import { zodReplyFormat, type ReplyFormat } from '../../../../model/reply-format.js';
import { boxFormatOf, toImageBox, type Box, type BoxFormatSetting, type BoxFrame } from './boxes.js';

/** Detected objects as stored (the Answer row's JSON text): boxes already in stored-image pixels. */
export interface Detected {
  objects: Array<{ label: string; box: Box }>;
}

export const DETECTION_FORMAT_NAME = 'detection_v1';

const entry = z.object({ label: z.string(), bbox_2d: z.array(z.number()).length(4) });

/**
 * The reply for one image: `{"objects": [{"label", "bbox_2d": [x1, y1, x2, y2]}]}`
 * (Qwen's own grounding shape). When labels were asked for, the schema
 * allows only those, and entries naming others are dropped (matched without
 * regard to case). A reply without an `objects` list fails; an entry that
 * is malformed or whose box has no area inside the image is dropped.
 * `frameFor` gives the frame the model that answered saw the image in.
 */
export function detectionFormat(labels: readonly string[], frameFor: (model: string) => BoxFrame, boxFormat: BoxFormatSetting): ReplyFormat {
  const label = labels.length > 0 ? z.enum(labels as [string, ...string[]]) : z.string();
  const byLowerCase = new Map(labels.map((l) => [l.toLowerCase(), l]));
  return zodReplyFormat({
    name: DETECTION_FORMAT_NAME,
    schema: z.object({ objects: z.array(entry.extend({ label })) }),
    accepts: z.object({ objects: z.array(z.unknown()) }),
    normalize: ({ objects }, { model }): Detected => {
      // One frame and convention per reply: every box in it comes from the same model.
      const frame = frameFor(model);
      const format = boxFormatOf(boxFormat, model);
      return {
        objects: objects.flatMap((candidate) => {
          const parsed = entry.safeParse(candidate);
          if (!parsed.success) return [];
          const name = labels.length > 0 ? byLowerCase.get(parsed.data.label.trim().toLowerCase()) : parsed.data.label.trim();
          const box = toImageBox(parsed.data.bbox_2d, frame, format);
          return name && box ? [{ label: name, box }] : [];
        }),
      };
    },
  });
}
