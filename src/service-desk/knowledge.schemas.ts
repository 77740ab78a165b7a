import { z } from 'zod';
import { patchOf } from '../platform/schemas.js';

const text = (max: number) => z.string().trim().min(1).max(max);

export const articleInput = z.object({
  title: text(200),
  symptoms: text(5_000),
  cause: text(5_000).nullable().optional(),
  solution: text(10_000),
  deviceModelId: z.string().uuid().nullable().optional(),
  faultCodes: z.array(z.number().int().min(0).max(0xffff)).max(20).default([]),
  sourceTicketId: z.string().uuid().nullable().optional(),
});
export type ArticleInput = z.infer<typeof articleInput>;
export const articlePatch = patchOf(articleInput);
export type ArticlePatch = z.infer<typeof articlePatch>;

export const articleSearch = z.object({
  q: z.string().trim().max(500).optional(),
  faultCode: z.coerce.number().int().min(0).max(0xffff).optional(),
  deviceModelId: z.string().uuid().optional(),
  limit: z.coerce.number().int().min(1).max(50).default(10),
});
export type ArticleSearch = z.infer<typeof articleSearch>;
