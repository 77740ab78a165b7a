import { z } from 'zod';
import { TICKET_GROUPS, TICKET_PRIORITIES } from './ticket.schemas.js';

const text = (max: number) => z.string().trim().min(1).max(max);

/** Service desk triage: NEW -> TRIAGED, routed and prioritised. */
export const triageInput = z.object({
  group: z.enum(TICKET_GROUPS).optional(),
  priority: z.enum(TICKET_PRIORITIES).optional(),
  assigneeId: z.string().uuid().nullable().optional(),
  note: text(5_000).optional(),
});
export type TriageInput = z.infer<typeof triageInput>;

export const assignInput = z.object({ assigneeId: z.string().uuid().nullable(), note: text(5_000).optional() });
export type AssignInput = z.infer<typeof assignInput>;

/** Hardware goes to the repair group, network/platform problems to the system group. */
export const escalateInput = z.object({ to: z.enum(['REPAIR', 'SYSTEM']), reason: text(5_000) });
export type EscalateInput = z.infer<typeof escalateInput>;

export const visitInput = z.object({ scheduledAt: z.coerce.date(), address: text(500), note: text(5_000).optional() });
export type VisitInput = z.infer<typeof visitInput>;

export const resolveInput = z
  .object({
    /** What fixed it; kept on the ticket and, when saved, as the article's solution. */
    note: text(5_000),
    /** Save the resolution as a new knowledge article. */
    saveAsArticle: z.boolean().default(false),
    articleTitle: text(200).optional(),
    /** An existing article that solved it (its usage count goes up). */
    articleId: z.string().uuid().optional(),
  })
  .refine((v) => !(v.saveAsArticle && v.articleId), { message: 'Either save a new article or name an existing one', path: ['articleId'] });
export type ResolveInput = z.infer<typeof resolveInput>;

export const noteInput = z.object({ note: text(5_000).optional() });
export const reopenInput = z.object({ reason: text(5_000) });
export const mergeInput = z.object({ intoId: z.string().uuid(), note: text(5_000).optional() });
export type MergeInput = z.infer<typeof mergeInput>;
